"""The safe factor-expression parser: grammar, canonical form, descriptions, and hostile input.

Qlib evaluates expressions with ``eval``; these tests pin that nothing outside the factor
grammar gets through, that what gets through means the same thing to Qlib as to us, and
that the canonical form is stable.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taorui_engines.data import DataCenter, _qlib
from taorui_engines.data._guard import check_expression
from taorui_engines.errors import InvalidExpressionError, TaoruiError, UnsafeExpressionError
from taorui_engines.expressions import (
    BASE_FIELDS,
    OPERATORS,
    ExpressionLimits,
    canonicalize,
    parse_expression,
)

SYMBOLS = ["SYN000", "SYN001", "SYN002"]


# --- grammar and canonical form ------------------------------------------------------------
def test_planted_signals_parse_to_readable_canonical_text() -> None:
    assert canonicalize("Ref($close,5)/$close-1") == "Ref($close, 5) / $close - 1"
    assert canonicalize("Mean($volume,5)/Mean($volume,60)") == "Mean($volume, 5) / Mean($volume, 60)"
    assert canonicalize("Std($close/Ref($close,1)-1,20)") == "Std($close / Ref($close, 1) - 1, 20)"


def test_spelling_differences_share_one_canonical_form() -> None:
    variants = ["Mean( $close ,5 )/ $close", "Mean($close,5)/$close", "(Mean($close, 5)) / ($close)",
                "Mean($close,\t5)/\n$close"]
    assert len({canonicalize(v) for v in variants}) == 1


def test_commutative_operands_are_ordered_but_others_are_not() -> None:
    assert canonicalize("$open + $close") == canonicalize("$close + $open")
    assert canonicalize("Greater($open, $close)") == canonicalize("Greater($close, $open)")
    assert canonicalize("$open - $close") != canonicalize("$close - $open")
    assert canonicalize("Corr($open, $close, 10)") != canonicalize("Corr($close, $open, 10)")


def test_numbers_are_normalised_and_constants_folded() -> None:
    assert canonicalize("$close * 2.0") == "$close * 2"
    assert canonicalize("$high - $low + 0.000000000001") == "$high - $low + 1e-12"
    assert canonicalize("$close * (2 * 3)") == "$close * 6"
    assert canonicalize("-$close") == "$close * (-1)"


def test_infix_and_function_spellings_of_an_operator_agree() -> None:
    assert canonicalize("Add($close, 1)") == canonicalize("$close + 1")
    assert canonicalize("Gt($close, $open)") == "$close > $open"


def test_conditions_bind_looser_than_comparisons_and_print_with_parentheses() -> None:
    parsed = parse_expression("$close > $open & $volume < Mean($volume, 20) | $close == $open")

    assert parsed.canonical == "($close == $open) | ($close > $open) & ($volume < Mean($volume, 20))"
    assert parsed.kind == "condition"


def test_canonical_form_keeps_right_nested_arithmetic() -> None:
    assert canonicalize("$close - ($open - $low)") == "$close - ($open - $low)"
    assert canonicalize("$close / ($open * $low)") == "$close / ($low * $open)"


def test_lookback_counts_history_like_qlib() -> None:
    assert parse_expression("Ref($close, 5)").lookback == 5
    assert parse_expression("Mean($volume, 5) / Mean($volume, 60)").lookback == 59
    assert parse_expression("Std($close / Ref($close, 1) - 1, 20)").lookback == 20
    assert parse_expression("$close").lookback == 0


def test_description_reads_the_expression_in_english() -> None:
    assert parse_expression("Ref($close, 5) / $close - 1").description == (
        "(close price 5 days ago divided by close price) minus 1")
    described = parse_expression("Corr($close, Log($volume + 1), 20)").description
    assert described == "20-day correlation of close price and log of (volume plus 1)"


def test_result_lists_fields_and_operators() -> None:
    parsed = parse_expression("Corr($close, Log($volume + 1), 20)")

    assert parsed.fields == ("close", "volume")
    assert parsed.operators == ("Add", "Corr", "Log")
    assert parsed.size == 7 and parsed.depth == 4


def test_fields_can_be_restricted_to_those_of_the_data() -> None:
    with pytest.raises(InvalidExpressionError, match=r"unknown field \$turnover .*\$close"):
        parse_expression("Mean($turnover, 5)", fields=BASE_FIELDS)
    assert parse_expression("Mean($turnover, 5)").fields == ("turnover",)


def test_every_alpha158_and_alpha360_feature_is_accepted() -> None:
    from qlib.contrib.data.loader import Alpha158DL, Alpha360DL

    expressions = Alpha158DL.get_feature_config()[0] + Alpha360DL.get_feature_config()[0]

    for expression in expressions:
        assert parse_expression(expression, fields=BASE_FIELDS).canonical


# --- errors that say where and why -----------------------------------------------------------
@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("Ref($close, -1)", r"look-ahead"),
        ("Ref($close, 0)", r"first loaded value"),
        ("Mean($close, 300)", r"300 days; Mean takes 1\.\.250"),
        ("Std($close, 1)", r"Std takes 2\.\.250"),
        ("Mean($close, 2.5)", r"whole number of days"),
        ("Mean($close, $volume)", r"whole number of days"),
        ("Mean($close)", r"Mean takes 2 argument"),
        ("Mean(5, 5)", r"must be a series"),
        ("Meann($close, 5)", r"did you mean Mean"),
        ("mean($close, 5)", r"case-sensitive: did you mean Mean"),
        ("Foo($close)", r"unknown operator 'Foo'"),
        ("close + 1", r"fields start with '\$'"),
        ("$Close", r"lower-case"),
        ("$$close", r"point-in-time"),
        ("$close > 1 > 0", r"cannot be chained"),
        ("$close + ", r"expected a number"),
        ("Mean($close, 5", r"to close Mean"),
        ("$close $open", r"unexpected '\$open'"),
        ("1 + 2", r"constant"),
        ("Greater(1, 2)", r"constants only"),
        ("$close / (1 - 1)", r"division by zero"),
        ("1e999 + $close", r"out of range"),
        ("$close ** 2", r"Power"),
        ("$close ^ 2", r"Power"),
        ("Mean($close, N=5)", r"no assignments or keyword arguments"),
        ("If($close, 1, 0)", r"must be a condition"),
        ("($close > $open) + 1", r"use If\(condition, 1, 0\)"),
        ("Quantile($close, 10, 1.5)", r"between 0 and 1"),
        ("", r"empty"),
    ],
)
def test_invalid_expressions_are_refused_with_a_reason(expression: str, message: str) -> None:
    with pytest.raises(InvalidExpressionError, match=message):
        parse_expression(expression)


def test_error_messages_name_the_position() -> None:
    with pytest.raises(InvalidExpressionError, match=r"at position 18"):
        parse_expression("Mean($close, 5) + Foo($close)")


def test_size_limits_are_enforced_before_parsing_goes_deep() -> None:
    with pytest.raises(InvalidExpressionError, match=r"1000 are allowed"):
        parse_expression("$close+" * 300 + "$close")
    with pytest.raises(InvalidExpressionError, match=r"deeper than 24"):
        parse_expression("Abs(" * 30 + "$close" + ")" * 30)
    with pytest.raises(InvalidExpressionError, match=r"deeper than 24"):
        parse_expression("(" * 400 + "$close" + ")" * 400)
    with pytest.raises(InvalidExpressionError, match=r"more than 20 terms"):
        parse_expression("$close + " * 20 + "$close", limits=ExpressionLimits(max_nodes=20))
    with pytest.raises(InvalidExpressionError, match=r"history"):
        parse_expression("Mean(Mean(Mean(Mean(Mean($close, 250), 250), 250), 250), 250)")


# --- hostile input ----------------------------------------------------------------------------
def _hostile(marker: Path) -> list[str]:
    touch = f"touch {marker}"
    return [
        f"__import__('os').system('{touch}')",
        f'__import__("os").system("{touch}")',
        f"Mean($close, 5) + __import__('os').system('{touch}')",
        f"(lambda: exec)()(\"open\\x28'{marker}','w'\\x29\")",
        f"(lambda:exec)()('import os;os.system(\"{touch}\")')",
        "eval('1')", "exec('x=1')", "open('/etc/passwd')", "compile('1', 'x', 'eval')",
        "getattr(Mean, 'x')", "globals()", "locals()", "vars()", "breakpoint()", "input()", "print(1)",
        "$close.__class__", "$close.__class__.__mro__", "Mean.__globals__", "Operators.Mean($close, 5)",
        "().__class__.__bases__[0].__subclasses__()", "[c for c in $close]", "$close[0]", "{'a': 1}",
        "Mean($close, 5); import os", "Mean($close, 5)\n__import__('os')", "import os",
        "lambda x: x", "$close if $open else $low", "not $close", "$close and $open", "$close or $open",
        "$close := 1", "$close @ $open", "Mean($close, 5)  # comment", '"$close"', "'$close'",
        "Mean($close, 5) \\\n + 1", "os.system", "sys.modules", "subprocess.run('ls')",
        "Feature('close')", "PFeature('close')", "Mask($close, 'SH600000')", "ChangeInstrument('X', $close)",
        "\uff04close", "\uff2dean($close, 5)", "M\u0435an($close, 5)", "$\u0441lose", "Mean\u200b($close, 5)",
        "Mean($close, 5)\x00", "__builtins__", "_close", "$__class__", "$_close",
        "Mean($close, 100000)", "Mean($close, 10000000000)", "Ref($close, -20)", "TSRank($close, 5)",
        "Abs(" * 60 + "$close" + ")" * 60, "(" * 5000 + "$close" + ")" * 5000, "-" * 3000 + "$close",
        "$close+" * 5000 + "$close",
    ]


def test_hostile_expressions_are_all_rejected_and_run_nothing(tmp_path: Path, data_center: DataCenter) -> None:
    marker = tmp_path / "pwned"
    for payload in _hostile(marker):
        with pytest.raises((UnsafeExpressionError, InvalidExpressionError)):
            parse_expression(payload)
        with pytest.raises((UnsafeExpressionError, InvalidExpressionError)):
            data_center.get_factor(payload, "SYN000", "2020-01-01", "2020-01-31")
    assert not marker.exists()


@pytest.mark.parametrize(
    "payload",
    ["__import__('os')", "(lambda: exec)()", "eval('1')", "$close.__class__", "'$close'", "$close[0]",
     "\uff04close", "M\u0435an($close, 5)", "Mean($close, 5); 1", "Mean($close, 5) # x", "open('f')",
     "$_x", "import os"],
)
def test_code_execution_attempts_are_classified_unsafe(payload: str) -> None:
    with pytest.raises(UnsafeExpressionError):
        parse_expression(payload)


def test_lookalike_characters_are_named_in_the_message() -> None:
    with pytest.raises(UnsafeExpressionError, match=r"U\+FF04 FULLWIDTH DOLLAR SIGN, which looks like '\$'"):
        parse_expression("\uff04close")


def test_qlib_alone_would_turn_the_bypass_payload_into_runnable_python() -> None:
    """The control: Qlib's own rewrite leaves this payload compilable, so the parser is what stops it."""
    from qlib.utils import parse_field

    payload = "(lambda: exec)()(\"open\\x28'/tmp/x','w'\\x29\")"
    compile(parse_field(payload), "<qlib>", "eval")  # no SyntaxError: Qlib's eval would run it

    with pytest.raises(UnsafeExpressionError):
        check_expression(payload)


