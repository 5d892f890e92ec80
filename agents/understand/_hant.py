"""Traditional Chinese characters folded to simplified ones, one character for one character.

Some writers type traditional forms (訓練, 黃金, 樣本外, 買入三手). Every lexicon and parser reads
simplified Chinese, so the instruction is folded first; a table of the characters a quant request
uses, not a full converter: a character one-to-many in the other direction (乾, 著) is left alone.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["fold_traditional", "in_traditional", "mandarin", "traditional_script"]

_TRADITIONAL = (
    "訓練黃幫測帶線綫調點萬請資買賣樣評個價數據選擇倉單將與為們這來時間對說讓給現過還進運動區標準納達貨幣銀債風險條號導機學習強勢週歷記錄憶裡裏後於從產參設實驗證試結報顯圖漲頭帳賬戶額餘總虧損權審確認讀寫問"
    "題應該嗎麼兩幾億廣東長開關閉盤換預組較優勝敗輸贏邊無種類別並範圍層級構網絡統計劃畫處遠離殺當擊車門氣際陸場費貴賺錢鐘鍾錯誤嚴謹隨碼變異濾筆輪節啟啓執態狀況檔紀須複復雜簡體擬補蹤團隊聯繫係維續斷繼穩靈專"
    "業務舉義議討論鑒鑑覽觀見規視親覺聽聲響頁順頻領願顧飛馬驟麥齊龍憑慮懷戰擔擴攤斂暫曆會極樂歐歸殘溝減滿漢潤灣熱營爭獨獲獎環畢盡監礎禮稅積競築籌簽紅約純紙細終絕經綜緊緣編緩縮績羅脫腦興舊華葉蘭衛衝製觸訂訊"
    "託訪許訴詞詢詳話語課談謝識譯護負財責質購賽趨跡躍軌載輔輕轉辦連遊違適遲遺醫釋針鈔銷鎖閱闆階隱雙雖難電靜頂項鬆倫側備傳傷僅儲兒內冊則剛創勁勞勵協卻發員噸國壓壞塊夠夥寧寶寬尋屆屬師幹庫廠廢彈徑徵戲拋掛採揚"
    "搶曉書槓樓檢櫃歲決沒溫潛濟爾眾衆稱窮紐聞職臉臨蓋虛裝誰諮講讚豐貼賴趕踐軍軟輯農邏鍵陣陰陽隻雲頓顆驅鬥麗龐籤鐵礙纔穀臺檯颱彙匯滙迴妳喫嘗撥撐摺鑽儀滬桿佔佈簾貸夾閑閒紋織噁惡懶懸戀歡漁獵鬧釐繳寵誌誇彌鴻鳥"
    "魚諸謂貿賠賦賭贈輛轄遞邁郵鄭醜鋼錶鎮鏈鑄閘閣闊隸雞韓頸頗顛飯飲餅館駐騰髒鬱魯鯨鹽齒龜壯婦媽嬰奪奮島峽巖帥廳彎憂懼擁擋擠攝敘晉晝暈棄滅漸潔澤濃灑烏煙爐牆猶畝瘋皺盧睏礦糧縣罵聖膽艱莊蘇蠻襲詐誠謀賀貝輩鄰醬"
    "閥韌頰飽髮麵黨齡駭蝕揀"
)
_SIMPLIFIED = (
    "训练黄帮测带线线调点万请资买卖样评个价数据选择仓单将与为们这来时间对说让给现过还进运动区标准纳达货币银债风险条号导机学习强势周历记录忆里里后于从产参设实验证试结报显图涨头账账户额余总亏损权审确认读写问"
    "题应该吗么两几亿广东长开关闭盘换预组较优胜败输赢边无种类别并范围层级构网络统计划画处远离杀当击车门气际陆场费贵赚钱钟钟错误严谨随码变异滤笔轮节启启执态状况档纪须复复杂简体拟补踪团队联系系维续断继稳灵专"
    "业务举义议讨论鉴鉴览观见规视亲觉听声响页顺频领愿顾飞马骤麦齐龙凭虑怀战担扩摊敛暂历会极乐欧归残沟减满汉润湾热营争独获奖环毕尽监础礼税积竞筑筹签红约纯纸细终绝经综紧缘编缓缩绩罗脱脑兴旧华叶兰卫冲制触订讯"
    "托访许诉词询详话语课谈谢识译护负财责质购赛趋迹跃轨载辅轻转办连游违适迟遗医释针钞销锁阅板阶隐双虽难电静顶项松伦侧备传伤仅储儿内册则刚创劲劳励协却发员吨国压坏块够伙宁宝宽寻届属师干库厂废弹径征戏抛挂采扬"
    "抢晓书杠楼检柜岁决没温潜济尔众众称穷纽闻职脸临盖虚装谁咨讲赞丰贴赖赶践军软辑农逻键阵阴阳只云顿颗驱斗丽庞签铁碍才谷台台台汇汇汇回你吃尝拨撑折钻仪沪杆占布帘贷夹闲闲纹织恶恶懒悬恋欢渔猎闹厘缴宠志夸弥鸿鸟"
    "鱼诸谓贸赔赋赌赠辆辖递迈邮郑丑钢表镇链铸闸阁阔隶鸡韩颈颇颠饭饮饼馆驻腾脏郁鲁鲸盐齿龟壮妇妈婴夺奋岛峡岩帅厅弯忧惧拥挡挤摄叙晋昼晕弃灭渐洁泽浓洒乌烟炉墙犹亩疯皱卢困矿粮县骂圣胆艰庄苏蛮袭诈诚谋贺贝辈邻酱"
    "阀韧颊饱发面党龄骇蚀拣"
)
_FOLD = str.maketrans(_TRADITIONAL, _SIMPLIFIED)


def fold_traditional(text: str) -> str:
    """``text`` with the traditional characters of the table written in their simplified form."""
    return text.translate(_FOLD)


_ONLY_TRADITIONAL = frozenset(t for t, s in zip(_TRADITIONAL, _SIMPLIFIED, strict=True) if t != s) - set(_SIMPLIFIED)
#: Simplified forms that traditional writing uses too, for another word (回 beside 迴, 台 beside 臺, 只 beside 隻).
_IN_BOTH = frozenset("里后于只面干表回台才谷系松云布占折杆志吃游制征采丑伙冲托板困夸岩厘范并准几凭")
_ONLY_SIMPLIFIED = frozenset(s for t, s in zip(_TRADITIONAL, _SIMPLIFIED, strict=True) if t != s) - set(_TRADITIONAL) - _IN_BOTH


def traditional_script(text: str) -> bool:
    """Whether ``text`` is written in traditional characters (a Hong Kong or Taiwan writer): at
    least two characters only traditional writing uses, and more of them than simplified-only ones
    (a pasted name in the other script does not flip it)."""
    trad = sum(1 for ch in text if ch in _ONLY_TRADITIONAL)
    return trad >= 2 and trad > sum(1 for ch in text if ch in _ONLY_SIMPLIFIED)


def in_traditional(text: str) -> str:
    """``text`` (an answer written in simplified Chinese) in traditional characters, phrase by
    phrase (OpenCC's tables, via the pure-Python ``opencc-purepy``); English, numbers and code pass
    unchanged. Loaded on first use: only answers to traditional-script writers pay for it."""
    if not re.search(r"[\u4e00-\u9fff]", text):
        return text
    return _converter().convert(text)


@lru_cache(maxsize=1)
def _converter() -> Any:
    from opencc_purepy import OpenCC

    return OpenCC("s2t")


#: Cantonese as Hong Kong desks write it, said in the Mandarin every lexicon reads (after the fold above):
#: trading verbs (沽 sell, 揸 buy, 落单 place an order), days (琴日, 听日) and the grammar words around them.
#: Longer phrases first; only words that carry no other meaning in a Mandarin quant request.
_CANTONESE: tuple[tuple[str, str], ...] = (
    ("全部沽晒", "全部卖出"), ("沽晒", "全部卖出"), ("沽清", "清仓"), ("沽出", "卖出"), ("沽", "卖出"), ("揸住", "持有"),
    ("揸", "买入"), ("落单", "下单"), ("琴日", "昨天"), ("寻日", "昨天"), ("听日", "明天"), ("止蚀", "止损"),
    ("止赚", "止盈"), ("唔使", "不用"), ("唔洗", "不用"), ("有冇", "有没有"), ("冇", "没有"), ("唔", "不"),
    ("话我知", "告诉我"), ("俾我", "给我"), ("点做", "怎么做"), ("点样", "怎样"), ("等紧", "正在等"), ("紧", "在"),
    ("嘅", "的"), ("啲", "些"), ("咩", "什么"), ("搵", "找"), ("睇", "看"), ("佢", "它"), ("咗", "了"), ("嗰", "那"),
    ("呢个", "这个"), ("出嚟", "出来"), ("嚟", "来"), ("蚊", "元"), ("设做", "设为"), ("发掘", "挖掘"), ("打风", "台风"),
    ("返工", "上班"), ("拣", "选"), ("头", "前"),
)
_CANTONESE_MARK = re.compile(r"[沽揸嘅喺啲咩冇唔佢咗嗰嚟睇搵俾蚊琴听]|落单|话我知")
_IN = re.compile(r"喺([^，。,.;；?？!！]{1,12}?)度")  # "喺黃金度訓練": on gold
_AND = re.compile(r"(\d)\s*(日|天)?\s*同\s*(\d)")  # "10日同30日均線", "參數10同50": and
_FIRST = re.compile(r"([问给话]我)先")  # "落單之前問我先": first ask me


def mandarin(text: str) -> str:
    """Cantonese words of a (folded) request in Mandarin; text with none of them passes unchanged."""
    if not _CANTONESE_MARK.search(text):
        return text
    text = _IN.sub(r"在\1上", text)
    text = _AND.sub(lambda m: f"{m.group(1)}{m.group(2) or ''}和{m.group(3)}", text)
    text = _FIRST.sub(r"先\1", text)
    text = re.sub(r"系(?=\s*[\d一二三四五六七八九十])", "是", text.replace("喺", "在"))  # "期間係2019年上半年": is
    for word, said in _CANTONESE:
        if word == "头":
            text = re.sub(r"(?:排名)?头(?=\s*\d)", "前", text)  # "排名頭20隻": the top 20
            continue
        text = text.replace(word, said)
    return text
