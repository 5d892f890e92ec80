"""Text plumbing shared by the parsers: normalisation that keeps positions, language, blanking.

Every parser reports spans of the person's own text, so normalisation must map one
character to one character: full-width digits and punctuation fold to ASCII, ASCII letters
lower-case, everything else stays where it is. Spans found in the normalised text are then
spans of the original.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["blank", "detect_language", "normalise", "words_of"]

_CJK = re.compile(r"[\u3400-\u9fff]")
_FULL_WIDTH = str.maketrans(
    "０１２３４５６７８９％，：（）．／－＋＝　；！？＄［］｛｝＜＞＆～"
    + "".join(chr(c) for c in range(0xFF21, 0xFF3B)) + "".join(chr(c) for c in range(0xFF41, 0xFF5B)),
    "0123456789%,:()./-+= ;!?$[]{}<>&~"
    + "".join(chr(c) for c in range(0x41, 0x5B)) + "".join(chr(c) for c in range(0x61, 0x7B)),
)


def detect_language(text: str) -> Literal["en", "zh"]:
    """``zh`` when the text holds Chinese, else ``en``: a Chinese speaker mixing in English ("S&P 再
    add 10% NAV", "用PPO train一个gold的agent") is answered in Chinese. An English sentence that
    only names something in Chinese ("please sell half my 原油 position", "try 布林带 on SYN088")
    is English: a few short Chinese names among English grammar words."""
    runs = _CJK_RUN.findall(text)
    if not runs:
        return "en"
    # whole words only: "A2C" holds no article "a", "in-sample" no preposition "in"
    words = [w.lower() for w in re.findall(r"(?<![A-Za-z0-9'-])[A-Za-z][A-Za-z'-]*(?![A-Za-z0-9'-])", text)]
    grammar = sum(1 for w in words if w in _EN_GRAMMAR)
    if grammar >= 3 and sum(map(len, runs)) <= 6 and max(map(len, runs)) <= 4 and len(runs) <= 2:
        return "en"
    # code-switching ("check my 仓位 first then buy 2 lots gold", "run一下今天的trading cycle"): the sentence's grammar
    # decides - English function words against Chinese ones - not which script names the things
    english = grammar + sum(1 for w in words if w in _EN_GLUE)
    chinese = len(_ZH_GLUE.findall("".join(runs)))
    return "en" if english > chinese else "zh"


_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
#: English grammar words: present in any English sentence, absent from a Chinese one that borrows English terms.
_EN_GRAMMAR = frozenset({"the", "a", "an", "my", "our", "your", "me", "i", "i'm", "i've", "you", "it", "is", "are", "was",
                         "to", "of", "for", "on", "in", "and", "with", "what", "how", "could", "can", "please", "that",
                         "this", "be", "have", "has", "do", "does", "did", "about", "over", "from", "would", "should"})


#: More English function words and the particles of Singapore and Hong Kong English ("seed 42 lah").
_EN_GLUE = frozenset({"then", "first", "after", "before", "at", "by", "as", "if", "or", "but", "so", "all", "some", "us",
                      "we", "they", "them", "its", "which", "into", "since", "until", "only", "just", "too", "also",
                      "lah", "leh", "lor", "meh", "ah", "hor", "la", "pls", "plz", "want", "wanna", "need", "let", "give"})
#: Chinese function words and particles: present in a Chinese sentence whatever English terms it borrows.
_ZH_GLUE = re.compile(r"一下|一个|然后|什么|多少|怎么|的|了|把|给|我|在|用|吗|呢|吧|个|下|帮|请|再|先|就|和|是|有|看|这|那|也|都|还|要|跟|让|被")


def normalise(text: str) -> str:
    """Full-width folded to ASCII and ASCII lower-cased, one character for one character."""
    folded = text.translate(_FULL_WIDTH)
    return "".join(c.lower() if c.isascii() else c for c in folded)


def blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each span replaced by spaces (positions unchanged)."""
    chars = list(text)
    for start, end in spans:
        for i in range(max(0, start), min(len(chars), end)):
            chars[i] = " "
    return "".join(chars)


def words_of(text: str) -> list[str]:
    """Latin words and single CJK characters, for overlap measures."""
    return re.findall(r"[a-z0-9]+|[\u3400-\u9fff]", text.lower())
