"""Numbers written with digits or Chinese numerals ("5", "1,000", "五", "十二", "两")."""

from __future__ import annotations

__all__ = ["NUM", "to_number"]

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "twenty": 20, "a": 1, "an": 1}

#: Regex fragment matching one number in any of the accepted spellings.
NUM = (r"(?:\d[\d,_]*(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+|"
       r"one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty)")


def _chinese(text: str) -> int:
    """Chinese numerals up to the ten-thousands: 五 -> 5, 十二 -> 12, 三百 -> 300."""
    total, current = 0, 0
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch in _UNITS:
            unit = _UNITS[ch]
            total += (current or 1) * unit
            current = 0
    return total + current


def to_number(text: str) -> float:
    """Value of a number matched by :data:`NUM`."""
    cleaned = text.strip().lower().replace(",", "").replace("_", "")
    if cleaned in _WORDS:
        return float(_WORDS[cleaned])
    if cleaned and all(ch in _DIGITS or ch in _UNITS for ch in cleaned):
        return float(_chinese(cleaned))
    return float(cleaned)
