"""``taorui factor ...``: check, describe, evaluate and mine factor expressions; compare them inside Alpha158."""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING, Any

from taorui.cli._common import add_json_flag, emit, parse_span, validated
from taorui.wiring import AppContext
from taorui_engines.errors import InvalidArgumentError

# Engines load when a subcommand runs (``factor describe`` needs no Qlib): types only here.
if TYPE_CHECKING:
    from taorui_engines.factor_mining import MiningRequest, MiningResult
    from taorui_engines.qlib_engine import FactorEvaluation, FeatureComparison, TrainConfig

__all__ = ["register", "validated"]

def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``factor`` group."""
    factor = sub.add_parser("factor", help="factor expressions: evaluate, describe, mine, compare inside Alpha158")
    cmds = factor.add_subparsers(dest="cmd", required=True, parser_class=type(factor))

    p = cmds.add_parser("eval", help="IC / Rank IC of expressions against forward returns")
    p.add_argument("expressions", nargs="+", metavar="EXPR", help="Qlib factor expression(s), quoted")
    p.add_argument("--universe", default="csi_syn", help="universe name or comma-separated symbols (default csi_syn)")
    p.add_argument("--start", required=True, type=date.fromisoformat, help="first day YYYY-MM-DD")
    p.add_argument("--end", required=True, type=date.fromisoformat, help="last day YYYY-MM-DD")
    p.add_argument("--horizon", type=int, default=5, help="forward-return horizon in trading days (default 5)")
    add_json_flag(p)
    p.set_defaults(func=cmd_eval)

    _add_mine(cmds)
    _add_compare(cmds)

    p = cmds.add_parser("describe", help="check an expression: canonical form, meaning, history needed")
    p.add_argument("expression", metavar="EXPR")
    add_json_flag(p)
    p.set_defaults(func=cmd_describe)

    p = cmds.add_parser("ops", help="the operators an expression may use")
    add_json_flag(p)
    p.set_defaults(func=cmd_ops)


def _add_mine(cmds: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from taorui.cli.model import _portfolio_args  # model imports this module: import at call time

    p = cmds.add_parser("mine", help="mine new factors (genetic search or an LLM, written acceptance rule)")
    p.add_argument("--universe", default="csi_syn", help="universe name or comma-separated symbols (default csi_syn)")
    p.add_argument("--theme", action="append", default=[], metavar="THEME",
                   help="momentum, reversal, volatility, volume, liquidity (or 动量, 反转, 波动率, 量价, 换手率); "
                        "repeat or comma-separate; default all")
    p.add_argument("--rounds", type=int, default=6, help="most rounds (default 6)")
    p.add_argument("--population", type=int, default=24, help="new candidates per round (default 24)")
    p.add_argument("--max-candidates", type=int, default=300, help="most candidates evaluated (default 300)")
    p.add_argument("--budget-s", type=float, default=300.0, help="wall-time budget in seconds (default 300)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--horizon", type=int, default=1, help="forward-return horizon in trading days (default 1)")
    p.add_argument("--mining-start", type=date.fromisoformat, default=date(2017, 1, 1))
    p.add_argument("--mining-end", type=date.fromisoformat, default=date(2020, 12, 31))
    p.add_argument("--confirm-start", type=date.fromisoformat, default=date(2021, 1, 1))
    p.add_argument("--confirm-end", type=date.fromisoformat, default=date(2022, 12, 31))
    p.add_argument("--library", action="append", default=[], metavar="EXPR",
                   help="a known factor new ones must not duplicate (repeatable)")
    p.add_argument("--seed-expr", action="append", default=[], metavar="EXPR",
                   help="an expression to evaluate in the first round (repeatable)")
    p.add_argument("--proposer", choices=["offline", "llm", "hybrid"], default="offline",
                   help="who proposes: offline genetic search (default), the configured LLM, or both")
    p.add_argument("--llm-tokens", type=int, default=100_000, help="LLM token budget of the run (default 100000)")
    p.add_argument("--llm-cost-usd", type=float, default=1.0, help="LLM money budget in USD (default 1.0; 0: none)")
    p.add_argument("--language", choices=["en", "zh"], default="en", help="language of LLM hypotheses (default en)")
    p.add_argument("--compare", action="store_true",
                   help="then train Alpha158 alone and Alpha158 + the accepted factors and compare them on a test "
                        "period after the confirmation period, after costs")
    p.add_argument("--train", type=parse_span, help="--compare: training START:END (default mining start to "
                                                    "confirmation end)")
    p.add_argument("--valid", type=parse_span, help="--compare: validation START:END (default the year after "
                                                    "confirmation)")
    p.add_argument("--test", type=parse_span, help="--compare: test START:END (default from validation end to the "
                                                   "data's last day less a week)")
    p.add_argument("--model", default="lightgbm", choices=["lightgbm", "linear", "mlp"], help="--compare: model")
    _portfolio_args(p)
    add_json_flag(p)
    p.set_defaults(func=cmd_mine)


def _add_compare(cmds: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from taorui.cli.model import _portfolio_args  # model imports this module: import at call time

    p = cmds.add_parser("compare", help="Alpha158 alone vs Alpha158 plus factor expressions: test IC and "
                                        "backtest after costs, same segments, seed and portfolio")
    p.add_argument("--expr", action="append", required=True, metavar="EXPR",
                   help="an expression to add to Alpha158 (repeatable), e.g. an accepted mined factor")
    p.add_argument("--universe", default="csi_syn", help="universe name or comma-separated symbols (default csi_syn)")
    p.add_argument("--model", default="lightgbm", choices=["lightgbm", "linear", "mlp"])
    p.add_argument("--train", required=True, type=parse_span, help="START:END")
    p.add_argument("--valid", required=True, type=parse_span, help="START:END (after train)")
    p.add_argument("--test", required=True, type=parse_span, help="START:END (after valid; after any mining "
                                                                   "and confirmation period)")
    p.add_argument("--label-horizon", type=int, default=1, help="label: return over h days from t+1 (default 1)")
    p.add_argument("--num-boost-round", type=int, default=200, help="LightGBM: most trees (default 200)")
    p.add_argument("--epochs", type=int, default=20, help="MLP: epochs (default 20)")
    p.add_argument("--seed", type=int, default=0)
    _portfolio_args(p)
    add_json_flag(p)
    p.set_defaults(func=cmd_compare)


def cmd_compare(args: argparse.Namespace, ctx: AppContext) -> int:
    """Train Alpha158 and Alpha158 + the expressions, and print the comparison (or one JSON object)."""
    from taorui.cli.model import _portfolio
    from taorui_engines.qlib_engine import ModelParams, TrainConfig, compare_feature_sets

    base = validated(lambda: TrainConfig(
        model=args.model, features="alpha158", universe=_universe(args.universe), train=args.train,
        valid=args.valid, test=args.test, label_horizon=args.label_horizon,
        params=ModelParams(seed=args.seed, num_boost_round=args.num_boost_round, epochs=args.epochs),
        backtest=_portfolio(args),
    ))
    result = compare_feature_sets(ctx.data, base, tuple(args.expr), ctx.settings.runs_dir, ctx.progress)
    return emit(args, result.model_dump(mode="json"), _compare_text(result))


def _compare_text(c: FeatureComparison) -> str:
    rows = [("test IC", "ic", 4), ("test Rank IC", "rank_ic", 4), ("Rank ICIR", "rank_icir", 3),
            ("excess ann. (cost)", "excess_annualized_return_with_cost", 4),
            ("IR (cost)", "information_ratio_with_cost", 3), ("max drawdown (cost)", "max_drawdown_with_cost", 4),
            ("costs / account", "total_cost", 4)]
    lines = [c.summary, "", f"{'':<20} {'Alpha158':>10} {'+extra':>10} {'diff':>10}"]
    for title, key, digits in rows:
        values = (getattr(c.base, key), getattr(c.extended, key), getattr(c.difference, key))
        lines.append(f"{title:<20} " + " ".join(f"{_num(v, digits):>10}" for v in values))
    lines.append(f"extra: {'; '.join(c.expressions)}")
    lines += [f"caveat [{cv.code}]: {cv.en}" for cv in c.caveats]
    lines.append(f"runs {c.base.run_id}, {c.extended.run_id}; comparison: {c.file}")
    return "\n".join(lines)


def cmd_mine(args: argparse.Namespace, ctx: AppContext) -> int:
    """Run the mining loop, print the keep/drop table (or one JSON object); ``--compare`` closes the loop."""
    from taorui_engines.factor_mining import MiningRequest, mine_factors
    from taorui_engines.qlib_engine import compare_feature_sets
    themes = tuple(t for text in args.theme for t in text.split(",") if t.strip())
    request = validated(lambda: MiningRequest(
        universe=_universe(args.universe), themes=themes, rounds=args.rounds, population=args.population,
        max_candidates=args.max_candidates, budget_s=args.budget_s, seed=args.seed, horizon=args.horizon,
        mining_start=args.mining_start, mining_end=args.mining_end, confirm_start=args.confirm_start,
        confirm_end=args.confirm_end, library=tuple(args.library), seed_expressions=tuple(args.seed_expr),
        proposer=args.proposer, token_budget=args.llm_tokens, cost_budget_usd=args.llm_cost_usd,
        language=args.language,
    ))
    base = _compare_base(args, ctx, request) if args.compare else None  # bad windows refused before mining
    proposer = None
    if request.proposer != "offline":
        if ctx.llm_backend() != "openai":
            raise InvalidArgumentError(
                f"--proposer {request.proposer} needs a language model: set TAORUI_LLM_BACKEND=openai and "
                "TAORUI_LLM_BASE_URL (a local OpenAI-compatible server) or TAORUI_LLM_API_KEY")
        proposer = ctx.factor_proposer(request)
    result = mine_factors(ctx.data, request, ctx.settings.runs_dir, ctx.progress, proposer=proposer,
                          ray_address=ctx.settings.ray_address)
    payload: dict[str, Any] = result.model_dump(mode="json")
    text = _mine_text(result)
    if base is not None:
        expressions = tuple(f.canonical for f in result.accepted if f.canonical)
        if not expressions:
            payload["comparison"] = None
            text += "\n\nNo factor was accepted: nothing to add to Alpha158, no comparison was run."
        else:
            comparison = compare_feature_sets(ctx.data, base, expressions, ctx.settings.runs_dir, ctx.progress)
            payload["comparison"] = comparison.model_dump(mode="json")
            text += "\n\n" + _compare_text(comparison)
    return emit(args, payload, text)


def _compare_base(args: argparse.Namespace, ctx: AppContext, request: MiningRequest) -> TrainConfig:
    """The Alpha158 request the mined factors are compared with; its test comes after confirmation."""
    from datetime import timedelta

    from taorui.cli.model import _portfolio
    from taorui_engines.qlib_engine import ModelParams, TrainConfig, resolve_universe

    universe = resolve_universe(ctx.data, request.universe)
    last = min(i.end for i in universe.instruments)
    last_day = date.fromisoformat(str(last)[:10])
    def span(given: tuple[str, str] | None, default: tuple[date, date]) -> tuple[date, date]:
        if given is None:
            return default
        try:
            return date.fromisoformat(given[0]), date.fromisoformat(given[1])
        except ValueError as exc:
            raise InvalidArgumentError(f"bad date in {given[0]}:{given[1]}: {exc} (use YYYY-MM-DD)") from exc

    train = span(args.train, (request.mining_start, request.confirm_end))
    valid = span(args.valid, (request.confirm_end + timedelta(days=1),
                              request.confirm_end.replace(year=request.confirm_end.year + 1)))
    test = span(args.test, (valid[1] + timedelta(days=1), last_day - timedelta(days=7)))
    if test[0] <= request.confirm_end:
        raise InvalidArgumentError(
            f"the comparison's test period ({test[0]}..{test[1]}) must start after the confirmation period "
            f"(ends {request.confirm_end}): the mined factors were chosen on everything up to then")
    if (test[1] - test[0]).days < 90:
        raise InvalidArgumentError(
            f"the comparison's test period {test[0]}..{test[1]} is shorter than 90 days: the data ends {last_day}; "
            "give --train/--valid/--test or end the confirmation period earlier")
    return validated(lambda: TrainConfig(
        model=args.model, features="alpha158", universe=request.universe, train=train, valid=valid, test=test,
        label_horizon=request.horizon, params=ModelParams(seed=request.seed), backtest=_portfolio(args)))


def _mine_text(result: MiningResult) -> str:
    lines = [result.summary, "", result.rule_text, "",
             f"{'keep':<5} {'mineICIR':>9} {'NW t':>7} {'confICIR':>9}  expression / reasons"]
    shown = result.accepted + sorted((r for r in result.rejected if r.mining),
                                     key=lambda r: -(r.fitness or 0.0))[:10]
    for r in shown:
        m, c = r.mining, r.confirmation
        lines.append(f"{'KEEP' if r.status == 'accepted' else 'drop':<5} "
                     f"{_num(m.rank_icir if m else None, 3):>9} {_num(m.rank_ic_t_nw if m else None, 2):>7} "
                     f"{_num(c.rank_icir if c else None, 3):>9}  {r.canonical}")
        if r.hypothesis:
            lines.append(f"{'':<34}hypothesis: {r.hypothesis}")
        if r.status != "accepted":
            lines.append(f"{'':<34}{'; '.join(r.reasons)}")
    lines.append(f"run {result.run_id}: {result.run_dir}")
    return "\n".join(lines)


def _universe(text: str) -> str | tuple[str, ...]:
    parts = tuple(s.strip() for s in text.split(",") if s.strip())
    return parts[0] if len(parts) == 1 else parts


def cmd_eval(args: argparse.Namespace, ctx: AppContext) -> int:
    """Evaluate the expressions and print one line (or one JSON object) per result."""
    from taorui_engines.qlib_engine import FactorEvalRequest, evaluate_factors
    request = validated(lambda: FactorEvalRequest(
        expressions=tuple(args.expressions), universe=_universe(args.universe),
        start=args.start, end=args.end, horizon=args.horizon,
    ))
    evaluation = evaluate_factors(ctx.data, request, ctx.settings.runs_dir, ctx.progress)
    return emit(args, evaluation.model_dump(mode="json"), _eval_text(evaluation))


def _num(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:+.{digits}f}"


def _eval_text(evaluation: FactorEvaluation) -> str:
    note = "  [SYNTHETIC data]" if evaluation.synthetic else ""
    lines = [
        f"{evaluation.universe} ({evaluation.n_symbols} symbols) {evaluation.start}..{evaluation.end}, "
        f"horizon {evaluation.horizon}: forward return = {evaluation.forward_return}{note}",
        f"{'IC':>8} {'RankIC':>8} {'RankICIR':>9} {'pos%':>6} {'cover':>6} {'days':>5}  decay(1/5/10/20)  expression",
    ]
    for r in evaluation.results:
        decay = "/".join("n/a" if v is None else f"{v:+.3f}" for v in r.decay.values())
        positive = "n/a" if r.positive_ratio is None else f"{r.positive_ratio:.0%}"
        lines.append(f"{_num(r.ic_mean):>8} {_num(r.rank_ic_mean):>8} {_num(r.rank_icir, 3):>9} {positive:>6} "
                     f"{r.coverage:>6.1%} {r.n_days:>5}  {decay}  {r.canonical}")
    lines.append(f"run {evaluation.run_id}: {evaluation.run_dir}")
    return "\n".join(lines)


def cmd_describe(args: argparse.Namespace, ctx: AppContext) -> int:
    """Parse without evaluating."""
    from taorui_engines.expressions import parse_expression

    parsed = parse_expression(args.expression)
    text = (f"canonical: {parsed.canonical}\nmeaning:   {parsed.description}\n"
            f"fields:    {', '.join(parsed.fields)}\noperators: {', '.join(parsed.operators)}\n"
            f"history:   {parsed.lookback} trading days")
    return emit(args, parsed.model_dump(mode="json"), text)


def cmd_ops(args: argparse.Namespace, ctx: AppContext) -> int:
    """List the whitelist."""
    from taorui_engines.expressions import MAX_WINDOW, OPERATORS

    ops: list[dict[str, Any]] = [
        {"name": s.name, "args": list(s.args), "result": s.result, "symbol": s.symbol,
         "min_window": s.min_window if "window" in s.args else None, "summary": s.summary}
        for s in OPERATORS.values()
    ]
    lines = [f"{o['name']:<9} ({', '.join(o['args'])}){' ' + o['symbol'] if o['symbol'] else ''}: {o['summary']}"
             for o in ops]
    lines.append(f"windows: whole trading days up to {MAX_WINDOW}; Ref looks back only")
    return emit(args, {"operators": ops, "max_window": MAX_WINDOW}, "\n".join(lines))
