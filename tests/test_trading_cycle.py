"""The trading cycle end to end on real components: the sample store, a LightGBM model trained
by Qlib, the paper broker behind the gate, the SQLite checkpointer, the event bus and journal.

The year replay is the issue's acceptance: a year of csi_syn in semi-auto mode, every number
of its report recomputed here from the journal and the store alone, and no trade on day t
using data after t.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from graphs.trading import CycleDecision, GatePending, PersonPending, TradingDesk
from graphs.trading._text import explanation_text, report_text
from taorui.settings import Settings
from taorui.wiring import AppContext
from taorui_engines.data import DataCenter
from taorui_engines.data._models import Provenance
from taorui_engines.errors import InvalidArgumentError, InvalidInputError
from taorui_engines.qlib_engine import TrainConfig, train_model
from taorui_engines.qlib_engine._score import load_model_scores
from taorui_engines.trading import (
    FactorStrategy,
    LiveSchedule,
    LookAheadError,
    OrderFilled,
    PointInTimeData,
    PortfolioSpec,
    QlibModelStrategy,
    SignalProduced,
    TradingMode,
)

PLANTED = ("Ref($close,5)/$close-1", "Mean($volume,5)/Mean($volume,60)", "Std($close/Ref($close,1)-1,20)")
YEAR = (date(2022, 1, 3), date(2022, 12, 30))


def _linked_home(tmp: Path, sample_data_dir: Path) -> Path:
    home = tmp / "home"
    home.mkdir()
    subprocess.run(["cp", "-al", str(sample_data_dir), str(home / "data")], check=True)
    return home


def _desk(home: Path) -> TradingDesk:
    return AppContext(settings=Settings(home=home), quiet=True).trading_desk


def _spec(name: str, strategy: Any, mode: TradingMode, cash: float = 100_000.0) -> PortfolioSpec:
    return PortfolioSpec(name=name, strategy=strategy, mode=mode, initial_cash=cash, created=datetime.now(UTC),
                         created_by="tester")


@pytest.fixture(scope="module")
def model_home(tmp_path_factory: pytest.TempPathFactory, sample_data_dir: Path) -> tuple[Path, str]:
    """A home with a LightGBM model trained on the planted csi_syn signals (train 2019-2020, valid 2021H1)."""
    home = _linked_home(tmp_path_factory.mktemp("trade"), sample_data_dir)
    config = TrainConfig(model="lightgbm", features="custom", expressions=PLANTED, universe="csi_syn", backtest=None,
                         train=("2019-01-01", "2020-12-31"), valid=("2021-01-01", "2021-06-30"),
                         test=("2021-07-01", "2021-12-31"))
    result = train_model(DataCenter(home / "data"), config, home / "runs")
    return home, result.run_id


def _replay(desk: TradingDesk, name: str, start: date, end: date, approver: str = "ana") -> Any:
    """Run the window; whenever a day waits for a person, the person approves and the run goes on."""
    result = desk.run(name, start, end)
    rounds = 0
    while result.paused_on is not None:
        rounds += 1
        assert rounds < 400
        assert all(isinstance(p, GatePending) for p in result.pending)  # semi-auto: only the gate asks
        desk.decide(name, CycleDecision(approve=True, by=approver, reason="looks right"))
        result = desk.run(name, start, end)
    return result


@pytest.fixture(scope="module")
def year(model_home: tuple[Path, str]) -> tuple[TradingDesk, Any, Path]:
    home, run_id = model_home
    desk = _desk(home)
    desk.create(_spec("lgb_year", QlibModelStrategy(run_id=run_id), TradingMode.SEMI_AUTO))
    return desk, _replay(desk, "lgb_year", *YEAR), home


@pytest.mark.slow
def test_a_year_of_semi_auto_replay_finishes_with_every_session_run(year: tuple[TradingDesk, Any, Path]) -> None:
    desk, result, home = year
    sessions = DataCenter(home / "data").calendar("synthetic", YEAR[0].isoformat(), YEAR[1].isoformat())
    report = result.report
    assert report.days == len(sessions) == 260 and result.paused_on is None
    assert report.orders_sent > 100 and report.fills > 100
    assert report.first_day == YEAR[0] and report.last_day == YEAR[1]
    assert report.picture and Path(report.picture).is_file()
    assert desk.gate("lgb_year").verify().ok


@pytest.mark.slow
def test_the_report_agrees_with_an_independent_recomputation_from_the_journal(
        year: tuple[TradingDesk, Any, Path]) -> None:
    desk, result, home = year
    report, journal = result.report, desk.journal("lgb_year")
    data = DataCenter(home / "data")
    fills = pd.DataFrame([f.model_dump() for f in journal.fills()])
    days = [d.day for d in journal.days()]
    symbols = sorted(fills["symbol"].unique())
    closes = data.get_price(symbols, days[0].isoformat(), days[-1].isoformat(), fields=["close"])
    closes = closes.pivot(index="date", columns="symbol", values="close")
    closes.index = [d.date() for d in pd.to_datetime(closes.index)]
    cash, held, values = 100_000.0, dict.fromkeys(symbols, 0.0), []
    by_day = {d: g for d, g in fills.groupby("day")}
    for day in days:
        for f in by_day.get(day, pd.DataFrame()).itertuples():
            sign = 1.0 if f.side == "buy" else -1.0
            cash -= sign * f.qty * f.price + f.commission
            held[f.symbol] += sign * f.qty
        values.append(cash + sum(q * closes.at[day, s] for s, q in held.items() if q))
    journalled = [d.value for d in journal.days()]
    np.testing.assert_allclose(values, journalled, rtol=1e-9)
    assert report.final_value == pytest.approx(values[-1], rel=1e-9)
    assert report.pnl_after_costs == pytest.approx(values[-1] - 100_000.0, rel=1e-9)
    assert report.commissions == pytest.approx(fills["commission"].sum(), rel=1e-12)
    assert report.pnl_before_costs == pytest.approx(report.pnl_after_costs + report.commissions, rel=1e-12)
    equity = np.array([100_000.0, *values])
    assert report.total_return == pytest.approx(equity[-1] / equity[0] - 1, rel=1e-12)
    assert report.max_drawdown == pytest.approx(float(np.min(equity / np.maximum.accumulate(equity) - 1)), abs=1e-12)
    assert report.max_drawdown <= 0
    assert {s: q for s, q in held.items() if q} == {s: q for s, (q, _) in report.positions.items()}
    assert report.benchmark_return is not None and "equal-weight" in report.benchmark


@pytest.mark.slow
def test_no_trade_on_day_t_used_data_after_t(year: tuple[TradingDesk, Any, Path]) -> None:
    desk, _, _ = year
    bus = desk.bus("lgb_year")
    signals = [e for e in bus.events(types=("signal_produced",)) if isinstance(e, SignalProduced)]
    assert len(signals) == 260 and all(s.data_through <= s.day for s in signals)
    decided_on = {d.key: d.day for d in desk.journal("lgb_year").decisions()}
    for fill in (e for e in bus.events(types=("order_filled",)) if isinstance(e, OrderFilled)):
        assert fill.fill_time.date() > decided_on[fill.key]  # decided after day t's close, filled at a later open


@pytest.mark.slow
def test_a_days_model_scores_are_the_same_from_a_store_cut_at_that_day(model_home: tuple[Path, str],
                                                                      tmp_path: Path) -> None:
    home, run_id = model_home
    full = DataCenter(home / "data")
    members = list(full.universes()["csi_syn"].members)
    window = load_model_scores(full, home / "runs", run_id, *YEAR)
    for cut_day in (date(2022, 3, 15), date(2022, 9, 1)):
        bars = full.get_price(members, "2018-06-01", cut_day.isoformat())
        frames = {s: g.drop(columns=["symbol"]).reset_index(drop=True) for s, g in bars.groupby("symbol")}
        cut = DataCenter(tmp_path / f"cut{cut_day:%m}")
        cut.ingest_frames(frames, "synthetic", Provenance(source="cut", synthetic=True, notes="SYNTHETIC, cut"),
                          universe="csi_syn", region="cn")
        alone = load_model_scores(cut, home / "runs", run_id, cut_day, cut_day)
        assert cut.calendar("synthetic")[-1].date() == cut_day
        a, b = window.day(cut_day), alone.day(cut_day)
        assert a and set(a) == set(b)
        np.testing.assert_allclose([a[s] for s in sorted(a)], [b[s] for s in sorted(a)], rtol=1e-9, atol=1e-12)


@pytest.mark.slow
def test_why_did_the_model_buy_these_is_answered_from_the_models_own_contributions(
        year: tuple[TradingDesk, Any, Path], model_home: tuple[Path, str]) -> None:
    desk, _, home = year
    items = desk.explain("lgb_year", date(2022, 6, 1))
    assert 1 <= len(items) <= 6 and all(i.selected and i.rank is not None and i.rank <= 6 for i in items)
    scores = load_model_scores(DataCenter(home / "data"), home / "runs", model_home[1], date(2022, 6, 1),
                               date(2022, 6, 1))
    first = items[0]
    row = scores.frame.loc[(pd.Timestamp("2022-06-01"), first.symbol)].to_numpy(dtype="float64").reshape(1, -1)
    contrib = scores.booster.predict(np.nan_to_num(row), pred_contrib=True)[0]
    assert contrib.sum() == pytest.approx(first.score, rel=1e-6)  # contributions add up to the score
    assert [d[0] for d in first.drivers] == [scores.frame.columns[i] for i in np.argsort(-np.abs(contrib[:-1]))[:3]]
    zh = explanation_text(items, "zh")
    assert "主要因素" in zh and first.symbol in zh and "pred_contrib" in zh
    one = desk.explain("lgb_year", date(2022, 6, 1), symbol="SYN000")[0]  # a name that was not picked
    assert one.symbol == "SYN000" and one.drivers


def test_supervised_mode_asks_a_person_for_every_order_and_a_rejection_sends_nothing(home: Path) -> None:
    desk = _desk(home)
    desk.create(_spec("sup", FactorStrategy(expression="Ref($close,5)/$close-1"), TradingMode.SUPERVISED, 100_000.0))
    first = desk.run("sup", date(2024, 1, 2), date(2024, 1, 4))
    assert first.paused_on == date(2024, 1, 2) and first.days_run == [date(2024, 1, 2)]
    assert first.pending and all(isinstance(p, PersonPending) for p in first.pending)
    gate = desk.gate("sup")
    assert gate.account().open_orders == ()  # nothing proposed before the person decides
    with pytest.raises(InvalidArgumentError, match="unfinished day"):
        desk.run("sup", date(2024, 1, 3), date(2024, 1, 4))
    desk.decide("sup", CycleDecision(approve=False, by="ana", reason="not today"))
    decisions = desk.journal("sup").decisions(date(2024, 1, 2))
    assert decisions and {d.decision for d in decisions} == {"rejected_by_person"}
    assert gate.fills() == [] and gate.account().open_orders == ()
    second = desk.run("sup", date(2024, 1, 2), date(2024, 1, 4))
    assert second.paused_on == date(2024, 1, 3) and second.already_done == 1
    keep = second.pending[0].intent.key
    desk.decide("sup", CycleDecision(approve=False, by="ana", reason="only the first", orders={keep: True}))
    assert {d.key for d in desk.journal("sup").decisions(date(2024, 1, 3)) if d.decision == "approved"} == {keep}
    desk.run("sup", date(2024, 1, 4), date(2024, 1, 4))
    fills = gate.fills()
    assert [f.order_key for f in fills] == [keep] and fills[0].time.date() == date(2024, 1, 4)
    assert gate.verify().ok


def test_dry_run_proposes_and_checks_but_sends_nothing(home: Path) -> None:
    desk = _desk(home)
    desk.create(_spec("dry", FactorStrategy(expression="-Std($close/Ref($close,1)-1,20)"), TradingMode.DRY_RUN,
                      100_000.0))
    result = desk.run("dry", date(2024, 2, 1), date(2024, 2, 5))
    assert result.paused_on is None and result.report.days == 3
    decisions = desk.journal("dry").decisions()
    assert decisions and {d.decision for d in decisions} == {"proposed_only"}
    assert all(d.reasons[0]["code"] == "dry_run" for d in decisions)
    assert desk.gate("dry").fills() == [] and desk.status("dry").value == 100_000.0
    kinds = [r.kind.value for r in desk.gate("dry").audit_log.records()]
    assert "check" in kinds and "submission" not in kinds


def test_a_run_may_only_tighten_the_mode_and_a_replay_cannot_go_back(home: Path) -> None:
    desk = _desk(home)
    desk.create(_spec("semi", FactorStrategy(expression="Ref($close,5)/$close-1"), TradingMode.SEMI_AUTO, 100_000.0))
    run = desk.run("semi", date(2024, 3, 1), date(2024, 3, 1), ask_mode=TradingMode.DRY_RUN)
    assert run.mode == "dry-run" and {d.decision for d in desk.journal("semi").decisions()} == {"proposed_only"}
    with pytest.raises(InvalidArgumentError, match="cannot go back"):
        desk.run("semi", date(2024, 2, 1), date(2024, 2, 2))
    with pytest.raises(InvalidArgumentError, match="exists with another setup"):
        desk.create(_spec("semi", FactorStrategy(expression="$close"), TradingMode.SEMI_AUTO, 100_000.0))


def test_a_point_in_time_view_refuses_to_read_after_its_day(data_center: DataCenter) -> None:
    view = PointInTimeData(data_center, date(2024, 3, 1))
    with pytest.raises(LookAheadError, match="look-ahead"):
        view.get_price("SYN001", "2024-02-01", "2024-03-04")
    bars = view.get_price("SYN001", "2024-02-01", "2024-03-01")
    assert view.newest == date(2024, 3, 1) and bars["date"].max() == pd.Timestamp("2024-03-01")


def test_the_live_schedule_follows_the_exchange_calendar_and_says_how_stale_the_store_is(
        data_center: DataCenter) -> None:
    us = LiveSchedule(data_center, "us")
    thanksgiving = datetime(2026, 11, 26, 22, 0, tzinfo=UTC)
    assert us.latest_session(thanksgiving) == date(2026, 11, 25)  # NYSE closed on Thanksgiving
    assert us.latest_session(datetime(2026, 11, 27, 17, 0, tzinfo=UTC)) == date(2026, 11, 25)  # half day still open
    assert us.latest_session(datetime(2026, 11, 27, 19, 0, tzinfo=UTC)) == date(2026, 11, 27)  # closed 13:00 ET
    plan = us.plan(thanksgiving)
    assert plan.day == data_center.calendar("us")[-1].date() and plan.lag_sessions > 1000 and "behind" in plan.note
    assert us.next_run(thanksgiving) == datetime(2026, 11, 27, 18, 5, tzinfo=UTC)  # the half day's 13:00 ET close
    assert us.next_run(datetime(2026, 11, 27, 19, 0, tzinfo=UTC)) == datetime(2026, 11, 30, 21, 5, tzinfo=UTC)
    assert LiveSchedule(data_center, "synthetic").next_run(thanksgiving) is None
    syn = LiveSchedule(data_center, "synthetic").plan(thanksgiving)
    assert syn.exchange is None and syn.day == date(2025, 12, 31) and "last bar" in syn.note


def test_the_report_reads_in_chinese_for_a_chinese_reader(home: Path) -> None:
    desk = _desk(home)
    desk.create(_spec("zh", FactorStrategy(expression="Ref($close,5)/$close-1"), TradingMode.SEMI_AUTO, 100_000.0))
    report = _replay(desk, "zh", date(2024, 1, 2), date(2024, 1, 10)).report
    text = report_text(report, "zh")
    assert "扣费后盈亏" in text and "基准" in text and "合成数据" in text
    prose = re.sub(r"\S*/\S*", " ", text)  # file paths and the formula are code, not prose (their length varies by host)
    latin = sum(c.isascii() and c.isalpha() for c in prose) / max(1, sum(not c.isspace() for c in prose))
    assert latin < 0.25, text
    assert report.picture and os.path.isfile(report.picture)
    shutil.rmtree(desk.folder("zh"))


@pytest.mark.slow
def test_an_rl_policy_drives_the_cycle_with_its_target_weights_and_its_inputs_explain_it(home: Path) -> None:
    from taorui_engines.rl import RLTrainRequest, train_agent
    from taorui_engines.rl._models import DateSpan
    from taorui_engines.trading import Construction, RLPolicyStrategy

    trained = train_agent(DataCenter(home / "data"), home / "runs",
                          RLTrainRequest(assets=("GOLD",), algo="ppo", timesteps=300, seed=3,
                                         train=DateSpan(start=date(2020, 1, 1), end=date(2023, 12, 31)),
                                         test=DateSpan(start=date(2024, 1, 1), end=date(2024, 12, 31))))
    desk = _desk(home)
    spec = _spec("gold_rl", RLPolicyStrategy(run_id=trained.run_id), TradingMode.SEMI_AUTO)
    desk.create(spec.model_copy(update={"construction": Construction(max_weight=1.0, lot_size=1)}))
    result = _replay(desk, "gold_rl", date(2025, 1, 2), date(2025, 1, 10))
    assert result.report.days == 7 and result.paused_on is None
    signals = [e for e in desk.bus("gold_rl").events(types=("signal_produced",)) if isinstance(e, SignalProduced)]
    assert all(s.target_weights is not None and set(s.target_weights) == {"GOLD"} for s in signals)
    assert all(s.data_through <= s.day for s in signals)
    # The policy's inputs explain its action (picked that day or not), largest first.
    items = desk.explain("gold_rl", signals[2].day, symbol="GOLD")
    drivers = items[0].drivers
    assert items[0].symbol == "GOLD" and len(drivers) == 5 and "policy" in items[0].method
    assert {d[0] for d in drivers} <= {"macd", "boll_ub", "boll_lb", "rsi_30", "cci_30", "dx_30", "close_30_sma",
                                       "close_60_sma"}
    assert [abs(d[1]) for d in drivers] == sorted((abs(d[1]) for d in drivers), reverse=True)
    weights = [(s.target_weights or {}).get("GOLD", 0.0) for s in signals]
    held = [d.positions.get("GOLD", (0.0, 0.0))[0] for d in desk.journal("gold_rl").days()]
    assert all(w >= 0 for w in weights) and (max(weights) == 0 or max(held) > 0)
    with pytest.raises(InvalidArgumentError, match="in-sample"):
        other = _spec("gold_rl_early", RLPolicyStrategy(run_id=trained.run_id), TradingMode.DRY_RUN)
        desk.create(other)
        desk.run("gold_rl_early", date(2023, 6, 1), date(2023, 6, 2))


def test_bad_input_leaves_no_portfolio_behind_and_names_cannot_leave_the_folder(home: Path) -> None:
    desk = _desk(home)
    spec = _spec("fresh", FactorStrategy(expression="Ref($close,5)/$close-1"), TradingMode.SEMI_AUTO)
    with pytest.raises(InvalidInputError, match="no sessions"):
        desk.create(spec, window=(date(2031, 1, 2), date(2031, 1, 5)))
    with pytest.raises(InvalidArgumentError, match="not valid YAML"):
        desk.create(spec, policy_text="orders: [", window=(date(2024, 1, 2), date(2024, 1, 5)))
    with pytest.raises(InvalidInputError):
        desk.create(_spec("bad", FactorStrategy(expression="Ref($close,-5)"), TradingMode.SEMI_AUTO))  # the future
    assert desk.names() == [] and not desk.folder("fresh").exists()
    for hostile in ("../../etc", "a/b", "", ".hidden", "x" * 60):
        with pytest.raises(InvalidArgumentError, match="portfolio name"):
            desk.status(hostile)
