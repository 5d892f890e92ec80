"""The graph end to end with the offline planner: research, orders, approvals, questions."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agents.planner import OfflinePlanner, PlannerDefaults
from graphs import ApprovalDecision
from taorui_engines.errors import InvalidArgumentError
from tests._graph_env import GraphEnv, build_env, cheap_member

TINY = PlannerDefaults(rl_timesteps=300)


@pytest.fixture
def env(home: Path) -> GraphEnv:
    return build_env(home, OfflinePlanner(defaults=TINY))


def test_gold_rl_instruction_in_chinese_trains_on_five_years_and_suggests_next_week(env: GraphEnv) -> None:
    result = env.orchestrator.ask("用最近5年黄金价格训练一个强化学习策略，并给出下周操作建议")
    assert result.status == "done" and result.agent == "strategy_advisor" and result.language == "zh"
    call = result.tool_calls[0]
    assert (call.name, call.ok, call.args["asset"]) == ("train_rl_agent", True, "GOLD")
    assert call.args["train"]["start"] == "2021-01-01" and call.args["test"]["end"] == "2025-12-31"
    assert "夏普" in result.answer and "买入持有" in result.answer and "最大回撤" in result.answer
    assert "下周建议" in result.answer and "理由" in result.answer
    assert "合成数据" in result.answer
    config = json.loads((env.home / "runs" / result.run_ids[0] / "config.json").read_text())
    assert config["assets"] == ["GOLD"] and config["timesteps"] == 300


def test_the_instruction_leaves_a_finished_run_folder_with_its_answer(env: GraphEnv) -> None:
    result = env.orchestrator.ask("show my positions")
    folder = Path(str(result.run_dir))
    assert json.loads((folder / "status.json").read_text())["state"] == "done"
    assert (folder / "answer.md").read_text().strip() == result.answer.strip()
    assert json.loads((folder / "metrics.json").read_text())["tool_calls"] == 2


def test_an_order_the_policy_rejects_is_never_sent_to_the_broker(env: GraphEnv) -> None:
    result = env.orchestrator.ask("buy 10 SP500")
    assert result.status == "done"
    assert "stale_price" in result.answer  # SP500's last bar is from 2018: the gate refuses its price
    assert env.broker.orders() == []


def test_an_order_waits_for_approval_and_nothing_is_sent_before_it(env: GraphEnv) -> None:
    symbol, _ = cheap_member(env.data)
    result = env.orchestrator.ask(f"buy 100 {symbol}, ask me before ordering")
    assert result.status == "needs_approval"
    assert result.approvals[0]["order"]["symbol"] == symbol and result.approvals[0]["decision"] == "pending"
    assert env.broker.orders() == []


def test_a_cost_stated_with_an_order_is_said_to_be_unused_not_dropped(env: GraphEnv) -> None:
    """The broker charges its own rates: "佣金按万二点五算" with an order is named as not used."""
    symbol, _ = cheap_member(env.data)
    waiting = env.orchestrator.ask(f"买入100股{symbol}，佣金按万二点五算，下单前问我")
    assert waiting.status == "needs_approval" and env.broker.orders() == []
    assert "未使用：佣金 2.5 bp" in waiting.answer  # said while the person decides
    result = env.orchestrator.resume(waiting.thread_id, ApprovalDecision(approve=True, by="ana"))
    assert "未使用：佣金 2.5 bp" in result.answer and "券商自己的费率" in result.answer


def test_an_approved_order_is_rechecked_sent_and_filled_exactly_once(env: GraphEnv) -> None:
    symbol, price = cheap_member(env.data)
    waiting = env.orchestrator.ask(f"buy 100 {symbol}, ask me before ordering")
    done = env.orchestrator.resume(waiting.thread_id, ApprovalDecision(approve=True, by="ana"))
    assert done.status == "done"
    fills = env.broker.fills()
    assert [(f.symbol, f.qty) for f in fills] == [(symbol, 100.0)]
    assert fills[0].price == pytest.approx(price)
    assert "approved by ana" in done.answer and "filled 100" in done.answer
    with pytest.raises(InvalidArgumentError, match="not waiting"):
        env.orchestrator.resume(waiting.thread_id, ApprovalDecision(approve=True, by="ana"))
    assert len(env.broker.fills()) == 1


def test_a_rejected_order_is_not_sent_and_the_answer_says_why(env: GraphEnv) -> None:
    symbol, _ = cheap_member(env.data)
    waiting = env.orchestrator.ask(f"买入100股{symbol}，下单前问我")
    done = env.orchestrator.resume(waiting.thread_id, ApprovalDecision(approve=False, by="ana", reason="太贵了"))
    assert done.status == "done" and env.broker.orders() == []
    assert "太贵了" in done.answer and done.approvals[0]["decision"] == "rejected"


def test_an_approval_given_after_it_expired_sends_nothing(home: Path) -> None:
    now = [datetime(2026, 1, 5, 9, 0, tzinfo=UTC)]
    env = build_env(home, OfflinePlanner(defaults=TINY), clock=lambda: now[0], approval_ttl_minutes=30)
    symbol, _ = cheap_member(env.data)
    waiting = env.orchestrator.ask(f"buy 100 {symbol}, ask me before ordering")
    now[0] += timedelta(minutes=31)
    done = env.orchestrator.resume(waiting.thread_id, ApprovalDecision(approve=True, by="ana"))
    assert done.approvals[0]["decision"] == "expired"
    assert env.broker.orders() == []


def test_a_new_instruction_is_refused_while_the_thread_waits_for_approval(env: GraphEnv) -> None:
    symbol, _ = cheap_member(env.data)
    waiting = env.orchestrator.ask(f"buy 100 {symbol}, ask me before ordering")
    with pytest.raises(InvalidArgumentError, match="waiting for an approval"):
        env.orchestrator.ask("show my positions", thread_id=waiting.thread_id)


def test_a_missing_quantity_is_asked_for_and_the_reply_continues_the_instruction(env: GraphEnv) -> None:
    asked = env.orchestrator.ask("buy some gold")
    assert asked.status == "needs_clarification" and "how much" in asked.answer and asked.tool_calls == []
    answered = env.orchestrator.ask("2", thread_id=asked.thread_id)
    assert [(c.name, c.args["symbol"], c.args["qty"]) for c in answered.tool_calls] == [("place_order", "GOLD", 2.0)]


def test_a_factor_instruction_goes_to_the_factor_miner(env: GraphEnv) -> None:
    result = env.orchestrator.ask('evaluate the factor "Mean($close, 5) / $close" on csi_syn')
    assert result.agent == "factor_miner"


def test_model_instruction_trains_hands_over_and_the_trader_fills_after_approval(env: GraphEnv) -> None:
    waiting = env.orchestrator.ask("Train a LightGBM model on csi_syn with custom features from 2023 to 2025, "
                                   "buy the top 5%, and ask me before ordering")
    names = [c.name for c in waiting.tool_calls]
    assert names[:4] == ["train_qlib_model", "handover", "get_account", "get_price"]
    assert waiting.status == "needs_approval" and waiting.agent == "trader"
    assert env.broker.orders() == []
    proposed = [a["order"]["symbol"] for a in waiting.approvals]
    assert "Read it with:" in waiting.answer  # the model's caveats come with the orders, before approval
    model_run = next(r for r in waiting.run_ids if r.startswith("qlib_model-"))
    saved = json.loads((env.home / "runs" / model_run / "metrics.json").read_text())
    trees, tied = saved["fit"]["n_trees"], saved["fit"]["tied_share"]
    assert ("barely learned" in waiting.answer) is (trees is not None and trees < 10), (trees, waiting.answer)
    assert ("partly a tie-break" in waiting.answer) is (tied >= 0.10), (tied, waiting.answer)
    t = saved["backtest"]["excess_t_with_cost"]
    assert ("indistinguishable from noise" in waiting.answer) is (t is not None and abs(t) < 2), (t, waiting.answer)
    if len(proposed) < 6:  # 5 % of 120 names: six picks; lots of 100 may not fit each name's budget
        assert "not the portfolio that was backtested" in waiting.answer  # said before approval, not after
    done = env.orchestrator.resume(waiting.thread_id, ApprovalDecision(approve=True, by="ana"))
    assert done.status == "done"
    assert sorted(f.symbol for f in env.broker.fills()) == sorted(proposed)
    assert sorted(f["symbol"] for f in done.fills) == sorted(proposed)
    assert "Why these stocks" in done.answer and "rank 1 of 120" in done.answer
    assert all(f"filled {int(a['order']['qty']):,}" in done.answer for a in waiting.approvals)
    assert "SYNTHETIC" in done.answer and "Information ratio".lower() in done.answer.lower()


def test_memory_is_written_after_answering_and_recalled_for_a_model_that_reads_it(home: Path, tmp_path: Path) -> None:
    from graphs.adapters import MemoryAdapter
    from memory import MemoryConfig, MemoryStore
    from memory._pending import PENDING_FILE

    store = MemoryStore(MemoryConfig(path=tmp_path / "memory"))
    env = build_env(home, OfflinePlanner(defaults=TINY), memory=MemoryAdapter(store, home / "runs"))
    first = env.orchestrator.ask("show my positions")
    # Queued on the answer's path (no Chroma opened), indexed at the next access.
    assert (tmp_path / "memory" / PENDING_FILE).read_text().count("\n") >= 1
    remembered = store.get(f"run:{Path(str(first.run_dir)).name}")
    assert "show my positions" in remembered.text and "get_account" in remembered.text
    assert (tmp_path / "memory" / PENDING_FILE).read_text() == ""
    # The offline planner reads no brief: nothing is recalled for it.
    second = env.orchestrator.ask("what are my positions now?")
    assert env.orchestrator.graph.get_state({"configurable": {"thread_id": second.thread_id}}).values["memory"] == []
    # A model that reads the brief gets the closest records first.
    import dataclasses

    from agents.llm import LLMConfig
    from graphs._bookends import prepare_node

    deps = dataclasses.replace(env.orchestrator.deps, llm=LLMConfig(backend="openai", base_url="http://127.0.0.1:9/v1"))
    third = prepare_node(deps)({"instruction": "what are my positions now?", "instruction_id": "i-3",  # type: ignore[typeddict-item]
                                "thread_id": "t-3", "earlier": []})
    assert f"run:{Path(str(first.run_dir)).name}" in [hit["id"] for hit in third["memory"]]


def test_research_asked_after_a_look_at_the_account_is_handed_on_not_dropped(env: GraphEnv) -> None:
    """The trader reads the book, then hands the backtest to the strategy advisor: every step runs."""
    result = env.orchestrator.ask("check my account, then backtest macd on gold for 2019")
    assert result.status == "done"
    names = [c.name for c in result.tool_calls]
    assert "get_account" in names and "backtest_strategy" in names
    assert names.index("get_account") < names.index("backtest_strategy")
    assert "macd" in result.answer.lower() and "equity" in result.answer.lower()


def test_a_look_at_two_markets_shows_both(env: GraphEnv) -> None:
    """One price step naming two instruments reads and reports each (it had shown only the first)."""
    result = env.orchestrator.ask("how did the Nasdaq do in the second half of 2015 vs the S&P?")
    assert result.status == "done"
    asked = [c.args.get("symbols") for c in result.tool_calls if c.name == "get_price"]
    assert asked == [["NASDAQ"], ["SP500"]]
    assert "NASDAQ" in result.answer and "SP500" in result.answer and "2015-07-01" in result.answer


def test_a_writer_in_traditional_characters_is_answered_in_traditional_characters(env: GraphEnv) -> None:
    from agents.understand._hant import _ONLY_SIMPLIFIED

    def simplified_only(text: str) -> set[str]:
        return {ch for ch in text if ch in _ONLY_SIMPLIFIED}

    symbol, _ = cheap_member(env.data)
    asked = env.orchestrator.ask("幫我買點黃金")  # Hong Kong / Taiwan writing: the size is asked, in their script
    assert asked.status == "needs_clarification" and asked.language == "zh"
    assert "數量" in asked.answer and not simplified_only(asked.answer)
    looked = env.orchestrator.ask("顯示我的持倉和帳戶餘額")
    assert looked.status == "done" and "現金" in looked.answer and not simplified_only(looked.answer)
    waiting = env.orchestrator.ask(f"買入100股{symbol}，下單之前先問我")
    assert waiting.status == "needs_approval" and not simplified_only(waiting.answer)
    simplified = env.orchestrator.ask("帮我买点黄金")  # a simplified writer's answer is untouched
    assert "数量" in simplified.answer and "數量" not in simplified.answer


def test_a_cross_that_never_traded_in_the_gfc_is_not_ranked_below_a_loss(env: GraphEnv) -> None:
    result = env.orchestrator.ask("How did a 50/200 golden cross do on the S&P during the GFC, net of 7bp costs? "
                                  "And versus buy-and-hold.")
    assert result.status == "done"
    runs = [c for c in result.tool_calls if c.name == "backtest_strategy"]
    assert len(runs) == 2 and all("2007-10-09" in str(c.args) and "2009-03-09" in str(c.args) for c in runs)
    assert "never held a position" in result.answer and "among the runs that traded" in result.answer


def test_an_order_after_a_backtest_waits_for_it_and_its_condition_is_judged_on_it(env: GraphEnv) -> None:
    """"Look at the account, backtest, and if the Sharpe is above X buy": the trader once ran the order
    before handing the backtest on (and then never did); the condition is now read off that backtest."""
    symbol, _ = cheap_member(env.data)
    never = env.orchestrator.ask(f"look at my account, then backtest rsi on {symbol} for 2023, "
                                 f"and if the Sharpe is above 50 buy 100 {symbol}")
    assert never.status == "done"
    names = [c.name for c in never.tool_calls]
    assert names.index("get_account") < names.index("backtest_strategy") and "place_order" not in names
    assert "condition did not hold" in never.answer and "not > 50.00" in never.answer
    held = env.orchestrator.ask(f"回测一下{symbol}在2023年的RSI，如果夏普大于-50就买100股{symbol}")
    assert held.status == "needs_approval" and held.language == "zh"
    assert [c.name for c in held.tool_calls][:1] == ["backtest_strategy"]
    assert "条件成立" in held.answer and "大于 -50.00" in held.answer
    assert env.broker.orders() == []
    # against the buy and hold set beside it: the strategy's Sharpe, never buy and hold's own
    versus = env.orchestrator.ask(f"backtest macd on {symbol} for 2022, compare it with buy and hold, and if its Sharpe is "
                                  f"higher buy 100 {symbol}")
    said = re.search(r"Sharpe (-?\d+\.\d+), buy and hold (-?\d+\.\d+)", versus.answer)
    assert said is not None and said.group(1) != said.group(2), versus.answer
    assert ("did not hold" in versus.answer) == (float(said.group(1)) <= float(said.group(2)))


def test_two_earlier_runs_are_looked_up_by_algorithm_and_compared_never_retrained(home: Path) -> None:
    from agents.llm import LLMConfig
    from taorui.settings import Settings
    from taorui.wiring import AppContext

    root = AppContext(settings=Settings(home=home, risk_policy_file=None, audit_anchor_dir=None), quiet=True)
    orchestrator = root.build_orchestrator(model=OfflinePlanner(defaults=TINY), llm=LLMConfig(), executor=None)
    for algo in ("ppo", "a2c"):
        assert orchestrator.ask(f"train {algo} on gold for 2024").status == "done"
    result = orchestrator.ask("how did our last A2C run on gold do, and is it better than the PPO one from before?")
    assert result.status == "done"
    assert [c.name for c in result.tool_calls] == ["search_memory", "search_memory"], result.answer  # nothing retrained
    assert "A2C on GOLD (recalled" in result.answer and "PPO on GOLD (recalled" in result.answer
    assert "Comparison" in result.answer
    missing = orchestrator.ask("what did our last TD3 run on gold return?")
    assert "no earlier TD3 run on GOLD" in missing.answer and "not what you asked for" in missing.answer


def test_two_evaluations_of_one_factor_are_compared_by_their_rank_ic(env: GraphEnv) -> None:
    result = env.orchestrator.ask("Evaluate `Mean($volume, 5)/Mean($volume, 60)` on csi_syn in the first half of 2019 and "
                                  "in the second half of 2019, then compare the halves")
    assert result.status == "done"
    assert [c.name for c in result.tool_calls].count("evaluate_factors") == 2
    assert "Comparison of the factor evaluations" in result.answer and "Newey-West t" in result.answer
    assert "2019-07-01" in result.answer and "not two finished results" not in result.answer


def test_a_parameter_search_answer_names_the_cost_and_grid_as_asked(env: GraphEnv) -> None:
    """The search's answer is composed on a later pass than its call: what was said is named there too."""
    result = env.orchestrator.ask("Sweep RSI period 7/14/21 on NASDAQ 2003-2012, then let me see what the winner does "
                                  "on 2013-2018 at 2bp")
    assert result.status == "done" and "Parameter search" in result.answer
    asked = result.answer.split("As you asked:", 1)[1].split("\n", 1)[0]
    assert "commission 2 bp" in asked and "period in [7, 14, 21]" in asked and "test (out of sample) 2013" in asked


