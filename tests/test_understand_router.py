"""The intent router: static MiniLM vectors (no torch at run time) and nearest labelled exemplars.

The static table is built once per test session into a session folder (about 20-40 s on two
cores), or linked from ``default_cache_dir()`` when a table for the installed model is
already there; nothing is written to the home folder. The fresh sentences below were written
for these tests, not taken from the exemplar bank (a test checks that none of them is in it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from agents.spec import INTENTS
from agents.understand._embed import StaticEncoder, default_cache_dir, table_files
from agents.understand._router import (
    MIN_MARGIN,
    MIN_SCORE,
    IntentRouter,
    default_exemplars,
    leave_one_out,
    load_exemplars,
)
from taorui_engines.errors import InvalidInputError, UnavailableError

ROOT = Path(__file__).resolve().parents[1]
MAIN_INTENTS = [i for i in INTENTS if i not in ("compare", "unknown")]

#: New sentences per intent: two English, two Chinese (some mix in English words).
FRESH: dict[str, tuple[str, ...]] = {
    "train_rl": ("Could you train a soft actor-critic agent to trade silver and tell me next week's move?",
                 "reinforcement learning on brent crude, 200k steps",
                 "用强化学习给白银训练一个交易智能体", "拿PPO在纳指上训练，告诉我下周怎么做"),
    "train_model": ("fit a gradient-boosted stock ranker on CSI500 and hold its top 10",
                    "train an Alpha158 LightGBM on the S&P universe",
                    "用LightGBM在中证500上训练选股模型", "训练一个机器学习模型给沪深300成分股排序"),
    "backtest_strategy": ("backtest a 10/30 moving-average crossover on silver",
                          "how would a Bollinger band reversion rule have done on AAPL over 2019-2021? run it",
                          "回测白银的布林带策略", "帮我跑一下20日均线突破在纳指上的回测"),
    "optimize_strategy": ("grid search the best SMA lengths for silver",
                          "tune the RSI thresholds to maximise the out-of-sample sharpe",
                          "优化白银均线策略的参数", "网格搜索布林带的周期和宽度"),
    "list_strategies": ("which strategies can I run?", "list every strategy you know",
                        "你们都支持哪些策略？", "把可用的策略列一下"),
    "evaluate_factors": ("evaluate Mean($volume,20)/$volume on csi300",
                         "what's the rank IC of the 60-day reversal factor?",
                         "评估一下 Std($close,10)/Mean($close,10) 这个因子", "计算20日反转因子的IC"),
    "mine_factors": ("mine some new liquidity alphas for the A-share universe",
                     "come up with new factors around trading volume and test them",
                     "帮我挖掘一些新的波动率因子", "提出几个新的量价因子并检验"),
    "place_order": ("sell 100 shares of Tesla", "close my silver position", "卖出100股特斯拉", "把白银仓位清掉"),
    "account_status": ("what is my cash balance and P&L?", "show me my current holdings",
                       "我现在的持仓和现金", "看看账户盈亏"),
    "trading_cycle": ("run today's rebalance with the model", "execute the daily trading cycle now",
                      "执行今天的调仓", "跑一下每日交易周期"),
    "recall": ("what did last week's silver backtest return?", "remind me how the PPO agent on crude did last time",
               "上次白银回测的结果是什么", "之前训练的原油模型收益怎么样"),
    "show_price": ("show me a chart of silver prices", "what's the price of Tesla today?",
                   "看看白银的价格走势", "特斯拉今天股价多少"),
}
OUT_OF_SCOPE = ("write me a haiku about the sea", "what's the weather like in Beijing this weekend?",
                "can you book a table for two tonight", "how do I grow tomatoes on a balcony",
                "给我讲个睡前故事", "北京周末天气如何", "帮我订个今晚两人的餐厅", "怎么种西红柿")


def _is_zh(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session folder holding the static table: linked from the default cache, else built here."""
    folder = tmp_path_factory.mktemp("understand-cache")
    try:
        StaticEncoder.load(default_cache_dir(), build_if_missing=False)
    except UnavailableError:
        return folder  # the first StaticEncoder.load below builds it here
    for source, target in zip(table_files(default_cache_dir()), table_files(folder), strict=True):
        target.symlink_to(source)
    return folder


@pytest.fixture(scope="session")
def encoder(cache_dir: Path) -> StaticEncoder:
    return StaticEncoder.load(cache_dir)


