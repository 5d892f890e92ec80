"""Shared plumbing of the command groups: JSON output, errors, dates."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from taorui_engines.errors import TaoruiError

__all__ = ["EXIT_INVALID", "add_json_flag", "emit", "error_exit", "parse_span", "validated"]

T = TypeVar("T")

#: Exit status for bad input, refusals and other Taorui errors.
EXIT_INVALID = 2


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """``--json``: print exactly one JSON object on stdout."""
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _jsonable(value.model_dump(mode="json"))
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def emit(args: argparse.Namespace, payload: Any, text: str | None = None) -> int:
    """Print ``payload`` as one JSON object with ``--json``, else ``text`` (or pretty JSON)."""
    if getattr(args, "json", False) or text is None:
        sys.stdout.write(json.dumps(_jsonable(payload), ensure_ascii=False, default=str) + "\n")
    else:
        sys.stdout.write(text.rstrip("\n") + "\n")
    return 0


def error_exit(args: argparse.Namespace | None, exc: TaoruiError) -> int:
    """Report a Taorui error: JSON ``{"error": {...}}`` with ``--json``, else a line on stderr."""
    if args is not None and getattr(args, "json", False):
        sys.stdout.write(json.dumps({"error": exc.to_dict()}, ensure_ascii=False) + "\n")
    else:
        sys.stderr.write(f"error ({exc.type_name}): {exc.message}\n")
    return EXIT_INVALID


def parse_span(text: str) -> tuple[str, str]:
    """``"2015-01-01:2019-12-31"`` -> (start, end); argparse shows the error otherwise."""
    parts = text.split(":")
    if len(parts) != 2 or not all(parts):
        raise argparse.ArgumentTypeError(f"expected START:END (YYYY-MM-DD:YYYY-MM-DD), got {text!r}")
    return parts[0], parts[1]


def validated(build: Callable[[], T]) -> T:
    """Build a request model; a validation failure becomes an InvalidArgument error (exit 2)."""
    try:
        return build()
    except ValidationError as exc:
        from taorui_engines.errors import InvalidArgumentError
        from tools._base import format_validation_error

        raise InvalidArgumentError(format_validation_error(exc)) from exc
