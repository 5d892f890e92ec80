"""The data center: one read API for every engine, and the ingestion that feeds it.

Instruments live in *markets*. A market is one Qlib store with one trading calendar: Qlib's
operators (``Ref``, ``Mean``, ...) count positions in that calendar, so mixing, say, a
US index with a Chinese stock in one calendar would make every US holiday look like a
suspension day of the Chinese stock. Each symbol belongs to exactly one market; a universe
is a named set of symbols inside one market.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Literal

import pandas as pd

from taorui_engines.data import _qlib
from taorui_engines.data._bars import read_bars
from taorui_engines.data._listing import StoreListing, check_name, normalize_symbol
from taorui_engines.data._models import (
    InstrumentInfo,
    MarketMeta,
    Provenance,
    Region,
    UniverseInfo,
)
from taorui_engines.data._store import MarketStore
from taorui_engines.data._validate import (
    BAR_FIELDS,
    Freq,
    Today,
    check_freq,
    clean_bars,
    parse_range,
    read_bar_csv,
    utc_today,
)
from taorui_engines.errors import (
    InvalidArgumentError,
    InvalidDataError,
    InvalidDateRangeError,
    InvalidExpressionError,
)
from taorui_engines.locks import file_lock
from taorui_engines.progress import ProgressEvent, ProgressReporter, default_progress

logger = logging.getLogger(__name__)

IfExists = Literal["error", "replace", "append"]
#: Signature of an expression check: returns the expression to evaluate, or raises.
ExpressionCheck = Callable[[str], str]
#: Who evaluates checked expressions: the panel engine (Qlib's semantics by blocks of instruments,
#: Qlib itself for what it cannot guarantee) or Qlib's ``D.features`` alone (the engine of record).
ExpressionEngine = Literal["panel", "qlib"]
_EXPRESSION_ENGINES: tuple[ExpressionEngine, ...] = ("panel", "qlib")


class DataCenter:
    """Read prices and factors; ingest bars. One instance per data folder.

    ``expression_check`` stands in front of every Qlib expression (see the Qlib engine's
    safe-expression parser); it receives the user's expression and returns the text that
    Qlib may evaluate, or raises ``InvalidExpressionError``/``UnsafeExpressionError``.

    ``today`` is the clock of ingestion: rows dated after the day it returns (plus one day
    for time zones) are refused. It defaults to the system's UTC date; tests and replays
    inject their own so "the future" does not depend on when they run.

    ``expression_engine`` picks who computes expression reads (:meth:`get_features`):
    ``"panel"`` (the default) gives Qlib's frame several times faster, ``"qlib"`` asks Qlib's
    ``D.features`` alone (kept for the benchmark and the equality tests).
    """

    def __init__(
        self,
        data_dir: Path,
        expression_check: ExpressionCheck | None = None,
        progress: ProgressReporter | None = None,
        today: Today | None = None,
        expression_engine: ExpressionEngine = "panel",
    ) -> None:
        if expression_engine not in _EXPRESSION_ENGINES:
            raise InvalidArgumentError(
                f"expression_engine must be one of {', '.join(_EXPRESSION_ENGINES)}, not {expression_engine!r}")
        self._expression_engine: ExpressionEngine = expression_engine
        self.data_dir = Path(data_dir)
        self._expression_check = expression_check or _default_expression_check()
        self._progress = default_progress(progress)
        self._today: Today = today or utc_today
        self._listing = StoreListing(self.data_dir)

    # catalog ---------------------------------------------------------------------------
    @property
    def listing(self) -> StoreListing:
        """The catalog reader this center uses (light: JSON only, no pandas)."""
        return self._listing

    def _store(self, market: str) -> MarketStore:
        return MarketStore(self.data_dir / "markets" / check_name(market, "market"))

    def markets(self) -> list[str]:
        """Names of the markets that hold data."""
        return self._listing.markets()

    def version_key(self) -> tuple[tuple[str, str], ...]:
        """(market, live version folder) of every market: changes exactly when an ingest lands.

        Cheap (one link resolve per market); callers key caches of what the store holds on it.
        """
        return tuple((m, str(self._store(m).current_version())) for m in self.markets())

    def market_meta(self, market: str) -> MarketMeta | None:
        """The live catalog of one market (cached per store version)."""
        return self._listing.market_meta(market)

    def _all_meta(self) -> list[MarketMeta]:
        return self._listing.all_meta()

    def list_instruments(self) -> list[InstrumentInfo]:
        """Every instrument of every market, sorted by market then symbol."""
        return self._listing.list_instruments()

    def universes(self) -> dict[str, UniverseInfo]:
        """Every named universe."""
        return self._listing.universes()

    def info(self, symbol: str) -> InstrumentInfo:
        """Catalog entry of one symbol; unknown symbols get close-match suggestions."""
        return self._listing.info(symbol)

    def provenance(self, symbol: str) -> Provenance:
        """Where ``symbol`` came from."""
        return self.info(symbol).provenance

    def resolve(self, symbols: str | Sequence[str]) -> list[InstrumentInfo]:
        """Expand universe names and check every symbol exists.

        ``symbols`` may be one symbol, one universe name, a comma-separated string, or a
        list mixing both. Duplicates are removed, order kept.
        """
        items = [s.strip() for s in symbols.split(",")] if isinstance(symbols, str) else symbols
        if not items or any(not isinstance(s, str) or not s.strip() for s in items):
            raise InvalidArgumentError("no symbols given (pass symbols or a universe name)")
        metas = self._all_meta()  # one look at the store for the whole list
        universes = {name: u for m in metas for name, u in m.universes.items()}
        known = {sym: info for m in metas for sym, info in m.instruments.items()}

        def info_of(symbol: str) -> InstrumentInfo:
            found = known.get(normalize_symbol(symbol))
            return found if found is not None else self.info(symbol)  # unknown: the error with suggestions

        out: dict[str, InstrumentInfo] = {}
        for item in items:
            if item.strip().lower() in universes:
                for member in universes[item.strip().lower()].members:
                    out.setdefault(member, info_of(member))
            else:
                info = info_of(item)
                out.setdefault(info.symbol, info)
        return list(out.values())

    def market_of(self, symbols: str | Sequence[str]) -> str:
        """The one market that all ``symbols`` belong to (expressions need one calendar)."""
        markets = sorted({i.market for i in self.resolve(symbols)})
        if len(markets) != 1:
            raise InvalidArgumentError(
                f"symbols span several markets ({', '.join(markets)}); factor expressions and "
                "models work on one market's calendar at a time"
            )
        return markets[0]

    def calendar(
        self, market: str, start: object = None, end: object = None, freq: str = "day"
    ) -> pd.DatetimeIndex:
        """Trading calendar of a market, optionally cut to [start, end] (read from the store:
        no Qlib initialisation)."""
        version = self._live_version(market)
        cal = MarketStore.read_calendar(version, check_freq(freq))
        if start is not None or end is not None:
            s, e = parse_range(start or cal.min(), end or cal.max())
            cal = cal[(cal >= s) & (cal <= e)]
        return cal

    def _live_version(self, market: str) -> Path:
        """The folder of ``market``'s live store version (no Qlib initialisation)."""
        version = self._store(market).current_version()
        if version is None:
            raise InvalidArgumentError(
                f"market {market!r} holds no data (markets: {', '.join(self.markets()) or 'none'})")
        return version

    def activate(self, market: str) -> Path:
        """Initialise Qlib on ``market``'s live store; engines call this before using Qlib."""
        meta = self.market_meta(market)
        version = self._store(market).current_version()
        if meta is None or version is None:
            raise InvalidArgumentError(
                f"market {market!r} holds no data (markets: {', '.join(self.markets()) or 'none'})"
            )
        _qlib.use_store(version, meta.region)
        return version

    # reads -----------------------------------------------------------------------------
    def get_price(
        self,
        symbols: str | Sequence[str],
        start: object,
        end: object,
        freq: str = "day",
        fields: Sequence[str] = BAR_FIELDS,
    ) -> pd.DataFrame:
        """Bars as a tidy frame: ``date, symbol, <fields>``, sorted by date then symbol.

        Days inside a market's calendar on which a symbol did not trade are left out (no
        row), never filled.
        """
        freq = check_freq(freq)
        s, e = parse_range(start, end)
        infos = self.resolve(symbols)
        fields = self._check_fields(infos, fields, freq)
        frames = []
        for market, group in _group_by_market(infos).items():
            # Stored fields need no expression engine: read the binary columns directly.
            frames.append(read_bars(self._live_version(market), group, fields, s, e, freq))
        tidy = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True).sort_values(
            ["date", "symbol"], kind="stable").reset_index(drop=True)
        if tidy.empty:
            raise InvalidDateRangeError(_no_data_message(infos, s, e))
        return tidy

    def get_factor(
        self, expression: str, symbols: str | Sequence[str], start: object, end: object,
        freq: str = "day",
    ) -> pd.DataFrame:
        """One expression as a tidy frame ``date, symbol, value`` (NaN where undefined)."""
        wide = self.get_features({"value": expression}, symbols, start, end, freq)
        return wide.reset_index()

    def get_features(
        self,
        expressions: Mapping[str, str] | Sequence[str],
        symbols: str | Sequence[str],
        start: object,
        end: object,
        freq: str = "day",
    ) -> pd.DataFrame:
        """Several expressions in one load: index (date, symbol), one column each.

        Rows are the market's trading days on which the symbol traded. Every expression
        passes the expression check before any engine sees it; the values are Qlib's (see
        ``expression_engine``).
        """
        freq = check_freq(freq)
        s, e = parse_range(start, end)
        named = dict(expressions) if isinstance(expressions, Mapping) else {
            expr: expr for expr in expressions
        }
        if not named:
            raise InvalidExpressionError("no expression given")
        checked = {name: self._expression_check(expr) for name, expr in named.items()}
        infos = self.resolve(symbols)
        market = self.market_of([i.symbol for i in infos])
        checked["__close"] = "$close"
        wide = self._read_expressions(market, infos, checked, s, e, freq)
        traded = wide["__close"].notna()
        wide = wide.loc[traded].drop(columns="__close")
        if wide.empty:
            raise InvalidDateRangeError(_no_data_message(infos, s, e))
        return wide

    def _read_expressions(
        self,
        market: str,
        infos: Sequence[InstrumentInfo],
        exprs: Mapping[str, str],
        start: pd.Timestamp,
        end: pd.Timestamp,
        freq: str,
    ) -> pd.DataFrame:
        """What :meth:`_features` returns, from the engine this center was built with."""
        if self._expression_engine == "qlib":
            return self._features(market, infos, exprs, start, end, freq)
        return self._panel_features(market, infos, exprs, start, end, freq)

    def _panel_features(
        self,
        market: str,
        infos: Sequence[InstrumentInfo],
        exprs: Mapping[str, str],
        start: pd.Timestamp,
        end: pd.Timestamp,
        freq: str,
    ) -> pd.DataFrame:
        """:meth:`_features`' frame, computed by the panel engine.

        Why: Qlib evaluates every expression one instrument at a time in small pandas calls;
        the panel engine runs each operator once over a block of instruments with Qlib's
        arithmetic, and itself hands Qlib what it cannot reproduce exactly (see
        :mod:`taorui_engines.qlib_engine._fast_features`, the one place that decides), so the
        values, rows and dtypes are those of :meth:`_features`. Anything it raises (an
        expression Qlib cannot evaluate either, or a fault of the engine) sends the whole read
        to :meth:`_features`: the caller gets today's values or today's error, never a guess.
        """
        from taorui_engines.qlib_engine._fast_features import load_features

        texts = list(dict.fromkeys(exprs.values()))  # one evaluation per distinct text
        names = [f"e{i}" for i in range(len(texts))]
        with _qlib.lock():
            self.activate(market)
            try:
                raw = load_features({"f": (texts, names)}, [i.symbol for i in infos], start, end, freq=freq)
            except Exception as exc:  # noqa: BLE001 - Qlib's path is the reference; it re-raises what is wrong
                logger.warning("panel engine failed on %d expression(s) (%s: %s); reading them through Qlib",
                               len(texts), type(exc).__name__, exc)
                logger.debug("panel engine failure", exc_info=True)
                return self._features(market, infos, exprs, start, end, freq)
        wide = raw["f"].iloc[:, [texts.index(text) for text in exprs.values()]].astype("float64")
        wide.columns = list(exprs.keys())
        wide.index = wide.index.set_names(["date", "symbol"])
        return wide

    def _features(
        self,
        market: str,
        infos: Sequence[InstrumentInfo],
        exprs: Mapping[str, str],
        start: pd.Timestamp,
        end: pd.Timestamp,
        freq: str,
    ) -> pd.DataFrame:
        """``exprs`` over ``infos`` by Qlib's ``D.features``: index (date, symbol), float64."""
        from qlib.data import D

        with _qlib.lock():
            self.activate(market)
            try:
                raw = D.features(
                    [i.symbol for i in infos], list(exprs.values()),
                    start_time=start, end_time=end, freq=freq,
                )
            except (SyntaxError, NameError, TypeError, AttributeError, ValueError) as exc:
                raise InvalidExpressionError(f"Qlib could not evaluate the expression: {exc}") from exc
        raw.columns = list(exprs.keys())
        raw.index = raw.index.set_names(["symbol", "date"])
        raw = raw.swaplevel().sort_index()
        return raw.astype("float64")

    @staticmethod
    def _check_fields(
        infos: Sequence[InstrumentInfo], fields: Sequence[str], freq: str
    ) -> tuple[str, ...]:
        if isinstance(fields, str) or not fields:
            raise InvalidArgumentError("fields must be a non-empty list of field names")
        wanted = tuple(dict.fromkeys(f.strip().lstrip("$").lower() for f in fields))
        for info in infos:
            if info.freq != freq:
                raise InvalidArgumentError(f"{info.symbol} has {info.freq} bars, not {freq}")
            missing = [f for f in wanted if f not in info.fields]
            if missing:
                raise InvalidArgumentError(
                    f"{info.symbol} has no field(s) {', '.join(missing)} "
                    f"(it has {', '.join(info.fields)})"
                )
        return wanted

    # ingestion -------------------------------------------------------------------------
    def ingest_frames(
        self,
        frames: Mapping[str, pd.DataFrame],
        market: str,
        provenance: Provenance | Mapping[str, Provenance],
        freq: str = "day",
        universe: str | None = None,
        universe_description: str = "",
        if_exists: IfExists = "error",
        region: Region | None = None,
        sample_version: int | None = None,
        date_format: str | None = None,
        _before_swap: object = None,
    ) -> list[InstrumentInfo]:
        """Validate every frame, then write them into ``market`` as one new store version.

        All-or-nothing: one bad frame and nothing is written. ``if_exists`` decides what
        happens to a symbol already in the market (``append`` merges, new rows win).
        ``date_format`` (strftime) reads text date columns that are not ISO.
        """
        freq = check_freq(freq)
        check_name(market, "market")
        if universe is not None:
            check_name(universe, "universe")
        if not frames:
            raise InvalidDataError("no frames to ingest")
        today = self._today()
        cleaned = self._clean_all(frames, freq, today, date_format)
        store = self._store(market)
        with file_lock(self.data_dir / ".ingest.lock"):
            self._listing.forget()
            meta = store.meta() or MarketMeta(market=market, region=region or "us")
            if region is not None and meta.instruments and region != meta.region:
                raise InvalidArgumentError(
                    f"market {market!r} is region {meta.region!r}, not {region!r}"
                )
            self._refuse_other_markets(cleaned, market)
            cleaned = self._apply_if_exists(store, meta, cleaned, if_exists, today)
            new_meta, written = self._next_meta(
                meta, cleaned, provenance, freq, universe, universe_description, region
            )
            if sample_version is not None:
                new_meta.sample_version = sample_version
            carried = {s: i for s, i in meta.instruments.items() if s not in cleaned}
            self._progress.update(ProgressEvent("ingest", 0, 1, f"{len(cleaned)} series"))
            store.write_version(new_meta, cleaned, carried, before_swap=_before_swap)
            self._progress.update(ProgressEvent("ingest", 1, 1, market))
            self._listing.forget()
        return written

    def ingest_frame(
        self,
        frame: pd.DataFrame,
        symbol: str,
        market: str = "custom",
        provenance: Provenance | None = None,
        **kwargs: object,
    ) -> InstrumentInfo:
        """Ingest one symbol's bars (see :meth:`ingest_frames`)."""
        prov = provenance or Provenance(source="DataFrame", synthetic=False)
        return self.ingest_frames({symbol: frame}, market, prov, **kwargs)[0]  # type: ignore[arg-type]

    def ingest_csv(
        self, path: Path, symbol: str, market: str = "custom", date_format: str | None = None,
        **kwargs: object,
    ) -> InstrumentInfo:
        """Ingest one CSV file of bars as ``symbol`` (``date_format``: strftime of its dates)."""
        freq = check_freq(str(kwargs.pop("freq", "day")))
        bars = read_bar_csv(Path(path), freq, today=self._today(), date_format=date_format)
        prov = Provenance(source=f"csv:{Path(path).resolve()}", synthetic=False)
        return self.ingest_frames({symbol: bars}, market, prov, freq=freq, **kwargs)[0]  # type: ignore[arg-type]

    def ingest_folder(
        self, folder: Path, universe: str, market: str = "custom", date_format: str | None = None,
        **kwargs: object,
    ) -> list[InstrumentInfo]:
        """Ingest every ``*.csv`` of a folder (symbol = file stem) as one universe.

        ``date_format`` (strftime) applies to every file's dates.
        """
        folder = Path(folder)
        files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
        if not files:
            raise InvalidDataError(f"no CSV files in {folder}")
        freq = check_freq(str(kwargs.pop("freq", "day")))
        today = self._today()
        frames = {f.stem: read_bar_csv(f, freq, today=today, date_format=date_format) for f in files}
        prov = {normalize_symbol(f.stem): Provenance(source=f"csv:{f.resolve()}", synthetic=False)
                for f in files}
        return self.ingest_frames(frames, market, prov, freq=freq, universe=universe, **kwargs)  # type: ignore[arg-type]

    def _clean_all(
        self, frames: Mapping[str, pd.DataFrame], freq: Freq, today: date, date_format: str | None
    ) -> dict[str, pd.DataFrame]:
        cleaned: dict[str, pd.DataFrame] = {}
        for symbol, frame in frames.items():
            canonical = normalize_symbol(symbol)
            if canonical in cleaned:
                raise InvalidDataError(f"symbol {canonical} given twice")
            try:
                cleaned[canonical] = clean_bars(frame, freq, today=today, date_format=date_format)
            except InvalidDataError as exc:
                raise InvalidDataError(f"{canonical}: {exc.message}") from exc
        if self.universes().keys() & {s.lower() for s in cleaned}:
            clash = sorted(self.universes().keys() & {s.lower() for s in cleaned})
            raise InvalidArgumentError(f"symbol(s) {clash} clash with universe names")
        return cleaned

    def _refuse_other_markets(self, cleaned: Mapping[str, pd.DataFrame], market: str) -> None:
        for meta in self._all_meta():
            if meta.market == market:
                continue
            taken = sorted(set(cleaned) & set(meta.instruments))
            if taken:
                raise InvalidArgumentError(
                    f"symbol(s) {', '.join(taken)} already live in market {meta.market!r}"
                )

    @staticmethod
    def _apply_if_exists(
        store: MarketStore, meta: MarketMeta, cleaned: dict[str, pd.DataFrame], mode: IfExists,
        today: date,
    ) -> dict[str, pd.DataFrame]:
        existing = sorted(set(cleaned) & set(meta.instruments))
        if not existing or mode == "replace":
            return cleaned
        if mode == "error":
            raise InvalidArgumentError(
                f"{', '.join(existing)} already in market {meta.market!r}; "
                "pass if_exists='replace' (--replace) or 'append' (--append)"
            )
        if mode != "append":
            raise InvalidArgumentError(f"if_exists must be error, replace or append, not {mode!r}")
        version = store.current_version()
        assert version is not None
        out = dict(cleaned)
        for symbol in existing:
            old = store.read_series(version, meta.instruments[symbol])
            merged = out[symbol].combine_first(old)
            out[symbol] = clean_bars(
                merged[[c for c in merged.columns]], meta.instruments[symbol].freq,  # type: ignore[arg-type]
                today=today,
            )
        return out

    @staticmethod
    def _next_meta(
        meta: MarketMeta,
        cleaned: Mapping[str, pd.DataFrame],
        provenance: Provenance | Mapping[str, Provenance],
        freq: str,
        universe: str | None,
        universe_description: str,
        region: Region | None,
    ) -> tuple[MarketMeta, list[InstrumentInfo]]:
        new = meta.model_copy(deep=True)
        if region is not None:
            new.region = region
        written = []
        fmt = "%Y-%m-%d" if freq == "day" else "%Y-%m-%d %H:%M:%S"
        for symbol, frame in cleaned.items():
            prov = provenance if isinstance(provenance, Provenance) else provenance.get(symbol)
            if prov is None:
                raise InvalidArgumentError(f"no provenance given for {symbol}")
            info = InstrumentInfo(
                symbol=symbol, market=meta.market, freq=freq,
                start=frame.index[0].strftime(fmt), end=frame.index[-1].strftime(fmt),
                rows=len(frame), fields=tuple(frame.columns), provenance=prov,
            )
            new.instruments[symbol] = info
            written.append(info)
        if universe is not None:
            old = new.universes.get(universe)
            members = tuple(sorted(set(old.members if old else ()) | set(cleaned)))
            synthetic = all(new.instruments[m].synthetic for m in members)
            new.universes[universe] = UniverseInfo(
                name=universe, market=meta.market, members=members, synthetic=synthetic,
                description=universe_description or (old.description if old else ""),
            )
        return new, written


def _group_by_market(infos: Iterable[InstrumentInfo]) -> dict[str, list[InstrumentInfo]]:
    groups: dict[str, list[InstrumentInfo]] = {}
    for info in infos:
        groups.setdefault(info.market, []).append(info)
    return groups


def _no_data_message(infos: Sequence[InstrumentInfo], s: pd.Timestamp, e: pd.Timestamp) -> str:
    spans = "; ".join(f"{i.symbol} has {i.start}..{i.end}" for i in infos[:5])
    more = f" (+{len(infos) - 5} more)" if len(infos) > 5 else ""
    return f"no bars between {s.date()} and {e.date()}: {spans}{more}"


def _default_expression_check() -> ExpressionCheck:
    """The safe-expression parser of the Qlib engine, imported lazily (it is heavier)."""
    from taorui_engines.data._guard import check_expression

    return check_expression
