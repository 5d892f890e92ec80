"""Translating Qlib's (and LightGBM's, torch's) exceptions into Taorui's hierarchy.

Qlib reports a bad request (an empty segment, no rows after dropping missing labels, a
benchmark that does not cover the backtest) with bare ``ValueError``/``KeyError``/
``AssertionError``; a caller should not have to know that. Inside :func:`qlib_errors` those
become :class:`InvalidArgumentError` with the action named, anything else unexpected an
:class:`InternalError`; our own errors pass through untouched.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from taorui_engines.errors import InternalError, InvalidArgumentError, TaoruiError

logger = logging.getLogger(__name__)

#: Exceptions Qlib raises for requests it cannot serve (bad dates, empty data, ...).
_REQUEST_ERRORS = (ValueError, KeyError, IndexError, AssertionError, ZeroDivisionError)


def translate(action: str, exc: BaseException) -> TaoruiError:
    """The Taorui error for ``exc`` raised by a library while doing ``action``."""
    if isinstance(exc, TaoruiError):
        return exc
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, _REQUEST_ERRORS):
        return InvalidArgumentError(
            f"{action} failed: {detail} (check the dates, segments and universe: each segment "
            "needs trading days with data)"
        )
    return InternalError(f"{action} failed unexpectedly: {type(exc).__name__}: {detail}")


@contextlib.contextmanager
def qlib_errors(action: str) -> Iterator[None]:
    """Re-raise library exceptions from the body as Taorui errors (``raise ... from exc``)."""
    try:
        yield
    except TaoruiError:
        raise
    except Exception as exc:
        logger.debug("%s failed", action, exc_info=True)
        raise translate(action, exc) from exc
