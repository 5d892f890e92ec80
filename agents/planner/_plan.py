"""The executor: one task spec, run step by step, for whichever agent is speaking.

The supervisor's turn submits the spec (or asks its one question, or says politely what
Taorui can do). An agent's turn walks the spec's steps that belong to it, in order: each
step's recipe either asks for tool calls (tagged with the step, so two training steps never
read each other's results) or is done with a text; when every step of this agent is done the
work is handed to the agent of the next step, or the answer is composed - the steps' texts,
the comparison, and what was asked, defaulted and not used.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from agents.brief import Brief
from agents.planner._actions import Action, Answer, Ask, CallTools, Handover, Submit
from agents.planner._advisor import MODEL_RECIPES
from agents.planner._compare import compare_recipe, cycle_recipe
from agents.planner._context import PlanContext
from agents.planner._defaults import PlannerDefaults
from agents.planner._factor import FACTOR_RECIPES
from agents.planner._observe import Conversation, Observation, read_conversation
from agents.planner._rules import RULE_RECIPES
from agents.planner._text import Said, pick
from agents.planner._trader import TRADER_RECIPES, signal_recipe
from agents.spec import TaskSpec
from agents.understand import RouterLike, understand

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

__all__ = ["agent_of_step", "decide", "scope_answer", "spec_of"]

_RECIPES = {**MODEL_RECIPES, **RULE_RECIPES, **FACTOR_RECIPES, **TRADER_RECIPES, "compare": compare_recipe,
            "trading_cycle": cycle_recipe}


def spec_of(brief: Brief, router: RouterLike | None = None) -> TaskSpec:
    """The spec the graph put in the brief, or the offline reading of the instruction."""
    if brief.spec is not None:
        return TaskSpec.model_validate(brief.spec)
    return understand([*brief.earlier, brief.instruction], brief.catalog, router)


def agent_of_step(spec: TaskSpec, index: int) -> str | None:
    """Who runs step ``index`` (a comparison: whoever ran the step before it)."""
    step = spec.steps[index]
    if step.intent == "compare" and index > 0:
        return agent_of_step(spec, index - 1)
    return step.agent


def scope_answer(language: str) -> str:
    """What Taorui does, for a request it does not serve."""
    return pick(language,
                "That is outside what I can help with. I am Taorui, a quant research and supervised-trading assistant: "
                "I can train reinforcement-learning strategies (PPO, A2C, SAC, TD3, DDPG), train Qlib models "
                "(LightGBM, linear, MLP), backtest and tune rule strategies, evaluate and mine factors, and place "
                "paper orders through a risk gate with your approval - on the data in the store "
                "(`taorui data list`).",
                "这超出了我能帮助的范围。我是韬睿，一个量化研究与受监督交易助手：可以训练强化学习策略（PPO、A2C、SAC、"
                "TD3、DDPG）、训练 Qlib 模型（LightGBM、线性、MLP）、回测和优化规则策略、评估与挖掘因子，并在您的批准下"
                "通过风控闸门下模拟单——基于数据库中的数据（`taorui data list`）。")


def _supervise(spec: TaskSpec) -> Action:
    if spec.question:
        return Ask(spec.question)
    if all(s.intent == "out_of_scope" for s in spec.steps):
        return Answer(scope_answer(spec.language))
    return Submit(spec)


def decide(messages: Sequence[BaseMessage], tools: Collection[str], defaults: PlannerDefaults,
           router: RouterLike | None = None) -> Action:
    """Next action for whoever the system message says is speaking."""
    conversation = read_conversation(messages)
    brief = conversation.brief
    if brief is None:
        return Answer("I received no instruction block to work from.")
    spec = spec_of(brief, router)
    if conversation.role == "supervisor":
        return _supervise(spec)
    if spec.question:
        return Answer(spec.question)
    return _execute(spec, conversation, brief, frozenset(tools), defaults)


def _start(brief: Brief) -> int:
    payload = (brief.handover or {}).get("payload") or {}
    step = payload.get("step")
    return int(step) if isinstance(step, int) else 0


def _execute(spec: TaskSpec, conversation: Conversation, brief: Brief, tools: frozenset[str],
             defaults: PlannerDefaults) -> Action:
    role, start = conversation.role, _start(brief)
    handed = (brief.handover or {}).get("payload") or {}
    signal = bool(handed.get("signal") is not None or handed.get("cycle")) and role == "trader"
    # this agent's steps from ``start`` up to the first step of another agent: "check my account,
    # backtest RSI, then sell" is trader, advisor, trader - the order runs after the backtest it
    # may depend on, and the backtest is never skipped because the trader ran ahead to the order
    mine = []
    for i in range(start, len(spec.steps)):
        if agent_of_step(spec, i) != role:
            break
        mine.append(i)
    if signal and start not in mine:
        mine = [start, *mine]
    texts, said = [], Said()
    for i in mine:
        ctx = PlanContext(spec, i, brief, tuple(o for o in conversation.observations if o.step == i),
                          conversation.observations, tools, defaults)
        recipe = signal_recipe if (signal and i == start) else _RECIPES.get(spec.steps[i].intent)
        if recipe is not None and (_lacks_recalled(spec, i) or _keeps_recalled(spec, i)):
            spec = _with_recalled(spec, i, conversation)
            if _lacks_recalled(spec, i):
                texts.append(pick(spec.language, "The earlier run I recalled does not say what to run this on; please "
                                  "tell me the instrument (and strategy) to use.",
                                  "调出的历史运行没有说明要在哪个品种（和哪种策略）上运行；请告诉我要用的品种（和策略）。"))
                continue
            ctx = PlanContext(spec, i, brief, ctx.observations, conversation.observations, tools, defaults)
        if recipe is None:
            texts.append(pick(spec.language, "I do not know how to do this yet.", "我还不会处理这个请求。"))
            continue
        action = recipe(ctx)
        said.merge(ctx.said)
        if isinstance(action, Handover):  # the next agent's answer carries this one's work and notes
            research = "\n\n".join(p for p in (*texts, action.payload.get("research"), said.render(spec.language)) if p)
            return Handover(action.to, action.note, action.run_id,
                            {**_ran(conversation, brief, len(spec.steps)), **action.payload, "research": research})
        if isinstance(action, CallTools):
            return action
        if isinstance(action, Answer):
            texts.append(action.text)
            if action.halts:  # "nothing after it was run": no later step of this agent, no hand-over
                return _after(spec, mine, brief, texts, said, halted=True)
    return _after(spec, mine, brief, texts, said, _ran(conversation, brief, len(spec.steps)))


#: Runs that need an instrument; after a recall ("same as before but with SAC") the recalled run supplies it.
_ON_AN_ASSET = frozenset({"train_rl", "backtest_strategy", "optimize_strategy"})


def _lacks_recalled(spec: TaskSpec, i: int) -> bool:
    """A follow-up run (right after a recall) that still lacks what the recalled run would supply."""
    step = spec.steps[i]
    if i == 0 or spec.steps[i - 1].intent != "recall" or step.intent not in _ON_AN_ASSET:
        return False
    if step.strategy is not None and step.strategy.value == "signal" and step.universe is not None:
        return False  # "用上次挖的最好的那个因子做个回测": a factor found in memory, run on its universe
    return not step.instruments or (step.intent != "train_rl" and step.strategy is None)


def _keeps_recalled(spec: TaskSpec, i: int) -> bool:
    """A run right after a recall that leaves its window or a cost unsaid: "Rerun Monday's S&P momentum backtest, but
    charge 10 bps this time" keeps what the earlier run used for everything the person did not change."""
    step = spec.steps[i]
    if i == 0 or spec.steps[i - 1].intent != "recall" or step.intent not in _ON_AN_ASSET:
        return False
    w = step.windows
    return (w.data, w.train, w.valid, w.test) == (None, None, None, None) or step.costs.commission is None \
        or step.costs.slippage is None