# --- what reaches Qlib --------------------------------------------------------------------------
_ALLOWED_PY_NODES = (
    ast.Expression, ast.BinOp, ast.Compare, ast.UnaryOp, ast.Call, ast.Attribute, ast.Name, ast.Constant,
    ast.Load, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.BitAnd, ast.BitOr, ast.USub, ast.Gt, ast.GtE, ast.Lt,
    ast.LtE, ast.Eq, ast.NotEq,
)


def assert_qlib_code_is_plain(canonical: str) -> None:
    """Qlib's rewrite of ``canonical`` is Python made only of operators, numbers and whitelisted calls."""
    from qlib.utils import parse_field

    tree = ast.parse(parse_field(canonical), mode="eval")
    for node in ast.walk(tree):
        assert isinstance(node, _ALLOWED_PY_NODES), ast.dump(node)
        if isinstance(node, ast.Call):  # Qlib rewrites both $x and Op( into Operators.<name>(
            func = node.func
            assert isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            assert func.value.id == "Operators" and (func.attr in OPERATORS or func.attr == "Feature")
            if func.attr == "Feature":
                assert len(node.args) == 1 and isinstance(node.args[0], ast.Constant)
                assert str(node.args[0].value).isidentifier()
        if isinstance(node, ast.Compare):
            assert len(node.ops) == 1
        if isinstance(node, ast.UnaryOp):
            assert isinstance(node.operand, ast.Constant)
        if isinstance(node, ast.Name):
            assert node.id == "Operators"


