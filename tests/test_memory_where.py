"""The ``--where`` filter language: parsed by a grammar into a Chroma clause, never evaluated."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from memory import parse_where
from taorui_engines.errors import InvalidArgumentError


def test_one_numeric_comparison_becomes_one_clause() -> None:
    assert parse_where("rank_icir>0.5") == {"rank_icir": {"$gt": 0.5}}


def test_every_operator_maps_to_its_chroma_operator() -> None:
    ops = {">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte", "=": "$eq", "==": "$eq", "!=": "$ne"}
    for text, chroma in ops.items():
        assert parse_where(f"x {text} 1") == {"x": {chroma: 1.0}}


def test_and_binds_tighter_than_or_and_parentheses_override() -> None:
    assert parse_where("a>1 and b<2 or c=3") == {
        "$or": [{"$and": [{"a": {"$gt": 1.0}}, {"b": {"$lt": 2.0}}]}, {"c": {"$eq": 3.0}}]
    }
    assert parse_where("a>1 and (b<2 or c=3)") == {
        "$and": [{"a": {"$gt": 1.0}}, {"$or": [{"b": {"$lt": 2.0}}, {"c": {"$eq": 3.0}}]}]
    }


def test_comma_and_double_ampersand_mean_and() -> None:
    expected = {"$and": [{"a": {"$gt": 1.0}}, {"b": {"$eq": "x"}}]}
    assert parse_where("a>1, b=x") == expected
    assert parse_where("a>1 && b=x") == expected


def test_text_values_bare_or_quoted_and_booleans() -> None:
    assert parse_where("state=failed") == {"state": {"$eq": "failed"}}
    assert parse_where("universe='csi syn'") == {"universe": {"$eq": "csi syn"}}
    assert parse_where('start="2018-01-01"') == {"start": {"$eq": "2018-01-01"}}
    assert parse_where("start=2018-01-01") == {"start": {"$eq": "2018-01-01"}}
    assert parse_where("flag=true") == {"flag": {"$eq": True}}


def test_negative_and_exponent_numbers() -> None:
    assert parse_where("max_drawdown>-0.2") == {"max_drawdown": {"$gt": -0.2}}
    assert parse_where("ic>=1e-3") == {"ic": {"$gte": 0.001}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("rank_icir>", "expected a value, found the end"),
        ("rank_icir>>1", "expected a value, found '>' at 10"),
        ("state>failed", "needs a number"),
        ("Rank_ICIR>1", "not a metadata key"),
        ("a.b>1", "not a metadata key"),
        ("record=x", "not a metadata key"),
        ("a>1 b<2", "expected 'and' or 'or'"),
        ("(a>1", "expected '\\)'"),
        ("__import__('os')", "cannot read|expected"),
        ("a>1; drop", "cannot read"),
    ],
)
def test_malformed_filters_are_refused_with_a_readable_message(text: str, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        parse_where(text)


@given(
    name=st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True).filter(lambda n: n not in ("and", "or", "record")),
    op=st.sampled_from([">", ">=", "<", "<=", "=", "!="]),
    value=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9),
)
def test_any_numeric_comparison_parses_to_its_value(name: str, op: str, value: float) -> None:
    (key, cond), = parse_where(f"{name}{op}{value!r}").items()

    assert key == name and list(cond.values()) == [value]