@pytest.fixture(scope="session")
def router(encoder: StaticEncoder) -> IntentRouter:
    return IntentRouter.load(encoder)


# --- the exemplar bank -------------------------------------------------------------------


def test_every_exemplar_label_is_an_intent_of_the_spec() -> None:
    bank = load_exemplars(default_exemplars())
    assert {ex.intent for ex in bank} <= set(INTENTS)


def test_the_bank_has_25_exemplars_per_language_for_each_main_intent() -> None:
    bank = load_exemplars(default_exemplars())
    for intent in MAIN_INTENTS:
        for language in ("en", "zh"):
            count = sum(ex.intent == intent and ex.language == language for ex in bank)
            assert count >= 25, f"{intent}/{language} has {count} exemplars"


def test_the_fresh_test_sentences_are_not_in_the_bank() -> None:
    bank = {ex.text.casefold() for ex in load_exemplars(default_exemplars())}
    fresh = [t for texts in FRESH.values() for t in texts] + list(OUT_OF_SCOPE)
    assert not [t for t in fresh if t.casefold() in bank]


def test_a_bank_with_an_unknown_intent_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bank.yaml"
    path.write_text("version: 1\nintents:\n  make_coffee:\n    en: [brew me a coffee]\n")
    with pytest.raises(InvalidInputError, match="make_coffee"):
        load_exemplars(path)


def test_a_chinese_exemplar_listed_as_english_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bank.yaml"
    path.write_text("version: 1\nintents:\n  place_order:\n    en: [买入黄金]\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="listed under en"):
        load_exemplars(path)


# --- the encoder -------------------------------------------------------------------------


def test_encoding_is_deterministic_and_unit_length(encoder: StaticEncoder, cache_dir: Path) -> None:
    texts = ["backtest an SMA crossover on silver", "回测白银的布林带策略", "用PPO训练白银"]
    first = encoder.encode(texts)
    again = StaticEncoder.load(cache_dir, build_if_missing=False).encode(texts)
    assert first.dtype == np.float32 and first.shape == (3, encoder.dims)
    assert np.array_equal(first, again)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)


def test_text_with_nothing_known_encodes_to_a_zero_row(encoder: StaticEncoder) -> None:
    vectors = encoder.encode(["", "   "])
    assert not vectors.any()


def test_paraphrases_of_an_intent_are_closer_than_other_intents(router: IntentRouter) -> None:
    """In the router's space, each intent's fresh sentences (both languages) are nearer each other than the rest."""
    texts = [(i, t) for i, ts in FRESH.items() for t in ts]
    vectors = router.embed([t for _, t in texts])
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, np.nan)
    labels = np.array([i for i, _ in texts])
    for intent in FRESH:
        mine = labels == intent
        assert np.nanmean(sims[mine][:, mine]) > np.nanmean(sims[mine][:, ~mine]), intent


def test_most_fresh_sentences_have_a_same_intent_nearest_neighbour(router: IntentRouter) -> None:
    texts = [(i, t) for i, ts in FRESH.items() for t in ts]
    sims = router.embed([t for _, t in texts]) @ router.embed([t for _, t in texts]).T
    np.fill_diagonal(sims, -np.inf)
    same = sum(texts[int(np.argmax(row))][0] == intent for row, (intent, _) in zip(sims, texts, strict=True))
    assert same >= 0.8 * len(texts)


def test_a_chinese_instruction_lands_near_its_english_paraphrase(encoder: StaticEncoder) -> None:
    zh, en_same, en_other = encoder.encode(["回测白银的均线交叉策略", "backtest a moving average crossover on silver",
                                            "sell my silver position"])
    assert zh @ en_same > zh @ en_other


def test_a_missing_table_is_unavailable_without_a_build(tmp_path: Path) -> None:
    with pytest.raises(UnavailableError, match="not built"):
        StaticEncoder.load(tmp_path, build_if_missing=False)


def test_a_table_without_its_metadata_counts_as_missing(tmp_path: Path) -> None:
    table, _ = table_files(tmp_path)
    np.save(table, np.zeros((4, 4), dtype=np.float16))  # what a build killed before its metadata leaves
    with pytest.raises(UnavailableError):
        StaticEncoder.load(tmp_path, build_if_missing=False)


