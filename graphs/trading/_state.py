"""The trading-cycle graph's state and the typed decisions it waits on.

State is plain JSON data (the strict checkpointer revives nothing else); every node reads it
through the pydantic models here (:func:`pending_of`, :func:`intents_of`), so nothing past
the node boundary is an untyped dict. A pending decision is a discriminated union on
``kind``: the gate asked a person (``gate``: a gate approval request exists), or the mode
asks a person before the order is proposed at all (``person``: supervised mode).
"""

from __future__ import annotations

import operator
from datetime import datetime
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from taorui_engines.trading import OrderIntent
from taorui_engines.trading._events import ReasonItem

__all__ = ["CycleDecision", "CycleState", "GatePending", "Pending", "PersonPending", "intents_of", "pending_of"]


class _Pending(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    intent: OrderIntent
    reasons: list[ReasonItem] = Field(default_factory=list)
    expires: datetime | None = None


class GatePending(_Pending):
    """The gate holds an approval request for the order (semi-auto above a threshold)."""

    kind: Literal["gate"] = "gate"
    approval_id: str


class PersonPending(_Pending):
    """Supervised mode: a person decides before the order is proposed to the gate."""

    kind: Literal["person"] = "person"


Pending = Annotated[GatePending | PersonPending, Field(discriminator="kind")]
_PENDING: TypeAdapter[list[Pending]] = TypeAdapter(list[Pending])
_INTENTS: TypeAdapter[list[OrderIntent]] = TypeAdapter(list[OrderIntent])


class CycleDecision(BaseModel):
    """A person's answer to the cycle's approval interrupt."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    approve: bool = Field(description="Approve (True) or reject (False) every pending order not listed in 'orders'.")
    by: str = Field(min_length=1, max_length=64, description="Who decides.")
    reason: str = Field(default="", max_length=1000)
    orders: dict[str, bool] = Field(default_factory=dict, description="Per order key: approve (True) or reject.")

    def for_key(self, key: str) -> bool:
        """The decision on one order."""
        return self.orders.get(key, self.approve)


class CycleState(TypedDict, total=False):
    """One day's cycle (a checkpointed thread per portfolio and day)."""

    portfolio: str
    day: str
    mode: str
    data_through: str
    signal: dict[str, Any]
    intents: list[dict[str, Any]]
    pending: list[dict[str, Any]]
    decided: Annotated[list[str], operator.add]  # order keys decided so far
    status: Literal["running", "waiting_for_approval", "done"]
    notes: Annotated[list[str], operator.add]


def pending_of(state: CycleState) -> list[GatePending | PersonPending]:
    """The pending decisions, validated."""
    return list(_PENDING.validate_python(state.get("pending") or []))


def intents_of(state: CycleState) -> list[OrderIntent]:
    """The day's orders, validated."""
    return list(_INTENTS.validate_python(state.get("intents") or []))


def dump_pending(items: list[GatePending | PersonPending]) -> list[dict[str, Any]]:
    """Pending decisions as state data."""
    return [i.model_dump(mode="json") for i in items]
