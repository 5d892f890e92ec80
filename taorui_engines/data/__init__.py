"""The data center: one data API over per-market Qlib binary stores, with provenance.

Public surface::

    DataCenter(data_dir).get_price(symbols, start, end, freq="day", fields=...)
    DataCenter(data_dir).get_factor(expression, symbols, start, end)
    DataCenter(data_dir).get_features({name: expression}, symbols, start, end)
    DataCenter(data_dir).ingest_frames / ingest_frame / ingest_csv / ingest_folder
    ensure_sample_store(center)   # the embedded offline sample (SP500, NASDAQ, WTI, GOLD, csi_syn)
"""

from taorui_engines.data._center import DataCenter, ExpressionCheck, IfExists
from taorui_engines.data._models import InstrumentInfo, MarketMeta, Provenance, UniverseInfo
from taorui_engines.data._sample import SAMPLE_VERSION, ensure_sample_store
from taorui_engines.data._validate import BAR_FIELDS, FREQS, clean_bars, parse_range

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
    "UniverseInfo",
    "clean_bars",
    "ensure_sample_store",
    "parse_range",
]
