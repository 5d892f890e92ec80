"""The risk policy: YAML in, a validated frozen model and a version hash out; the public surface."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

import guardrails
from guardrails import BreachAction, Policy, default_policy, load_policy, policy_from_text
from taorui_engines.errors import InvalidArgumentError

DEFAULT_YAML = (Path(guardrails.__file__).parent / "default_policy.yaml").read_text()


def test_the_shipped_default_policy_loads_with_sensible_limits() -> None:
    policy = default_policy()
    assert policy.name == "default"
    assert "SP500" in policy.instruments.allowed_symbols and "csi_syn" in policy.instruments.allowed_universes
    assert not policy.instruments.allow_short
    assert policy.exposure.max_gross_exposure_pct == 100.0
    assert policy.loss.drawdown_action is BreachAction.REDUCING
    assert policy.approvals.new_symbol


def test_no_file_means_the_default_policy() -> None:
    assert load_policy(None) == default_policy()


def test_the_hash_ignores_comments_order_and_formatting(tmp_path: Path) -> None:
    reformatted = "\n".join(line.split("#")[0].rstrip() for line in DEFAULT_YAML.splitlines())
    (tmp_path / "p.yaml").write_text("# a comment on top\n" + reformatted)
    assert load_policy(tmp_path / "p.yaml").version_hash == default_policy().version_hash


def test_the_hash_changes_when_any_limit_changes() -> None:
    tighter = policy_from_text(DEFAULT_YAML.replace("max_per_minute: 30", "max_per_minute: 29"))
    assert tighter.version_hash != default_policy().version_hash
    assert len(tighter.version_hash) == 16


def test_the_policy_is_frozen() -> None:
    with pytest.raises(ValidationError):
        default_policy().name = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(("text", "fragment"), [
    ("name: x\n  bad: [", "not valid YAML"),
    ("- just\n- a list\n", "must be a YAML mapping"),
    (DEFAULT_YAML.replace("max_qty: 100000", "max_qty: -1"), "orders.max_qty"),
    (DEFAULT_YAML.replace("max_qty: 100000", "max_qty: lots"), "orders.max_qty"),
    (DEFAULT_YAML.replace("rates:", "rates:\n  max_per_hour: 3"), "rates.max_per_hour"),
    (DEFAULT_YAML.replace("drawdown_action: reducing", "drawdown_action: panic"), "loss.drawdown_action"),
    (DEFAULT_YAML.replace("allowed_symbols: [SP500, NASDAQ, WTI, GOLD]", "allowed_symbols: []")
     .replace("allowed_universes: [csi_syn]", "allowed_universes: []"), "allow at least one"),
])
def test_a_bad_policy_is_an_input_error_naming_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(InvalidArgumentError, match=fragment.replace("[", r"\[")):
        policy_from_text(text)


def test_a_missing_policy_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="cannot read policy file"):
        load_policy(tmp_path / "nope.yaml")


def test_policy_summary_carries_the_hash() -> None:
    summary = default_policy().summary()
    assert summary["policy_hash"] == default_policy().version_hash
    assert Policy.model_validate(summary["policy"]) == default_policy()


def test_the_public_surface_is_pinned() -> None:
    assert sorted(guardrails.__all__) == sorted([
        "APPROVAL_CODES", "AUDIT_FILE", "STATE_FILE", "AccountView", "ApprovalDecisionReport", "ApprovalRequest",
        "ApprovalSettlement", "ApprovalStatus", "ApprovalStore", "AuditKind", "AuditLog", "AuditRecord",
        "AuditVerification", "Book", "BreachAction", "CheckInputs", "CheckResult", "Clock", "CrossCheckProblem",
        "Decision", "FillReport", "FixedClock", "Gate", "GateOutcome", "Policy", "PriceQuote", "Reason",
        "ReasonCode", "ReferenceData", "RiskStatus", "SessionClock", "StateChange", "TradingState",
        "TradingStateStore",
        "VerifyReport", "as_utc", "default_policy", "evaluate", "load_policy", "loss_breaches", "parse_order",
        "policy_from_text", "system_clock",
    ])
    assert all(hasattr(guardrails, name) for name in guardrails.__all__)


def test_guardrails_import_nothing_from_the_llm_side_or_the_data_layer() -> None:
    sources = "\n".join(p.read_text() for p in Path(guardrails.__file__).parent.glob("*.py"))
    for forbidden in ("import agents", "from agents", "from graphs", "from tools", "from memory",
                      "taorui_engines.data", "from taorui "):
        assert forbidden not in sources, forbidden
