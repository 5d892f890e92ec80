"""Which intents an instruction holds, clause by clause.

An instruction is cut into clauses at sequencing words ("then", "after that", "finally",
"先 / 再 / 然后 / 最后", sentence ends). Each clause gets an intent from strong lexical cues
when there are some (a named algorithm, a Qlib expression, a strategy, an order verb with a
quantity ...) and otherwise from the exemplar router (nearest labelled exemplars; below its
margin the clause stays unknown and the person is asked). A clause without an intent of its
own ("and ask me before ordering", "并给出下周操作建议") modifies the step before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Protocol

from agents.understand import _lexicon as lex
from agents.understand._extract import HYPOTHETICAL, MEANT_NOT_NAMED, Found

__all__ = ["BACKGROUND", "DAY_RUN", "EARLIER", "NOT_AGAIN", "Clause", "RouterLike", "classify", "clauses_of"]

_SEQUENCERS = re.compile(
    r"(?:(?<=[\u4e00-\u9fff])\s*[,，]\s*(?=[^,，]{0,12}(?:清仓|砍|卖掉|卖出|买入|减仓|减码|加码|减掉|减|加仓|加到|买前|按它买|照着买|(?<=所得|的钱|笔钱)买|清掉|清了|全清|平掉|全卖|卖光|卖完|全抛|抛掉|割肉|止盈|清光|(?<=\d|[a-z])买(?=\d)|(?<=\d|[a-z])卖(?=\d)|(?<!\$)\bclose\b|\bcut\b|\bsell\b|\bbuy\b|\btrim\b))|[;；。!！?？]|\n(?=\s*(?:(?:buy|sell|short|trim|cut|close|dump|reduce|add)\b|[买卖减加清]))|(?<![a-z]\.[a-z])(?<!\bvs)(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bapprox)(?<!\bno)(?<!\bmr)(?<!\bdr)(?<!\bst)\.(?=\s+[a-z(])|(?<=[,，])\s*(?:and\s+)?then\b|\band\s+then\b|\bthen\b|\bafter\s+(?:that|which)\b|\bsubsequently\b|\bthereafter\b|(?:\band\s+)?\bonce\s+(?:done|finished|complete|that'?s\s+done|it'?s\s+done)\b|(?:\band\s+)?\bwhen\s+(?:done|finished)\b|\s*(?:->|→|=>)\s*|\bafterwards\b|"
    r"\bfinally\b|\bfollowed\s+by\b|\bnext,|然后|接着(?!涨|跌|上涨|下跌|走|往)|之后再|随后|最后(?![一二两三四五六七八九十几半\d个的])|"
    r"(?<=[,，])\s*再(?!平衡|投资)|(?<=[,，])\s*这次|(?<=[,.])\s*this time\b|(?<=[,，])\s*(?=(?:跑完|做完|弄完|训完|完成后|结束后|完事|搞定|弄好|跑好)[^,，]{0,3}(?:给我|把|再|看|发))|(?<![一再])再(?=[^\s]{0,2}(?:训练|跑|回测|测|做|对比|比较|买|卖|评估|用|拿|挖|找|试|把|减|加|清))|"
    r"(?<=[,，])\s*并且?(?=[^,，。]{0,8}?(?:回测|训练|对比|比较|买|卖|下单|评估|挖掘))|"
    r"(?<=[,，])\s*(?:之后|接下来|完了|完事后)(?=[^,，。]{0,16}?(?:回测|训练|优化|对比|比较|买|卖|下单|评估|挖))|"
    r"(?<=[,，])\s*(?=[^,，。]{0,30}?重新(?:训练|训|跑|回测|测))|(?<=比较|对比)(?:之后|以后|后|完)再?|"
    r"(?<=[,，])\s*(?=(?:最后|然后|再)?\s*(?:一起|放一起|两者)?\s*(?:对比|比较)[^,，。;；]{0,8}[。.!！?？]?\s*$)|(?<=[,，])\s*and\s+(?=(?:buy|sell|compare|backtest|train|place))|(?<=,)\s*(?=(?:backtest|train|fit|mine|optimi[sz]e|tune)\s+(?:a|an|another|one|the\s+same)\s)|(?<=训练|回测)\s*(?:和|并|外加|加上)\s*(?=(?:一个|一版|一次|一组)[^,，。；;]{0,12}?(?:回测|训练))|"
    r"\s+and\s+(?=(?:buy|sell|short|purchase|pick\s+up|grab|scoop\s+up|close\s+out|dump|unload)\s"
    r"|(?:put|park|throw|deploy|stick)\s+(?:another\s+)?(?:\$|usd\s*|¥)?\d[\d,.]*\s*(?:k|m|mm|bn|thousand|million|grand)?"
    r"(?:\s+(?:dollars|usd|bucks|yuan|rmb))?\s+(?:into|in|on|at)\s)|\s+and\s+(?=\d+(?:\.\d+)?\s*(?:shares?|lots?|units?|contracts?)\s)"
    r"|\s+and\s+(?=\$\s*\d[\d,.]*\s*[km]?\s+(?:of|in|worth)\s)"
    r"|(?<=[,，])\s*(?=(?:然后|再|就)?\s*(?:按|照|根据|依)(?:那个|它|这个|结果)\S{0,4}?下(?:个|一个|一)?单)"
    r"|\s+and\s+(?=place\s+(?:an?\s+)?(?:order|trade)s?\s+(?:based\s+on|from|off|according\s+to|on\s+(?:it|that|this|the)))"
    r"|(?<=\bpositions)\s+and\s+(?=if\s)|(?<=\bholdings)\s+and\s+(?=if\s)|(?<=\baccount)\s+and\s+(?=if\s)"
    r"|\s+and\s+(?=(?:re-?train|re-?run|redo|re-?do|re-?test|re-?backtest)\s+(?:it|that|this|them|the\s+same)(?![a-z])))"
)
_NEWS = ("news", "headlines", "opec", "新闻", "消息面")  # asked for, not said beside an order ("the news is scaring me")
_OUT_OF_SCOPE = ("weather", "joke", "poem", "recipe", "email to", "write an email", "translate", "birthday",
                 "movie", "song", "football", "homework", "hack", "password", "api key", "private key", "tax return",
                 "taxes", "restaurant", "dinner", "lunch", "flight", "hotel", "girlfriend", "boyfriend", "wedding",
                 "story", "诗", "故事", "天气", "笑话", "写诗", "菜谱", "翻译", "生日", "电影", "作业", "黑进", "密码", "私钥", "报税", "个税", "餐厅",
                 "好吃", "火锅", "外卖", "机票", "酒店", "旅游", "火车票", "高铁票", "动车票", "车票", "train ticket", "train tickets",
                 "bus ticket", "concert ticket", "movie ticket", "taxi", "打车", "快递", "女朋友", "男朋友", "唱歌", "newsletter", "press release",
                 "marketing", "slide deck", "powerpoint", "blog post", "opening paragraph", "cover letter", "爬虫", "撰写", "写一份",
                 "写一篇", "写个文案", "发到邮箱", "发邮件", "发到老板邮箱", "发我邮箱", "邮箱", "写邮件", "请假条", "legal", "lawyer", "lawsuit", "tax schedule", "capital gains tax", "email the",
                 "send an email", "regulator", "suspicious activity", "下雨", "开户", "申报", "计提", "管理费", "邮件",
                 "律师", "合法吗", "admin panel", "admin console", "admin page", "break into", "hack into", "get into my old",
                 "someone else's account", "without authorization", "unauthorised access", "unauthorized access", "管理后台", "破解",
                 "going to rain", "will it rain", "rain in", "snow in", "book me", "book a table", "reservation", "table for two", "limerick", "haiku", "sonnet", "essay", "rap about", "新闻稿", "营销", "写邮件", "发邮件", "做个ppt",
                 "骇进", "骇入", "黑入", "入侵他", "入侵别人", "入侵系统", "入侵服务器", "入侵网站", "入侵账户", "入侵账号", "入侵后台", "入侵数据库", "入侵电脑", "入侵交易所", "篡改", "把我的余额改",
                 "周报", "日报", "月报", "写报告", "weekly report", "daily report", "status report", "my report",
                 "crypto wallet", "bitcoin wallet", "ethereum wallet", "wallet for", "seed phrase", "binance account",
                 "coinbase account", "exchange account", "open an account", "钱包", "币安", "注册一个", "注册个",
                 "台风", "typhoon", "上班", "放假", "cap gains", "gains tax", "tax on", "tax bill",
                 "朋友圈", "文案", "小红书", "发微博", "leave application", "leave request", "sick leave", "letter to my", "letter to our", "letter to the", "investor letter", "lp letter", "quarterly letter",
                 "shareholder letter", "致股东的信", "致投资人的信", "投资者信", "季度信")


#: A clause that only gives context ("for context we hold 40 names, but that is not relevant",
#: "the last time we looked the IC was 0.03, which is why ..."): it holds no step and no value.
BACKGROUND = re.compile(
    r"\bfor context\b|\bfor background\b|\bnot relevant\b|\birrelevant\b|\bseparate question\b|\bwhich is why\b|"
    r"\bthat'?s why\b|\bthat is why\b|\bi know we used\b|\bby the way\b|\bbtw\b|\bjust so you know\b|"
    r"\bsomething else entirely\b|\b(?:do not|don'?t) want (?:that|it|this) used\b|\bnot the window\b|"
    r"\bnot what i'?m after\b|\bnot what i am after\b|\bnot (?:part of|for) this\b|\bignore (?:that|this)\b|"
    r"背景是|题外话|与此无关|跟这个无关|和这个无关|不相关|先不管|这是另一个问题|另外一回事")


#: Out-of-scope words no quant request uses (checked before the look-back and trading cues).
#: Breaking into a system: declined whatever it is for ("帮我黑进他们的服务器，把他们的因子库拿过来").
#: "入侵" alone is also an army's ("伊拉克入侵科威特"): a system must be what is broken into.
_BREAK_IN = ("黑一下", "黑掉", "黑了他", "黑他", "盗号", "盗取", "别人的账户", "别人的交易账户", "他人的账户", "他人账户",
             "别人账户", "someone else's account", "another person's account", "into my ex's", "my ex's account",
             "my ex's brokerage", "黑进", "黑入", "骇进", "骇入", "入侵他", "入侵别人", "入侵系统", "入侵服务器", "入侵网站", "入侵账户", "入侵账号", "入侵后台", "入侵数据库", "入侵电脑", "入侵交易所", "hack into", "hacking into", "break into",
             # "get me into my colleague's broker account? he forgot his password": someone else's access, declined
             "colleague's account", "colleague's broker", "colleague's brokerage", "friend's account", "his password",
             "her password", "their password", "forgot his password", "forgot her password", "别人的密码", "他的密码",
             "同事的账户", "同事的账号", "朋友的账户", "朋友的账号")
_PLAINLY_OUT = ("regulator", "suspicious activity", "tax return", "taxes", "brokerage account", "open an account",
                "open a brokerage", "交税", "缴税", "纳税", "所得税", "income tax", "lawyer", "lawsuit", "weather", "poem",
                "email to", "write an email", "send an email", "开户", "报税", "个税", "律师", "天气", "写诗", "写邮件", "发邮件",
                "交多少税", "缴多少税", "多少税", "要交税", "要缴税",  # not 印花税, a cost of trading
                # news, macro calls and moving money between banks: nothing Taorui computes
                "news", "headlines", "opec", "the fed", "fed going to", "interest rates", "rate cut", "rate hike",
                "新闻", "消息面", "美联储", "加息", "降息", "入金", "出金", "转点钱", "转钱到", "银行转", "开个证券账户",
                "开证券账户", "开个户", "开个账户", "开一个账户",
                "发个微信", "发微信", "发条微信", "发短信", "发个短信", "发条短信", "打个电话", "打电话给",
                "text my wife", "text my husband", "message my wife", "call my wife", "call my mom",
                *_BREAK_IN)


class RouterLike(Protocol):
    """The part of the exemplar router the classifier uses."""

    def route(self, text: str) -> object:
        """A result with ``intent``, ``score`` and ``confident``."""


@dataclass(frozen=True)
class Clause:
    """A piece of the instruction and the intent it holds (None: it modifies another)."""

    start: int
    end: int
    intent: str | None
    by: str  # "cues", "router", "none"


def clauses_of(norm: str) -> list[tuple[int, int]]:
    """Spans of the clauses of ``norm``; a sequencing word starts the clause it introduces, so
    every character of the instruction (and every value stated) belongs to one clause."""
    spans, start, cut = [], 0, 0
    for match in _SEQUENCERS.finditer(norm):
        if match.group(0) == "再" and _bare_name(norm[cut:match.start()].strip(" ,，、")):
            continue  # "黄金再加点", "原油再卖两手": the name the order is on, not a step of its own
        if norm[start:match.start()].strip(" ,，、"):
            spans.append((cut, match.start()))
            cut = match.start()
        start = match.end()
    if norm[start:].strip(" ,，、"):
        spans.append((cut, len(norm)))
    elif spans:
        spans[-1] = (spans[-1][0], len(norm))
    return _conditions_cut(norm, spans or [(0, len(norm))])


def _bare_name(text: str) -> bool:
    """Whether ``text`` is only the name of an instrument ("黄金", "syn012")."""
    return re.fullmatch(r"syn\d{3}", text) is not None or any(text in names for names in lex.ASSETS.values())


#: "check the book - if there's crude left, sell it", "看一下黄金价格，如果跌了就买": a look, then an
#: order that depends on what it shows (the order still waits for a person).
_LOOK_FIRST = re.compile(r"^\W*(?:first\s+|先\s*)?(?:(?:给我|帮我|让我)\s*)?(?:check|look at|show me|pull up|let me see|chart|plot|"
                         r"看一下|看看|先看|查一下|查查|看下|瞧瞧|瞅瞅|查下|瞄一眼|瞄一下)")
_CONDITION = re.compile(r"\s*(?:[,，;]|\s[-–—])\s*(?=if\b|如果|要是|若是?)")


def _conditions_cut(norm: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for start, end in spans:
        cond = _CONDITION.search(norm, start, end) if _LOOK_FIRST.search(norm[start:end]) else None
        if cond is not None:
            out += [(start, cond.start()), (cond.start(), end)]
        else:
            out.append((start, end))
    return out


_EVALUATE_ONE = re.compile(r"\b(?:evaluate|assess|test|check|measure)\s+(?:the|my|our|this|that|a)\b|评估一下?(?:这个|我的|那个)")


_FEATURE_NAMES = re.compile(r"alpha\s*-?\s*(?:158|360)")


#: "signals that capture recent winners": with a theme, signals are factors.
_SIGNALS = re.compile(r"(?<![a-z])(?:signals|predictors|indicators)(?![a-z])")


#: "how good is the 20d momentum factor", "这个换手率因子怎么样": one named factor, judged.
_ONE_FACTOR = re.compile(r"(?<![a-z])(?:the|this|that|my|our)\s+(?:[\w$().,-]+\s+){0,3}factor(?![a-z])|这个[^，,。]{0,8}因子"
                         # "5日反转因子最近两年还有效吗", "a 1-month reversal factor", "the IC of 5-day reversal": one
                         # factor named by its length, or asked how it does
                         r"|(?<![\w])(?:\d+|one|two|three|six|twelve)[- ]?(?:day|d|week|month|year)s?\s+[\w-]+\s+factor(?![a-z])"
                         r"|(?:\d+|[一二两三五六十]+)\s*(?:日|天|周|个月|月)\s*[\u4e00-\u9fff]{1,4}?因子(?!们)"
                         r"|因子(?:的)?(?:表现|效果|ic|IC)?\s*(?:怎么样|如何|咋样|还有效吗|有效吗|管用吗|靠谱吗|还行吗)"
                         r"|(?<![a-z])(?:rank\s+)?ic\s+of\s+(?!roughly|about|around|approx)(?:the\s+|a\s+)?(?:\d+[- ]?(?:day|d|month|week)\s+)?[a-z][\w-]*(?![a-z])")


_WHICH_TO_BUY = re.compile(r"(?<![a-z])(?:which|what)\s+(?:one|ones|of\s+(?:them|the\s+two|these|those))?\s*"
                           r"(?:i\s+|we\s+)?(?:should\s+(?:i\s+|we\s+)?)?(?:to\s+)?(?:buy|sell|pick|go\s+with)(?![a-z])"
                           r"|(?:该|应该)?(?:买|卖|选)哪(?:个|只|一个|一只|些)")
_MEANT_NOT_NAMED = re.compile(MEANT_NOT_NAMED)
_MINE_MORE = re.compile(r"(?<![a-z])(?:mine|dig\s+up|find|come\s+up\s+with)\s+(?:\w+\s+)?(?:more|another|others?)(?![a-z])"
                        r"|再挖|多挖|另挖|再找")


def _factor_intent(text: str, found: Found) -> str | None:
    if found.expressions:
        return "evaluate_factors"
    text = _FEATURE_NAMES.sub(" ", text)  # "alpha158" is a model's feature set, not a factor request
    if found.strategies and found.instruments and not lex.has_any(text, lex.CUES["factor"]):
        return None  # "均值回归在黄金上调下窗口": a rule on one market, its name also a factor theme
    if found.factor_count is not None and _MINE_MORE.search(text):
        return "mine_factors"  # "再挖2个", "then mine 3 more": more of the factors named before
    strategy_word = lex.has_any(text, ("strategy", "strategies", "策略", "rule"))
    if found.themes and not strategy_word and not found.instruments and re.search(r"(?<![a-z])(?:rank\s+)?ic\s+of(?![a-z])(?!\s*(?:roughly|about|around|approx\w*|~|-?0?\.\d))", text):
        return "evaluate_factors"  # "check the IC of 5-day reversal": one factor named by its theme, judged
    if not lex.has_any(text, lex.CUES["factor"]) and not (found.themes and (lex.has_any(text, lex.CUES["mine"])
                                                                            or _SIGNALS.search(text))
                                                          and not strategy_word
                                                          and not lex.has_any(text, lex.CUES["optimize"])):
        return None  # "optimise the momentum lookback on SYN015, try 20, 60 and 120 days": a rule's search
    if _is_recall(text):
        return "recall"
    mining = lex.has_any(text, lex.CUES["mine"]) or found.factor_count is not None or re.search(
        r"factors|alphas|因子们|几个|一些|some|a few|several", text) is not None
    if not mining and (_EVALUATE_ONE.search(text) or lex.has_any(text, lex.CUES["evaluate"]) or _ONE_FACTOR.search(text)):
        return "evaluate_factors"  # one named factor ("the 20-day momentum factor", "评估一下换手率因子")
    return "mine_factors"


#: "调整纳斯达克布林通道的周期参数", "把布林带的参数调到最好": a search said around its object.
_TUNE_SPREAD = re.compile(r"调整[^，,。；;]{0,16}?参数|参数[^，,。；;]{0,4}?调(?:到|成|至)?(?:最好|最优|最佳|最合适)|"
                          r"调(?!出|取|阅|仓|用)[^，,。；;\d]{1,6}?参数")


def _research_intent(text: str, found: Found) -> str | None:
    if found.algos or lex.has_any(text, lex.CUES["rl"]):
        return "train_rl"
    if found.models or found.features or (lex.has_any(text, lex.CUES["model"]) and lex.has_any(text, lex.CUES["train"])):
        return "train_model"
    if found.universe is not None and lex.has_any(text, ("pick stocks", "stock picking", "stock-picking", "选股")):
        return "train_model"
    if not found.instruments and _PICKER.search(text) and (found.top_k or found.top_pct or _STOCKS.search(text)):
        return "train_model"  # "用AI帮我挑五只股票", "an AI model that tells me which stocks to buy": a stock-picking model
    optimize = lex.has_any(text, lex.CUES["optimize"]) or bool(found.grid) or bool(found.tune) \
        or _BEST_OF.search(text) is not None or _TUNE_SPREAD.search(text) is not None
    if optimize and (found.strategies or lex.has_any(text, lex.CUES["backtest"]) or found.params or found.tune
                     or found.grid):
        return "optimize_strategy"
    if found.themes and re.search(r"主题|(?<![a-z])themes?(?![a-z])", text) and not lex.has_any(text, lex.CUES["backtest"]):
        return None  # "按动量主题": a factor theme, not a momentum rule to backtest
    if found.strategies or lex.has_any(text, lex.CUES["backtest"]):
        return "backtest_strategy"
    return None


_PICKER = re.compile(r"(?<![a-z])(?:ai|a\.i\.|machine[- ]learning|ml|model|quant model|algorithm)(?![a-z])|人工智能|模型|机器学习|量化模型|算法")
_STOCKS = re.compile(r"(?<![a-z])(?:stocks?|names|equities|which ones to buy|what to buy|picks?)(?![a-z])|股票|个股|选股|挑几只|选几只|买哪")
#: "which are the best Bollinger settings", "find the best lookback": a search, asked as a question.
_BEST_OF = re.compile(r"\b(?:what|which|find|search for|look for|tell me|get)\b.{0,40}?\bbest\s+(?:[\w-]+\s+){0,2}"
                      r"(?:settings?|parameters?|params|lookbacks?|windows?|periods?|pairs?|combinations?|values?|lengths?)\b")


_ADVICE = re.compile(r"should i (?:buy|sell|hold|do|add|cut|reduce|keep)|what should i do|what do i do|"
                     r"(?:if|whether) (?:i|we) should (?:buy|sell|hold|add|cut|reduce|keep|be)|whether to (?:buy|sell|hold)|"
                     r"do you think i should|is it (?:a )?(?:good )?time to (?:buy|sell)|"
                     r"(?:我)?应该(?:买|卖|加仓|减仓|持有|怎么(?:做|办|操作))|要不要(?:买|卖|加仓|减仓)|"
                     r"买还是卖|该不该(?:买|卖)|怎么操作|该怎么(?:做|办)|该(?:加仓|减仓|买入?|卖出?|持有)(?:还是|吗|呢|\?|？)")
#: The choices asked about: "buy more, sell some, or just sit tight?", "继续拿着还是卖掉比较好？" - a suggestion asked for.
_CHOICES = re.compile(r"(?<![a-z])(?:buy|add|sell|trim|reduce|cut|hold|keep)(?:\s+(?:more|some|it|them|a\s+bit|a\s+little))?"
                     r"\s*(?:,|\bor\b)\s*(?:\w+\s+){0,2}?(?:buy|add|sell|trim|reduce|cut|hold|keep|sit|stay|wait)(?![a-z])"
                     r"[^.!?]{0,40}[?？]"
                     r"|(?:买|加仓|拿着|持有|留着|卖|减仓|清仓)[^，。！？,.!?]{0,4}还是[^，。！？,.!?]{0,4}"
                     r"(?:买|加仓|拿着|持有|留着|卖|卖掉|减仓|清仓|观望)")


def _advice(text: str, found: Found) -> bool:
    """"Should I sell part of my gold?" asks for a suggestion (an RL agent's), not an order."""
    if found.quantity is None and _CHOICES.search(text):
        return True  # "Buy more, sell some, or just sit tight?" after "what should I do with my gold": still the advice
    return bool(_ADVICE.search(text)) and found.quantity is None and bool(found.instruments)


_CHART = ("price chart", "price history", "chart of", "price series", "k线", "走势图", "价格走势", "行情走势")
#: "next week's position", "position for tmrw?": the position an agent suggests, not the account's.
_SUGGESTED = re.compile(r"(?:next|this|coming) (?:week|month|day)'?s? (?:position|allocation)|"
                        r"(?:what|which)\s+position\s+to\s+(?:take|hold|have|run)|"
                        r"(?:position|allocation|exposure) (?:for|over) (?:next|the next|tomorrow|tmrw|tmr|this|the coming)|"
                        r"tomorrow'?s (?:position|allocation)|下周(?:的)?仓位|明天(?:的)?仓位|下个月(?:的)?仓位|"
                        r"(?:下周|下个?月|明天|下一?交易日|接下来)(?:的)?(?:持仓|仓位|配置|操作)(?:建议)?|(?:持仓|仓位|配置)建议|"
                        r"(?<![a-z])suggest(?:ed|s)?\s+(?:a\s+|the\s+)?(?:positions?|allocations?|holdings?)(?![a-z])|"
                        r"(?<![a-z])(?:position|allocation)\s+suggestions?(?![a-z])")


#: "gold is roughly 30% of it": a size described, not ordered.
_COPULA = re.compile(r"(?<![a-z])(?:is|are|was|were|makes up|accounts for)\s+(?:about\s+|roughly\s+|around\s+|now\s+)?\d|占|是\d")
#: "WTI close on 2008-07-03": a closing price, not closing a position.
_CLOSE_ON = re.compile(r"(?<![a-z])clos(?:e|es|ing)\s+(?:on|of|for|at|price)\s+(?:\d|the\s+\d|[a-z]+\s+\d)|"
                       r"(?<![a-z])(?:latest|last|today'?s|yesterday'?s|previous|prior|final|closing)\s+(?:close|closing\s+price)\b")


#: "why did the model buy these?", "为什么模型建议买入这些股票？": the cycle's picks, explained.
_EXPLAIN = re.compile(r"\bwhy\b.{0,40}?\b(?:buy|bought|pick|picked|choose|chose|chosen|select|selected|sell|sold|"
                      r"want|wants|wanted|recommend|recommended|like|likes)\b.{0,30}?\b(?:these|those|them|this|that|"
                      r"names|stocks|picks|shares|today|yesterday)\b|"
                      r"\bexplain\b.{0,30}?\b(?:trades|picks|orders|positions|the cycle|the model'?s? (?:picks|choices|buys))\b|"
                      r"为什么.{0,12}(?:买入?|选|挑|卖出?|推荐|建议买)|(?:解释|说明).{0,12}(?:买入|选股|交易|调仓|这些股票)")


#: The cycle named outright (stronger than a model named beside it).
_CYCLE_NAMED = ("trading cycle", "today's cycle", "todays cycle", "daily cycle", "run the cycle", "交易周期", "交易循环",
                "今天的交易周期", "今日交易周期", "日度交易流程", "日度交易", "今日的交易流程", "今天的交易流程", "每日交易流程",
                "daily trading process", "daily trading routine")


#: A look at a market named beside it ("quick look at WTI over the last 6 months", "pull up nasdaq for H2 2018").
_LOOK_OVER = re.compile(r"(?<![a-z])(?:(?:quick|a|take\s+a|have\s+a)\s+)?look\s+at|(?<![a-z])pull\s+up|(?<![a-z])bring\s+up")


#: "帮我看一下标普最近怎么样", "瞅瞅原油走势": a look at how an instrument has been doing.
_LOOK_HOW_ZH = re.compile(r"(?:看一?下|看看|瞅瞅|瞅一?眼|瞧瞧|看一眼)[^,，。;；?？]{0,12}?(?:怎么样|咋样|如何|走势|表现|行情)")


_MY_GAIN = re.compile(r"(?:我|我们|看下|看一下|看看|查下|查一下|算下|算一下|告诉我)的?[^，。,.?？]{0,8}?(?:赚了|亏了|盈亏|浮盈|浮亏|收益怎么样|是赚是亏|是亏是赚|赚还是亏|亏还是赚|赚没赚|亏没亏)|(?<![a-z])(?:how\s+much\s+(?:am|are)\s+"
                      r"(?:i|we)\s+(?:up|down)|(?:my|our)\s+(?:p&l|pnl|gains?|profit|loss)\s+(?:on|in|from))(?![a-z])")


#: Money moved from one holding into another ("rotate half my crude into gold", "move everything out of nasdaq and
#: into the s&p", "把一半的原油换成黄金", "把纳斯达克的仓位全部挪到黄金上去").
_ROTATE = re.compile(r"(?<![a-z])(?:rotate|rotating|move|moving|shift|shifting|switch|switching|swap|swapping|reallocate|"
                     r"transfer)\b[^.;!?]{0,60}?\b(?:into|to|for)\b|(?:换成|换到|挪到|挪进|转到|转成|调到|移到)")


#: A holding handed over with no side or size ("do something with my gold", "adjust my S&P position", "黄金那边你处理
#: 一下", "黄金的仓位调整一下"): an order whose side and size are asked, never guessed.
_HANDLE_IT = re.compile(r"(?<![a-z])(?:do\s+(?:something|sth|smth|stuff)\s+(?:with|about|w/)\s*(?:(?:my|our|the)\s)?|(?:deal\s+with|handle|take\s+care\s+of|sort\s+out)\s+(?:my|our|the)\s)"
                        r"|(?<![a-z])(?:adjust|rebalance|tweak|fix)\s+(?:my|our|the)\s+[\w&]+\s+(?:position|holding|exposure)s?(?![a-z])"
                        r"|(?:那边|那块|那个仓|仓位|持仓)\s*(?:你|帮我)?\s*(?:处理|弄|搞|调整|调)(?:一下|下)|你\s*(?:处理|看着办|看着弄)"
                        # "SYN099 仓位动一动", "SYN031 - 200 shares, you know what to do": an order, its side still to be said
                        r"|(?:仓位|持仓)\s*(?:动一动|动一下|动动)|(?<![a-z])you\s+know\s+what\s+to\s+do(?![a-z])")


#: An order named without its side: "put an order in on gold", "place an order for crude", "黄金下个单".
_ORDER_NOUN = re.compile(r"(?<![a-z])(?:put|place|enter|submit|send|get|fire\s+off)\s+(?:in\s+)?(?:an?\s+|the\s+|my\s+)?"
                         r"(?:market\s+|limit\s+)?order(?![a-z])(?!\s+(?:history|book|flow|log))|下(?:个|一个|一)?单(?!前|之前|以前|的|了)")


def _trading_intent(text: str, found: Found) -> str | None:
    if lex.has_any(text, lex.CUES["cycle"]):
        return "trading_cycle"
    if HYPOTHETICAL.search(text) and found.instruments:
        return "backtest_strategy"  # "if I had started with $100k, how would buy and hold have done": never an order
    if _CLOSE_ON.search(text) and found.instruments and found.quantity is None:
        return "show_price"
    if _advice(text, found):
        return "train_rl"
    # "tell me which one to buy next month", "该买哪个": advice asked, not an order
    advice = found.quantity is None and _WHICH_TO_BUY.search(text) is not None
    if found.side is not None and not advice and (found.quantity is not None or found.instruments or found.top_k
                                                  or found.top_pct or found.unknown_symbols):
        return "place_order"  # "然后买点茅台": an order on a name the store lacks is still an order (and asked about)
    if found.quantity is not None and found.instruments and not _COPULA.search(text):
        return "place_order"  # "... and 100 shares of SYN045": the side was said once for both
    if len({str(v.value) for v in found.instruments}) == 2 and _ROTATE.search(text) and not found.strategies \
            and not found.algos and not HYPOTHETICAL.search(text):
        return "place_order"  # "rotate half my crude into gold", "把一半的原油换成黄金": a sale and a buy
    if found.instruments and not advice and (_ORDER_NOUN.search(text) or _HANDLE_IT.search(text)):
        return "place_order"  # "put an order in on gold", "黄金下个单": an order whose side and size are still to be asked
    if lex.has_any(text, _CHART):
        return "show_price"  # "the price history of both over that period", "the gold price chart ..., to annotate the March drawdown"
    if lex.has_any(_SUGGESTED.sub(" ", text), lex.CUES["account"]) and not found.side and found.cash is None:
        # "下个月的持仓建议" asks for a suggestion; "看看持仓，给我下周的持仓建议" still asks for the positions
        return "account_status"
    if _MY_GAIN.search(text) and not found.side:
        return "account_status"  # "我的黄金现在赚了多少", "how much am I up on my gold": the position's P&L
    if found.instruments and found.side is None and (_LOOK_OVER.search(text) or _LOOK_HOW_ZH.search(text)) \
            and not found.strategies and not found.algos \
            and not found.models and found.suggest is None and found.horizon is None:
        return "show_price"  # "look at gold over the last week", "pull up nasdaq for the 2nd half of 2018"
    if lex.has_any(text, lex.CUES["price"]) and found.instruments:
        return "show_price"
    market = _MARKET_DID.search(text)
    if market is not None and found.instruments and not _RUN_WORD.search(market.group(1) or market.group(2)):
        return "show_price"  # "how did the Nasdaq do in H2 2015 vs the S&P": a look at both over the window
    if found.instruments and _ORDER_ASKED.search(text):
        return "place_order"  # "place an order for gold": an order whose side and size are still to be asked
    if found.instruments and _LOOK_AT.search(text) and not (found.strategies or found.algos or found.models
                                                             or found.expressions):
        return "show_price"  # "show the S&P in September 2008": a look at the series, said with a verb
    return None


#: An order asked for by name, without a side ("place an order for gold", "给原油下个单").
_ORDER_ASKED = re.compile(r"(?<![a-z])(?:place|put\s+in|submit|enter|send|make)\s+(?:an?\s+|the\s+)?(?:new\s+)?"
                          r"(?:market\s+|limit\s+)?order(?![a-z])|下(?:个|一个|一)?单(?!\s*(?:前|之前|以前|时|的时候))|挂(?:个|一个)?单|"
                          r"(?<![a-z])trade\s+(?:some|a\s+bit\s+of|a\s+little)\s+(?=\S)|交易一下|做一笔|来一笔|"
                          # "trade SYN117", "please trade gold for me": an order on it, side and size to be asked
                          r"^\W*(?:(?:please|pls|can\s+you|could\s+you)\s+)?trade\s+(?=syn\d{3}(?![a-z\d])|(?:the\s+)?(?:gold|crude|oil|wti|"
                          r"nasdaq|s&p|sp500|spx)(?:\s+for\s+me)?\W*$)|"
                          # "Do 2,000 shares of SYN071", "work 5 lots of gold": a desk's order, its side still to be said
                          r"(?:^|[,;]|(?<![a-z])(?:and|then|done|finished))\W*(?:do|work|execute|trade)\s+\d[\d,.]*\s*(?:k\s+)?"
                          r"(?:(?:shares?|lots?|units?|contracts?)\s+(?:of|in)\s|(?=syn\d{3}(?![a-z\d])))")
#: An order whose size is left vague ("上点仓位", "建个仓", "size me in", "put on a position").
VAGUE_ORDER = re.compile(r"上点仓|建个?仓|建点仓|加点仓|买一些|买点|多买点|适当(?:地)?(?:建|加|买|上|补)|(?<![a-z])(?:(?:grab|buy|get|pick\s+up|add)\s+"
                         r"(?:me\s+|us\s+)?(?:some|a\s+(?:bit|little|few)|a\s+bit\s+of)(?:\s+more)?|size\s+(?:me|us)\s+in|put\s+on\s+(?:a|some|the\s+usual)\s+"
                          r"(?:position|size|trade)|throw\s+(?:some|a\s+(?:little|lil|bit\s+of))\s+money\s+at|"
                          r"put\s+(?:some|a\s+(?:little|bit\s+of))\s+(?:money|cash|capital)\s+(?:into|in|on))(?![a-z])")
_ORDER_BY_RESULT = re.compile(r"^\W*(?:(?:and|then|so)\s+)*(?:place|put\s+in|make|submit)\s+(?:an?\s+)?(?:order|trade)s?"
                              r"(?![a-z])|^\W*(?:然后呢?|再|就|那就)?\s*(?:(?:跑|训|训练)完(?:了|之后|以后|后)?)?\s*(?:直接|就|马上)?\s*"
                              r"(?:按|照|根据|依)(?:那个|它|这个|结果|哪个|模型)\S{0,5}?"
                              r"(?:下(?:个|一个|一)?单|操作|交易|买|卖)"
                              # "then follow whichever does better with 2 lots", "act on its advice"
                              r"|^\W*(?:(?:and|then|so)\s+)*(?:follow|act\s+on|trade\s+on|go\s+with)\s+(?:whichever|the\s+winner"
                              r"|the\s+better|the\s+best|its|the\s+agent'?s|the\s+model'?s|their|what\s+it\s+says)(?![a-z])")
#: A verb that asks to see something, said at the start of a clause: with an instrument and nothing to run, its prices.
_LOOK_AT = re.compile(r"^\W*(?:(?:and|then|also|now|first|please|pls|can\s+you|could\s+you|after\s+that|afterwards|next|finally|plus)"
                      r"\W+)*(?:show|display|plot|"
                      r"pull\s+up|bring\s+up|let\s+me\s+see|give\s+me\s+a\s+look\s+at)(?![a-z])|"
                      r"^\W*(?:先|再|然后|请|帮我|给我|让我|嗯|那个)*(?:看看|看一下|看下|显示|调出)")


#: "佣金按0.03%计提": how a cost is charged (accrued), a setting of the run, not accounting work.
_CHARGED = re.compile(r"(?:佣金|手续费|费用|交易成本|成本|滑点|费率)[^，,。；;]{0,12}?计提")


_VAGUE = ("稳定一点的收益", "稳定的收益", "稳定收益", "稳健的收益", "稳健收益", "稳稳地赚", "steady returns", "stable returns",
          "consistent returns", "better somehow", "somehow better", "make my portfolio better", "improve my portfolio", "fix my portfolio",
          "让我的组合更好", "帮我优化一下组合", "hedge the book", "hedge my book", "hedge our book", "hedge everything", "对冲一下", "make me money", "make money", "get rich", "earn money", "make some money", "beat the market", "赚钱", "赚点钱",
          "发财", "稳赚", "赚大钱", "赚一笔", "something useful", "anything useful", "something smart", "something clever",
          "something interesting", "do something with", "whatever you think", "whatever you want", "surprise me",
          "up to you", "做点什么", "做点有用的", "随便做点", "随便弄点", "随便搞点", "看着办", "你看着弄", "你决定吧",
          "搞点收益", "弄点收益", "make me rich", "make us money")
#: "我该买什么？", "what should I buy?": vague only as the whole message (after a run they ask for its advice).
_VAGUE_ALONE = ("该买什么", "买什么好", "买点什么", "推荐一只", "推荐个股票", "what should i buy", "what should we buy",
                "what do i buy")


def _vague(text: str, found: Found) -> bool:
    """A wish with no task in it ("make me money"): ask what to do rather than guess."""
    concrete = found.instruments or found.strategies or found.algos or found.models or found.expressions or found.universe \
        or lex.has_any(text, lex.CUES["factor"]) \
        or lex.has_any(text, _CYCLE_NAMED)  # "找几个能赚钱的因子", "run today's trading cycle - let's make some money": the hope
    alone = len(text.strip(" ?？.。!！,，")) <= 24 and lex.has_any(text, _VAGUE_ALONE)
    return (lex.has_any(text, _VAGUE) or alone) and not concrete


#: Verse asked for: out of scope whatever it is about ("a sonnet about moving averages", "关于均线的五言律诗").
_VERSE = ("poem", "poems", "poetry", "sonnet", "haiku", "limerick", "verse about", "a verse", "ode to", "诗", "绝句", "律诗",
          "七言", "五言", "诗歌", "古诗", "宋词", "填词", "藏头诗", "对联", "歌词")


#: "今天的仓调一下", "把仓位调整一下": the book adjusted as a whole - a rebalance, not a parameter search.
_BOOK_ADJUSTED = re.compile(r"(?<![黄原持空多])仓位?\s*(?:调|调整|调一调|再调)(?:一下|下|一调)?(?![a-z\d参])")


#: One day's price asked as a number ("what price will gold be at exactly on Friday", "下周一黄金收盘价是多少？直接报个
#: 数"): a point forecast no model here makes - not a look at prices.
_POINT_FORECAST = re.compile(r"(?<![a-z])what\s+(?:price\s+)?will\s+[\w&]+\s+(?:be|close|trade|end)\b[^.?]{0,25}?"
                             r"\b(?:on\s+(?:monday|tuesday|wednesday|thursday|friday)|tomorrow|next\s+week|by\s+friday)\b"
                             r"|(?:下周[一二三四五]|明天|后天|周[一二三四五])[^,，。？?]{0,8}?(?:收盘价?|价格|点位)(?:会)?是多少|报个数")


def _cued(text: str, found: Found) -> str | None:
    """The intent strong words give, or None."""
    if _vague(text, found):
        return "unknown"
    if lex.has_any(text, _VERSE + _BREAK_IN) and not found.expressions:
        return "out_of_scope"  # "帮我黑进他们的服务器，把他们的因子库拿过来": whatever it is for
    if _EXPLAIN.search(text):
        return "explain_trades"
    if lex.has_any(text, _CYCLE_NAMED):
        return "trading_cycle"  # "today's cycle with the LightGBM model": the cycle, its model a detail
    if _BOOK_ADJUSTED.search(text) and not (found.instruments or found.side or found.quantity or found.strategies):
        return "trading_cycle"  # "今天的仓调一下": the book rebalanced, no one position named
    if lex.has_any(text, lex.CUES["list"]) and not (lex.has_any(text, lex.CUES["account"])
                                                   and not re.search(r"strat|策略", text)):
        if _is_recall(text):
            return "recall"  # "上次在SYN033上的回测用的什么策略、什么参数？": what an earlier run used, not the library
        return "list_strategies"  # "请列示当前各持仓的敞口": a list of the book, not of strategies
    if found.models and not found.expressions and not lex.has_any(text, lex.CUES["mine"]) and not _is_recall(text):
        research = _research_intent(text, found)  # "LightGBM on csi_syn for our multi-factor research": a model
        if research is not None:
            return research
    factor = _factor_intent(text, found)
    if factor is not None:
        return factor
    if lex.has_any(text, _PLAINLY_OUT) and not (found.instruments or found.algos or found.strategies or found.models):
        return "out_of_scope"  # "file a suspicious activity report about yesterday's fills": not a look back
    if _is_recall(text) and not (found.side is not None and found.quantity is not None and not found.instruments
                                 and _MEANT_NOT_NAMED.search(text)):
        return "recall"  # ("全卖了吧，就是我们上次聊的那个": an order on a position meant, not named - it is asked about)
    research = _research_intent(text, found)
    if research is not None:
        return research
    if lex.has_any(_CHARGED.sub(" ", text), _OUT_OF_SCOPE) or _POINT_FORECAST.search(text) \
            or (lex.has_any(text, _NEWS) and found.side is None and found.quantity is None):
        return "out_of_scope"
    trading = _trading_intent(text, found)
    if trading is not None:
        return trading
    if lex.has_any(text, lex.CUES["compare"]):
        return "compare"
    return None


EARLIER = re.compile(r"(?<![a-z])(?:how'?d|how\s+did)\s+(?:the|that|my|our)\s+[^?.;]{0,40}?(?:backtest|run|model|agent|training|test)"
                     r"[^?.;]{0,30}?\s+(?:go|turn\s+out|end\s+up)(?![a-z])|"  # "how'd the momentum backtest on SYN010 from 2025-11-14 go?"
                     # "tell me how the gold PPO from yesterday did"
                     r"(?<![a-z])how\s+(?:the|that|my|our)\s+[^?.;]{0,40}?(?:from|of)\s+(?:yesterday|last\s+(?:week|time|night|month)|earlier"
                     r"|the\s+other\s+day)\s+(?:did|went|turned\s+out|performed|was|looked)(?![a-z])|"
                     r"(?<!as\sthe\s)(?<!as\s)\b(?:tests?|runs?|backtests?|results?|experiments?|models?|agents?|training)\s+(?:we\s+(?:ran|did)\s+)?"
                     r"(?:from\s+)?(?:earlier|before(?!\s+(?:i|we|you|it|the|that|this|doing|sizing|trading|placing|buying|selling|"
                     r"committing|deciding)\b)|last\s+time|the\s+other\s+day)\b|"  # "that S&P test from earlier"
                     r"\b(?:pull|bring|dig|look)\s+up\s+(?:the|my|our|that)\s+(?:[\w-]+\s+){0,2}?(?:evals?|evaluations?|runs?|"
                     r"backtests?|training|results?|experiments?|studies|study)\b|"
                     r"\b(?:evals?|evaluations?|runs?|backtests?|results?|experiments?|models?|agents?|polic(?:y|ies)|training)"
                     r"\s+(?:from|of|on|dated|trained\s+on|made\s+on|built\s+on)\s+\d{4}-\d{2}-\d{2}\b"
                     r"(?!\s*(?:(?:to|through|thru|until|till|and)\s+\d|(?:-|–|~|\.\.)\s*\d))|"  # "training on 2016-01-01 to ...": a window
                     r"^\s*(?:之前|以前|先前)|(?<![年月日\d])(?:以前|之前)的(?:回测|模型|训练|结果|实验|因子|策略|那个)|"
                     r"(?:昨天|前天|上次|上回(?!测)|上周|上个月|之前|刚才|刚刚|上午|下午|今早|早上|那天|前几天)[^,，。？?；;]{0,10}?(?:回测|训练|训|跑|挖|测|做)(?:过)?的|"
                     # "2025年10月20日训练的那个黄金PPO", "原油那个TD3，2025年12月20日跑的": a run named by the day it ran
                     r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*[日号]\s*(?:训练|训|跑|做|回测|测|挖)(?:出来)?的|"
                     # "刚才黄金那个智能体是怎么说的", "上午那个原油的强化学习跑出来多少收益来着", "刚才那个训练跑完了吧？结果怎么样"
                     r"(?:昨天|前天|上次|上周|刚才|刚刚|上午|下午|今早|早上)[^,，。？?；;]{0,8}?(?:那个|那次|的)[^,，。？?；;]{0,6}?"
                     r"(?:智能体|强化学习|模型|训练|回测|agent)[^。？?；;]{0,10}?(?:怎么说|说了什么|说的|结果|收益|怎么样|多少|跑完|跑出来|表现)|"
                     r"(?:昨天|前天|上次|上回|上周|上个月|之前|刚才|刚刚|上午|下午|今早|早上|前几天)[^,，。？?；;]{0,12}?(?:回测|训练|模型|因子|实验|智能体|强化学习)的?"
                     r"(?:结果|记录|报告)|(?:上次|上回|昨天|前天|之前|上周)[^,，。？?；;]{0,16}?(?:调|拿|找|翻)出来|"
                     r"\b(?:backtests?|runs?|models?|training|experiments?|tests?|sweeps?|optimi[sz]ations?)\s+(?:that\s+)?"
                     r"(?:i|we|you)\s+(?:(?:have|had|'ve)\s+)?(?:did|done|ran|run|made|trained|tested|backtested|built|had|kicked\s+off)\s+(?:yesterday|last\s+\w+|"
                     r"earlier(?:\s+today)?|the\s+other\s+day|before|this\s+morning)\b|"
                     r"(?:昨天|前天|上次|上周|之前)[^,，。？?；;]{0,8}那个|结论是什么|\bwhat did (?:the|my|our|last|yesterday)|"
                     r"\blast (?:week|month)'s\b|\b(?:model|run|backtest|agent|policy|results?|training|experiment|ppo|a2c|sac|td3|ddpg|lightgbm|lgbm|mlp)s?\s+(?:from|of)\s+"
                     r"(?:yesterday(?!'s)|last\s+(?:week|month|time|friday|monday)(?!'s)|the\s+other\s+day|earlier\s+today)\b|\d{4}-\d{2}-\d{2}\s*(?:跑|训练|做|回测|测)的|\b(?:the|my|our)\s+\d{4}-\d{2}-\d{2}\s+(?:run|backtest|training)|那个(?:回测|结果)|(?:那次|调取|调出)[^,，。;；]{0,16}?(?:回测|训练|实验|结果|评估|挖掘|result|run|backtest)|"
                     r"(?:昨天|前天|上次|之前|上周|刚才|早上|那天|前几天)(?:回测|训练|跑|挖|测|做)(?:过)?的|"
                     r"\b(?:last|previous|latest|prior|yesterday'?s|earlier)\s+(?:[\w$&-]+\s+){0,3}?"
                     r"(?:run|backtest|model|training|result|results|experiment)s?\b")
#: "yesterday's gold model", "昨日黄金强化学习模型": a day word next to a run word (a day alone, as in
#: "we discussed costs yesterday", is not a question about a run).
DAY_RUN = re.compile(r"(?:\byesterday'?s?\b|\byday'?s?\b|昨日|昨天|前天)[^.;。；]{0,30}?(?<![a-z])(?:run|model|backtest|training|results?|"
                      r"agent|policy|ppo|a2c|sac|td3|ddpg|lightgbm|mlp|lgbm|模型|回测|训练|结果|策略|因子)(?![a-z])|"
                      # a run named by the weekday or the days ago it ran ("周一训练的那个黄金模型", "周四那个纳指PPO",
                      # "前两天那个纳指MACD回测", "最近那次原油PPO", "Monday's S&P momentum backtest", "the gold one from Thursday")
                      r"(?:(?:上)?(?:周|星期|礼拜)[一二三四五六日天](?!.{0,3}(?:之前|以前|开始|起))|前两天|前几天|最近那次|最近一次|上一次)[^,，。；;?？]{0,4}?"
                      r"(?:训练|训|跑|回测|测|做|挖)?(?:过)?的?(?:那个|那次|那版)?[^,，。；;?？]{0,10}?"
                      r"(?:模型|回测|训练|结果|策略|因子|智能体|ppo|a2c|sac|td3|ddpg|lightgbm|lgbm|mlp|macd|rsi|线性模型)(?!委员会|组|会)|"
                      r"(?<![a-z])(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)'s\s+(?:[\w&$-]+\s+){0,4}?"
                      r"(?:run|model|backtest|training|results?|agent|policy|ppo|a2c|sac|td3|ddpg|lightgbm|optimi[sz]ation|sweep)(?![a-z])|"
                      r"(?<![a-z])(?:run|model|backtest|training|results?|agent|policy|one|optimi[sz]ation|sweep)s?\s+(?:from|on|of)\s+"
                      r"(?:last\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?![a-z])|"
                      # "show me every RL run we've done on gold so far", "the PPO on the S&P, is that done yet?"
                      r"(?<![a-z])(?:every|all(?:\s+the)?|each)\s+(?:[\w&-]+\s+){0,2}?(?:runs?|backtests?|models?|trainings?)\s+(?:we|i|you)"
                      r"(?:'ve|\s+have)?\s+(?:done|run|ran|trained|made)(?![a-z])|(?<![a-z])is\s+(?:that|it)\s+(?:done|finished)\s+yet(?![a-z])")
NOT_AGAIN = re.compile(r"\b(?:no|not|don'?t|do not|never|without|no need to)\b[^,.;]{0,12}\b(?:re-?run|re-?train)"
                       r"|\b(?:no|not|don'?t|do not|never|no need to)\b[^,.;]{0,22}?\b(?:run|train|redo|repeat|do)\s+(?:it|them|that|this|"
                       r"those|the\s+\w+)\s+(?:again|over)\b"
                        r"|(?:不要|别|不用|无需|不必|不需要|不)\s*(?:re-?run|re-?train|重新|重跑|重训|再跑|再训练)")
_HYPOTHETICAL = re.compile(r"\bif (?:i|we|you) (?:trained|ran|tested|backtested|used)\b|假如|如果我(?:训练|跑|用)")


#: "how did the Nasdaq do", "how has gold performed": what a market did (group 1 names it).
_MARKET_DID = re.compile(r"(?<![a-z])how\s+(?:did|has|have|does|do|is)\s+((?:the\s+)?[\w&.^-]+(?:\s+[\w&.^-]+){0,2}?)\s+"
                         r"(?:do|done|doing|perform|performed|performing|go|gone|trade|traded|fare|fared)(?![a-z])"
                         # "I'd like to see what the Nasdaq did in 2018": what the market did, looked at
                         r"|(?<![a-z])(?:see|know|check|show\s+me)\s+what\s+((?:the\s+)?[\w&.^-]+(?:\s+[\w&.^-]+){0,2}?)\s+"
                         r"(?:did|has\s+done|was\s+doing)(?![a-z])")
_RUN_WORD = re.compile(r"(?<![a-z])(?:model|agent|run|backtest|strategy|policy|ppo|a2c|sac|td3|ddpg|lightgbm|mlp|factor)s?(?![a-z])")


#: "记得下单前让我确认", "remember to ask me first": a reminder of what to do, not a memory of a run.
_REMIND_TO = re.compile(r"记得(?=\s*(?:下单|让我|问我|帮我|要|把|先|给我|提醒|设|用|加|别|不要))|(?<![a-z])remember\s+to(?![a-z])|"
                        # "委员会上次说我们参数是拍脑袋定的", "上回开会提到…": when something was said, not a run recalled
                        r"(?:上次|上回|之前|上周|昨天)\s*(?:开会|会上|会议上)?\s*(?:就)?(?:说|提到|提过|讲|讲过|觉得|认为|质疑|问过|要求)")


def _is_recall(text: str) -> bool:
    """A question about an earlier run (not a request to run one again)."""
    text = _REMIND_TO.sub(lambda m: " " * len(m.group(0)), text)
    if not lex.has_any(text, lex.CUES["recall"]) and not EARLIER.search(text) and not DAY_RUN.search(text):
        return False
    if _HYPOTHETICAL.search(text):  # "if I trained an RL agent on ..., would it ...": a request, asked as a what-if
        return False
    market = _MARKET_DID.search(text)
    named = market.group(1) or market.group(2) if market is not None else ""
    if market is not None and lex.has_any(named, tuple(w for ws in lex.ASSETS.values() for w in ws)) \
            and not _RUN_WORD.search(named):
        return False  # "how did the Nasdaq do in H2 2015": the market over a window, not an earlier run
    if lex.has_any(text, lex.CUES["account"]) and not _RUN_WORD.search(text) \
            and not re.search(r"模型|智能体|回测|策略|因子|训练|训的|跑的|结果|结论", text):
        return False  # "is the desk still locked after yesterday's loss limit hit?", "昨天的盈亏": the account, not a run
    if NOT_AGAIN.search(text) or lex.has_any(text, ("don't retrain", "do not retrain", "without retraining", "不要重新", "别重新", "不用重新",
                          "无需重新", "不必重新", "no re-run", "no rerun", "no retrain", "no re-train", "don't rerun",
                          "don't re-run", "do not rerun", "do not re-run", "without rerunning", "without re-running",
                          "不要重跑", "别重跑", "不用重跑", "不重跑", "不重新")):
        return True
    return not lex.has_any(text, ("rerun", "re-run", "retrain", "re-train", "run it again", "train it again", "重新",
                                  "再跑", "再训练"))


#: A side said as a rule's signal: "跌破30就买入", "金叉买入、死叉卖出", "buys when ... and sells back at ...".
_RULE_SIDE = re.compile(r"(?:金叉|死叉|上穿|下穿|突破|跌破|涨过|涨破|站上|跌到|涨到|超买|超卖|低于|高于|回落到|反弹到|新高|新低|为正|为负|"
                        r"转正|转负)[^,，。;；]{0,10}?"
                        r"(?:就|时|则|后)?\s*(?:买入|卖出|买回|卖掉|做多|做空|平仓|买|卖)|"
                        r"(?<![a-z])(?:buys?|sells?|buying|selling|goes\s+(?:long|short)|go\s+(?:long|short)|shorts?)\s+"
                        r"(?:it\s+)?(?:back\s+)?(?:when|whenever|once|on\s+(?:a|the)\s+(?:cross|break)|at\s+the\s+(?:middle|upper|lower))(?![a-z])")
#: The message is about a rule strategy to run.
_STRATEGY_SAID = re.compile(r"策略|回测|规则|效果|表现|(?<![a-z])(?:strategy|strategies|backtest|bt|rules?|system)(?![a-z])")


#: A look at what the run before produced, not at the account ("show me the drawdown profile", "plot the equity
#: curve", "把回撤曲线也画出来", "净值曲线发我").
RESULT_LOOK = re.compile(r"(?<![a-z])(?:show|plot|chart|draw|give|send)\s+(?:me\s+|us\s+)?(?:the\s+|its\s+|their\s+)?"
                          r"(?:drawdowns?(?:\s+(?:profile|curve|chart|plot|path))?|equity\s+curves?|underwater\s+(?:plot|chart|curve)"
                          r"|p&l\s+curve|returns?\s+curve)(?![a-z])(?!\s+(?:of|on|for)\s+(?:my|our|the)\s+(?:account|book|portfolio))"
                          r"|(?:画|发|给我看|看)(?:一下|下)?(?:它的|其)?(?:回撤曲线|净值曲线|资金曲线|收益曲线)|(?:回撤曲线|净值曲线|资金曲线)(?:也)?(?:画|发|给我)"
                          # "then report back its Sharpe and drawdown": the run's own numbers
                          r"|(?<![a-z])(?:report(?:\s+back)?|tell\s+me|give\s+me|show\s+me|send\s+me|what(?:'s|\s+(?:is|are|was|were)))\s+"
                          r"(?:its|their|the\s+(?:run|agent|model|backtest|strategy)'?s?)\s+(?:sharpe|drawdown|max\s+drawdown|returns?|"
                          r"p&l|metrics|numbers|stats|results?)(?![a-z])"
                          r"|(?:它的|其)(?:夏普|回撤|最大回撤|收益|指标)")


#: A header that announces the formulas listed after it ("the following factors:", "下面三个因子：", "以下因子：").
_FOLLOWING = re.compile(r"(?<![a-z])(?:the\s+)?following\s+(?:\w+\s+)?(?:factors?|expressions?|formulas?|alphas?)\b[^:：\n]{0,30}[:：]\s*$"
                        r"|(?:下面|以下|下列)(?:这|的)?\s*[\d一二两三四五六七八九十几]*\s*(?:个|条)?\s*(?:因子|表达式|公式)[^:：\n]{0,12}[:：]\s*$")


#: "周期20", "周期为40日", "把周期改成60": an indicator's length (same length as "窗口", so offsets hold).
_PERIOD_LENGTH = re.compile(r"周期(?=\s*(?:参数)?\s*(?:为|是|=|:|：|设为|设成|改为|改成|换成|调到|用|取)?\s*\d)")


def classify(norm: str, span: tuple[int, int], found: Found, router: RouterLike | None,
             follows: bool = False) -> Clause:
    """The intent of one clause: cues first, then the router; None for a modifier clause.

    ``follows``: a step came before; a clause without an intent of its own then modifies it
    rather than becoming an unknown step of its own.
    """
    text = _PERIOD_LENGTH.sub("窗口", norm[span[0]:span[1]])  # "再跑周期40": an indicator's length, not the cycle
    if follows and _HOLD_OFF.search(text) and not (found.instruments or found.quantity or found.algos or found.models
                                                   or found.strategies or found.expressions):
        return Clause(span[0], span[1], None, "none")  # "先别买，看看结果再说": a limit on the step before
    held = _HOLD_OFF_LEAD.match(text)
    if held is not None:  # "先别下单，帮我看看SYN070现在的报价": no order yet; the look asked after it is the step
        rest = _cued(text[held.end():], replace(found, side=None, quantity=None))
        if rest is not None and rest != "place_order":
            return Clause(span[0], span[1], rest, "cues")
    if _RULE_SIDE.search(text) and found.quantity is None and _STRATEGY_SAID.search(norm):
        # "回测这么一个策略：14日RSI跌破30就买入，涨过70就卖出", "a strategy that buys when price drops below the lower
        # band and sells back at the middle": the rule's own trades, never an order
        return Clause(span[0], span[1], None, "none") if follows else Clause(span[0], span[1], "backtest_strategy", "cues")
    if _FOLLOWING.search(text) and not found.expressions:
        # "Evaluate the following factors on csi_syn:" before a list of formulas: the header of the step they make
        return Clause(span[0], span[1], None, "none")
    gated = _consequent(text) if not HYPOTHETICAL.search(text) else None  # "要是当初投了20万…": no gate, a what-if
    if gated is not None and _trading_intent(gated, found) == "place_order":
        # "if the agent says go long, buy 10% of equity in gold", "要是跌了就抄底，买两成仓位": the condition is a
        # gate a person checks before the order; the step is the order its consequent states
        return Clause(span[0], span[1], "place_order", "cues")
    done = _DONE_FIRST.match(text) if follows else _BEFORE_FIRST.match(text)
    rest = None
    if done is not None:  # the side the finished step's verb gave ("卖完") is not this clause's
        said_before = found.side is not None and found.side.start < span[0] + done.end()
        rest = _cued(text[done.end():], replace(found, side=None) if said_before else found)
    if rest in ("account_status", "show_price"):
        # "，卖完看下账户", "跑完顺手看下现价": what was done before is the step before; this one looks
        return Clause(span[0], span[1], rest, "cues")
    if follows and _ALSO_WINDOW.match(text) and found.periods and not (
            found.instruments or found.strategies or found.algos or found.models or found.quantity or found.expressions
            or found.themes or found.universe):
        return Clause(span[0], span[1], None, "none")  # "原油1990到1995年的价格，还有2008年的，都看一下": the step before, there too
    if follows and _WHICH_TO_BUY.search(text) and not (found.instruments or found.quantity or found.strategies
                                                        or found.algos or found.models):
        return Clause(span[0], span[1], None, "none")  # "..., and tell me which one to buy next month": its advice
    if found.side is not None and found.quantity is None and (follows or found.instruments or _named_before(norm[:span[0]])) \
            and VAGUE_ORDER.search(text):
        # "回测一下原油RSI，行的话帮我上点仓位", "..., and if it looks ok, size me in": an order on what the step before
        # ran on, its size still to be asked
        return Clause(span[0], span[1], "place_order", "cues")
    if follows and _ORDER_BY_RESULT.search(text) and _WHAT_TO_DO.search(text) and found.side is None \
            and found.quantity is None:
        return Clause(span[0], span[1], None, "none")  # "Go with the winner and tell me what to do tomorrow": its advice
    if follows and _ORDER_BY_RESULT.search(text) and not found.instruments:
        # "... and place an order based on it", "按那个下个单": an order whose side and size the person must still give
        return Clause(span[0], span[1], "place_order", "cues")
    if follows and _PRONOUN_TRADE.search(text) and _TRAILING_IF.search(text):
        # "... and buy it if the agent says buy, use 10% of equity": an order on what the step before ran, gated
        return Clause(span[0], span[1], "place_order", "cues")
    intent = _cued(text, found) or _cued(_LEADING_JOIN.sub("", text), found)
    if intent is not None:
        return Clause(span[0], span[1], intent, "cues")
    if follows and _WHICH_BETTER.search(text) and not (found.instruments or found.strategies or found.algos
                                                       or _modifier(text, found)):
        return Clause(span[0], span[1], "compare", "cues")  # "... which asset does it learn better?"
    if follows and _PRONOUN_TRADE.search(text) and not found.instruments and found.quantity is None:
        return Clause(span[0], span[1], None, "none")  # "... pick the best 5 and buy them": the picks of the step before
    opens = _OPENS_REQUEST.match(text) is not None or _ENDS_REQUEST.search(text) is not None
    if (_modifier(text, found) and not opens) \
            or (follows and found.instruments and not found.quantity and found.side is None and not opens):
        return Clause(span[0], span[1], None, "none")  # "标的用黄金": names what the step runs on
    if found.instruments and not found.strategies and not opens and _HOLDING_SAID.search(text):
        return Clause(span[0], span[1], None, "none")  # "i've got a fair bit of gold and i'm nervous": context
    if found.instruments and not found.strategies and not opens:
        return Clause(span[0], span[1], "show_price", "fallback")  # "spx the week of oct 6 2008"
    if _PUZZLED.search(text) and not opens and not (found.strategies or found.algos or found.models or found.expressions):
        return Clause(span[0], span[1], None, "none")  # "最近行情有点看不懂了，你先帮我…": how the person feels, context
    if router is not None:
        result = router.route(text)
        routed = str(getattr(result, "intent", "unknown"))
        sure = getattr(result, "confident", False) or float(getattr(result, "score", 0.0)) >= _DECLINE_SCORE
        if routed == "out_of_scope" and found.unknown_symbols:
            return Clause(span[0], span[1], "unknown", "none")  # "比特币能用AI炒吗": ask about the symbol, not decline
        if routed == "out_of_scope" and not follows and sure:  # a decline needs less confidence: nothing runs
            return Clause(span[0], span[1], routed, "router")
        if routed in _MOVES_MONEY and not follows and len(re.findall(r"[a-z]+|[\u4e00-\u9fff]", text)) <= 2:
            return Clause(span[0], span[1], "unknown", "none")  # "Trading", "trade": a whole cycle is not read from one word
        if routed == "trading_cycle" and not _CYCLE_WORD.search(text):
            # "on the train, signal's awful.", "在高铁上信号差": the router's nearest exemplar, but nothing here runs a cycle
            return Clause(span[0], span[1], None if follows else "unknown", "none")
        if getattr(result, "confident", False) and routed != "unknown" and not (follows and routed == "compare"):
            return Clause(span[0], span[1], routed, "router")
        head = _request_head(text) if opens else None
        if head is not None:  # "then show me the risk state, and what should i do next week?": what it opens with
            result = router.route(head)
            routed = str(getattr(result, "intent", "unknown"))
            if getattr(result, "confident", False) and routed not in ("unknown", "compare", "out_of_scope"):
                return Clause(span[0], span[1], routed, "router")
    if follows:
        return Clause(span[0], span[1], None, "none")
    return Clause(span[0], span[1], "unknown", "none")


#: An order held off at the start of a clause, a request after it ("先别下单，帮我看看SYN070现在的报价",
#: "don't place anything yet, just show me the book").
_HOLD_OFF_LEAD = re.compile(r"^\W*(?:先|暂时|暂)?(?:别|不要|不用|先不)(?:急着)?(?:下单|买入?|卖出?|交易|成交)[^,，。;；]{0,4}[,，;；]\s*|"
                            r"^\W*(?:don'?t|do\s+not)\s+(?:place|send|buy|sell|trade)\s*(?:anything|any\s+orders?|it)?\s*"
                            r"(?:yet|for\s+now)?\s*[,;:-]\s*(?:just\s+)?")


#: Advice asked for ("tell me what to do tomorrow", "该怎么操作", "给个建议"): no order of its own.
_WHAT_TO_DO = re.compile(r"(?<![a-z])(?:what\s+(?:to|should\s+(?:i|we))\s+do|what\s+(?:to|should\s+(?:i|we))\s+(?:hold|trade)|"
                         r"(?:a\s+)?(?:recommendation|suggestion|advice))(?![a-z])|怎么操作|如何操作|该怎么做|(?:给|出)(?:个|一个|点)?建议")


def _named_before(text: str) -> bool:
    """An instrument named before the clause ("gold's looking ready to pop. grab me some"): what a vague order is on."""
    return re.search(r"(?<![a-z])syn\d{3}", text) is not None or lex.has_any(text, tuple(w for ws in lex.ASSETS.values() for w in ws))


#: How the person feels about the market, said before what they ask ("最近行情有点看不懂了", "the market makes no
#: sense to me lately"): context, not a look at prices.
_PUZZLED = re.compile(r"看不懂|看不明白|看不透|搞不懂|摸不着头脑|摸不透|心里没底|有点慌|很慌|好慌|"
                      r"(?<![a-z])(?:makes?\s+no\s+sense|can'?t\s+(?:read|figure\s+out|make\s+sense\s+of)|confus(?:ed|ing)"
                      r"|baffl(?:ed|ing)|no\s+idea\s+what'?s\s+going\s+on)(?![a-z])")


#: Words without which the router's "trading cycle" is not taken: a cycle sends orders.
_CYCLE_WORD = re.compile(r"(?<![a-z])(?:cycle|rebalanc\w*|daily|morning|today'?s|tonight'?s|routine|pipeline|run\s+(?:it|the\s+\w+)|"
                         r"trading|trade|strategy|portfolio|book|model|signals?\s+(?:and|to)|orders?)(?![a-z])|"
                         r"周期|调仓|再平衡|流程|今天|今日|每日|日常|交易|选股|组合|下单|持仓调整")


#: Readings the router may give that send orders: never taken from a word or two with no cue of their own.
_MOVES_MONEY = ("trading_cycle", "place_order")


#: A clause that opens with a request of its own ("then show me the risk state, and what should I do next
#: week?", "could you show me the last 6 months of price"): not a mere setting of the step before, even
#: when it also states a window or a horizon; the router reads what it asks.
_OPENS_REQUEST = re.compile(
    r"^\W*(?:(?:and|then|also|now|so|ok(?:ay)?|please|pls|plz|next|after\s+that|finally)[\s,]+)*"
    r"(?:(?:could|can|would|will)\s+you\s+(?:please\s+|pls\s+)?|(?:please|pls)\s+)?"
    r"(?:show|display|list|plot|chart|pull\s+up|bring\s+up|check|what(?:'s|\s+is|\s+are)\s+my)"
    r"(?![a-z])"
    r"|^\W*(?:(?:然后|接着|再|并且?|还有|最后|顺便)\s*)*(?:请|帮我|给我)?\s*(?:看一?下|看看|查一?下|查查|显示|画|列一?下|列出)")
#: A question that asks which of the runs before came out ahead ("which asset does it learn better",
#: "which one holds up best", "哪个学得更好"): a comparison of the steps before it.
_WHICH_BETTER = re.compile(
    r"(?<![a-z])(?:which|who)(?:\s+(?!of\s+my)\w+){0,5}?\s+(?:better|best|worse|wins?|won|stronger|more\s+(?:robust|stable"
    r"|profitable|consistent))(?![a-z])|哪个[^,，。;；]{0,8}?(?:更好|更强|更稳|最好|更优|学得好|学得更好|表现好)")


def _request_head(text: str) -> str | None:
    """The request a clause opens with, up to its first break (None when that is the whole clause)."""
    body = text.lstrip(" .,;:!?。，；：")
    head = re.split(r"[,;?!？！，；。]|\s+and\s+(?=what|how|which|whether|tell|give)", body, maxsplit=1)[0].strip()
    return head if head and head != body.strip() else None


#: A joining word a second request opens with ("，顺便看下黄金最新价", ", also px of crude"): the cues read past it.
#: "买完", "卖完了再", "跑完之后": the step before finished, named as the time this clause's request comes.
#: "，卖完看下账户", "调仓挂好后给我看下持仓", "下完单以后看下现金": once the step before is done.
_DONE_FIRST = re.compile(r"^[\W_]*(?:然后|再|等)?\s*(?:(?:搞|做|弄|跑|调|训|训练|测|挖|买|卖|下单|回测)完|下完单|"
                         r"(?:调仓|订单|单子?|仓位)?(?:挂|下|调|弄|搞|做|建)好)(?:了|之后|以后|后)?\s*"
                         r"(?:再|就|顺[便手带])?\s*")
#: "调仓前先看下持仓", "下单之前先看看现金": a look asked before the step it names (which comes later, said on its own).
_BEFORE_FIRST = re.compile(r"^[\W_]*(?:在)?(?:调仓|下单|交易|开盘|跑周期|跑交易周期|跑之)(?:之前|以前|前)\s*(?:先|,|，)?\s*")
_LEADING_JOIN = re.compile(r"^[\W_]*(?:(?:顺[便手带]|另外|同时|还有|并且|然后|再|also|and|plus|then|btw)[\s,，]*)+", re.I)


#: The same request said last, as Chinese often does ("原油去年四季度的图看一下", "账户情况查一下").
_ENDS_REQUEST = re.compile(r"(?:看一?下|看看|瞧瞧|瞅瞅|画一?下|画出来|显示一?下|列一?下|查一?下|查查)(?:吧|呢|啊)?\W*$")


#: A first-person statement of what someone holds ("i've got a fair bit of gold", "我手上有不少黄金"): the
#: context of a request, not a look at prices.
_HOLDING_SAID = re.compile(r"(?<![a-z])(?:i(?:'ve|\s+have)\s+got|i\s+(?:have|own|hold)|i'm\s+(?:holding|long|sitting\s+on)"
                           r"|we\s+(?:have|own|hold))(?![a-z])|我(?:手上|手里|现在|目前)?(?:有|持有|拿着)")


#: A clause that opens with a condition ("if the model says long, ...", "要是跌了就...") and states what
#: to do once it holds; the consequent follows the first comma or 就 after the condition.
_GATE = re.compile(r"^\W*(?:(?:and|but|then)\s+)?(?:if|when|once|should)\s+[^,;]{3,80}?,\s*(?:then\s+)?|"
                   r"^\W*(?:that'?s?\s+|so\s+)?(?:(?:and|but|then)\s+)?(?:if|once|should)\s+[^,;]{3,60}?\s+(?=(?:then\s+)?"
                   r"(?:buy|sell|short|go\s+long|trim|cut|close|dump|add|put|invest|allocate|i'?ll\s+take|i\s+will\s+take)\s)|"  # "and if DDPG wins buy 1 lot"
                   r"^\W*(?:那)?(?:如果|要是|若是?|万一|一旦|如(?![下何今此同]))[^,，;；]{1,30}?(?:的话)?(?:就|则|[,，]\s*(?:就|则)?)|"
                   # "双均线更好的话就买入1手原油", "ok就买50", "不行就空2手", "收益为正就加仓1手": the condition said without 如果
                   # (with a size: "创20日新高就买入" with none is a rule's signal, not an order)
                   r"^\W*[^,，;；]{1,24}?(?:的话\s*(?:就|则)?|就|则)(?=\s*(?:买|卖|加仓|减仓|清|空|多|平|做多|做空|下单)"
                   r"[^,，。;；]{0,10}?(?:\d|[一二两三四五六七八九十半]\s*(?:手|股|成|万|千)))")


def _consequent(text: str) -> str | None:
    """What a conditional clause says to do once its condition holds (None without a condition)."""
    gate = _GATE.match(text)
    if gate is None or not text[gate.end():].strip(" ,，.。"):
        return None
    return text[gate.end():]


#: "Don't place any orders yet", "先别买，看看结果再说": a wish to hold off, not a step of its own.
_HOLD_OFF = re.compile(r"(?<![a-z])(?:(?:don'?t|do\s+not|no\s+need\s+to|not\s+going\s+to)\s+(?:\w+\s+)?(?:buy|sell|trade|order|place)"
                       r"|no\s+(?:orders?|trades?|trading)\s+(?:yet|for\s+now)|hold\s+off(?:\s+on)?\s+(?:buying|selling|trading|orders?)"
                       r"|wait\s+and\s+see)(?![a-z])"
                       r"|(?:先|暂时|暂)?(?:别|不要|不|先不|不用|无需)(?:急着)?(?:买|卖|下单|交易|建仓)|看看结果再说|看结果再说|再说吧"
                       # "我再决定要不要加仓", "then I'll decide whether to add": a decision left to the person, no order
                       r"|(?:再|然后|之后|回头)?(?:决定|考虑|想想|看看|判断)(?:一下)?(?:要不要|是否|该不该|还要不要)"
                       r"|(?<![a-z])(?:i'?ll|i\s+will|we'?ll|then\s+i'?ll)\s+(?:decide|think\s+about|see)\s+(?:whether|if)(?![a-z])"
                       r"|(?<![a-z])before\s+(?:i|we)\s+(?:decide|size|commit|pull\s+the\s+trigger)(?![a-z])")


#: An out-of-scope reading below the router's confidence still declines when at least this close
#: ("what's the weather like"); "is it a good time?" is too far from any exemplar and is asked about.
_DECLINE_SCORE = 0.5


_ALSO_WINDOW = re.compile(r"^\W*(?:还有|以及|外加|另外还有|再加上)")
_TRAILING_IF = re.compile(r"(?<![a-z])(?:if|once|when|provided|only\s+if|in\s+case)\s+\w|(?:如果|要是|假如|一旦|若)")
_PRONOUN_TRADE = re.compile(r"^\W*(?:and\s+|then\s+)?(?:buy|sell|trade|purchase|order)\s+(?:them|those|these|it|the\s+picks)\b"
                            r"|^\W*(?:并|然后|再)?\s*(?:买入|买|卖出|下单)(?:它们|这些|这几只|这些股票)")


def _modifier(text: str, found: Found) -> bool:
    """A clause that only adds settings (approval, a horizon, costs, a window) to a step."""
    flags = found.approval is not None or found.suggest is not None or found.horizon is not None
    settings = bool(found.costs or found.periods or found.params or found.seed or found.timesteps or found.cash
                    or found.forward_days)  # "看未来5个交易日的收益": the horizon of the factor step before
    return flags or settings or len(text.strip()) <= 3
