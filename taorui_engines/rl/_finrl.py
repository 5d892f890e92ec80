"""The one place that imports FinRL, and how it gets around FinRL's package ``__init__``.

FinRL 0.3.7's ``finrl/__init__.py`` imports its train/trade scripts, which import
``alpaca_trade_api`` (not installed: it pins websockets/urllib3 versions that break
langgraph-sdk). Its submodules import fine on their own. So instead of ``import finrl`` we
register a bare package module named ``finrl`` whose ``__path__`` is the installed package
folder; Python then finds ``finrl.meta...`` and ``finrl.config`` there without ever running
the package ``__init__``. ``finrl.meta.preprocessor.preprocessors`` (yfinance at module
level) and ``finrl.agents.stablebaselines3.models`` (imports the preprocessors) are not
imported: indicators are computed in ``_features`` and DRLAgent's settings are read from
``finrl.config``, which is all DRLAgent does with them.

Everything else in the RL engine asks this module for FinRL objects; nothing else touches
``sys.modules['finrl']``.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
import threading
import types
from typing import Any

from taorui_engines.errors import UnavailableError

__all__ = ["finrl_config", "finrl_submodule", "stock_trading_env_class"]

logger = logging.getLogger(__name__)

_LOCK = threading.Lock()
#: Submodules we are allowed to import: those whose module-level imports we have checked.
_ALLOWED = frozenset({"finrl.config", "finrl.meta.env_stock_trading.env_stocktrading"})


def _register_bare_package() -> None:
    """Put a ``finrl`` package module without its ``__init__`` code into ``sys.modules``."""
    if "finrl" in sys.modules:
        return
    spec = importlib.util.find_spec("finrl") if _finrl_installed() else None
    if spec is None or not spec.submodule_search_locations:
        raise UnavailableError("FinRL is not installed: pip install finrl==0.3.7 (see STACK.md)")
    package = types.ModuleType("finrl", "FinRL package, loaded without its __init__ (see taorui_engines.rl._finrl)")
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    package.__file__ = spec.origin
    package.__package__ = "finrl"
    sys.modules["finrl"] = package
    logger.debug("registered bare finrl package at %s", package.__path__[0])


def _finrl_installed() -> bool:
    """True when a ``finrl`` distribution can be found (without importing it)."""
    try:
        return importlib.util.find_spec("finrl") is not None
    except (ImportError, ValueError):
        return False


def finrl_submodule(name: str) -> types.ModuleType:
    """Import one FinRL submodule (``finrl.config``, ...) without running ``finrl/__init__``.

    Only submodules known to import cleanly are allowed; an import failure inside FinRL is
    reported as :class:`UnavailableError` naming the missing dependency.
    """
    if name not in _ALLOWED:
        raise UnavailableError(
            f"FinRL submodule {name!r} is not wired in (allowed: {', '.join(sorted(_ALLOWED))})"
        )
    with _LOCK:
        _register_bare_package()
        try:
            return importlib.import_module(name)
        except ImportError as exc:
            raise UnavailableError(f"FinRL's {name} cannot be imported: {exc}") from exc


def finrl_config() -> types.ModuleType:
    """``finrl.config``: DRLAgent's algorithm settings and the default indicator list."""
    return finrl_submodule("finrl.config")


def stock_trading_env_class() -> Any:
    """FinRL's ``StockTradingEnv`` class (the reference for our multi-asset environment)."""
    module = finrl_submodule("finrl.meta.env_stock_trading.env_stocktrading")
    return module.StockTradingEnv
