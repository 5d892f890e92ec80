"""Tokenizer of factor expressions: a closed ASCII alphabet, scanned by hand.

Every character is accounted for here. Anything outside the grammar's alphabet (quotes,
brackets, dots outside numbers, colons, semicolons, backslashes, non-ASCII lookalikes,
control characters) is refused as *unsafe* with its position, because it can only be there
to build something other than a factor: a string, a subscript, an attribute access, a
lambda. Harmless mistakes (``**``, ``%``, ``=``, an upper-case field) are *invalid* and
the message says what to write instead.
"""

from __future__ import annotations

import builtins
import keyword
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from taorui_engines.errors import InvalidExpressionError, UnsafeExpressionError

TokenKind = Literal["num", "field", "name", "op", "(", ")", ",", "end"]

_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FIELD = re.compile(r"\$([a-z][a-z0-9_]*)")
_MAX_FIELD_LEN = 32
_TWO_CHAR_OPS = ("==", "!=", "<=", ">=")
_ONE_CHAR_OPS = "+-*/<>&|"
_WHITESPACE = " \t\r\n"
#: Python names that can only mean an attempt to run code.
PYTHON_NAMES = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))

_UNSAFE_CHARS = {
    "'": "quotes are not allowed (strings are not part of the factor grammar)",
    '"': "quotes are not allowed (strings are not part of the factor grammar)",
    "`": "backquotes are not allowed",
    "[": "subscripts are not allowed", "]": "subscripts are not allowed",
    "{": "braces are not allowed", "}": "braces are not allowed",
    ".": "attribute access is not allowed ('.' may only appear inside a number)",
    ";": "statement separators are not allowed",
    ":": "colons are not allowed (no lambdas, slices or assignments)",
    "\\": "backslashes are not allowed (no escapes or line continuations)",
    "@": "'@' is not allowed", "#": "comments are not allowed", "?": "'?' is not allowed",
}
_HARMLESS_CHARS = {
    "^": "'^' is not a power operator here; write Power(x, y)",
    "%": "'%' (modulo) is not supported",
    "~": "'~' is not supported; write Not(condition)",
    "=": "'=' is not allowed (no assignments or keyword arguments); compare with '=='",
    "!": "'!' alone is not an operator; write Not(condition) or '!='",
}


@dataclass(frozen=True)
class Token:
    """One lexeme: ``kind``, its text and where it starts (0-based character index)."""

    kind: TokenKind
    text: str
    pos: int


def near(text: str, pos: int) -> str:
    """A short excerpt around ``pos`` for error messages."""
    start = max(0, pos - 12)
    excerpt = text[start : pos + 12]
    return ("..." if start else "") + excerpt + ("..." if pos + 12 < len(text) else "")


def _where(text: str, pos: int) -> str:
    return f"at position {pos} (near {near(text, pos)!r})"


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with an ``end`` token; refuse foreign characters."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char in _WHITESPACE:
            pos += 1
            continue
        token = _scan_one(text, pos)
        tokens.append(token)
        pos = token.pos + len(token.text)
    tokens.append(Token("end", "", len(text)))
    return tokens


def _scan_one(text: str, pos: int) -> Token:
    char = text[pos]
    if char.isascii() and (char.isdigit() or (char == "." and text[pos + 1 : pos + 2].isdigit())):
        return _scan_number(text, pos)
    if char == "$":
        return _scan_field(text, pos)
    if char.isascii() and (char.isalpha() or char == "_"):
        return _scan_name(text, pos)
    return _scan_symbol(text, pos)


def _scan_number(text: str, pos: int) -> Token:
    match = _NUMBER.match(text, pos)
    assert match is not None  # the caller saw a digit or '.digit'
    end = match.end()
    follower = text[end : end + 1]
    if follower.isascii() and follower and (follower.isalnum() or follower in "._$"):
        raise InvalidExpressionError(
            f"malformed number {text[pos : end + 1]!r} {_where(text, pos)}"
        )
    return Token("num", match.group(), pos)


def _scan_field(text: str, pos: int) -> Token:
    rest = text[pos + 1 : pos + 3]
    if rest.startswith("_"):
        raise UnsafeExpressionError(f"field names cannot start with '_' {_where(text, pos)}")
    if rest.startswith("$"):
        raise InvalidExpressionError(f"point-in-time fields ('$$') are not supported {_where(text, pos)}")
    match = _FIELD.match(text, pos)
    if match is None:
        hint = "fields are lower-case, e.g. $close" if rest[:1].isalpha() else "write a field like $close"
        raise InvalidExpressionError(f"bad field name {_where(text, pos)}: {hint}")
    follower = text[match.end() : match.end() + 1]
    if follower and (follower.isalnum() or follower == "_") and follower.isascii():
        raise InvalidExpressionError(f"fields are lower-case, e.g. $close; bad field {_where(text, pos)}")
    if len(match.group(1)) > _MAX_FIELD_LEN:
        raise InvalidExpressionError(f"field name longer than {_MAX_FIELD_LEN} characters {_where(text, pos)}")
    return Token("field", match.group(), pos)


def _scan_name(text: str, pos: int) -> Token:
    match = _NAME.match(text, pos)
    assert match is not None
    name = match.group()
    if name.startswith("_") or "__" in name:
        raise UnsafeExpressionError(f"names with '_' prefixes or dunders ({name!r}) are not allowed {_where(text, pos)}")
    after = text[match.end() :].lstrip(_WHITESPACE)[:1]
    if after == ".":
        raise UnsafeExpressionError(f"attribute access ({name}.) is not allowed {_where(text, pos)}")
    if name in keyword.kwlist or name in keyword.softkwlist:
        raise UnsafeExpressionError(f"Python keyword {name!r} is not part of the factor grammar {_where(text, pos)}")
    return Token("name", name, pos)


def _scan_symbol(text: str, pos: int) -> Token:
    two = text[pos : pos + 2]
    if two in _TWO_CHAR_OPS:
        return Token("op", two, pos)
    if two == "**":
        raise InvalidExpressionError(f"'**' is not supported; write Power(x, y) {_where(text, pos)}")
    if two == "//":
        raise InvalidExpressionError(f"'//' (floor division) is not supported {_where(text, pos)}")
    char = text[pos]
    if char in _ONE_CHAR_OPS:
        return Token("op", char, pos)
    if char in "(),":
        return Token(char, char, pos)  # type: ignore[arg-type]
    raise _foreign_char(text, pos)


def _foreign_char(text: str, pos: int) -> Exception:
    """The error for a character outside the alphabet: unsafe unless plainly harmless."""
    char = text[pos]
    if char in _HARMLESS_CHARS:
        return InvalidExpressionError(f"{_HARMLESS_CHARS[char]} {_where(text, pos)}")
    if char in _UNSAFE_CHARS:
        return UnsafeExpressionError(f"{_UNSAFE_CHARS[char]} {_where(text, pos)}")
    if not char.isascii():
        return UnsafeExpressionError(f"non-ASCII character {_describe_char(char)} {_where(text, pos)}")
    return UnsafeExpressionError(f"control character U+{ord(char):04X} {_where(text, pos)}")


def _describe_char(char: str) -> str:
    """``U+FF04 FULLWIDTH DOLLAR SIGN, which looks like '$'`` (lookalikes are a known trick)."""
    name = unicodedata.name(char, "unnamed")
    plain = unicodedata.normalize("NFKC", char)
    alike = f", which looks like {plain!r}" if plain != char and plain.isascii() and plain.isprintable() else ""
    return f"U+{ord(char):04X} {name}{alike}"