def _recalled_window(meta: dict[str, Any], said: str) -> Any:
    """The data window an earlier run used (its config's start and end), as an inferred value."""
    from datetime import date

    from agents.spec import Sourced, Window

    try:
        start, end = date.fromisoformat(str(meta["cfg_start"])[:10]), date.fromisoformat(str(meta["cfg_end"])[:10])
        return Sourced[Window](value=Window(start=start, end=end), source="inferred", said=said)
    except (KeyError, ValueError):
        return None


def _with_recalled(spec: TaskSpec, i: int, conversation: Conversation) -> TaskSpec:
    """The follow-up step with the instrument and strategy of the run the recall found (inferred), and - for
    what the person left unsaid - its window and costs (inferred, and shown as taken from that run)."""
    from agents.planner._context import v
    from agents.planner._rules import recalled_hits
    from agents.spec import Sourced
    from agents.understand._lexicon import STRATEGIES

    hits = recalled_hits(v(spec.steps[i - 1].ref), [
        h for o in conversation.observations if o.name == "search_memory" and o.ok and o.step == i - 1
        for h in (o.result.get("results") or [])])
    if not hits:
        return spec
    text = " ".join(f"{h.get('text', '')} {h.get('metadata') or ''}" for h in hits[:1])
    step = spec.steps[i]
    update: dict[str, object] = {}
    if not step.instruments:
        names = [e.name for e in conversation.brief.catalog if e.kind == "instrument"] if conversation.brief else []
        found = next((n for n in names if n.lower() in text.lower()), None)
        if found is not None:
            update["instruments"] = (Sourced[str](value=found, source="inferred", said=None),)
    if step.intent != "train_rl" and step.strategy is None:
        found = next((k for k in STRATEGIES if k in text.lower()), None)
        if found is not None:
            update["strategy"] = Sourced[str](value=found, source="inferred", said=None)
    meta = hits[0].get("metadata") or {}
    said = pick(spec.language, "kept from the earlier run I recalled", "沿用调出的历史运行")
    w = step.windows
    if (w.data, w.train, w.valid, w.test) == (None, None, None, None):
        window = _recalled_window(meta, said)
        if window is not None:
            update["windows"] = w.model_copy(update={"data": window})
    kept = {}
    for name in ("commission", "slippage"):
        value = meta.get(f"cfg_{name}")
        if getattr(step.costs, name) is None and isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            kept[name] = Sourced[float](value=float(value), source="inferred", said=said)
    if kept:
        update["costs"] = step.costs.model_copy(update=kept)
    if not update:
        return spec
    steps = list(spec.steps)
    steps[i] = step.model_copy(update=update)
    return spec.model_copy(update={"steps": tuple(steps)})