_ROLLING = [name for name, spec in OPERATORS.items() if spec.args == ("series", "window")]


@st.composite
def expressions(draw: st.DrawFn, depth: int = 3) -> str:
    """Random valid numeric expressions, written with random spacing."""
    space = draw(st.sampled_from(["", " ", "  "]))
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return "$" + draw(st.sampled_from(BASE_FIELDS))
    kind = draw(st.sampled_from(["infix", "rolling", "unary", "pair", "const"]))
    inner = draw(expressions(depth - 1))
    if kind == "infix":
        op = draw(st.sampled_from(["+", "-", "*", "/"]))
        return f"({inner}{space}{op}{space}{draw(expressions(depth - 1))})"
    if kind == "rolling":
        name = draw(st.sampled_from(_ROLLING))
        window = draw(st.integers(OPERATORS[name].min_window, 30))
        return f"{name}({inner},{space}{window})"
    if kind == "unary":
        return draw(st.sampled_from(["Abs", "Log", "Sign"])) + f"({inner})"
    if kind == "pair":
        return draw(st.sampled_from(["Greater", "Less"])) + f"({inner},{space}{draw(expressions(depth - 1))})"
    number = draw(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).filter(lambda x: x != 0))
    return f"({inner}{space}*{space}{number!r})"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions())
