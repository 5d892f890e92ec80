"""The data center: one data API over per-market Qlib binary stores, with provenance.

Public surface::

    DataCenter(data_dir).get_price(symbols, start, end, freq="day", fields=...)
    DataCenter(data_dir).get_factor(expression, symbols, start, end)
    DataCenter(data_dir).get_features({name: expression}, symbols, start, end)
    DataCenter(data_dir).ingest_frames / ingest_frame / ingest_csv / ingest_folder
    ensure_sample_store(center)   # the embedded offline sample (SP500, NASDAQ, WTI, GOLD, csi_syn)
    StoreListing(data_dir)        # the catalog alone, from meta.json (no pandas: fast to import)

Names are imported on first use (PEP 562), so reading the catalog - what planning needs -
does not load pandas and numpy; the data center loads them when it is first named.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from taorui_engines._lazy import lazy_exports

if TYPE_CHECKING:
    from taorui_engines.data._center import DataCenter, ExpressionCheck, IfExists
    from taorui_engines.data._listing import SAMPLE_VERSION, StoreListing, sample_is_current
    from taorui_engines.data._models import InstrumentInfo, MarketMeta, Provenance, UniverseInfo
    from taorui_engines.data._sample import ensure_sample_store
    from taorui_engines.data._validate import BAR_FIELDS, FREQS, clean_bars, parse_range

_WHERE = {
    "DataCenter": "_center", "ExpressionCheck": "_center", "IfExists": "_center",
    "SAMPLE_VERSION": "_listing", "StoreListing": "_listing", "sample_is_current": "_listing",
    "InstrumentInfo": "_models", "MarketMeta": "_models", "Provenance": "_models", "UniverseInfo": "_models",
    "ensure_sample_store": "_sample",
    "BAR_FIELDS": "_validate", "FREQS": "_validate", "clean_bars": "_validate", "parse_range": "_validate",
}

__all__ = [
    "BAR_FIELDS",
    "FREQS",
    "SAMPLE_VERSION",
    "DataCenter",
    "ExpressionCheck",
    "IfExists",
    "InstrumentInfo",
    "MarketMeta",
    "Provenance",
    "StoreListing",
    "UniverseInfo",
    "clean_bars",
    "ensure_sample_store",
    "parse_range",
    "sample_is_current",
]

__getattr__ = lazy_exports(__name__, _WHERE)


def __dir__() -> list[str]:
    return sorted(__all__)