def _ran(conversation: Conversation, brief: Brief, steps: int) -> dict[str, object]:
    """The latest run's headline numbers, handed on: "backtest it, and if the Sharpe is above 1 sell
    half" is judged by the trader, who does not see the strategy advisor's tool results."""
    from agents.planner._condition import headline

    numbers = headline(conversation.observations, steps)
    handed = ((brief.handover or {}).get("payload") or {}).get("ran")
    out: dict[str, object] = {"ran": numbers} if numbers else {"ran": handed} if isinstance(handed, dict) else {}
    factors = factor_work(conversation.observations) or ((brief.handover or {}).get("payload") or {}).get("factors")
    if isinstance(factors, dict):
        out["factors"] = factors  # "mine …, keep the best one and backtest it": the backtester sees what was found
    return out


def factor_work(observations: Sequence[Observation]) -> dict[str, object] | None:
    """The latest factor mining or evaluation, cut to what picks a factor to put to work (expression, sign,
    held-out numbers, periods), handed on with the rest of a run's headline."""
    latest = next((o for o in reversed(observations) if o.ok and o.name in ("mine_factors", "evaluate_factors")), None)
    if latest is None:
        return None
    r = latest.result
    if latest.name == "mine_factors":
        keep = ("expr", "direction", "confirm_rank_icir", "mining_rank_icir")
        return {"name": "mine_factors", "step": latest.step, "result": {
            "accepted": [{k: row.get(k) for k in keep} for row in r.get("accepted") or [] if isinstance(row, dict)],
            "n_tried": r.get("n_tried"), "mining_period": r.get("mining_period"),
            "confirmation_period": r.get("confirmation_period")}}
    keep = ("expr", "canonical", "rank_icir", "rank_ic_mean")
    return {"name": "evaluate_factors", "step": latest.step, "result": {
        "results": [{k: row.get(k) for k in keep} for row in r.get("results") or [] if isinstance(row, dict)],
        "start": r.get("start"), "end": r.get("end")}}


