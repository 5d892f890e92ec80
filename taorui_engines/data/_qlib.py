"""Owns Qlib's process-global state: which store it is initialised on.

``qlib.init`` sets module-level config and caches (calendars, instruments). Everything in
Taorui that needs Qlib asks :func:`use_store` first; it re-initialises only when the store
version changes (a new ingest, or another market), so a process pays the init once per
version. Qlib's mlflow recorder needs ``MLFLOW_ALLOW_FILE_STORE`` with current mlflow; we set
it here, the one place that knows Qlib is underneath.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import threading
from pathlib import Path

from taorui_engines.errors import UnavailableError

logger = logging.getLogger(__name__)

_lock = threading.RLock()
_current: tuple[str, str] | None = None


def use_store(version_path: Path, region: str) -> None:
    """Make Qlib read ``version_path`` (a resolved store version) with ``region`` settings."""
    global _current
    key = (str(version_path), region)
    with _lock:
        if _current == key:
            return
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        try:
            import qlib
            from qlib.constant import REG_CN, REG_US
        except ImportError as exc:  # pragma: no cover - an install problem
            raise UnavailableError(f"Qlib is not installed: {exc}") from exc
        qlib_region = REG_CN if region == "cn" else REG_US
        _quiet_gym()
        # Qlib's own warnings ("load calendar error: future=True", "common_infra is not set") are
        # about its internals, printed by its handler on the user's terminal; our engines report
        # what matters in their results. Errors still show.
        logging.getLogger("qlib").setLevel(logging.ERROR)
        qlib.init(
            provider_uri=str(version_path),
            region=qlib_region,
            expression_cache=None,
            dataset_cache=None,
            kernels=1,
            logging_level=logging.ERROR,
            clear_mem_cache=True,
        )
        _current = key
        logger.info("qlib initialised on %s (%s)", version_path, region)


def _quiet_gym() -> None:
    """Import the legacy ``gym`` (which pyqlib installs and parts of Qlib import) with its
    deprecation banner sent to the debug log: we use gymnasium, and the banner is noise on a
    user's terminal."""
    if "gym" in sys.modules:
        return
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stderr(buffer):
            import gym  # noqa: F401
    except ImportError:
        return
    if buffer.getvalue().strip():
        logger.debug("stderr while importing gym: %s", buffer.getvalue().strip())


def current_store() -> tuple[str, str] | None:
    """(store path, region) Qlib is initialised on, if any."""
    return _current


def lock() -> threading.RLock:
    """Hold this while a sequence of Qlib calls must see one store."""
    return _lock
