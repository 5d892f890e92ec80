"""Taorui's one exception hierarchy, organised by how the caller should react.

::

    TaoruiError                      base of everything we raise on purpose
    ├── InvalidInputError            the user (or the agent) gave something wrong: say so, change nothing
    │   ├── UnknownSymbolError       a symbol that is not in the store (carries close matches)
    │   ├── InvalidDateRangeError    empty, reversed or out-of-store date range
    │   ├── InvalidDataError         a CSV/DataFrame that cannot be ingested (columns, dates, prices)
    │   ├── InvalidExpressionError   a factor expression that does not parse or type-check
    │   ├── InvalidArgumentError     a tool or command argument out of range / wrong kind
    │   ├── NotFoundError            a run, record or request id that does not exist
    │   └── DuplicateOrderKeyError   an order idempotency key the broker has already seen
    ├── UnsafeError                  refused for safety: refuse, audit, never retry blindly
    │   ├── UnsafeExpressionError    an expression that tries to reach outside the grammar
    │   ├── OrderRejectedError       the guardrail gate refused an order
    │   └── BudgetExceededError      a spending budget (LLM tokens or money) ran out: stop cleanly
    ├── UnavailableError             temporarily unavailable: retry with backoff (tenacity)
    └── InternalError                a bug or a broken invariant in Taorui itself

Engines translate their library's exceptions into these with ``raise ... from exc`` so a
caller never has to know whether Qlib, FinRL or Backtrader was underneath. Every error has
a short ``type`` name used in JSON error objects (``{"error": {"type", "message"}}``).
"""

from __future__ import annotations

__all__ = [
    "BudgetExceededError",
    "DuplicateOrderKeyError",
    "InternalError",
    "InvalidArgumentError",
    "InvalidDataError",
    "InvalidDateRangeError",
    "InvalidExpressionError",
    "InvalidInputError",
    "NotFoundError",
    "OrderRejectedError",
    "TaoruiError",
    "UnavailableError",
    "UnknownSymbolError",
    "UnsafeError",
    "UnsafeExpressionError",
]


class TaoruiError(Exception):
    """Base class: every error Taorui raises on purpose derives from it."""

    #: Short stable name shown in JSON error objects; subclasses override it.
    type_name: str = "TaoruiError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        """The ``{"type", "message"}`` pair that CLIs and tools return."""
        return {"type": self.type_name, "message": self.message}


class InvalidInputError(TaoruiError):
    """The input is wrong; telling the user is the whole remedy. Nothing was changed."""

    type_name = "InvalidInput"


class UnknownSymbolError(InvalidInputError):
    """A symbol that the store does not hold. ``suggestions`` lists close matches."""

    type_name = "UnknownSymbol"

    def __init__(self, symbol: str, suggestions: list[str] | None = None) -> None:
        self.symbol = symbol
        self.suggestions = list(suggestions or [])
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown symbol {symbol!r}{hint} (`taorui data list` shows the store)")


class InvalidDateRangeError(InvalidInputError):
    """An empty, reversed or unparseable date range."""

    type_name = "InvalidDateRange"


class InvalidDataError(InvalidInputError):
    """Data that cannot be ingested as it is (missing columns, bad dates, bad prices)."""

    type_name = "InvalidData"


class InvalidExpressionError(InvalidInputError):
    """A factor expression that does not parse or uses an operator wrongly."""

    type_name = "InvalidExpression"


class InvalidArgumentError(InvalidInputError):
    """An argument outside its allowed range or set."""

    type_name = "InvalidArgument"


class NotFoundError(InvalidInputError):
    """An id (run, record, approval request) that does not exist."""

    type_name = "NotFound"


class UnsafeError(TaoruiError):
    """Refused for safety. The caller must not retry the same thing unchanged."""

    type_name = "Unsafe"


class UnsafeExpressionError(UnsafeError):
    """An expression that tries to reach outside the factor grammar (code, dunders, ...)."""

    type_name = "UnsafeExpression"


class OrderRejectedError(UnsafeError):
    """The guardrail gate refused an order; ``reasons`` holds (code, message) pairs."""

    type_name = "OrderRejected"

    def __init__(self, message: str, reasons: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.reasons = list(reasons or [])


class UnavailableError(TaoruiError):
    """A resource is temporarily unavailable; retrying later may succeed."""

    type_name = "Unavailable"


class InternalError(TaoruiError):
    """A bug or broken invariant inside Taorui. Please report it."""

    type_name = "InternalError"


class BudgetExceededError(UnsafeError):
    """A per-instruction budget (LLM tokens or money) is spent; the run stops, it is not retried."""

    type_name = "BudgetExceeded"


class DuplicateOrderKeyError(InvalidInputError):
    """A broker already saw this idempotency key: the order was sent before, never send it twice.

    Nothing changes at the broker; ``key`` names the order so a resumed caller can look it up.
    """

    type_name = "DuplicateOrderKey"

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"order key {key!r} was already submitted to this broker; it is not sent again")
