"""The embedded sample store, built offline on first use.

Real series come from files the ``arch`` package ships (no network): S&P 500 and NASDAQ
composite daily OHLCV 1999-2018 (Yahoo Finance via arch) and WTI crude spot 1986-2019
(FRED DCOILWTICO via arch, close only). Synthetic series are generated from a seed and
labelled synthetic in their provenance: ``GOLD`` and the ``csi_syn`` universe with a
documented planted factor structure (docs/synthetic-data.md).

Markets: ``us`` (real, US calendar of the source files) and ``synthetic`` (a Mon-Fri
synthetic calendar, A-share-like region settings for Qlib backtests: lots of 100).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from taorui_engines.data._center import DataCenter
from taorui_engines.data._listing import SAMPLE_MARKETS, SAMPLE_VERSION, sample_is_current
from taorui_engines.data._models import Provenance
from taorui_engines.data._synthetic import (
    GOLD_GENERATOR,
    UNIVERSE_GENERATOR,
    make_gold,
    make_universe,
)
from taorui_engines.errors import UnavailableError
from taorui_engines.progress import ProgressEvent, ProgressReporter, default_progress

logger = logging.getLogger(__name__)

GOLD_SEED = 20240607
UNIVERSE_SEED = 20240608
_US, _SYN = SAMPLE_MARKETS


def _arch_bars(module_name: str) -> pd.DataFrame:
    import importlib

    try:
        module = importlib.import_module(f"arch.data.{module_name}")
    except ImportError as exc:
        raise UnavailableError(f"the arch package is needed for the sample data: {exc}") from exc
    raw = module.load()  # type: ignore[attr-defined]
    bars = raw.rename(columns=str.lower)[["open", "high", "low", "close", "volume"]]
    bars.index = pd.DatetimeIndex(raw.index, name="date")
    bars = bars.astype("float64")
    bars["factor"] = 1.0  # price indices: no splits or dividends to adjust for
    return bars


def wti_bars() -> pd.DataFrame:
    """WTI spot as bars: days without a price dropped, OHLC built from closes (labelled)."""
    import arch.data.wti

    raw = arch.data.wti.load()["DCOILWTICO"].dropna().astype("float64")
    raw.index = pd.DatetimeIndex(raw.index, name="date")
    close = raw.to_numpy()
    open_ = np.concatenate([[close[0]], close[:-1]])
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close),
            "low": np.minimum(open_, close),
            "close": close,
            "volume": np.nan,
            "factor": 1.0,
        },
        index=raw.index,
    )


_WTI_NOTES = (
    "close-only source; days without a price (holidays) dropped; open = previous close, "
    "high/low = max/min of open and close; volume missing (NaN)"
)


def _add_synthetic_fields(bars: pd.DataFrame) -> pd.DataFrame:
    out = bars.copy()
    out["vwap"] = (out["high"] + out["low"] + out["close"]) / 3.0
    out["factor"] = 1.0
    return out


def _build_us(center: DataCenter) -> None:
    provenance = {
        "SP500": Provenance(source="arch.data.sp500 (Yahoo Finance ^GSPC, daily)", synthetic=False),
        "NASDAQ": Provenance(source="arch.data.nasdaq (Yahoo Finance ^IXIC, daily)", synthetic=False),
        "WTI": Provenance(
            source="arch.data.wti (FRED DCOILWTICO, WTI spot, daily)", synthetic=False, notes=_WTI_NOTES
        ),
    }
    frames = {"SP500": _arch_bars("sp500"), "NASDAQ": _arch_bars("nasdaq"), "WTI": wti_bars()}
    center.ingest_frames(
        frames, _US, provenance, region="us", if_exists="replace", sample_version=SAMPLE_VERSION
    )


def _build_synthetic(center: DataCenter) -> None:
    gold = _add_synthetic_fields(make_gold(seed=GOLD_SEED))
    universe = make_universe(seed=UNIVERSE_SEED)
    frames = {"GOLD": gold} | {s: _add_synthetic_fields(b) for s, b in universe.bars.items()}
    gold_prov = Provenance(
        source="synthetic", synthetic=True, generator=GOLD_GENERATOR, seed=GOLD_SEED,
        notes="SYNTHETIC gold-like series (not real prices); vwap = (high+low+close)/3",
    )
    stock_prov = Provenance(
        source="synthetic", synthetic=True, generator=UNIVERSE_GENERATOR, seed=UNIVERSE_SEED,
        notes="SYNTHETIC stock with planted factor structure (docs/synthetic-data.md); "
        "vwap = (high+low+close)/3",
    )
    provenance = {"GOLD": gold_prov} | {s: stock_prov for s in universe.bars}
    center.ingest_frames(
        {"GOLD": frames.pop("GOLD")}, _SYN, provenance, region="cn", if_exists="replace"
    )
    center.ingest_frames(
        frames, _SYN, provenance, region="cn", if_exists="replace", universe=universe.name,
        universe_description=universe.description, sample_version=SAMPLE_VERSION,
    )


def ensure_sample_store(center: DataCenter, progress: ProgressReporter | None = None) -> bool:
    """Build the sample markets if missing or outdated. Returns True when it built them."""
    if sample_is_current(center.listing):
        return False
    report = default_progress(progress)
    report.update(ProgressEvent("sample store", 0, 2, "real series (arch)"))
    _build_us(center)
    report.update(ProgressEvent("sample store", 1, 2, "synthetic series"))
    _build_synthetic(center)
    report.update(ProgressEvent("sample store", 2, 2, "done"))
    logger.info("sample store built under %s", center.data_dir)
    return True
