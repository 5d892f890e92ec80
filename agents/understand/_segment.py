"""Where one step of an instruction ends and the next begins.

The sequencing words of :mod:`agents.understand._intents` ("then", "然后", a sentence end) cut
the instructions the parser was tuned on. Fresh writers chain steps without them: a comma
("buy 3 lots gold, sell 1 lot WTI"), a bare "and" ("gold chart, and run sma 5/20"), "also",
an inline numbered list ("1) show ... 2) backtest ... 3) same with window 50 4) compare"),
顺便 / 另外. Adding each of those words to the sequencers would cut inside one step just as
often ("train PPO and SAC on gold", "buy and hold"), which is how earlier rounds of rules
failed to transfer. So this module cuts in two stages:

1. *Propose* a boundary wherever a connective (comma, semicolon, "and", "also", 顺便 ...) is
   followed by the head of an action (a verb that starts a request: buy, run, train, show,
   compare, 回测, 看 ...), at every marker of an inline numbered list that counts 1, 2, 3, and
   after a joining phrase whatever follows it ("as well as", "along with", "in parallel with",
   "plus", 以及, 还有: "... along with a LightGBM run on it").
2. *Verify* a proposed boundary: it stands only when the pieces on both sides carry an intent
   of their own by lexical cues (the router is not asked: a cut must rest on words the person
   used). A piece that holds no action (a window, a cost, a condition) therefore stays with its
   neighbour, as before.

Numbered items are cut without verification: the writer numbered them as steps (in digits, or in words:
"first ..., second ...", 第一/第二). Three more boundaries are verified on their own terms: after a search, a piece
that puts the winner to work on a window ("and test the best set on 2015-2018", "用最优参数跑2019年") is its run;
after an order, a piece that states only a size and another instrument ("and 20% into gold") is a second order;
and a piece that says "also / too / 也" with another instrument or window repeats the step before.

Two readings of the resulting clauses live here too, because they only make sense once steps
are segmented: a clause that says "the same thing / same settings / 同样" repeats the step
before it with what it states changed (:func:`inherit`), and "which one learns better?" asks
for a comparison as plainly as "compare" does (:func:`asks_which`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from agents.understand._extract import Found
from agents.understand._intents import VAGUE_ORDER, classify, clauses_of

__all__ = ["ALSO_RUN", "ASKED", "LOOK", "SAME", "WINNER_RUN", "asks_which", "inherit", "listed_steps", "looks_back", "numbered_cuts", "segments"]

#: The head of a request: a verb that opens a step of its own ("compare" is not one: a comparison
#: closes the steps before it and is placed by the assembly, and "buy and hold" is a strategy).
_HEAD_EN = (r"(?:(?:please|pls|then|also|now)\s+)?(?:buy(?![- ]+(?:and|n|&|'n')[- ]+hold)|sell|short|trim|cut|close\s+out|dump|flatten|"
            r"exit(?=\s+(?:my\s+|our\s+|the\s+)?(?:syn\d{3}|gold|wti|crude|oil|sp500|s&p|spx|nasdaq|ndx|positions?)(?![a-z]))|"
            r"close(?=\s+(?:out\s+)?(?:my|our|the|all|half)\s)|"
            r"reduce|liquidate|unload|offload|email|e-mail|draft|write(?=\s+(?:my|me|a|an|the|our)\s)|"
            r"let\s+me\s+see(?=\s+(?:my|our|the)\s+(?:updated\s+|new\s+|current\s+)?(?:positions?|holdings|cash|p&l|pnl|balance|book"
            r"|account|exposure)(?![a-z]))|"
            r"(?:send|lmk|tell)(?=\s+(?:(?:me|us)\s+)?(?:(?:my|our|the)\s+(?:current\s+)?)?(?:positions?|holdings|cash|p&l|pnl|balance"
            r"|what\s+(?:i|we)(?:'?m|'?re|\s+am|\s+are|'?ve|\s+have)?\s+(?:holding|got|have|left))(?![a-z]))|"
            r"(?:initiate|establish)(?=\s+(?:an?\s+|the\s+|new\s+|equal[- ]weight(?:ed)?\s+)*(?:long\s+|short\s+)?positions?)|"
            r"open(?=\s+an?\s+(?:new\s+)?(?:long\s+|short\s+)?position)|"
            r"(?:put|park|allocate|invest|add|move|shift|rotate|reallocate|scale\s+(?:out\s+of|into|in|back))"
            r"(?=\s+(?:\$\s*)?(?:\d|a\s+(?:third|quarter|half)|half))|"
            r"(?:put|park|invest|reinvest|move|rotate|switch|use)(?=\s+(?:all|half|a\s+(?:third|quarter)|\d+\s*%|\d+\s*percent)?\s*"
            r"(?:of\s+)?(?:the|that|this|those)\s+(?:proceeds|money|cash|funds)(?![a-z]))|"
            r"(?:do|work|execute|trade)(?=\s+\d[\d,.]*\s*(?:k\s+)?(?:shares?|lots?|units?|contracts?|syn\d{3}|[a-z]{2,5}\b))|"  # "do 500 shares of ..."
            r"(?:keep|take|pick)(?=\s+(?:the\s+)?(?:single\s+)?(?:best|top|strongest|winner)(?![a-z]))|"  # "…, keep the best one and backtest it"
            r"show|chart|plot|graph|draw|pull\s+up|bring\s+up|px|run|backtest|bt|train|fit|re-?train|re-?run|redo|optimi[sz]e|tune|"
            r"grid[- ]search|search|recall|remind\s+(?:me|us)|look\s+up|evaluate|mine|check|display|list|"
            r"(?:score|assess)(?=\s*(?:$|`|(?:the|this|that|these|those|it|them|factors?|expressions?|formulas?)(?![a-z])))|"
            r"(?:test|apply|use)(?=\s+(?:\w+\s+){0,2}?(?:best|winning|winner|optimal)(?![a-z])))(?![a-z])")
_HEAD_ZH = (r"(?:(?:请|帮我|给我|再|也|并|还要|然后)\s*)*(?:(?:按|照|根据)(?:它|模型|结果|那个|这个)[^,，。;；]{0,6}?(?=买|卖|下单)|看一?下|看看|查一?下|查查|列(?:一?下|出)|显示|画|回测|训练|训(?!完)|跑(?!完)|优化|搜索|评估|挖|测试(?!\s*(?:集|期|区间|窗口|段|用|[0-9]|二〇|二零))|测测|模拟|"
            r"买入?|卖出?|减仓|减掉|减持|减半|砍掉?|加仓|清仓|清掉|清空|卖光|全卖|上车|下车|梭哈|抄底|割肉|止盈|(?<=给我)来(?=\s*\d)|(?<=全部)跑路|挪(?=到|进|去|至)|转移|建个?仓|上点仓|"
            r"[减加](?=\s*(?:[0-9]|[一二两三四五六七八九十半](?:成|半|分之|手|股|万|千|百)))|"
            r"(?:选出|找到|选定|挑出|得到)(?=(?:了)?(?:最优|最佳|最好))|清(?=一半|[一二两三四五六七八九]成)|平仓|下单|调出|检查|"
            r"(?:用|拿|按|以|挑|选|把)(?=(?:里面|其中|这里面|那里面|这批|那批|表现)?的?(?:最优|最佳|最好|得分最高|排名第一|排第一|最强|更好"
            r"|(?:ic|icir|rank\s*ic)?最高))|"
            # "表现好的那个拿去合成股票池上回测", "哪个好就拿哪个在股票池上做信号回测": the factor found, backtested
            r"(?:表现(?:最|更)?好|(?:ic|icir)最高|排名第一|排第一)的(?:那个|那一个)?(?=[^,，。;；]{0,20}?(?:回测|信号))|"
            r"哪个(?:好|更好|表现好)就(?=[^,，。;；]{0,20}?(?:回测|信号))|"
            r"(?:告诉|通知)我(?=[^,，。;；]{0,6}(?:还剩|剩下|余额|现金|持仓|仓位|账户|盈亏|多少钱|风险|风控|敞口|购买力|审批))|"
            r"看(?=持仓|仓位|账户|余额|盈亏|行情|走势|k线|价格))")
#: A size that opens a piece ("..., and 20% into gold", "，黄金两成"): the second order of a pair that shares its verb.
_SIZE_EN = (r"(?:another\s+)?(?:\d[\d.,]*\s*(?:%|percent|pct|lots?|shares?|units?|contracts?)(?![a-z])|half|a\s+(?:third|quarter))"
            r"\s+(?:of\s+(?:equity|the\s+account|my\s+account|cash)\s+)?(?:in|into|of|on|to)\s")
_SIZE_ZH = r"(?:\d+(?:\.\d+)?\s*(?:%|手|股)|[一二两三四五六七八九]成(?:仓)?|半仓)"
#: "2015年上半年也跑一下", "and on the Nasdaq too", "run it on 2019 as well": a clause with no request of its own that
#: says "also" and names another instrument or window asks for the step before once more, there; so does one that
#: opens with a joining word ("... as well as crude over the same period", "？以及原油上个月").
ALSO_RUN = re.compile(r"(?<![a-z])(?:too|as\s+well|also)\W*$|^\W*(?:and\s+)?also\s+(?:on|for|in|over)\s|"
                      r"^\W*(?:as\s+well\s+as|along\s+with|together\s+with|plus|and\s+also|以及|还有|外加)|"
                       r"也(?:要|再|都)?(?:跑|做|来|训|训练|回测|测|看|算|试)|也(?:一样|照做|同样)")
#: What joins a second request in Chinese ("，完了看下账户", "，搞完再 tune 一下", "，顺手看下…", "以及…").
_JOIN_ZH = r"(?:顺[便手带]|另外|同时|并且|还要|还有|以及|然后|接着|再|(?:完了|(?:搞|做|弄|跑|调|训|测|挖|买|卖)完(?:了|之后|以后|后)?)\s*再?)"
#: Connectives that join two requests whatever opens the second ("... as well as crude over the same period",
#: "along with a LightGBM run", "in parallel with a PPO retrain", "plus give me ...", "after which optimise ...",
#: "以及同期原油", "A -> B -> C"). A cut here is proposed without a head verb; both pieces must still verify.
_JOINED = (r"(?:[,;]\s*)?\s(?:as\s+well\s+as|along\s+with|together\s+with|(?:in\s+parallel|alongside)\s+with|"
           r"alongside|plus|after\s+which|and\s+also|and\s+then\s+also)\s+|[,;、]?\s*(?:以及|还有|外加|同时|另外)\s*|\s*(?:->|→|=>)\s*"
           # "跑一下今天的周期 + 看账户", "gold chart & my cash": a spaced plus or ampersand between two requests
           r"|\s+(?:\+|＋|/|&(?![- ]*(?:hold|h(?![a-z]))))\s+|\s*＋\s*|(?<=[\u4e00-\u9fff])\s*[&/]\s*(?=[\u4e00-\u9fff\w])")
#: A connective and the head after it; the match starts where the next piece begins.
_PROPOSED = re.compile(
    rf"(?:[,;]\s*(?:and\s+|also\s+|plus\s+)?|\s+(?:oh\s+)?(?:and|also|plus|as\s+well\s+as)\s+)"
    rf"(?:(?:at\s+the\s+same\s+time|meanwhile|simultaneously|in\s+the\s+meantime|after(?:wards)?|after\s+that|finally|lastly"
    rf"|(?:when|once|after)\s+(?:it'?s|that'?s|this\s+is|it\s+is|that\s+is|both\s+are|they'?re)\s+(?:done|finished|over|through)"
    rf"|btw|by\s+the\s+way|oh)"
    rf",?\s+)?(?:use\s+(?:it|that|this|them|those|"
    rf"the\s+\w+|its\s+\w+)\s+to\s+)?(?={_HEAD_EN})"
    rf"|[,;、]\s*(?:{_JOIN_ZH}|(?:不过|但是?|可是)(?:要|请)?先?)?\s*(?:直接|马上|立刻|照常|照旧|照例|按惯例|正常)?\s*(?:各|都|分别)?(?={_HEAD_ZH}|{_HEAD_EN})"
    # "Pull up the S&P chart for 2008 before you backtest a 50/200 cross": the look, then the run
    rf"|\s+before\s+(?:you|we|i)\s+(?={_HEAD_EN})"
    rf"|(?:顺[便手带]|另外)(?=[^,，。;；]{{0,6}}?{_HEAD_ZH})"
    # "SYN091买5万元，顺手把合成股票池的mlp alpha158训一下": a request whose object comes first (把…训一下)
    r"|[,;、]\s*(?:顺[便手带]|另外|再|然后)\s*(?=(?:用[^,，。;；]{1,12}?)?把[^,，。;；]{1,30}?(?:训练?|回测|跑|测|挖|看|优化|评估|画))"
    # "今天的调仓跑完之后给我看下账户情况": what comes once the step before is done
    rf"|(?<=[跑训测挖买卖做弄搞调]完)(?=(?:了|之后|以后|后)?\s*(?:再|就|然后)?\s*{_HEAD_ZH})"
    rf"|{_JOINED}"
    # "train it again with seed 6, compare the two, and show me ...": the comparison between the runs and a later look
    r"|[,;]\s*(?:and\s+)?(?:then\s+)?(?=compare\s+(?:the|them|both|all|it|those|these)(?![a-z]))"
    # "train TD3 on gold ... and compare it against the PPO gold run from yesterday", "用…训练TD3，和昨天黄金上那个PPO
    # 比一比": the run just asked for, set against an earlier one (a recall and a comparison of their own)
    r"|\s+and\s+(?:then\s+)?(?=compare\s+(?:it|them|both|those|these)\s+(?:against|with|to|versus|vs)\s"
    r"[^,;.]{0,40}?(?:yesterday|last\s+(?:time|week|run)|earlier|previous|prior|from\s+(?:monday|tuesday|wednesday|thursday|friday)))"
    r"|[,，]\s*(?:再|然后)?\s*(?=(?:和|跟|与)[^,，。;；]{0,10}?(?:昨天|前天|上次|上周|之前|早先|前几天|(?:今天)?新跑的|"
    r"重新跑的|新做的)[^,，。;；]{0,16}?"
    r"(?:比一比|比一下|比较|对比|比比|pk))"
    # "测试一下布林带在标普上的表现，顺便把我的账户持仓和盈亏也报一下": the account, its verb said last
    r"|[,;、，]\s*(?:顺[便手带]|另外|再|然后|同时)?\s*(?=把[^,，。;；]{0,12}?(?:账户|持仓|仓位|现金|盈亏|余额)[^,，。;；]{0,10}?"
    r"(?:报|发|告诉|给我|看|查|列|说))"
    # "…，把SYN007的图也调出来", "…，把SYN030在2025年的K线拉出来": a look whose object comes first
    r"|[,，]\s*(?=把[^,，。;；]{1,20}?(?:图|走势|k线|价格|行情)[^,，。;；]{0,6}?(?:调出|拉出|发我|给我|看|画))"
    # "看下…的走势，在合成股票池上挖三个因子": a request that opens with where it runs
    r"|[,，]\s*(?=在[^,，。;；]{1,14}?(?:上|里|中)\s*(?:用[^,，。;；]{0,10}?)?(?:挖|回测|训练?|跑|评估|优化|测))"
    # "然后看下今天的盈亏，对了，上次那个回测结果是什么来着": any Chinese comma between two pieces that each hold a
    # request of their own (both pieces must still verify, as every proposed cut)
    r"|(?<=[\u4e00-\u9fff\d%)）`])[,，]\s*(?:对了|还有|另外|顺便|然后|再|最后)?[,，]?\s*(?=[^,，。;；]{0,12}?"
    r"(?:上次|之前(?:那|的)|昨天|前天|上周|刚才|有没有|多少|来着|告诉我|给我看|看下|看看|查一?下|翻一?下))"
    # "帮我回测下黄金的macd 顺便写首诗夸夸它": a request we decline beside a real one (both pieces still verify)
    r"|(?:[,;、]|\s)\s*(?:顺[便手带]|另外|然后|再)\s*(?=(?:帮我|给我)?\s*(?:写|作|编|讲|订|发到|发给|翻译|查下?天气|推荐(?:个|家)?餐"
    r"|给[^,，。;；\d]{1,6}?发(?:个|条|一条|一个)?(?:微信|短信|邮件|消息|信息)))"
    # "挖3个反转因子，顺手把 `Ref($close,1)/$close-1` 也评估下": a formula handed over for its own evaluation
    r"|[,;、]\s*(?:顺[便手带]|另外|再|然后|同时)\s*(?=把[^;。]{1,80}?(?:也|再|一起|顺便)?\s*(?:评估|测试?|检验|算)(?:一?下)?)"
    r"|(?:[,;]\s*|(?<=完)|(?<=完了)|(?<=完后))(?=(?:如果|要是|若是?|一旦)[^,;。]{1,30}?(?:就|[,])|[^,;。]{1,12}?的话)"
    # "评估 X，IC要是还行就训练lightgbm": the gate said after its subject; "挖4个反转因子，挑最好的训练个lightgbm"
    r"|[,;]\s*(?=[^,;。]{1,8}?(?:要是|如果|若)[^,;。]{1,12}?就\s*(?:训练?|跑|拟合|回测|买|卖|挖))"
    r"|[,;]\s*(?=(?:挑|选|拿|用)(?:出)?(?:最好|最优|表现最好|最强|最靠谱)[^,;。]{0,6}?(?:训练?|跑|拟合|建模))"
    # "黄金 布林20日 回测下 近两年 ok的话多2手", "wti 回测下macd 18年的 不行就空2手": desk shorthand, the gate said after a space
    r"|(?<=[\u4e00-\u9fff\w])\s+(?=[^\s,，。;；]{1,12}?(?:的话\s*(?:就|则)?|就|则)\s*(?:买|卖|空|多|加仓|减仓|清|平)"
    r"[^\s,，。;；]{0,8}?\d)"
    r"|(?:[,;]\s*(?:and\s+)?|\s+and\s+)(?=(?:if|once|should)\s[^,;.]{1,40}?(?:,\s*|\s+)(?:then\s+)?"
    r"(?:buy|sell|trim|cut|close|dump|add|put|invest|allocate|park|go\s+long|short|size\s+(?:me|us)\s+in|throw)(?![a-z]))"
    rf"|,\s*but\s+(?:before\s+that,?\s+|first,?\s+)?(?={_HEAD_EN})"
    r"|[,;]\s*(?=(?:and\s+)?(?:also\s+)?(?:on|for|in|over)\s[^,;.]{1,30}?\s(?:too|as\s+well)\W*(?:$|[,;.]))"
    r"|(?:[,;]\s*(?:and\s+)?|\s+and\s+)(?=(?:then\s+)?(?:do\s+)?the\s+same\s+(?:thing\s+)?(?:for|on|with)\s)"
    rf"|(?:[,;]\s*(?:and\s+)?|\s+and\s+)(?={_SIZE_EN})|[,;、]\s*(?![^,;。]{{0,8}}?各)(?=[^,;。]{{0,8}}?{_SIZE_ZH})"
    r"|(?<=[\u4e00-\u9fff\d%])\s+(?=(?:syn\d{3}|gold|wti|crude|sp500|s&p|spx|nasdaq|ndx)\s*(?:买|卖|清|减|加|平|止|砍))"
    # "想半仓上车SYN088 先给我看下它最近一个月的k线": chat that parts its requests by spaces (the piece before must
    # say what it does itself, so "黄金 回测下" stays one request)
    rf"|(?P<space_zh>(?<=[\u4e00-\u9fff\w%])\s+)(?=(?:先|再|然后|顺便|顺手|另外|还有|最后|完了)\s*(?:{_HEAD_ZH}))"
    # "ppo on gold and ppo on crude": one training run each, the verb left out
    r"|(?P<algo_on>[,;]\s*(?:and\s+)?|\s+and\s+)(?=(?:ppo|a2c|sac|td3|ddpg)\s+(?:on|for)\s)"
    # "sell all our nasdaq and put the proceeds into the s&p", "把纳指全卖了，钱全部买标普": the money of a sale moved
    r"|(?:[,;]\s*(?:and\s+)?|\s+and\s+)(?=(?:then\s+)?(?:put|move|switch|rotate|reinvest|invest|park|use)\s+"
    r"(?:all|half|a\s+(?:third|quarter)|\d+\s*%|\d+\s*percent)?\s*(?:of\s+)?(?:the|that|this|those)\s+(?:proceeds|money|cash|funds)(?![a-z]))"
    r"|[,;、]\s*(?=(?:然后|再)?\s*(?:把)?(?:卖的|卖出的|卖掉的|卖出来的|回笼的)?(?:钱|资金|所得|现金)[^,;。]{0,8}?"
    r"(?:买|加仓|投|转到|换成|配置))"
    # "how much cash do i have left, and what strategies can i run": a second question (both pieces still verify)
    r"|(?:[,;]\s*(?:and\s+)?|\s+and\s+)(?=(?:what'?s|whats|what|which|where|how\s+(?:much|many))\s)"
    # "trim my S&P by 40% and tell me what cash I have left" (not "... and tell me what position it would suggest")
    r"|(?:[,;]\s*(?:and\s+)?|\s+and\s+)(?=(?:then\s+)?(?:tell\s+me|let\s+me\s+know|show\s+me)\s+(?:what(?:'s|\s+is)?|how\s+much)\s"
    r"(?![^,;.?]*(?<![a-z])(?:suggest|recommend|advi[cs]e|should|would|it\s+says|it\s+thinks)(?![a-z])))"
    # "show me the gold chart for 2025 and tell me our cash", "..., and let me know whether anything is pending"
    r"|(?:[,;]\s*(?:and\s+)?|\s+and\s+)(?=(?:then\s+)?(?:tell\s+me|let\s+me\s+know|show\s+me|give\s+me|"
    r"(?:i|we)\s+(?:need|want|'d\s+like|would\s+like)\s+to\s+(?:see|know))\s+"
    r"(?:how\s+)?(?:(?:our|my|the)\s+)?(?:current\s+)?(?:cash|positions?|holdings|p&l|pnl|book|risk|limits|balance|"
    r"buying\s+power|exposure|account|approval\s+queue)(?![a-z])|(?:then\s+)?(?:tell\s+me|let\s+me\s+know)\s+(?:if|whether)\s+(?:anything|there|any)(?![a-z]))"
    # "标普减仓 减一半 纳指也一样": the same again on another instrument, said with no verb
    r"|[,;、]\s*(?=(?:syn\d{3}|gold|wti|crude|sp500|s&p|spx|nasdaq|ndx|黄金|原油|石油|纳指|纳斯达克|标普(?:500)?)"
    r"\s*(?:也|同样|照样)\s*(?:一样|照做|同样|这样|如此|照此|照办|来一下|来一遍))"
    # "纳指买入总资产的10%，标普减掉一半": a second order that names its instrument before its verb
    # ("，黄金原油全部跑路": several instruments, then the verb)
    r"|[,;、]\s*(?=(?:(?:syn\d{3}|gold|wti|crude|sp500|s&p|spx|nasdaq|ndx|黄金|原油|石油|纳指|纳斯达克|标普(?:500)?)\s*(?:和|与|跟|、)?\s*)+"
    r"(?:全部|都|全都|一起)?\s*(?:再|也|则|就)?\s*(?:买|卖|清|减|加|平|止|砍|割|跑路|(?:buy|sell|short|close|cut|trim|add|dump)(?![a-z])))"
)
#: A piece that says what it does: a request verb, or a look at prices ("Q3 2021 gold chart").
_SAYS = re.compile(rf"(?<![a-z]){_HEAD_EN}|{_HEAD_ZH}|chart|prices?|quotes?|plot|graph|走势|价格|价位|啥价|什么价|现价|最新价|报价|行情|k线|账户|持仓|仓位|现金|"
                   r"每日交易|交易周期|今天的交易|日度流程|调仓|再平衡|"
                   r"盈亏|赚了还是亏了|亏了还是赚了|赚了多少|亏了多少|等我批|(?<![a-z])trading\s+at(?![a-z])|"
                   # "and let me know what's still pending", "tell me our cash": a look at the account asked in words
                   r"调出|拉出|(?<![净值收益回撤])图(?!表现)|(?<![a-z])(?:let\s+me\s+know|tell\s+me|give\s+me)\s+[^,;.]{0,30}?(?:pending|approvals?|cash|positions?|"
                   r"holdings|p&l|pnl|balance|buying\s+power|risk|exposure|queue)(?![a-z])|待审批|审批队列|购买力|"
                   r"净多|净空|成交了|家底|账上|挂单|空仓|停了没|敞口|盈亏|"
                   r"(?:就|则|的话)\s*(?:买|卖|空|多|加仓|减仓|清|平)(?=[^,，。;；]{0,8}?\d)|"
                   r"(?<![a-z])(?:approval\s+queue|pending\s+approvals?|awaiting\s+(?:my\s+)?approval)(?![a-z])|"
                   r"(?<![a-z])(?:do|did)\s+(?:we|i)\s+(?:hold|own|have)(?![a-z])|"
                   # "I want to know if momentum beats buy-and-hold on the Nasdaq": a run asked as a question of its result
                   r"(?<![a-z])(?:know|find\s+out|see|check|tell\s+me|wonder(?:ing)?)\s+(?:if|whether)\s+[^,;.]{0,40}?"
                   r"(?:beats?|outperforms?|makes?\s+money|made\s+money|holds?\s+up|works?|worked|did\s+better|does\s+better)(?![a-z])|"
                   r"(?<![a-z])where(?:\s+is|'s)\s+(?:it|\w+)\s+trading(?![a-z])|"
                   r"(?<![a-z])(?:account|cash\s+balance|balance|holdings|positions|cycle|how\s+much\s+cash|what\s+cash|(?:my|our)\s+cash"
                   r"|(?:my|our|the)\s+(?:exposure|p&l|pnl|drawdown|buying\s+power|fills|open\s+orders)|p&l\s+by\s+position"
                   # "+ how did the gold PPO we trained yesterday do": a question about an earlier run
                   r"|(?:how|what)\s+(?:did|was|were)(?=\s[^,;.?]{0,60}?(?:yesterday|last\s+(?:time|week|night)|earlier|trained|ran))"
                   r"|cash\s+(?:i|we)\s+(?:have|hold)|cash\s+(?:is\s+)?left)(?![a-z])|(?<![a-z])(?:ppo|a2c|sac|td3|ddpg)\s+(?:on|for)\s|"
                   r"(?<![a-z])(?:propose|suggest|find|generate|come\s+up\s+with|design|build|create|discover|put|"
                   r"allocate|invest)(?![a-z])|"
                   r"找|生成|设计|构造|构建")  # the verbs of a request for factors: "propose five reversal factors"
_RERUN = re.compile(r"[\s,;、]*(?:and\s+|then\s+|再|然后)?\s*(?:re-?train|re-?run|redo|run\s+it\s+again|train\s+it\s+again|"
                    r"重新|重跑|重训|再跑|再训)")
#: "and test the best set on 2015-2018", "apply the optimal settings to 2019", "用最优参数跑": the result of a search
#: put to work again, whatever the verb (it needs no strategy of its own: it runs the search's winner).
WINNER_RUN = re.compile(r"[\s,;、]*(?:and\s+|then\s+|再|然后)?\s*(?:(?:run|re-?run|backtest|bt|test|apply|try|use)"
                         r"\s+(?:\w+\s+){0,2}?(?:best|winning|winner|optimal|top)(?![a-z])|"
                         # "and let me see what the winner does on 2013-2018", "show me how the best set holds up after 2015"
                         r"(?:(?:let\s+me\s+see|show\s+me|tell\s+me|see|check)\s+)?(?:what|how)\s+the\s+(?:winner|winning\s+\w+|best"
                         r"(?:\s+(?:one|set|combo|combination|params?|parameters?|settings?|pair))?|optimum)\s+(?:does|did|do|would\s+do|"
                         r"holds?\s+up|performs?|looks?)(?![a-z])|(?:用|拿|把)?(?:最优|最佳|最好的)"
                         r"|(?:选出|找到|选定|挑出|得到)(?:了)?(?:最优|最佳|最好))")
LOOK = re.compile(r"chart|prices?|quotes?|plot|graph|走势|价格|行情|k线|(?<![净值收益回撤])图(?!表现)")
#: Several things named before, referred to together ("both", "all three", "这三只", "三个一起").
_THOSE = re.compile(r"两者|二者|两个都|这两个|这[两三四五六几]只|这几个|这[三四五六]个|[两三四五六几]个一起|[两三四五六]只一起|它们|"
                    r"(?<![a-z])(?:both|all\s+(?:three|four|five)|the\s+(?:two|three|four|five)|them|those|these)(?![a-z])")
#: "1) ...", "2. ...", "（3）...", "3、...": an item marker inside a line.
_MARKER = re.compile(r"(?:^|(?<=[\s,;。:：]))\(?([1-9])\s*[).、](?=\s*\S)(?!\d)")
#: What a step of each intent needs named in its own piece to stand on its own.
_OWN = {"backtest_strategy": ("strategies", "params"), "optimize_strategy": ("strategies", "params", "grid", "tune"),
        "train_rl": ("algos", "instruments"), "train_model": ("models", "features", "universe"),
        "show_price": ("instruments",), "place_order": ("instruments", "quantity", "all_positions", "top_k", "top_pct",
                                                           "unknown_symbols"),
        "evaluate_factors": ("expressions", "themes"), "mine_factors": ("themes", "factor_count", "universe")}


#: "First show me ..., second backtest ..., third run ...", "第一，看持仓；第二，回测…": steps counted in words. An
#: ordinal marks an item only where a clause starts and a request (or a comma) follows it, so "the first 5 years"
#: and "first half" are not items.
_ORDINAL = re.compile(rf"(?:^|(?<=[,;.。:：!?])|(?<=[,;.。:：!?]\s)|(?<=\sand\s))(first(?:ly)?|second(?:ly)?|third(?:ly)?|"
                      rf"fourth(?:ly)?|fifth(?:ly)?|第[一二三四五](?:步)?|首先|其次)(?=\s*[,，:：]|\s*(?:{_HEAD_EN}|{_HEAD_ZH}))")
_COUNT = {"fir": 1, "sec": 2, "thi": 3, "fou": 4, "fif": 5, "第一": 1, "第二": 2, "第三": 3, "第四": 4, "第五": 5, "首先": 1,
          "其次": 2}


#: "①看账户 ②…", "一、看账户 二、…": items counted in circled digits or in Chinese numerals with 、.
_CIRCLED = re.compile(r"([①②③④⑤⑥⑦⑧⑨])\s*(?=\S)|(?:^|(?<=[\s,;。:：]))([一二三四五六七八九])、(?=\s*\S)")
#: "- check account\n- run today's cycle", "• …": a bulleted list, one item a line.
_BULLET = re.compile(r"(?:^|(?<=\n))[ \t]*([-•*·▪])[ \t]+(?=\S)")


def _number(match: re.Match[str]) -> int:
    """The count an item marker says: "3)" or "third" or "第三" or "③" or "三、" is 3."""
    said = next(g for g in match.groups() if g)
    if said in "①②③④⑤⑥⑦⑧⑨":
        return "①②③④⑤⑥⑦⑧⑨".index(said) + 1
    if said in "一二三四五六七八九":
        return "一二三四五六七八九".index(said) + 1
    return int(said) if said.isdigit() else _COUNT[said[:2] if said[0] in "第首其" else said[:3]]


def _markers(norm: str) -> list[re.Match[str]]:
    """The markers of an inline numbered list (at least two, counting 1, 2, 3 ... in digits or in words),
    or of a bulleted one (a bullet at the start of each of at least two lines)."""
    for pattern in (_MARKER, _ORDINAL, _CIRCLED):
        found: list[re.Match[str]] = []
        for match in pattern.finditer(norm):
            if _number(match) == len(found) + 1:
                found.append(match)
        if len(found) >= 2:
            return found
    bullets = list(_BULLET.finditer(norm))
    return bullets if len(bullets) >= 2 else []


def numbered_cuts(norm: str) -> list[int]:
    """Where the items of an inline numbered list start. A list after a colon ("test these
    factors: 1) ... 2) ...") is one request's items: its first item stays with the words that
    introduce it."""
    cuts = [m.start() for m in _markers(norm)]
    return cuts[1:] if cuts and _introduced(norm, cuts[0]) else cuts


def listed_steps(norm: str) -> list[int]:
    """Where the items of a numbered list of steps start (none for a list of one request's items)."""
    cuts = [m.start() for m in _markers(norm)]
    return [] if cuts and _introduced(norm, cuts[0]) else cuts


def _introduced(norm: str, first: int) -> bool:
    return norm[:first].rstrip().endswith((":", "："))


#: A word that points back at what the step before named ("its chart", "它的走势").
_BACK = re.compile(r"(?<![a-z])(?:its|their|that\s+one's)(?![a-z])|它的|它们的|其|它们?(?=\s*(?:最近|近|这|过去|今年|去年|上个?月|本月|一年|半年))")


#: "the price chart", "the price over that period", "走势图": a look whose instrument is the one already named.
_DEFINITE_LOOK = re.compile(r"(?<![a-z])(?:the|a)\s+(?:price\s+)?(?:chart|graph|plot)(?![a-z])|(?<![a-z])the\s+prices?(?![a-z])|"
                            r"(?<![a-z])price\s+(?:chart|graph|plot|action|path)(?![a-z])|价格走势|走势图|k线图|价格图|把走势|看[一下]*走势|画[一下个]*走势")
#: What a look at results names instead of prices ("plot the equity curve", "画一下净值"): not a price chart.
_NOT_PRICES = re.compile(r"equity|drawdown|curve|p&?l|returns?(?![a-z])|(?<![a-z])ic(?![a-z])|factor|results?|performance|"
                         r"净值|回撤|收益|因子|结果|绩效|表现")


def looks_back(text: str) -> bool:
    """Whether ``text`` asks for a look at what the step before named ("show its chart", "它的走势",
    "and chart the price over that period too")."""
    if LOOK.search(text) is None or _SAYS.search(text) is None:
        return False
    return _BACK.search(text) is not None or (_DEFINITE_LOOK.search(text) is not None and _NOT_PRICES.search(text) is None)


#: "..., and where is it trading?", "what's it trading at": the price of what the piece before named.
_IT_TRADES = re.compile(r"(?<![a-z])(?:where(?:\s+is|'s)\s+it\s+trading|what(?:'s|\s+is)\s+it\s+trading\s+at"
                        r"|what(?:'s|\s+is)\s+it\s+(?:worth|at)\s+now)(?![a-z])")


#: The form of a request (a question, an imperative, a wish put to us), as opposed to a story told around one.
ASKED = re.compile(r"[?？]|(?<![a-z])(?:please|pls|plz|could|can|would|will|help|need|want|wanna|let's|i'd\s+like|tell|give|"
                    r"write|draft|compose|send|e-?mail|book|order|reserve|translate|find|make|get|do|set\s+up|sign\s+up|open|"
                    r"register|create|recommend|plan|explain|what|whats|what's|how|hows|which|who|where|when|why)(?![a-z])|帮|请|麻烦|能不能|"
                    r"可以|可不可以|给我|替我|写|发|订|预订|翻译|推荐|告诉|查|吗|呢|吧|怎么|什么|哪")


#: A backtest of the factor just found ("keep the best one and backtest it", "backtest whichever has the higher IC",
#: "挑最好的那个做回测", "用更好的那个在csi_syn上做信号回测", "拿得分最高的那个做信号策略"): a signal backtest.
BEST_FACTOR_RUN = re.compile(
    r"(?<![a-z])(?:backtest|bt)\s+(?:it|that|this|them|the\s+(?:best|top|winner|winning|strongest|better)(?:\s+(?:one|factor))?"
    r"|whichever)(?![a-z])|(?<![a-z])(?:best|top|winning|strongest|better|highest[- ]\w+)\s+(?:one|factor)[^,;.]{0,40}?backtest"
    r"|(?:keep|take|pick|use)\s+(?:the\s+)?(?:single\s+)?(?:best|top|strongest|winner)[^,;.]{0,40}?(?:backtest|as\s+a\s+signal)"
    r"|as\s+a\s+signal(?:\s+strategy)?"
    r"|(?:最好|最优|最强|得分最高|表现最好|表现好|表现更好|排名第一|排第一|更好|第一|(?:ic|icir|rank\s*ic)?最高)的?(?:那个|那一个|一个)?(?:因子)?"
    r"[^,，。;；]{0,16}?(?:回测|信号策略)|哪个(?:好|更好|表现好)就(?:拿|用)哪个[^,，。;；]{0,16}?(?:回测|信号)"
    r"|(?:拿|用)(?:它|这个因子|那个因子)[^,，。;；]{0,12}?回测|做(?:个|一个)?信号(?:策略|回测)")



def _reading(norm: str, span: tuple[int, int], local: Found, follows: bool) -> str | None:
    """The intent a piece holds by lexical cues, when it is a complete action: a request said in
    words (a verb, a look at prices) and, for a run, what it runs on or with named in the piece."""
    text = norm[span[0]:span[1]]
    clause = classify(norm, span, local, None, follows=follows)
    if (looks_back(text) or _IT_TRADES.search(text)) and follows and clause.intent in (None, "show_price") \
            and not local.instruments:
        return "show_price"  # "... and show its chart", "再画一下它的走势": a look at what the step before ran on
    if follows and clause.intent is None and not local.instruments and LOOK.search(text) and _THOSE.search(text):
        return "show_price"  # "... + show both charts for 2018", "然后三个一起看下走势": a look at what the steps named
    if clause.intent is None and _AGAIN_RUN.search(text) and re.search(r"(?<![a-z])(?:train|re-?train|run|backtest|fit)(?![a-z])"
                                                                      r"|训|跑|回测", text):
        return "rerun"  # "then train it again with seed 6": the run before, once more (the steps read it as such)
    if clause.intent in ("backtest_strategy", "mine_factors", "evaluate_factors", "recall", "optimize_strategy", None) \
            and follows \
            and BEST_FACTOR_RUN.search(text) and re.search(r"(?<![a-z])(?:backtest|bt|signal)|回测|信号", text):
        return "backtest_strategy"  # "..., keep the best one and backtest it": the factor just found, run as a signal
    if clause.intent in (None, "unknown", "compare") or clause.by not in ("cues", "fallback"):
        return None
    if clause.intent == "out_of_scope":  # "... and also draft an email to my landlord": a request we decline, still a piece
        return clause.intent if ASKED.search(text.strip(" ,;.?!、，。？！；")) else None  # "my colleague mentioned them
        # at lunch", "bought for my daughter's wedding": a story around the request, not one of its own
    if clause.by == "fallback" and not LOOK.search(text):
        return None  # a symbol and a date alone ("下单,syn101"): what another step runs on
    if clause.intent == "place_order" and follows and VAGUE_ORDER.search(text):
        return clause.intent  # "…，行的话帮我上点仓位": an order on what the step before ran on, its size asked
    if not _SAYS.search(text) and not SAME.search(text):
        return None
    own = _OWN.get(clause.intent)
    if own is not None and not any(getattr(local, name) for name in own) and not SAME.search(text) \
            and not (_AGAIN_RUN.search(text) and clause.intent in ("train_rl", "train_model", "backtest_strategy")):
        return None  # "and backtest holding the top 10 names": a part of the step before
    return clause.intent


_COMPARE_OPENS = re.compile(r"[\s,;]*(?:and\s+)?(?:then\s+)?compare\s+(?:the|them|both|all|it|those|these)(?![a-z])|"
                            r"[\s,，;]*(?:再|然后)?\s*(?:和|跟|与)[^,，。;；]{1,24}?(?:比一比|比一下|比较|对比|比比|pk)")
#: "then train it again with seed 6", "再跑一次": the run before, once more (its own piece, whatever it changes).
_AGAIN_RUN = re.compile(r"(?<![a-z])(?:(?:it|that|this|them)\s+again|again\s+with|once\s+more)(?![a-z])|再(?:来|跑|训练?|回测)一(?:次|遍)")


def _gapped_order(norm: str, span: tuple[int, int], left: Found, right: Found) -> bool:
    """A piece that states only a size and another instrument after an order ("..., and 20% into gold",
    "纳指买四成，黄金两成"): the same verb, a second order."""
    if right.quantity is None or not right.instruments or right.strategies or right.algos or right.models:
        return False
    text = norm[span[0]:span[1]]
    if not (re.match(rf"[\s,;、]*(?:and\s+)?{_SIZE_EN}", text) or re.match(rf"[\s,;、]*[^,;。]{{0,8}}?{_SIZE_ZH}", text)):
        return False
    return {str(v.value) for v in right.instruments}.isdisjoint({str(v.value) for v in left.instruments})


def _distinct_steps(left: Found, right: Found) -> bool:
    """Two pieces with one intent are two steps only when they name different things (another
    instrument, strategy, algorithm, model, factor theme or side); otherwise they describe one step in parts."""
    for name in ("instruments", "strategies", "algos", "models", "themes"):
        mine, theirs = {str(v.value) for v in getattr(right, name)}, {str(v.value) for v in getattr(left, name)}
        if mine and theirs and not mine <= theirs:
            return True
    return left.side is not None and right.side is not None and left.side.value != right.side.value


def _same_opens(norm: str, start: int, end: int) -> bool:
    """A piece that opens with "(and) the same for/on ..." repeats the step before elsewhere."""
    head = re.match(r"[\s,;]*(?:and\s+)?(?:then\s+)?(?:do\s+)?", norm[start:end])
    return SAME.match(norm, start + (head.end() if head else 0), end) is not None


def _split(norm: str, span: tuple[int, int], values_of: Callable[[int, int], Found]) -> list[tuple[int, int]]:
    """One clause cut at each proposed boundary that both sides verify, left to right (the right
    side is read up to the clause's end, so a later cut still needs the rest to stand on its own)."""
    start, end = span
    pieces: list[tuple[int, int]] = []
    for match in _PROPOSED.finditer(norm, start, end):
        cut = match.start()
        if cut <= start or not norm[cut:end].strip(" ,;、"):
            continue
        if norm[cut - 1].isdigit() and norm[cut:cut + 1] == "," and norm[cut + 1:cut + 2].isdigit():
            continue  # "add 2,000 shares": a thousands separator, not a boundary
        left, right = (start, cut), (cut, end)
        mine, theirs = values_of(*left), values_of(*right)
        if match.group("space_zh") is not None and not _SAYS.search(norm[start:cut]):
            continue  # "黄金 再回测下": the piece before only names what the request is about
        if match.group("algo_on") is not None and not mine.instruments:
            continue  # "train TD3 and PPO on the Nasdaq": two algorithms of one list, the instrument said once
        first = _reading(norm, left, mine, follows=bool(pieces))
        second = _reading(norm, right, theirs, follows=True)
        if first == "recall" and second is None and _RERUN.match(norm, cut):
            second = "rerun"  # "look up the PPO run from <date>, retrain it with 80k steps": the recalled run again
        if first == "optimize_strategy" and second in (None, first) and theirs.periods and not _distinct_steps(mine, theirs) \
                and WINNER_RUN.match(norm, cut):
            second = "backtest_strategy"  # "tune ... on 2005-2014 and test the best set on 2015-2018": the winner, run
        if first == "place_order" and second is None and _gapped_order(norm, (cut, end), mine, theirs):
            second = "place_order"  # "put 40% of equity into the Nasdaq and 20% into gold": the verb said once
        if first is not None and second is None and (theirs.instruments or theirs.periods) \
                and (ALSO_RUN.search(norm[cut:end]) or _same_opens(norm, cut, end)) \
                and not _reading(norm, (cut, end), theirs, True):
            pieces.append((start, cut))  # "..., and on 2011 too": the step before, once more, where this piece says
            start = cut
            continue
        if first is None and second == "show_price" and mine.instruments and not theirs.instruments \
                and looks_back(norm[cut:end]):
            first = "compare"  # "compare momentum against holding on WTI ..., and chart the price too": a look after it
        if first is None and second == "place_order" and (mine.instruments or mine.strategies) and theirs.side is not None \
                and theirs.quantity is not None and (_COMPARE_OPENS.match(norm, start)
                                                     or classify(norm, (start, cut), mine, None, follows=bool(pieces)).intent == "compare"):
            first = "compare"  # "backtest MACD, compare it with buy and hold, and if its Sharpe is higher buy 100": the order
        if first is not None and second is None and _COMPARE_OPENS.match(norm, cut):
            second = "compare"  # ", compare the two": the comparison of the runs before, a piece of its own
        if first is None or second is None:
            continue
        if first == second and not SAME.search(norm[cut:end]) and not _distinct_steps(mine, theirs):
            continue
        pieces.append(left)
        start = cut
    return [*pieces, (start, end)]


def segments(norm: str, values_of: Callable[[int, int], Found]) -> list[tuple[int, int]]:
    """The clauses of ``norm``: the sequencers' cuts, the items of a numbered list, and every
    verified boundary between two actions. ``values_of(start, end)`` gives a piece's values."""
    # the "." of "2. run ..." ends no sentence, and "3) 再用50日回测" is one item however it opens
    inside = [range(m.start() + 1, m.end() + 1 + len(norm[m.end():]) - len(norm[m.end():].lstrip()))
              for m in _markers(norm)]
    said = {s for s, _ in clauses_of(norm) if not any(s in r for r in inside)}
    cuts = sorted({*said, *numbered_cuts(norm)} - {0})
    spans = [(a, b) for a, b in zip([0, *cuts], [*cuts, len(norm)], strict=True) if norm[a:b].strip(" ,，、")]
    out: list[tuple[int, int]] = []
    for span in spans:
        out += _split(norm, span, values_of)
    return out or [(0, len(norm))]


#: "same thing on sp500", "same with window 50", "with the same settings", "同样的参数", "原油也照此跑一遍", "then do the
#: same for oil", "对纳指也做一样的", "再看看标普同期的" (the same window, another instrument).
SAME = re.compile(r"(?<![a-z])(?:(?:the\s+)?same\s+(?:thing|with|for|on|but|again|settings?|setup|parameters|params|"
                  r"config(?:uration)?)|same\s+(?:\w+\s+)?(?:settings?|parameters|params|setup))(?![a-z])|"
                  r"(?<![a-z])(?:do|did|run|repeat)\s+the\s+same(?![a-z])|(?<![a-z])same\s+(?:window|period|dates|timeframe|span)(?![a-z])|"
                  r"(?<![a-z])(?:over|for|on|in)\s+the\s+same\s+"
                  r"(?:period|window|stretch|dates|timeframe|time\s+frame|years?|span)(?![a-z])|"
                  r"同样的?(?:参数|设置|设定|方法|做法)?|照此|照这个|一样的(?:参数|设置)|参数不变|其他不变|其余不变|"
                  r"(?:做|来|跑|弄|搞)(?:个|一遍|一次)?一样的|也一样|同期|同一(?:时期|时间段|区间)")


def inherit(previous: Found, local: Found) -> Found:
    """The step before, repeated with what this clause states: each kind of value the clause
    names replaces the earlier one ("same thing on sp500": the instrument), the rest is kept."""
    lists = ("instruments", "algos", "models", "strategies", "periods", "costs", "expressions", "themes", "all_features")
    scalars = ("universe", "features", "horizon", "forward_days", "timesteps", "seed", "cash", "quantity", "side",
               "top_k", "top_pct", "factor_count")
    update: dict[str, object] = {name: getattr(local, name) for name in (*lists, *scalars)
                                 if getattr(local, name) not in (None, [])}
    params = {**previous.params, **local.params}
    if local.strategies and {str(v.value) for v in local.strategies} != {str(v.value) for v in previous.strategies}:
        params = dict(local.params)  # another strategy: the earlier one's parameters are not its own
    update["params"] = params
    update["all_params"] = list(params.items())
    if local.grid:
        update["grid"] = local.grid
    return replace(previous, **update)  # type: ignore[arg-type]


#: "which one learns better?", "which is best?", "哪个更好": asks for the runs side by side.
_WHICH = re.compile(r"(?<![a-z])which(?:\s+one|\s+of\s+(?:them|the\s+\w+|those|these))?\s+(?:\w+\s+){0,3}?"
                    r"(?:better|best|ahead|wins?)(?![a-z])|哪(?:个|一个|种|组)[^,，。;；]{0,8}?(?:好|强|高|优|赢|能用|可用|靠谱|有效)")


def asks_which(text: str) -> bool:
    """Whether ``text`` asks which of several runs did better (a comparison)."""
    return _WHICH.search(text) is not None

