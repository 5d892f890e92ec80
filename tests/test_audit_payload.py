"""The audit log's payload text: what a hostile or odd payload becomes, whatever fast path
serialises it (rows are hashed as written, so the rules must hold on every path)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict

from guardrails.audit import MAX_DEPTH, canonical_json
from guardrails.models import Decision, ReasonCode
from taorui_engines.brokers.models import Attribution

CUT = f"<cut: nested deeper than {MAX_DEPTH} levels>"


def _spec(value: Any, depth: int = 0) -> Any:
    """The documented rules, written plainly: depth cut, 10,000-character strings, 200 keys
    or items, 200-character keys, non-finite floats as text."""
    if depth > MAX_DEPTH:
        return CUT
    if isinstance(value, str):
        return str(value)[:10_000]
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, dict):
        return {str(k)[:200]: _spec(v, depth + 1) for k, v in list(value.items())[:200]}
    if isinstance(value, list | tuple):
        return [_spec(v, depth + 1) for v in list(value)[:200]]
    raise AssertionError(type(value))


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _nested(depth: int) -> dict[str, Any]:
    payload: dict[str, Any] = {"leaf": "x", "n": 1, "none": None}
    for level in range(depth):
        payload = {f"level{level}": payload, "s": "y", "f": 1.5}
    return payload


def test_deep_payloads_are_cut_at_the_same_depth_on_every_path() -> None:
    for depth in (MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH + 5):
        payload = {"deep": _nested(depth)}
        assert canonical_json(payload) == _text(_spec(payload))
    assert CUT in canonical_json({"deep": _nested(MAX_DEPTH + 2)})


def test_sizes_are_cut() -> None:
    payload = {"k" * 300: "v" * 20_000, "many": {f"k{i:03d}": i for i in range(250)},
               "items": list(range(250)), "tuple": tuple("abc" for _ in range(250)), "nan": math.nan,
               "inf": -math.inf}
    got = json.loads(canonical_json(payload))
    assert got == _spec(payload)
    assert len(got["many"]) == 200 and len(got["items"]) == 200 and len(got["tuple"]) == 200
    assert got["k" * 200] == "v" * 10_000 and got["nan"] == "nan" and got["inf"] == "-inf"


def test_models_enums_and_times_become_their_json_form() -> None:
    when = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    who = Attribution(agent="trader", thread_id="t-1")
    payload = {"decision": Decision.ALLOW, "code": ReasonCode.STALE_PRICE, "as_of": when, "who": who,
               "models": (who, who), "odd": object()}
    got = json.loads(canonical_json(payload))
    assert got["decision"] == "allow" and got["code"] == ReasonCode.STALE_PRICE.value
    assert got["as_of"] == when.isoformat()
    assert got["who"] == who.model_dump(mode="json") and got["models"] == [got["who"]] * 2
    assert got["odd"].startswith("<object object at")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=5)
    | st.lists(inner, max_size=5).map(tuple),
    max_leaves=60,
)


@settings(max_examples=300, deadline=None)
@given(_json, st.integers(min_value=0, max_value=MAX_DEPTH + 2))
def test_any_json_like_payload_follows_the_rules(value: Any, wrap: int) -> None:
    payload: Any = {"v": value}
    for _ in range(wrap):
        payload = {"w": payload}
    assert canonical_json(payload) == _text(_spec(payload))


class _Free(BaseModel):
    """A model with free-form fields: what a model's dump may carry into a row."""

    model_config = ConfigDict(frozen=True)

    text: str = ""
    value: float = 0.0
    data: Any = None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.floats(), _json, st.integers(min_value=0, max_value=MAX_DEPTH + 2),
       st.integers(min_value=0, max_value=12_000))
def test_a_models_dump_follows_the_same_rules_at_any_depth(text: str, value: float, data: Any, wrap: int,
                                                          pad: int) -> None:
    """A model is serialised from its JSON dump, used as it is when it already keeps the rules
    (the fast path) and cut otherwise: either way the text is what the rules say."""
    model = _Free(text=text + "x" * pad, value=value, data=data)
    payload: Any = {"m": model, "again": model}  # the second time from the memo
    for _ in range(wrap):
        payload = {"w": payload}
    plain: Any = {"m": model.model_dump(mode="json"), "again": model.model_dump(mode="json")}
    for _ in range(wrap):
        plain = {"w": plain}
    assert canonical_json(payload) == _text(_spec(plain))
