"""Retrieval quality on a small labelled set: 30 runs, factors and strategies, 10 questions
asked in other words, in English and in Chinese.

The bar is the issue's: the right record in the top 3 for at least 9 of 10 questions. The
embedding model is English-first: raw, it places 4 of the 10 Chinese questions; with the
store's glossary bridge (on by default, ``MemoryConfig.bilingual``) it places all 10. Both
figures are in docs/memory.md; the last test here keeps the raw one visible.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest

from memory import (
    FactorRecord,
    MemoryConfig,
    MemoryRecord,
    MemoryStore,
    RunRecord,
    StrategyRecord,
)

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def _run(n: int, run_kind: str, state: Literal["done", "failed"], instruction: str, config: dict[str, object],
         metrics: dict[str, float], error: str | None = None) -> RunRecord:
    return RunRecord(run_id=f"{run_kind}-20250301T0000{n:02d}-a{n:05d}", run_kind=run_kind,
                     state=state, error=error, instruction=instruction, agent="strategy_advisor",
                     config=config, metrics=metrics, started=T0 + timedelta(hours=n))  # type: ignore[arg-type]


def _factor(name: str, expression: str, description: str, status: str, rank_icir: float,
            reason: str, universe: str = "csi_syn") -> FactorRecord:
    return FactorRecord(name=name, expression=expression, description=description, universe=universe,
                        start=date(2018, 1, 1), end=date(2022, 12, 31), horizon=5, rank_ic=rank_icir / 12,
                        rank_icir=rank_icir, status=status, reason=reason, created=T0)  # type: ignore[arg-type]


RUNS = {
    "gold_ppo": _run(1, "train_rl", "done", "train a gold RL strategy on the last five years",
                     {"symbol": "GOLD", "algo": "ppo", "start": "2019-01-01", "end": "2024-12-31",
                      "timesteps": 50000}, {"sharpe": 1.12, "annual_return": 0.141, "max_drawdown": -0.18}),
    "oil_a2c_failed": _run(2, "train_rl", "failed", "train an A2C agent on WTI",
                           {"symbol": "WTI", "algo": "a2c", "start": "2010-01-01", "end": "2018-12-31"}, {},
                           error="reward became NaN at step 2048; check the price series for gaps"),
    "sp500_sma": _run(3, "backtest", "done", "backtest a moving average crossover on the S&P 500",
                      {"symbol": "SP500", "strategy": "sma_cross", "fast": 20, "slow": 100},
                      {"sharpe": 0.61, "annual_return": 0.072, "max_drawdown": -0.21}),
    "csi_lgbm": _run(4, "train_model", "done", "train a LightGBM model on Alpha158 for csi_syn",
                     {"universe": "csi_syn", "model": "lightgbm", "features": "Alpha158"},
                     {"ic": 0.041, "rank_ic": 0.052, "annual_excess_return": 0.083}),
    "mine_mom": _run(5, "factor_mining", "done", "mine three momentum factors on the sample universe",
                     {"universe": "csi_syn", "family": "momentum", "count": 3}, {"accepted": 2, "rejected": 1}),
    "nasdaq_rsi": _run(6, "backtest", "done", "backtest an RSI mean reversion rule on the NASDAQ",
                       {"symbol": "NASDAQ", "strategy": "rsi_reversion", "period": 14},
                       {"sharpe": 0.35, "annual_return": 0.041}),
    "gold_sac": _run(7, "train_rl", "done", "try SAC on gold with a smaller learning rate",
                     {"symbol": "GOLD", "algo": "sac", "learning_rate": 0.0001},
                     {"sharpe": 0.42, "max_drawdown": -0.31}),
    "wti_bollinger": _run(8, "backtest", "done", "backtest a Bollinger band breakout on crude oil",
                          {"symbol": "WTI", "strategy": "bollinger_breakout", "window": 20, "width": 2},
                          {"sharpe": 0.28, "annual_return": 0.035}),
    "qlib_no_bench": _run(9, "train_model", "failed", "train a qlib model and backtest it on csi_syn",
                          {"universe": "csi_syn", "model": "lightgbm", "benchmark": "SH000300"}, {},
                          error="benchmark SH000300 is not in the store; pass a benchmark that exists"),
    "gold_cycle": _run(10, "trading_cycle", "done", "run today's trading cycle on gold, ask before orders",
                       {"symbol": "GOLD", "broker": "paper"}, {"orders": 2, "approved": 1}),
    "sp500_hold": _run(11, "backtest", "done", "buy and hold the S&P 500 as a benchmark",
                       {"symbol": "SP500", "strategy": "buy_and_hold"}, {"sharpe": 0.48, "annual_return": 0.064}),
    "csi_ppo": _run(12, "train_rl", "done", "train a PPO portfolio over the synthetic stocks",
                    {"universe": "csi_syn", "algo": "ppo", "timesteps": 100000},
                    {"sharpe": 0.77, "annual_return": 0.096}),
    "lr_sweep": _run(13, "sweep", "done", "sweep the learning rate of the gold PPO agent",
                     {"symbol": "GOLD", "algo": "ppo", "learning_rates": [0.0001, 0.0003, 0.001]},
                     {"best_learning_rate": 0.0003, "best_sharpe": 1.2}),
    "gold_voltarget": _run(14, "backtest", "done", "backtest volatility targeting on gold at 10% vol",
                           {"symbol": "GOLD", "strategy": "vol_target", "target_vol": 0.10},
                           {"sharpe": 0.66, "annual_volatility": 0.099}),
    "ingest_csv": _run(15, "ingest", "done", "ingest my CSV of daily copper prices",
                       {"symbol": "COPPER", "market": "custom"}, {"rows": 2500}),
}

FACTORS = {
    "mom20": _factor("MOM20", "$close/Ref($close,20)-1", "20-day price momentum: return over the last 20 days",
                     "accepted", 0.62, "rank ICIR above 0.5 in every year"),
    "rev5": _factor("REV5", "Ref($close,5)/$close-1", "5-day short-term reversal: minus the last week's return",
                    "accepted", 0.55, "stable rank IC, low correlation with MOM20"),
    "vol20": _factor("VOL20", "Std($close/Ref($close,1)-1,20)", "20-day volatility of daily returns",
                     "rejected", 0.18, "rank ICIR too low"),
    "vratio": _factor("VRATIO", "$volume/Mean($volume,20)", "volume relative to its 20-day average",
                      "accepted", 0.51, "works on small caps"),
    "ma60": _factor("MA60", "$close/Mean($close,60)", "close relative to its 60-day moving average",
                    "rejected", 0.21, "duplicates MOM20 (correlation 0.8)"),
    "rsv10": _factor("RSV10", "($close-Min($low,10))/(Max($high,10)-Min($low,10)+1e-12)",
                     "position of the close inside the 10-day high-low range", "accepted", 0.58,
                     "strong in sideways markets"),
    "range": _factor("HLR", "($high-$low)/$close", "daily high-low range divided by the close",
                     "rejected", 0.09, "no signal"),
    "corr_pv": _factor("CORRPV", "Corr($close,$volume,10)", "correlation between close and volume over 10 days",
                       "rejected", 0.24, "unstable sign across years"),
    "mom60s": _factor("MOM60S", "Ref($close,20)/Ref($close,80)-1",
                      "60-day momentum skipping the most recent 20 days", "accepted", 0.53,
                      "classic 12-1 style momentum, monthly scale"),
    "amihud": _factor("AMIHUD", "Mean(Abs($close/Ref($close,1)-1)/$volume,20)",
                      "Amihud illiquidity: mean absolute return per unit of volume over 20 days",
                      "accepted", 0.57, "illiquid names earn a premium"),
    "skew": _factor("SKEW20", "Skew($close/Ref($close,1)-1,20)", "skewness of daily returns over 20 days",
                    "rejected", 0.12, "too noisy"),
    "gap": _factor("GAP", "$open/Ref($close,1)-1", "overnight gap: open against the previous close",
                   "rejected", 0.15, "reverses within the day"),
}

STRATEGIES = {
    "gold_sma": StrategyRecord(engine="backtrader", name="sma_cross", parameters={"fast": 10, "slow": 50},
                               universe="GOLD", description="moving average crossover on gold",
                               in_sample={"sharpe": 0.81, "annual_return": 0.09},
                               out_of_sample={"sharpe": 0.52, "annual_return": 0.05},
                               train_span=(date(2010, 1, 1), date(2018, 12, 31)),
                               test_span=(date(2019, 1, 1), date(2024, 12, 31)), created=T0),
    "gold_ppo_s": StrategyRecord(engine="finrl", name="ppo", parameters={"timesteps": 50000},
                                 universe="GOLD", description="reinforcement learning agent trading gold",
                                 in_sample={"sharpe": 1.4}, out_of_sample={"sharpe": 1.12}, created=T0),
    "csi_topk": StrategyRecord(engine="qlib", name="topk_dropout", parameters={"topk": 30, "n_drop": 3},
                               universe="csi_syn", description="LightGBM scores, hold the top 30, drop 3 a day",
                               in_sample={"annual_excess_return": 0.12},
                               out_of_sample={"annual_excess_return": 0.08}, created=T0),
}

ALL: dict[str, MemoryRecord] = {**RUNS, **FACTORS, **STRATEGIES}

#: (question in other words, label of the record it is about)
ENGLISH = [
    ("PPO agent trained on the precious metal over five years", "gold_ppo"),
    ("which crude oil experiment crashed because the reward was not a number?", "oil_a2c_failed"),
    ("have we tested a twenty-day trend-following factor?", "mom20"),
    ("one-week mean reversion signal", "rev5"),
    ("gradient boosted trees on Alpha158 features for the synthetic Chinese stock pool", "csi_lgbm"),
    ("fast and slow moving average lines crossing, traded on bullion", "gold_sma"),
    ("a factor measuring how much returns swing over a month", "vol20"),
    ("illiquidity: absolute return per unit of traded volume", "amihud"),
    ("model training that broke because the benchmark index was missing", "qlib_no_bench"),
    ("Bollinger breakout tested on oil", "wti_bollinger"),
]

CHINESE = [
    ("用近端策略优化在黄金上训练的强化学习模型", "gold_ppo"),
    ("原油强化学习训练为什么失败了", "oil_a2c_failed"),
    ("有没有测试过二十日动量因子", "mom20"),
    ("一周的短期反转因子", "rev5"),
    ("在合成股票池上用LightGBM训练的选股模型", "csi_lgbm"),
    ("黄金均线交叉策略的样本外表现", "gold_sma"),
    ("衡量收益率波动的因子", "vol20"),
    ("非流动性因子：绝对收益除以成交量", "amihud"),
    ("因为缺少基准指数而失败的模型训练", "qlib_no_bench"),
    ("原油布林带突破回测", "wti_bollinger"),
]



@pytest.fixture(scope="module")
def labelled_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MemoryStore]:
    store = MemoryStore(MemoryConfig(path=tmp_path_factory.mktemp("labelled") / "memory"))
    store.add_many(list(ALL.values()))
    yield store
    store.close()


def top3_hits(store: MemoryStore, cases: list[tuple[str, str]]) -> list[tuple[str, bool]]:
    """(question, whether the labelled record is among the first three results)."""
    out = []
    for question, label in cases:
        ids = [h.id for h in store.search(question, limit=3)]
        out.append((question, ALL[label].record_id() in ids))
    return out


def test_labelled_set_holds_thirty_records(labelled_store: MemoryStore) -> None:
    assert labelled_store.stats().total == 30


def test_english_questions_in_other_words_find_the_right_record_in_top3(labelled_store: MemoryStore) -> None:
    results = top3_hits(labelled_store, ENGLISH)
    missed = [q for q, hit in results if not hit]
    assert len(results) - len(missed) >= 9, f"missed: {missed}"


def test_chinese_questions_find_the_right_record_in_top3_with_the_glossary_bridge(labelled_store: MemoryStore) -> None:
    results = top3_hits(labelled_store, CHINESE)
    missed = [q for q, hit in results if not hit]
    assert len(results) - len(missed) >= 9, f"missed: {missed}"


def test_rank_icir_filter_narrows_factor_search_to_strong_factors(labelled_store: MemoryStore) -> None:
    hits = labelled_store.search("momentum factor", kind="factors", where="rank_icir>0.5", limit=20)
    assert hits and all(float(h.metadata["rank_icir"]) > 0.5 for h in hits)
    assert {h.id for h in hits} == {f.record_id() for f in FACTORS.values() if (f.rank_icir or 0) > 0.5}



def test_without_the_glossary_bridge_chinese_questions_mostly_miss(tmp_path: Path) -> None:
    """The model alone is English-first: this pins the raw figure docs/memory.md reports."""
    store = MemoryStore(MemoryConfig(path=tmp_path / "memory", bilingual=False))
    store.add_many(list(ALL.values()))
    chinese = sum(hit for _, hit in top3_hits(store, CHINESE))
    english = sum(hit for _, hit in top3_hits(store, ENGLISH))
    store.close()
    assert chinese <= 6 < 9 <= english
