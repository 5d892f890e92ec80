"""A small filter language over record metadata, parsed into a Chroma ``where`` clause.

Written by people and by agents, so it is parsed by a grammar, never evaluated::

    filter     := disjunct ("or" disjunct)*
    disjunct   := term (("and" | "," | "&&") term)*
    term       := "(" filter ")" | comparison
    comparison := NAME OP VALUE
    OP         := ">" | ">=" | "<" | "<=" | "=" | "==" | "!="
    VALUE      := number | true | false | 'text' | "text" | bare-word

Examples: ``rank_icir>0.5``, ``state=failed``, ``engine=finrl and oos_sharpe>=1``,
``(universe=csi_syn or universe=GOLD), status=accepted``. Ordering operators need a
number. Names are metadata keys (lower case, ``[a-z0-9_]``), as ``taorui memory show``
prints them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from taorui_engines.errors import InvalidArgumentError

__all__ = ["parse_where"]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\() | (?P<rparen>\)) |
        (?P<op>>=|<=|!=|==|=|>|<) |
        (?P<and>&&|,) |
        (?P<string>'[^']*'|"[^"]*") |
        (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![A-Za-z0-9_.:\-])) |
        (?P<word>[A-Za-z0-9_.:\-]+)
    )""",
    re.VERBOSE,
)
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_OPS = {">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte", "=": "$eq", "==": "$eq", "!=": "$ne"}
_ORDERING = {"$gt", "$gte", "$lt", "$lte"}
_LABELS = {"and": "'and'", "or": "'or'", "rparen": "')'", "op": "an operator (> >= < <= = !=)",
           "number": "a value", "string": "a value", "word": "a value"}
#: Keys that hold the record JSON rather than a filterable value.
_UNFILTERABLE = {"record"}


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    pos: int


def _tokenise(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise InvalidArgumentError(f"filter {text!r}: cannot read {text[pos:].strip()[:20]!r}")
        kind = match.lastgroup or ""
        word, start = match.group(kind), match.start(kind)
        if kind == "word" and word.lower() in ("and", "or"):
            kind = word.lower()
        tokens.append(_Token(kind, word, start))
        pos = match.end()
    return tokens


class _Parser:
    """Recursive descent over the tokens; every error names the filter and the spot."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenise(text)
        self.i = 0

    def _peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _take(self, *kinds: str, label: str | None = None) -> _Token:
        token = self._peek()
        if token is None or token.kind not in kinds:
            found = f"{token.text!r} at {token.pos}" if token else "the end"
            wanted = label or " or ".join(dict.fromkeys(_LABELS[k] for k in kinds))
            raise InvalidArgumentError(f"filter {self.text!r}: expected {wanted}, found {found}")
        self.i += 1
        return token

    def parse(self) -> dict[str, Any]:
        if not self.tokens:
            raise InvalidArgumentError("filter is empty; write e.g. 'rank_icir>0.5'")
        clause = self._filter()
        if self._peek() is not None:
            self._take("and", "or")  # raises: something is left over
        return clause

    def _filter(self) -> dict[str, Any]:
        parts = [self._disjunct()]
        while (token := self._peek()) is not None and token.kind == "or":
            self.i += 1
            parts.append(self._disjunct())
        return parts[0] if len(parts) == 1 else {"$or": parts}

    def _disjunct(self) -> dict[str, Any]:
        parts = [self._term()]
        while (token := self._peek()) is not None and token.kind == "and":
            self.i += 1
            parts.append(self._term())
        return parts[0] if len(parts) == 1 else {"$and": parts}

    def _term(self) -> dict[str, Any]:
        token = self._peek()
        if token is not None and token.kind == "lparen":
            self.i += 1
            inner = self._filter()
            self._take("rparen")
            return inner
        return self._comparison()

    def _comparison(self) -> dict[str, Any]:
        name = self._take("word", label="a metadata key")
        if not _NAME.match(name.text) or name.text in _UNFILTERABLE:
            raise InvalidArgumentError(
                f"filter {self.text!r}: {name.text!r} is not a metadata key (lower case letters, "
                "digits and _; see `taorui memory show ID` for a record's keys)"
            )
        op = _OPS[self._take("op").text]
        value = _value(self._take("number", "string", "word"))
        if op in _ORDERING and not isinstance(value, float):
            raise InvalidArgumentError(
                f"filter {self.text!r}: {name.text} {op[1:]} needs a number, got {value!r}"
            )
        return {name.text: {op: value}}


def _value(token: _Token) -> str | float | bool:
    """Numbers as floats (metadata numbers are stored as floats), true/false, text."""
    if token.kind == "number":
        return float(token.text)
    if token.kind == "string":
        return token.text[1:-1]
    lowered = token.text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return token.text


def parse_where(text: str) -> dict[str, Any]:
    """Parse a filter such as ``rank_icir>0.5 and universe=csi_syn`` into a Chroma clause."""
    return _Parser(text).parse()
