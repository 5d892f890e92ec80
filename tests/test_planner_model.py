"""The offline planner as a chat model: real tool calls, answers from tool results."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from agents import Brief, CatalogEntry, control_schema, load_prompt, render_brief
from agents.planner import OfflinePlanner, PlannerDefaults

CATALOG = (
    CatalogEntry(name="GOLD", kind="instrument", market="synthetic", start="2006-01-02", end="2025-12-31",
                 synthetic=True, source="synthetic"),
    CatalogEntry(name="SP500", kind="instrument", market="us", start="1999-01-04", end="2018-12-31",
                 synthetic=False, source="arch"),
    CatalogEntry(name="csi_syn", kind="universe", market="synthetic", start="2016-01-01", end="2025-12-31",
                 synthetic=True, members=120, lot_size=100),
    CatalogEntry(name="SYN001", kind="instrument", market="synthetic", start="2016-01-01", end="2025-12-31",
                 synthetic=True, lot_size=100),
    CatalogEntry(name="SYN002", kind="instrument", market="synthetic", start="2016-01-01", end="2025-12-31",
                 synthetic=True, lot_size=100),
)


def _schema(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "description": name,
                                             "parameters": {"type": "object", "properties": {}}}}


def _start(role: str, instruction: str, handover: dict[str, Any] | None = None) -> list[BaseMessage]:
    brief = Brief(instruction=instruction, language="zh" if any("\u4e00" <= c <= "\u9fff" for c in instruction) else "en",
                  role=role, catalog=CATALOG, handover=handover)
    return [SystemMessage(content=load_prompt(role)), HumanMessage(content=render_brief(brief))]


def _turn(planner: OfflinePlanner, messages: list[BaseMessage], tools: list[dict[str, Any]]) -> AIMessage:
    reply = planner.bind_tools(tools).invoke(messages) if tools else planner.invoke(messages)
    assert isinstance(reply, AIMessage)
    return reply


def _answer_tool(messages: list[BaseMessage], reply: AIMessage, result: dict[str, Any], ok: bool = True) -> None:
    messages.append(reply)
    for call in reply.tool_calls:
        body = {"ok": ok, "result": result} if ok else {"ok": False, "error": result}
        messages.append(ToolMessage(content=json.dumps(body), tool_call_id=call["id"], name=call["name"]))


RL_RESULT = {
    "run_id": "rl-1", "algo": "ppo", "asset": "GOLD", "synthetic": True, "costs": "0.10% per side",
    "train": {"start": "2021-01-01", "end": "2024-12-31"}, "test": {"start": "2025-01-01", "end": "2025-12-31"},
    "metrics": {"cumulative_return": 0.081, "annualized_return": 0.08, "sharpe": 0.91, "max_drawdown": -0.063},
    "benchmark": {"cumulative_return": 0.052, "annualized_return": 0.05, "sharpe": 0.45, "max_drawdown": -0.098},
    "next_action": {"date": "2025-12-31", "direction": "long", "position": 3, "change": 1, "unit": "lots",
                    "rationale": "MACD above signal", "for_period": "next trading day at the open",
                    "legs": [{"symbol": "GOLD", "position": 3, "current": 2, "change": 1, "direction": "long",
                              "target_weight": 0.3}],
                    "observation": {"GOLD": {"close": 1023.9, "macd": -10.77, "rsi_30": 43.4}},
                    "backtest": {"run_id": "rl-1", "algo": "ppo", "train": {"start": "2021-01-01", "end": "2024-12-31"},
                                 "test": {"start": "2025-01-01", "end": "2025-12-31"}, "sharpe": 0.91,
                                 "benchmark_sharpe": 0.45, "cumulative_return": 0.081,
                                 "benchmark_cumulative_return": 0.052, "max_drawdown": -0.063},
                    "synthetic": True},
}


def test_supervisor_routes_a_research_instruction_with_a_real_tool_call() -> None:
    reply = _turn(OfflinePlanner(), _start("supervisor", "Train a PPO agent on gold"),
                  [control_schema("route_to_agent"), control_schema("ask_user")])
    assert reply.tool_calls[0]["name"] == "route_to_agent"
    assert reply.tool_calls[0]["args"]["agent"] == "strategy_advisor"


def test_supervisor_asks_one_question_when_the_quantity_is_missing() -> None:
    reply = _turn(OfflinePlanner(), _start("supervisor", "买一点黄金"),
                  [control_schema("route_to_agent"), control_schema("ask_user")])
    assert [c["name"] for c in reply.tool_calls] == ["ask_user"]
    assert "数量" in reply.tool_calls[0]["args"]["question"]


def test_advisor_trains_on_the_last_five_years_of_the_store_split_by_time() -> None:
    reply = _turn(OfflinePlanner(defaults=PlannerDefaults(rl_timesteps=300)),
                  _start("strategy_advisor", "用最近5年黄金价格训练一个强化学习策略，并给出下周操作建议"),
                  [_schema("train_rl_agent"), _schema("rl_next_action")])
    call = reply.tool_calls[0]
    assert call["name"] == "train_rl_agent"
    assert call["args"]["asset"] == "GOLD" and call["args"]["timesteps"] == 300
    assert call["args"]["train"] == {"start": "2021-01-01", "end": "2024-12-31"}
    assert call["args"]["test"] == {"start": "2025-01-01", "end": "2025-12-31"}


def test_advisor_answers_in_chinese_with_metrics_suggestion_and_the_synthetic_warning() -> None:
    planner = OfflinePlanner()
    messages = _start("strategy_advisor", "用最近5年黄金价格训练一个强化学习策略，并给出下周操作建议")
    tools = [_schema("train_rl_agent"), _schema("rl_next_action")]
    _answer_tool(messages, _turn(planner, messages, tools), RL_RESULT)
    answer = str(_turn(planner, messages, tools).content)
    assert "夏普" in answer and "0.91" in answer and "0.45" in answer
    assert "下周建议" in answer and "做多" in answer and "MACD above signal" not in answer
    assert "理由" in answer and "目标仓位 3 手" in answer and "收盘价 1023.90" in answer and "无法解释" in answer
    assert "合成数据" in answer
    assert "算法 PPO（未指定）" in answer  # the default it took is stated


def test_advisor_answers_in_english_for_an_english_instruction() -> None:
    planner = OfflinePlanner()
    messages = _start("strategy_advisor", "Train an RL strategy on the last 5 years of gold and suggest next week")
    tools = [_schema("train_rl_agent")]
    _answer_tool(messages, _turn(planner, messages, tools), RL_RESULT)
    answer = str(_turn(planner, messages, tools).content)
    assert "buy and hold" in answer and "SYNTHETIC" in answer and "next week" in answer


def test_a_failed_tool_is_reported_and_nothing_else_is_called() -> None:
    planner = OfflinePlanner()
    messages = _start("strategy_advisor", "train ppo on gold")
    tools = [_schema("train_rl_agent"), _schema("rl_next_action")]
    _answer_tool(messages, _turn(planner, messages, tools), {"type": "InvalidArgument", "message": "timesteps: too small"},
                 ok=False)
    reply = _turn(planner, messages, tools)
    assert reply.tool_calls == []
    assert "train_rl_agent failed" in str(reply.content) and "timesteps: too small" in str(reply.content)


def test_without_bound_tools_the_planner_answers_instead_of_calling() -> None:
    reply = _turn(OfflinePlanner(), _start("strategy_advisor", "train ppo on gold"), [])
    assert reply.tool_calls == [] and "train_rl_agent" in str(reply.content)


def test_trader_sizes_orders_from_a_handover_signal_in_whole_lots() -> None:
    handover = {"from": "strategy_advisor", "to": "trader", "note": "model trained", "run_id": "qlib-1",
                "payload": {"selection": {"top_pct": 2}, "signal": {"scores": {"SYN001": 0.9, "SYN002": 0.1}}}}
    planner = OfflinePlanner(defaults=PlannerDefaults(trade_budget_pct=50))
    messages = _start("trader", "Train a LightGBM model on csi_syn, buy the top 2%", handover)
    tools = [_schema("get_account"), _schema("get_price"), _schema("place_order")]
    _answer_tool(messages, _turn(planner, messages, tools), {"equity": 100_000.0, "cash": 100_000.0, "positions": []})
    price_call = _turn(planner, messages, tools)
    assert price_call.tool_calls[0]["args"]["symbols"] == ["SYN001", "SYN002"][:1]
    _answer_tool(messages, price_call, {"rows": [{"date": "2025-12-31", "symbol": "SYN001", "close": 120.0}]})
    orders = _turn(planner, messages, tools)
    assert [(c["name"], c["args"]) for c in orders.tool_calls] == [
        ("place_order", {"symbol": "SYN001", "side": "buy", "qty": 400.0})]  # 50k / 120 -> 416 -> 4 lots


def test_advisor_backtests_the_same_selection_the_person_asked_to_buy() -> None:
    tools = [_schema("train_qlib_model"), _schema("backtest_signal")]

    top_pct = _turn(OfflinePlanner(), _start("strategy_advisor", "Train a LightGBM model on csi_syn, buy the top 5%"), tools)
    top_k = _turn(OfflinePlanner(), _start("strategy_advisor", "Train a LightGBM model on csi_syn and buy the top 3 stocks"), tools)
    plain = _turn(OfflinePlanner(), _start("strategy_advisor", "Train a LightGBM model on csi_syn"), tools)

    assert top_pct.tool_calls[0]["args"]["topk"] == 6  # ceil(120 members x 5%)
    assert top_k.tool_calls[0]["args"]["topk"] == 3
    assert plain.tool_calls[0]["args"]["topk"] == PlannerDefaults().topk_backtest


def test_a_sharpe_gap_inside_its_standard_error_is_called_noise_not_a_win() -> None:
    """One year out of sample cannot tell Sharpe -0.73 from -0.74 (standard error about 1)."""
    from agents.planner._advisor import _verdict

    year = {"n_days": 252, "exposure": 0.98}
    close = _verdict("en", {"sharpe": -0.73, **year}, {"sharpe": -0.74})
    assert "cannot be told apart" in close and "beat" not in close and "98.0%" in close
    assert "无法区分" in _verdict("zh", {"sharpe": -0.73, **year}, {"sharpe": -0.74})
    ten_years = {"n_days": 2520}
    clear = _verdict("en", {"sharpe": 1.6, **ten_years}, {"sharpe": 0.2})
    assert "beat buy and hold" in clear and "standard error" in clear


def test_a_failed_training_stops_the_instruction_before_any_order_step() -> None:
    """'train ..., then buy the top 3': the training failed, so nothing is handed to the trader."""
    planner = OfflinePlanner()
    messages = _start("strategy_advisor", "Train a LightGBM model on csi_syn and buy the top 3 stocks")
    tools = [_schema("train_qlib_model"), _schema("backtest_signal"), _schema("handover")]
    _answer_tool(messages, _turn(planner, messages, tools), {"type": "InvalidArgument", "message": "window refused"},
                 ok=False)
    reply = _turn(planner, messages, tools)
    assert reply.tool_calls == []
    assert "train_qlib_model failed" in str(reply.content) and "Nothing after it was run" in str(reply.content)


def test_a_stated_hold_out_alone_trains_on_the_data_before_it() -> None:
    """"hold out 2024 onwards": the test is 2024 to the data's end and the training side follows
    from the data's start (the bank's convention); the tool carves its validation window from
    the end of train and says so in its notes."""
    tools = [_schema("train_qlib_model"), _schema("backtest_signal")]
    call = _turn(OfflinePlanner(), _start("strategy_advisor", "Train a LightGBM model on csi_syn, hold out 2024 onwards"),
                 tools).tool_calls[0]["args"]
    assert call["test"] == {"start": "2024-01-01", "end": "2025-12-31"}
    assert call["train"]["start"] <= "2016-01-04" and "2023-12-01" < call["train"]["end"] < "2024-01-01"
    assert "valid" not in call or call["valid"]["end"] < "2024-01-01"
