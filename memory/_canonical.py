"""Canonical form of a factor expression, so that the same factor written twice is one factor.

The factor grammar (``taorui_engines.expressions.canonicalize``) owns the canonical form:
spacing, number format and the order of commutative operands (``$open+$close`` and
``$close + $open`` are one factor). Memory keys factor duplicates on it. An expression the
grammar refuses (a rejected factor may well be one that does not parse, and it is still
worth remembering) falls back to its whitespace-free text. A caller that already holds the
canonical form passes it in the record's ``canonical`` field.
"""

from __future__ import annotations

import logging
import re

from taorui_engines.errors import TaoruiError
from taorui_engines.expressions import canonicalize

__all__ = ["canonical_form", "normalise_whitespace"]

logger = logging.getLogger(__name__)

_SPACE = re.compile(r"\s+")


def normalise_whitespace(expression: str) -> str:
    """The expression without any whitespace: Qlib expressions give it no meaning."""
    return _SPACE.sub("", expression)


def canonical_form(expression: str) -> str:
    """The grammar's canonical form of ``expression``, else its whitespace-free text."""
    try:
        return canonicalize(expression)
    except TaoruiError as exc:  # invalid or unsafe: remembered as text, never evaluated
        logger.debug("expression %r has no canonical form (%s); using its bare text", expression, exc)
        return normalise_whitespace(expression)