def test_canonical_form_is_a_fixed_point_and_plain_for_qlib(text: str) -> None:
    once = canonicalize(text)

    assert canonicalize(once) == once
    assert_qlib_code_is_plain(once)


_ALPHABET = st.sampled_from(list("$abcelosvMnRfgtASxdpr_0123456789.,()+-*/<>=!&|'\"[]{}:;\\#@~^% \n") +
                            ["\uff04", "\u0435", "__", "lambda", "Mean(", "Ref(", "$close", "eval", "e-5"])


@settings(max_examples=500, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_arbitrary_text_is_either_refused_cleanly_or_plain_for_qlib(text: str) -> None:
    try:
        parsed = parse_expression(text)
    except TaoruiError as exc:
        assert isinstance(exc, (InvalidExpressionError, UnsafeExpressionError))
        return
    assert_qlib_code_is_plain(parsed.canonical)


def test_the_data_center_hook_returns_the_canonical_text() -> None:
    assert check_expression("  Ref( $close ,5 )/$close-1 ") == "Ref($close, 5) / $close - 1"


def _qlib_values(center: DataCenter, texts: list[str]) -> pd.DataFrame:
    """Raw Qlib evaluation of trusted texts (bypassing the guard on purpose, to compare)."""
    from qlib.data import D

    with _qlib.lock():
        center.activate("synthetic")
        frame = D.features(SYMBOLS, texts, start_time="2020-03-02", end_time="2020-05-29")
    return frame.astype("float64")


def test_canonical_alpha158_features_evaluate_exactly_like_the_originals(data_center: DataCenter) -> None:
    from qlib.contrib.data.loader import Alpha158DL

    originals = Alpha158DL.get_feature_config()[0]
    canonical = [canonicalize(e) for e in originals]

    ours = _qlib_values(data_center, canonical)
    theirs = _qlib_values(data_center, originals)

    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-6, atol=1e-9, equal_nan=True)


def test_reflected_and_logical_operators_mean_what_they_say(data_center: DataCenter) -> None:
    texts = {"neg": "-$close", "rsub": "1 - $close", "rdiv": "1 / $close", "rcmp": "100 < $close",
             "both": "$close > $open & $volume > Mean($volume, 5)"}
    got = data_center.get_features(texts, SYMBOLS, "2020-03-02", "2020-05-29")
    bars = data_center.get_price(SYMBOLS, "2020-01-02", "2020-05-29").set_index(["date", "symbol"])
    mean5 = bars["volume"].groupby(level="symbol").transform(lambda v: v.rolling(5, min_periods=1).mean())
    want = pd.DataFrame({
        "neg": -bars["close"], "rsub": 1 - bars["close"], "rdiv": 1 / bars["close"],
        "rcmp": (bars["close"] > 100).astype(float),
        "both": ((bars["close"] > bars["open"]) & (bars["volume"] > mean5)).astype(float),
    }).loc[got.index]

    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-5)
    assert 0 < got["both"].mean() < 1


def test_the_public_surface_is_pinned() -> None:
    import taorui_engines.expressions as expressions

    assert set(expressions.__all__) == {
        "BASE_FIELDS", "MAX_WINDOW", "OPERATORS", "ExpressionLimits", "OperatorSpec", "ParsedExpression",
        "canonicalize", "expression_tree", "parse_expression",
    }
    assert all(hasattr(expressions, name) for name in expressions.__all__)