def test_the_table_metadata_names_its_source_model(cache_dir: Path) -> None:
    _, meta_path = table_files(cache_dir)
    meta = json.loads(meta_path.read_text())
    assert meta["source_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert len(meta["model_sha256"]) == 64 and meta["dims"] == 256 and meta["build_seconds"] > 0


# --- routing -----------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh"])
def test_fresh_sentences_route_to_their_intent(router: IntentRouter, language: str) -> None:
    cases = [(i, t) for i, ts in FRESH.items() for t in ts if _is_zh(t) == (language == "zh")]
    misses = [(i, t, router.route(t).intent) for i, t in cases if router.route(t).intent != i]
    assert len(misses) <= len(cases) // 10, misses


def test_confident_routes_of_fresh_sentences_are_right(router: IntentRouter) -> None:
    routed = [(i, router.route(t)) for i, ts in FRESH.items() for t in ts]
    confident = [(i, r) for i, r in routed if r.confident]
    assert len(confident) >= 0.75 * len(routed)
    assert all(r.intent == i for i, r in confident), [(i, r.intent) for i, r in confident if r.intent != i]


@pytest.mark.parametrize("text", OUT_OF_SCOPE)
def test_an_out_of_scope_request_routes_there_or_is_not_confident(router: IntentRouter, text: str) -> None:
    result = router.route(text)
    assert result.intent == "out_of_scope" or not result.confident


def test_an_empty_instruction_is_unknown_and_not_confident(router: IntentRouter) -> None:
    result = router.route("  ")
    assert (result.intent, result.confident, result.runner_up, result.neighbours) == ("unknown", False, None, ())


def test_a_text_equally_near_two_intents_is_not_confident(encoder: StaticEncoder, tmp_path: Path) -> None:
    bank = tmp_path / "bank.yaml"
    bank.write_text(
        "version: 1\nintents:\n"
        "  backtest_strategy:\n    en: [backtest the sma strategy on gold, backtest sma on crude, backtest rsi on spy]\n"
        "  optimize_strategy:\n    en: [optimize the sma strategy on gold, optimize sma on crude, optimize rsi on spy]\n"
    )
    result = IntentRouter.load(encoder, bank).route("the sma strategy on gold")
    assert result.margin < MIN_MARGIN and not result.confident


def test_a_route_explains_itself_consistently(router: IntentRouter) -> None:
    text = "优化白银均线策略的参数"
    result, scores = router.route(text), router.scores(text)
    assert result.score == pytest.approx(max(scores.values()))
    assert result.margin == pytest.approx(result.score - result.runner_up_score)
    assert result.confident == (result.score >= MIN_SCORE and result.margin >= MIN_MARGIN)
    similarities = [n.similarity for n in result.neighbours]
    assert similarities == sorted(similarities, reverse=True) and len(similarities) == 5


def test_exemplar_vectors_are_cached_per_exemplar_file(encoder: StaticEncoder, tmp_path: Path) -> None:
    bank = tmp_path / "bank.yaml"
    bank.write_text(default_exemplars().read_text(encoding="utf-8"), encoding="utf-8")
    IntentRouter.load(encoder, bank)
    before = set(encoder.cache_dir.glob("router-*.npz"))
    IntentRouter.load(encoder, bank)
    assert set(encoder.cache_dir.glob("router-*.npz")) == before
    bank.write_text(bank.read_text(encoding="utf-8") + "      - 那样吧\n", encoding="utf-8")
    IntentRouter.load(encoder, bank)
    assert len(set(encoder.cache_dir.glob("router-*.npz")) - before) == 1


def test_leave_one_out_accuracy_on_the_bank(router: IntentRouter) -> None:
    result = leave_one_out(router)
    assert result.accuracy["en"] >= 0.85 and result.accuracy["zh"] >= 0.85, result.accuracy
    assert result.confident_accuracy >= 0.95 and result.confident_share >= 0.65


def test_routing_imports_neither_torch_nor_transformers(cache_dir: Path, encoder: StaticEncoder) -> None:
    code = (
        "import sys; from pathlib import Path\n"
        "from agents.understand._embed import StaticEncoder\n"
        "from agents.understand._router import IntentRouter\n"
        f"r = IntentRouter.load(StaticEncoder.load(Path({str(cache_dir)!r}), build_if_missing=False))\n"
        "r.route('train PPO on gold'); r.route('回测黄金均线策略')\n"
        "print([m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