def test_the_better_of_two_evaluated_factors_is_backtested_as_a_signal_out_of_sample(env: GraphEnv) -> None:
    """"Evaluate these two, then backtest the better one": the miner's evaluation is handed over, the advisor
    backtests the factor with the strongest Rank ICIR on the later window, with its sign and the stated cost."""
    result = env.orchestrator.ask("先评估这两个因子：Corr($close, $volume, 10) 和 Std($close,20)/Mean($close,20)，用2020到2022年"
                                  "的数据，然后用更好的那个在csi_syn上做信号回测，区间2023到2025年，佣金万三")
    assert result.status == "done" and result.language == "zh"
    assert [c.name for c in result.tool_calls if c.name in ("evaluate_factors", "backtest_signal")] == [
        "evaluate_factors", "backtest_signal"]
    ranked = re.findall(r"^- `([^`]+)`：IC (-?[\d.]+)", result.answer, re.M)  # the evaluation, strongest |Rank ICIR| first
    best, ic = ranked[0]
    call = next(c for c in result.tool_calls if c.name == "backtest_signal")
    assert call.args["expression"] == (f"-1 * ({best})" if float(ic) < 0 else best)
    assert call.args["start"] == "2023-01-01" and call.args["open_cost"] == pytest.approx(0.0003)
    assert "信号做了回测" in result.answer and "等权基准" in result.answer and "样本内" not in result.answer
