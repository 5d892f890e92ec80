"""Words quants use, in English and Chinese, mapped to canonical names; and cue words per intent.

Each table maps a canonical value to the spellings that name it. Matching runs on a
normalised, lower-cased instruction: English spellings match on word boundaries (so "rsi"
does not fire inside "versions"), Chinese ones as substrings (Chinese has no spaces); longer
spellings are tried first so "布林带回归" wins over "布林". :func:`find_spans` returns where each
value was named, so the spec can quote the person's words and the answer can say which
parameter-like words were not used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "ALGOS",
    "ASSETS",
    "OUTSIDE",
    "CUES",
    "FEATURE_SETS",
    "HORIZONS",
    "MODELS",
    "STRATEGIES",
    "THEMES",
    "UNIVERSES",
    "Hit",
    "find_spans",
    "has_any",
    "span_of",
]

#: Instruments of the sample store and the words people use for them.
ASSETS: Mapping[str, tuple[str, ...]] = {
    "GOLD": ("gold", "gld", "xau", "xauusd", "xau/usd", "黄金", "金价", "金子", "沪金", "伦敦金", "现货黄金", "现货金"),
    "SP500": ("sp500", "s&p 500", "s&p500", "s&p", "sp 500", "spx", "sp", "spx500", "gspc", "^gspc", "标普500",
              "标普 500", "标普", "标准普尔500", "标准普尔", "美股大盘"),
    "NASDAQ": ("nasdaq composite", "nasdaq", "ndx", "ixic", "^ixic", "纳斯达克", "纳指", "纳斯达克指数"),
    "WTI": ("wti crude", "wti", "crude oil", "crude", "oil", "cl", "cl1", "usoil", "crud oil", "crud", "curde", "cruide", "原油", "石油", "油价", "美油"),
}

#: Assets people name that the sample store does not hold: asked about (with how to ingest), never
#: swapped for a store symbol.
OUTSIDE: tuple[str, ...] = (
    "bitcoin", "btc", "ethereum", "eth", "crypto", "比特币", "以太坊", "加密货币", "apple", "aapl", "苹果", "tesla",
    "tsla", "特斯拉", "nvidia", "nvda", "英伟达", "microsoft", "msft", "微软", "amazon", "amzn", "亚马逊", "google",
    "googl", "谷歌", "茅台", "贵州茅台", "腾讯", "阿里巴巴", "宁德时代", "沪深300", "csi300", "csi 300", "上证指数",
    "上证50", "创业板", "恒生指数", "恒指", "恒生", "hang seng", "nikkei", "nikkei 225", "日经225", "日经指数", "日经", "dax", "ftse", "silver", "白银", "copper", "铜",
    "natural gas", "天然气", "brent", "布伦特", "euro", "欧元", "日元", "yen", "treasury", "国债", "spy", "qqq",
    "russell 2000", "russell 1000", "russell 3000", "russell", "罗素2000", "罗素", "iwm", "dow jones", "dow", "道琼斯",
    "道指", "中证500", "中证1000", "csi500", "csi 500", "csi1000", "csi 1000", "沪深300成分股", "科创50", "ftse 100",
    "stoxx", "euro stoxx", "cac 40", "kospi", "sensex", "nifty", "asx", "tsx", "msci",
    # stock universes the store lacks (the S&P and the Nasdaq are here as indices, not as their members)
    "港股", "标普500成分股", "标普成分股", "纳指成分股", "纳斯达克成分股", "s&p 500 constituents", "s&p 500 components",
    "s&p 500 stocks", "sp500 constituents", "sp500 stocks", "nasdaq 100 constituents", "nasdaq 100 stocks",
)


#: Named universes.
UNIVERSES: Mapping[str, tuple[str, ...]] = {
    "csi_syn": ("csi_syn", "csi syn", "csi-syn", "synthetic universe", "sample universe", "synthetic stocks",
                "syn000到syn119", "syn000至syn119", "syn000-syn119", "syn000~syn119", "syn000 to syn119", "syn000..syn119",
                "sample stocks", "stock universe", "the universe", "合成股票池", "样本股票池", "合成股票", "合成a股",
                "股票池", "样本池", "合成池", "synthetic stock pool", "synthetic pool", "stock pool", "synthetic stock universe",
                "synthetic equities", "synthetic names", "synth stocks", "synth universe", "synth names", "synth stock pool",
                "synth pool", "synthetic stock", "sample stock pool", "synthetic universe of stocks", "合成股",
                "合成样本股"),
}

#: Reinforcement-learning algorithms (Stable-Baselines3 names).
ALGOS: Mapping[str, tuple[str, ...]] = {
    "ppo": ("ppo", "proximal policy optimization"),
    "a2c": ("a2c", "advantage actor critic", "advantage actor-critic"),
    "sac": ("sac", "soft actor critic", "soft actor-critic"),
    "td3": ("td3", "twin delayed ddpg"),
    "ddpg": ("ddpg", "deep deterministic policy gradient"),
}

#: Qlib model families.
MODELS: Mapping[str, tuple[str, ...]] = {
    "lightgbm": ("lightgbm", "light gbm", "lgbm", "lgb", "gbdt", "gradient boosting", "gradient-boosted trees",
                 "boosted trees", "xgboost", "梯度提升", "梯度提升树"),
    "linear": ("linear model", "linear regression", "linear", "ridge", "lasso", "ols", "线性模型", "线性回归", "线性"),
    "mlp": ("mlp", "multilayer perceptron", "multi-layer perceptron", "neural network", "neural net",
            "deep learning model", "多层感知机", "神经网络"),
}

#: Feature sets for Qlib models.
FEATURE_SETS: Mapping[str, tuple[str, ...]] = {
    "alpha158": ("alpha158", "alpha 158", "alpha-158", "a158"),
    "alpha360": ("alpha360", "alpha 360", "alpha-360", "a360"),
    "custom": ("custom features", "custom factors", "my own features", "simple features", "自定义特征", "自定义因子",
               "简单特征"),
}

#: Rule strategies (Backtrader library names).
STRATEGIES: Mapping[str, tuple[str, ...]] = {
    "buy_and_hold": ("buy_and_hold", "hodl", "hodling", "just hodl", "just buying and holding", "buying and holding", "just holding", "just hold it", "just hold", "and do nothing", "simply holding", "buy and hold", "buy-and-hold", "buy & hold", "buy&hold", "buy n hold", "b&h", "买入持有", "买入并持有", "持有不动",
                     "拿着不动", "拿住不动", "持股不动", "一直拿着", "一直持有", "躺平持有", "拿着不卖", "躺平拿着", "躺平拿",
                     "死拿", "拿着别动",
                     "passive holding", "passively holding", "passively hold", "hold passively", "holding passively",
                     "passive buy and hold", "passive benchmark", "被动持有", "被动持仓", "被动投资"),
    "sma_cross": ("sma_cross", "sma cross", "sma crossover", "crossover", "cross over", "sma", "simple moving average", "moving average crossover",
                  "moving-average crossover", "moving average cross", "moving averages", "moving-average", "fast and slow mas",
                  "fast/slow mas", "the mas", "two mas",
                  "moving average", "ma crossover", "ma cross", "dual ma", "double moving average", "golden cross", "golden-cross", "goldencross",
                  "均线交叉", "双均线", "均线策略", "均线", "移动平均线", "移动平均", "金叉",
                  "death cross", "golden/death cross", "golden and death cross", "死叉", "金叉死叉", "金叉/死叉"),
    "ema_cross": ("ema_cross", "ema cross", "ema crossover", "ema", "exponential moving average", "指数均线", "指数移动平均"),
    "macd": ("macd", "mcad", "异同移动平均"),
    "rsi_reversion": ("rsi_reversion", "rsi mean reversion", "rsi reversion", "rsi", "relative strength index", "相对强弱指标",
                      "相对强弱", "rsi指标"),
    "bollinger_reversion": ("bollinger_reversion", "bollinger reversion", "bollinger mean reversion", "bollinger band reversion",
                            "mean reversion", "mean_reversion", "mean-reversion", "mean rev", "mean-rev", "meanrev", "布林带回归", "布林带均值回归", "布林回归", "布林线回归",
                            "均值回归", "均值回复", "反转策略", "mean-reverting strategy", "mean reverting strategy", "z-score", "z score", "zscore", "z-scores", "fade", "fading", "fades",
                            "revert to the mean", "reverts to the mean", "back to its average", "back to the mean",
                            "z值", "偏离均值", "回归均值", "高抛低吸", "snaps back", "snap back", "snapping back"),
    "bollinger_breakout": ("bollinger_breakout", "bollinger breakout", "bollinger bands", "bollinger band", "bollinger", "bolinger",
                           "boll",
                           "bb",
                           "bollinger", "布林带突破", "布林突破", "布林带", "布林线", "布林通道", "布林"),
    "donchian_breakout": ("donchian_breakout", "donchian breakout", "donchian channel", "donchian", "channel breakout", "turtle",
                          "breakout", "break-out", "new highs", "海龟", "唐奇安通道", "唐奇安", "通道突破", "突破策略", "突破",
                          "new high", "day high", "day highs", "channel high", "channel low", "price channel",
                          "创新高", "日新高", "新高买入", "通道上轨"),
    "momentum": ("momentum", "time-series momentum", "time series momentum", "momentum strategy", "trend following",
                 "trend-following", "动量策略", "动量", "趋势跟踪", "趋势跟随", "趋势策略", "追涨杀跌", "追涨",
                 "return is positive", "returns are positive", "return was positive", "return turns positive",
                 "positive trailing return", "收益为正就", "收益为正时", "涨了就持有", "涨了就买"),
}

#: The period a suggestion is for.
HORIZONS: Mapping[str, tuple[str, ...]] = {
    "day": ("tomorrow", "tmrw", "next day", "next session", "next trading day", "tmr", "tmrw", "明天", "明日",
            "下一个交易日", "下个交易日", "次日"),
    "week": ("next week", "next wk", "nxt week", "nxt wk", "coming week", "the week ahead", "this coming week", "下周",
             "view for the week", "view on the week", "call for the week", "for the week ahead", "本周操作", "这周怎么操作",
             "下一周", "下星期",
             "下个星期", "未来一周"),
    "month": ("next month", "next mo", "nxt month", "coming month", "the month ahead", "下个月", "下月", "未来一个月"),
}

#: Factor themes and the words for them.
THEMES: Mapping[str, tuple[str, ...]] = {
    "momentum": ("momentum", "trend-following", "trend following", "trend", "winners keep winning",
                 "winners continue", "strong get stronger", "强者恒强", "追涨", "趋势延续", "动量", "趋势",
                 "winners continuing", "winners keep", "recent winners", "keep winning", "keep going up", "keep rising",
                 "continue to rise", "continue rising", "momo", "price continuation", "trend persistence",
                 "接着涨", "继续涨", "还会涨", "越涨越", "涨了还", "惯性"),
    "reversal": ("reversal", "mean reversion", "mean-reversion", "mean-reverting", "mean reverting", "均值回复", "short-term reversal", "bounce back", "bounces back",
                 "bounced back", "rebound", "rebounds", "losers bounce", "反转", "均值回归", "回归", "反弹", "超跌",
                 "overreaction", "oversold", "losers rebound", "snap back", "snaps back", "跌得多", "跌多了", "跌太多",
                 "超卖", "过度反应"),
    "volatility": ("volatility", "vol factors", "risk factors", "波动率", "波动", "低波", "jumpy", "choppy",
                   "how volatile", "volatile", "price swings", "turbulent", "erratic", "bumpy", "振幅", "上蹿下跳"),
    "volume": ("volume", "price-volume", "volume-price", "量价", "成交量", "放量", "量能"),
    "liquidity": ("liquidity", "illiquidity", "amihud", "流动性", "without moving the price", "moving the price",
                  "price impact", "market impact", "how easily", "ease of trading", "easy to trade", "tradability",
                  "bid-ask", "冲击成本", "好不好交易", "容易成交", "买卖价差"),
    "turnover": ("turnover", "换手率", "换手", "change hands", "changes hands", "changing hands", "trading frequency"),
    "value": ("value", "valuation", "book-to-market", "price-to-book", "价值", "估值", "市盈率", "市净率"),
    "quality": ("quality", "profitability", "roe", "质量", "品质", "盈利能力", "盈利质量"),
}

#: Cue words per intent (strong evidence when present). Order within a tuple does not matter.
CUES: Mapping[str, tuple[str, ...]] = {
    "rl": ("reinforcement learning", "reinforcement-learning", "rl agent", "rl strategy", "rl policy", "rl model",
           "rl", "drl", "finrl", "deep rl", "agent", "policy gradient", "强化学习", "深度强化学习", "智能体",
           # a newcomer's words for it: "let the AI learn to trade the S&P", "让AI自己学着炒原油"
           "learn to trade", "learns to trade", "learning to trade", "learn when to buy", "learn when to sell",
           "learn how to trade", "train an ai", "train the ai", "teach an ai", "teach the ai", "ai learn", "ai to learn",
           "学着炒", "学着交易", "学学怎么交易", "学会交易", "学会炒", "学怎么交易", "学怎么炒", "自己学着"),
    "train": ("train", "training", "trained", "retrain", "re-train", "retraining", "重新训练", "再训练", "fit", "fitting", "learn", "训练", "拟合", "学习", "跑一个模型"),
    "model": ("model", "machine learning", "ml model", "ai model", "ai选股", "选股模型", "ai 选股", "predictor", "pick stocks", "stock picking", "stock-picking",
              "模型", "机器学习", "预测模型", "选股"),
    "backtest": ("backtest", "back-test", "back test", "backtesting", "bt", "simulate", "simulation", "回测",
                 "回溯测试", "历史回测", "跑回测", "测一下", "测试一下"),
    "optimize": ("多少天比较好", "怎么选", "如何选", "怎么选择", "如何选择", "选多少", "设多少", "定多少", "用多少天", "多少合适", "取多少好", "多少比较好", "maximize", "maximized", "maximise", "maximised", "maximizes", "maximises", "optimize", "optimise", "opt", "opt.", "make it better", "strategy better", "improve the strategy", "best numbers", "optimization", "optimisation", "parameter search", "grid search",
                 "grid-search", "tune", "tuning", "sweep", "best parameters", "best params", "best combination",
                 "search the", "search over", "find the best", "which parameters", "works best", "work best",
                 "best lookback", "best window", "best period", "best length", "optimal", "调一下", "调一调", "调调", "调个参", "调下参", "调个优", "调下优", "调调优", "优化下", "优化一下",
                 "找找最优", "找个最好的", "参数怎么设", "参数怎么定", "参数设多少", "调整参数", "调优",
                 "参数调整", "哪个参数", "哪组参数", "挑最好", "最好的参数", "最优参数是", "网格搜", "搜一下参数", "扫参",
                 "best setting", "best settings", "best moving average", "optimising", "optimizing",
                 "which pair", "best combo", "best parameter", "params to search", "search lower", "search upper",
                 "search thresholds", "search the", "找个最优", "找最优", "最优的",
                 "调参", "优化", "参数搜索", "寻个优", "参数敏感性", "敏感性分析", "sensitivity",
                 "网格搜索", "最优参数", "最佳参数", "寻优", "参数寻优", "找最好的参数", "扫参数", "参数扫描", "扫描", "网格", "搜一遍", "搜一下", "帮我搜", "搜索", "search channel", "search lookback", "search the lookback", "search lookbacks", "扫一下", "扫一遍", "扫一扫", "扫一轮", "扫描参数", "遍历参数", "遍历一下", "calibrate", "calibrated",
                 "calibrating", "calibration", "recalibrate", "grid the", "grid over", "grid across", "run a grid",
                 "do a grid", "a grid of", "search fast", "search slow", "search both", "search window",
                 "search windows", "search period", "search periods", "search params", "search parameters",
                 "调 fast", "调fast", "调 slow", "调slow", "调快线", "调慢线", "调快慢", "调均线", "调窗口", "调周期", "调参数"),
    "factor": ("factor", "factors", "alpha", "alphas", "alpha signal", "alpha signals", "因子", "阿尔法"),
    "mine": ("mine", "mining", "propose", "discover", "find", "patterns", "any pattern", "规律", "generate", "search for", "come up with", "suggest",
             "try", "build", "construct", "design", "brainstorm", "invent", "look for", "挖掘", "挖", "寻找", "发现",
             "生成", "提出", "找", "构造", "构建", "设计", "推荐", "试试", "想几个", "给几个", "来几个"),
    "evaluate": ("evaluate", "evaluation", "test", "assess", "check", "measure", "ic", "rank ic", "icir",
                 "评估", "检验", "测试", "看看", "效果"),
    "order": ("buy", "sell", "purchase", "short", "cover", "go long", "go short", "reduce", "trim", "cut",
              "add to", "close", "liquidate", "exit", "dump", "place an order", "order", "ape into", "aping", "买入", "买进", "购买",
              "加仓", "加码", "加点仓", "减一点", "加点", "加一点", "加些", "减点", "grab", "pick up", "scoop up", "load up on", "卖出", "卖掉", "减仓", "减码", "做空", "平仓", "清仓", "砍", "减掉", "减半", "下单", "买", "卖",
              # sizes left vague: an order all the same, its size asked ("throw a lil money at SYN033", "少量建个仓")
              "throw some money at", "throw a little money at", "throw a lil money at", "throw money at",
              "put some money into", "put some money in", "put a little money into", "put some cash into",
              "put on the usual size", "put on a position", "put on some", "size me in", "size in", "建个仓", "建仓",
              "上点仓", "降至合适", "降到合适", "调到合适", "add a bit more", "add a little more", "add some more", "建点仓",
              "get me out of", "get us out of", "get out of", "flat the", "flat my",
              "适当建", "适当加", "多买点", "多买一些"),
    "account": ("still pending", "what's pending", "whats pending", "anything pending", "pending on your side",
                "approval queue", "buying power", "购买力", "挂着没处理", "挂着的单", "没处理的单", "挂着没成交",
                "是不是空仓", "是不是满仓", "有没有仓位", "有没有持仓", "还有多少钱", "还有多少现金", "能用的钱", "可用资金",
                "gross and net", "gross exposure", "net exposure", "my gross", "our gross", "high-water mark",
                "high water mark", "off the high", "off the peak", "离高点", "离最高点", "总敞口", "净敞口",
                "how much risk", "risk am i running", "risk are we running", "my risk", "our risk", "positions", "position", "postions", "positons", "possitions", "positon", "postion", "possition", "holdings", "account", "portfolio", "cash",
                "where we stand", "where do we stand", "acct", "acct?", "my acct", "the book", "my book", "our book", "waiting for my approval", "pending my approval", "awaiting my sign-off", "正在等我审批", "等我审批", "waiting for me to approve", "waiting for me to sign off", "waiting for my ok",
                "need my approval", "needs my approval", "need my sign-off", "orders to approve", "orders waiting",
                "waiting orders", "orders pending", "pending orders",
                "waiting on my approval", "awaiting approval", "awaiting my approval", "pending approval", "等我审批的",
                "待我审批", "在等我批", "等我批的", "待批的", "待审批", "赚了还是亏了", "亏了还是赚了", "今天赚了多少", "今天亏了多少",
                "赚了多少钱", "亏了多少钱",
                "what im holding", "what i'm holding", "what we're holding", "what were holding", "what i got left",
                "what i have left", "what ive got left", "what i've got left", "what we have left", "what's left in",
                "balance", "p&l", "pnl", "how much do i hold", "how many do i have", "what do i own", "持有多少", "持有几",
                "有多少仓位",
                "am i holding", "are we holding", "i'm holding", "we're holding", "do i hold", "do we hold",
                "do i still hold", "do we still hold", "do i own", "do we own", "approval queue", "approvals queue",
                "queued for approval", "waiting for approval", "awaiting sign-off", "pending sign-off",
                "orders waiting", "orders pending", "pending orders", "open orders", "orders awaiting",
                "orders are waiting", "orders still waiting", "waiting on my sign-off", "waiting for my sign-off",
                "awaiting my sign-off", "waiting on sign-off", "waiting for sign-off", "等我签字", "待确认的订单",
                "待审批的订单", "挂着的订单",
                "手里还有多少", "手上还有多少", "还剩多少钱", "剩多少钱", "还有多少钱", "what it bought", "what it sold",
                "what did it buy", "what did it sell", "what was bought", "what got bought", "what we bought", "手里有多少", "手上有多少", "手头还有多少", "手里还剩", "手上还剩",
                "还持有多少", "还拿着多少", "审批队列", "待批",
                "risk status", "trading state", "pending approvals", "exposure", "drawdown", "buying power",
                "am i in the red", "am i in the green", "my bags", "am i rekt", "are we rekt", "in the red am i", "in the green am i", "are we in the red",
                "are we in the green", "in the red are we", "am i underwater", "are we underwater", "am i up or down",
                "are we up or down",
                "持仓", "仓位", "账户", "资金", "现金", "余额", "盈亏", "浮盈", "浮亏", "占比", "各占多少", "占多少比例", "风控", "交易状态", "待审批", "风险状态", "敞口",
                # fills, open orders, halts, net direction and desk slang for the P&L and the book
                "any fills", "fills today", "filled today", "what filled", "what got filled", "today's fills", "todays fills",
                "orders working", "working orders", "still working", "realized p&l", "unrealized p&l", "realised p&l",
                "unrealised p&l", "realized vs unrealized", "unrealized", "unrealised", "p and l", "the damage",
                "book summary", "morning sheet", "position sheet", "risk sheet", "are we halted", "am i halted",
                "trading halted", "kill switch", "loss limit", "drawdown limit", "desk locked", "desk still locked",
                "trading locked", "net long", "net short", "are we flat", "am i flat", "we flat on", "i flat on",
                "dry powder",
                "成交了什么", "成交了哪些", "成交了啥", "今天成交", "成交记录", "成交情况", "账上", "家底", "没撤的", "未成交的单",
                "未成交订单", "挂单还有", "还有挂单", "空仓了", "是空仓", "空仓没", "净多", "净空", "交易停了", "停了没",
                "暂停交易", "熔断", "持仓成本", "有多少股", "占净值", "回撤到多少", "回撤多少"),
    "cycle": ("今天的cycle", "今日的cycle", "每日cycle", "每天的cycle", "run cycle", "run the cycle", "跑cycle", "跑一下cycle", "run一下cycle", "trading cycle", "daily cycle", "today's cycle", "todays cycle", "run today", "rebalance", "rebal",
              "cycle today", "cycle now", "今天的周期", "今日周期", "今天周期", "run the daily", "today's trades", "todays trades", "today's orders", "今天该买该卖", "日度流程",
              "每日流程", "今日流程", "当日流程",
              "do the daily", "daily run",
              "daily rebalance", "run the cycle", "交易循环", "每日循环", "跑一下周期", "跑个周期", "跑下周期", "跑周期", "每天的循环", "日常循环", "今日交易", "今天的交易", "每日交易", "调仓", "调个仓", "调下仓", "调一下仓", "调一调仓", "再平衡",
              "日内循环", "交易周期"),
    "recall": ("recall", "最近一次挖", "最近一次跑", "最近一次训练", "最近一次回测", "找到了什么", "找到了哪些", "metrics only", "look up the run", "pull up the run", "last time", "previous run", "previous backtest", "previously", "remember", "remind me", "have we",
               "did we", "we trained", "we ran", "we tested", "we did", "we evaluated", "we mined", "we backtested",
               "i evaluated", "i backtested", "i mined", "i trained", "i ran", "earlier run", "the run from",
               "run history", "history of runs", "history of my", "history of our", "yesterday's", "what did the", "how did the", "did the", "results of the", "results of my",
               "my last", "the last run", "don't retrain", "do not retrain", "without retraining", "already trained",
               "上次", "之前训练", "之前跑", "之前挖", "挖出来的", "不用重新", "无需重新", "不必重新", "记得", "历史记录", "测试过", "测过", "试过", "做过", "跑过", "训练过",
               "昨天的", "昨天训练", "昨天跑", "上一次", "调阅", "前几天", "不要重新训练", "别重新训练"),
    "price": ("price", "prices", "quote", "quotes", "chart", "pull up the", "bring up the", "price history", "拉一下",
              "的图", "走势图", "k线图", "图也调出来", "图调出来", "图拉出来", "图也拉出来", "k线拉出来", "k线调出来", "close", "closes", "closing", "closing price",
              "how much is", "px", "ohlc", "bars", "candles", "plot", "graph", "show me the", "trading at",
              "where is it trading", "where's it trading", "where it's trading", "where it is trading",
              "where's", "where is", "what's", "whats", "level", "价格", "行情", "走势", "收盘价", "收盘", "报价", "多少钱", "k线", "什么价", "啥价", "几多钱", "现价", "价位",
              "涨了多少", "跌了多少", "怎么走", "涨跌", "现在多少", "点位", "画", "报一下", "报下价", "现价", "最新价", "最新价格", "当前价", "当前价格"),
    "list": ("what kinds of strategies", "what kind of strategies", "what sorts of strategies", "which kinds of strategies",
             "strategies are there", "列一下策略", "列下策略", "列出策略", "策略列表", "列一下所有策略", "有哪些策略", "都有什么策略", "有什么策略", "都有哪些策略", "哪几种策略",
             "哪些规则策略", "规则策略有哪些", "wat strats", "what strats", "which strats", "strats u got", "strats you got",
             "strats do u have", "strats do you have", "strategies have you got", "strategies you got",
             "strategies do you support", "strategies are supported", "strategies are available", "支援哪些", "支持哪些策略",
             "支持哪些交易策略", "哪些交易策略", "有哪些交易策略", "交易策略有哪些", "列个清单", "策略清单", "every rule-based strategy", "every strategy", "all strategies", "all the strategies", "all rule-based strategies",
             "which strategies", "what strategies", "which rule strats", "what rule strats", "rule-based strategies",
             "rule based strategies", "rule strategies", "strategies i can", "strategies can i", "strategies i could",
             "strategies we can", "strategies there are", "strategies you have", "strategies do you have",
             "列示", "规则类策略", "哪些 strategy", "有哪些strategy", "strategy 可以", "list 一下", "list strategies", "list the strategies", "available strategies",
             "strategies are available", "strategies do you", "strategies can", "what strats", "which strats",
             "list strats", "strats can", "list your strategies", "strategy library", "有哪些策略", "策略列表",
             "支持哪些策略", "哪些策略", "什么策略", "什么回测策略", "支持什么", "都有什么策略", "策略库",
             "哪些回测策略", "有什么回测策略", "策略都有啥", "策略有啥", "有啥策略", "啥策略", "策略都有哪些", "策略都有什么",
             "策略有什么", "能回测哪些", "可以回测哪些", "策略有哪些", "能回测的策略", "可以回测的策略", "可回测的策略",
             "strategies do you support",
             "strategies you support", "strategies are supported", "supported strategies"),
    "compare": ("compare", "comparison", "versus", "vs", "vs.", "cmp", "against", "pit", "head to head", "which is better",
                "谁好", "谁更好", "谁强", "谁更强", "谁赢", "谁厉害", "比怎么样", "比如何", "比起来怎么样", "比起来如何",
                "compared to", "compared with", "even worth it", "is it worth it", "worth the effort", "beats just",
                # "run a 50/200 cross on gold as the benchmark", "用RSI在黄金上跑个对照": a run set beside another
                "as the benchmark", "as a benchmark", "as the baseline", "as a baseline", "跑个对照", "做个对照", "作为对照",
                "当对照", "作为基准", "当基准", "做基准",
                "which one is better", "which works better", "works better", "which one works", "side by side",
                "对比", "比较", "比一下", "哪个好", "哪个更好", "哪个效果好", "哪个强", "谁更好", "pk", "相比",
                "比比", "比一比", "比较一下", "哪个赚得多", "哪个收益高", "差多少", "差别多大", "有什么区别", "有啥区别",
                "which did better", "which one did better", "which performed better", "which one performed better",
                "which does better", "which came out ahead", "which won", "rank the two", "rank them", "rank both",
                "rank the results", "rank the runs", "side-by-side", "放一起比", "放在一起比", "一起比", "排个名", "排一下名",
                "next to each other", "against each other", "who did better", "which bled less", "bled less"),
    "approval": ("through approval", "via approval", "route it through", "route them through", "route the order through",
                 "下单前ping我", "下单前先ping我", "ping我", "ping me before", "ping me first", "要我approve", "让我approve",
                 "给我approve", "等我approve", "approve先", "我approve", "让我confirm", "等我confirm", "先confirm",
                 "check with me first", "check with me before",
                 "route the orders through", "走审批", "走一下审批", "过一下审批", "提交审批", "等我批", "我批了再", "让我批", "要我批", "我批准", "等我确认", "等我同意", "我同意了再", "经我同意",
                 "我点头", "先问问我", "问过我", "批了再发", "批准了再", "等我点头", "ask me before", "ask me first", "ask before", "ask for my approval", "with my approval",
                 "need my approval", "needs my approval", "wait for my approval", "let me approve", "confirm with me",
                 "check with me", "check w me", "check w/ me", "run it past me", "clear it with me", "my confirmation", "my sign-off", "my sign off", "before ordering, ask",
                 "don't send anything without", "do not send anything without", "without my ok", "without my okay",
                 "i approve", "i'll approve", "i will approve", "run it by me", "下单前问我", "下单前先问我",
                 "下单之前问我", "下单前请示", "需要我确认", "需要我批准", "经我批准", "经我确认", "让我确认", "让我批准",
                 "先问我", "等我确认", "我确认后", "征得我同意", "我审批", "给我审批", "我批准", "先给我看", "先让我看",
                 "before they go out", "before it goes out", "before they are sent", "before sending",
                 "approval required", "approval: required", "approval: yes", "requires approval",
                 "approval needed", "needs approval", "need approval", "human approval", "manual approval",
                 "with approval", "approve each", "人工审批", "需审批", "需要审批", "审批后", "人工确认", "需人工",
                 "先审批", "审批通过后"),
    "suggest": ("which ones to buy", "which stocks to buy", "what to buy", "挑几只", "选几只", "推荐几只", "买哪几只", "买哪些", "what should i", "what to do", "suggest", "suggestion", "recommend", "recommendation", "advice",
                "advise", "what would you", "should i", "how should i", "tell me what", "建议", "怎么操作", "操作建议",
                "该怎么", "怎么做", "推荐", "给出", "应该"),
}

_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Hit:
    """A canonical value named at ``start:end`` of the searched text."""

    value: str
    start: int
    end: int
    text: str


@lru_cache(maxsize=4096)
def _pattern(spelling: str) -> re.Pattern[str]:
    if _CJK.search(spelling):
        return re.compile(re.escape(spelling))
    return re.compile(r"(?<![a-z0-9_$])" + re.escape(spelling) + r"(?![a-z0-9_])")


def _ordered(table: Mapping[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    rows = [(canonical, s) for canonical, spellings in table.items() for s in spellings]
    return sorted(rows, key=lambda row: -len(row[1]))


def find_spans(text: str, table: Mapping[str, tuple[str, ...]]) -> list[Hit]:
    """Every value named in ``text`` with its span, in text order; a span claimed by a longer
    spelling is not matched again by a shorter one ("bollinger reversion" is one hit)."""
    taken: list[tuple[int, int]] = []
    hits: list[Hit] = []
    for canonical, spelling in _ordered(table):
        for match in _pattern(spelling).finditer(text):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            hits.append(Hit(canonical, start, end, match.group(0)))
    return sorted(hits, key=lambda h: h.start)


def span_of(text: str, words: tuple[str, ...]) -> tuple[int, int] | None:
    """Where the first of ``words`` (longest first) occurs in ``text``, or None."""
    best: tuple[int, int] | None = None
    for word in sorted(words, key=len, reverse=True):
        match = _pattern(word).search(text)
        if match and (best is None or match.start() < best[0]):
            best = match.span()
    return best


def has_any(text: str, words: tuple[str, ...]) -> bool:
    """True when any of ``words`` occurs in ``text`` (word-bounded for Latin spellings)."""
    return any(_pattern(w).search(text) for w in words)