def _after(spec: TaskSpec, mine: list[int], brief: Brief, texts: list[str], said: Said,
           ran: dict[str, object] | None = None, halted: bool = False) -> Action:
    """Hand over to the next step's agent, or compose the answer (always, after a failure)."""
    last = max(mine, default=-1)
    nxt = next((i for i in range(last + 1, len(spec.steps)) if agent_of_step(spec, i) not in (None,)), None)
    body = "\n\n".join(t for t in texts if t)
    research = ((brief.handover or {}).get("payload") or {}).get("research")
    if not halted and nxt is not None and agent_of_step(spec, nxt) != agent_of_step(spec, mine[0] if mine else 0):
        carried = "\n\n".join(p for p in (research, body, said.render(spec.language)) if p)
        return Handover(str(agent_of_step(spec, nxt)), body[:3900] or "continue",
                        payload={**(ran or {}), "step": nxt, "research": carried})
    notes = _notes(spec, said)
    parts = [p for p in (research if research and research not in body else None, body, notes.render(spec.language)) if p]
    return Answer("\n\n".join(parts))


def _notes(spec: TaskSpec, said: Said) -> Said:
    """The answer's closing lines: approvals asked for, symbols read, words not used."""
    if spec.approval.value and spec.approval.source == "stated":
        said.stated("every order waits for your approval", "每笔订单都等待您的批准")
    for step in spec.steps:
        for item in step.instruments:
            if item.source == "inferred" and item.said and item.said.strip().upper() != str(item.value).upper():
                said.stated(f"read {item.said} as {item.value}", f"将 {item.said} 理解为 {item.value}")
    for words in spec.ignored:
        said.ignored(f"\"{words}\" (not a parameter of this task)", f"“{words}”（不是此任务的参数）")
    _costs_unused(spec, said)
    return said


#: Steps that trade (or simulate trading) and so take a stated commission or slippage.
_TRADING_STEPS = frozenset({"backtest_strategy", "optimize_strategy", "train_rl", "train_model", "trading_cycle",
                            "place_order"})
_NO_COSTS = {
    "evaluate_factors": ("a factor evaluation trades nothing: it scores IC, rank IC and top-quintile turnover",
                         "因子评估不交易：它计算 IC、Rank IC 和头部五分位换手率"),
    "mine_factors": ("factor mining trades nothing: candidates are scored by IC, rank IC and turnover",
                     "因子挖掘不交易：候选因子按 IC、Rank IC 和换手率打分"),
}


def _costs_unused(spec: TaskSpec, said: Said) -> None:
    """A cost the person stated for work that trades nothing is named as not used, never dropped
    silently ("evaluate this factor with 3 bp costs": the IC has no cost to apply)."""
    if any(step.intent in _TRADING_STEPS for step in spec.steps):
        return
    for step in spec.steps:
        for name, name_zh, value in (("commission", "佣金", step.costs.commission), ("slippage", "滑点", step.costs.slippage)):
            if value is None or value.source != "stated":
                continue
            why_en, why_zh = _NO_COSTS.get(step.intent, ("nothing in this request trades", "此任务不涉及交易"))
            rate = f"{float(value.value) * 10_000:g} bp"
            said.ignored(f"{name} {rate} ({why_en}; costs apply to backtests)",
                         f"{name_zh} {rate}（{why_zh}；成本用于回测）")
