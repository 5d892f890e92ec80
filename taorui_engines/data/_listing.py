"""What the store holds, read from each market's ``meta.json`` alone.

Listing the store is what planning needs (which symbols exist, their dates, the universes,
close matches for a misspelt symbol), and it must not pay for pandas, numpy or Qlib: a
``taorui ask --plan-only`` answers in well under two seconds only if reading the catalog
costs a few JSON files. :class:`DataCenter` delegates its catalog methods here, so the
reading rules (the ``current`` link, the meta cache, the suggestions) exist once.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from taorui_engines.data._models import InstrumentInfo, MarketMeta, UniverseInfo
from taorui_engines.errors import InvalidArgumentError, UnknownSymbolError

__all__ = [
    "SAMPLE_MARKETS",
    "SAMPLE_VERSION",
    "StoreListing",
    "check_name",
    "normalize_symbol",
    "sample_is_current",
]

#: Bumped when the embedded sample changes; an older store is rebuilt on first use.
SAMPLE_VERSION = 1
#: The markets the embedded sample writes (US index/commodity series; synthetic A-share-like).
SAMPLE_MARKETS: tuple[str, str] = ("us", "synthetic")

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_SYMBOL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")


def check_name(name: str, what: str) -> str:
    """A market or universe name: it becomes a folder, so only a safe alphabet."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise InvalidArgumentError(
            f"invalid {what} name {name!r}: lower-case letters, digits and _, starting with a letter"
        )
    return name


def normalize_symbol(symbol: str) -> str:
    """Canonical (upper-case) form of a symbol; refuses names that cannot be a file name."""
    if not isinstance(symbol, str) or not _SYMBOL_RE.match(symbol.strip()):
        raise InvalidArgumentError(
            f"invalid symbol {symbol!r}: use 1-32 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return symbol.strip().upper()


def current_version(market_root: Path) -> Path | None:
    """Resolved folder of a market's live version, or None for an empty market."""
    link = market_root / "current"
    if not link.is_symlink() and not link.exists():
        return None
    target = link.resolve()
    return target if (target / "meta.json").exists() else None


class StoreListing:
    """The catalog of one data folder: markets, instruments, universes (read-only)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self._cache: dict[str, tuple[Path, MarketMeta]] = {}

    def forget(self) -> None:
        """Drop the cached catalogs (an ingest is about to change them)."""
        self._cache.clear()

    def markets(self) -> list[str]:
        """Names of the markets that hold data."""
        root = self.data_dir / "markets"
        if not root.exists():
            return []
        return sorted(p.name for p in root.iterdir() if (p / "current").exists())

    def market_meta(self, market: str) -> MarketMeta | None:
        """The live catalog of one market (cached per store version: an ingest makes a new one)."""
        version = current_version(self.data_dir / "markets" / check_name(market, "market"))
        if version is None:
            return None
        cached = self._cache.get(market)
        if cached is not None and cached[0] == version:
            return cached[1]
        meta = MarketMeta.model_validate_json((version / "meta.json").read_text())
        self._cache[market] = (version, meta)
        return meta

    def all_meta(self) -> list[MarketMeta]:
        """Every market's catalog."""
        metas = [self.market_meta(m) for m in self.markets()]
        return [m for m in metas if m is not None]

    def list_instruments(self) -> list[InstrumentInfo]:
        """Every instrument of every market, sorted by market then symbol."""
        return [i for m in self.all_meta() for _, i in sorted(m.instruments.items())]

    def universes(self) -> dict[str, UniverseInfo]:
        """Every named universe."""
        return {name: u for m in self.all_meta() for name, u in m.universes.items()}

    def info(self, symbol: str) -> InstrumentInfo:
        """Catalog entry of one symbol; unknown symbols get close-match suggestions."""
        canonical = normalize_symbol(symbol)
        for meta in self.all_meta():
            if canonical in meta.instruments:
                return meta.instruments[canonical]
        known = [i.symbol for i in self.list_instruments()] + list(self.universes())
        close = difflib.get_close_matches(canonical, known, n=3, cutoff=0.5)
        close += [k for k in known if k.upper() == canonical and k not in close]
        raise UnknownSymbolError(symbol, close)


def sample_is_current(listing: StoreListing) -> bool:
    """True when both sample markets exist at :data:`SAMPLE_VERSION`."""
    for market in SAMPLE_MARKETS:
        meta = listing.market_meta(market)
        if meta is None or meta.sample_version != SAMPLE_VERSION:
            return False
    return True
