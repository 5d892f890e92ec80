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
    """``zh`` when the text holds a Chinese character, else ``en``: a Chinese speaker mixing in
    English ("S&P 再 add 10% NAV") is answered in Chinese; an English writer seldom types one."""
    return "zh" if _CJK.search(text) else "en"


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
