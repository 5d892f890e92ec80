"""The risk policy: a validated, frozen model loaded from YAML, with a version hash.

The hash is taken over the *normalised* policy (the model dumped as canonical JSON), so
comments, key order and formatting in the YAML file do not change it, while any change of
a limit does. Every decision and audit row records it, so one can always tell which limits
decided an order.

Percentages are written in percent (``5.0`` means 5 %), money in account currency.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from taorui_engines.errors import InvalidArgumentError

__all__ = [
    "DEFAULT_POLICY_RESOURCE",
    "ApprovalRules",
    "BreachAction",
    "ExposureLimits",
    "InstrumentRules",
    "LossLimits",
    "OrderLimits",
    "Policy",
    "RateLimits",
    "default_policy",
    "load_policy",
    "policy_from_text",
]

#: File name of the policy shipped inside the package.
DEFAULT_POLICY_RESOURCE = "default_policy.yaml"


class _Section(BaseModel):
    # A limit of inf or NaN is no limit: refuse it rather than let it switch a check off.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class BreachAction(StrEnum):
    """What a loss breach does to the trading state."""

    REDUCING = "reducing"
    HALTED = "halted"


class InstrumentRules(_Section):
    """Which instruments may be traded at all."""

    allowed_symbols: tuple[str, ...] = Field(default=(), description="Symbols that may be traded.")
    allowed_universes: tuple[str, ...] = Field(
        default=(), description="Universes whose members may be traded (e.g. csi_syn)."
    )
    allow_short: bool = Field(default=False, description="May a sell take a position below zero?")

    @model_validator(mode="after")
    def _something_allowed(self) -> InstrumentRules:
        if not self.allowed_symbols and not self.allowed_universes:
            raise ValueError("allow at least one symbol or universe (an empty list would allow nothing)")
        return self


class OrderLimits(_Section):
    """Limits on one order."""

    max_qty: float = Field(gt=0, description="Largest quantity of one order (units).")
    max_notional: float = Field(gt=0, description="Largest qty x price of one order.")
    price_collar_pct: float = Field(
        gt=0, le=100, description="A limit price must lie within this % of the last price."
    )
    max_price_age_hours: float = Field(
        gt=0, description="A reference price older than this is stale: the order is rejected."
    )
    duplicate_window_s: float = Field(
        ge=0, description="Same symbol, side and qty again within this many seconds is refused."
    )
    min_qty: float = Field(
        default=1.0, gt=0, description="Smallest quantity of one order (units); dust below it is refused."
    )
    allow_fractional: bool = Field(
        default=False, description="May a quantity be fractional? Off: whole units only (most brokers)."
    )


class RateLimits(_Section):
    """How many orders may be sent."""

    max_per_minute: int = Field(ge=1, description="Orders sent in any 60 seconds.")
    max_per_day: int = Field(ge=1, description="Orders sent per trading day (UTC date).")


class ExposureLimits(_Section):
    """Limits on the book after the order (open orders included)."""

    max_position_pct: float = Field(gt=0, description="Largest |position value| as % of equity.")
    max_gross_exposure_pct: float = Field(
        gt=0, description="Largest sum of |position values| as % of equity (100 = no leverage)."
    )


class LossLimits(_Section):
    """Loss stops that change the trading state."""

    daily_loss_limit_pct: float = Field(gt=0, le=100, description="Loss since the day's first mark.")
    daily_loss_action: BreachAction = BreachAction.HALTED
    max_drawdown_pct: float = Field(gt=0, le=100, description="Fall from the equity high-water mark.")
    drawdown_action: BreachAction = BreachAction.REDUCING


class ApprovalRules(_Section):
    """When a person must approve an order that passed every limit."""

    always: bool = Field(default=False, description="Every order needs approval.")
    above_notional: float | None = Field(
        default=None, gt=0,
        description="Orders above this notional, counting same-symbol, same-side orders sent within "
                    "aggregation_window_minutes (so splitting an order does not dodge it).")
    aggregation_window_minutes: float = Field(
        default=60, ge=0, le=60 * 24 * 7,
        description="Market-clock window over which above_notional adds up one symbol and side (0: per order).")
    new_symbol: bool = Field(default=True, description="A symbol not held and never sent before.")
    while_reducing: bool = Field(default=True, description="Any order while REDUCING.")
    first_order_of_day: bool = Field(default=False, description="The first order of each day.")
    expires_after_minutes: float = Field(default=60, gt=0, description="A request expires after this.")


class Policy(BaseModel):
    """The whole risk policy. Build it with :func:`load_policy` or :func:`default_policy`."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(min_length=1, max_length=64)
    description: str = ""
    instruments: InstrumentRules
    orders: OrderLimits
    rates: RateLimits
    exposure: ExposureLimits
    loss: LossLimits
    approvals: ApprovalRules = Field(default_factory=ApprovalRules)

    @cached_property
    def version_hash(self) -> str:
        """sha256 (first 16 hex digits) of the canonical JSON of the normalised policy."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def summary(self) -> dict[str, Any]:
        """The policy as JSON-ready data plus its hash (``taorui risk policy --json``)."""
        return {"policy_hash": self.version_hash, "policy": self.model_dump(mode="json")}


def _from_mapping(data: object, where: str) -> Policy:
    if not isinstance(data, dict):
        raise InvalidArgumentError(f"{where}: a policy must be a YAML mapping, got {type(data).__name__}")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'policy'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise InvalidArgumentError(f"{where}: invalid policy: {problems}") from exc


def policy_from_text(text: str, where: str = "policy") -> Policy:
    """Parse and validate policy YAML text."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidArgumentError(f"{where}: not valid YAML: {exc}") from exc
    return _from_mapping(data, where)


def load_policy(path: Path | str | None = None) -> Policy:
    """Load a policy file; ``None`` gives the shipped default policy."""
    if path is None:
        return default_policy()
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read policy file {file}: {exc.strerror or exc}") from exc
    return policy_from_text(text, str(file))


def default_policy() -> Policy:
    """The sensible default shipped in the package (``guardrails/default_policy.yaml``)."""
    text = resources.files("guardrails").joinpath(DEFAULT_POLICY_RESOURCE).read_text(encoding="utf-8")
    return policy_from_text(text, f"guardrails/{DEFAULT_POLICY_RESOURCE}")
