"""Kept for old imports: the application's wiring lives in :mod:`taorui.wiring`."""

from __future__ import annotations

from taorui.wiring import AppContext

__all__ = ["AppContext"]
