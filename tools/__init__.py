"""Typed tools over the engines: Args, Result, kind, description (see tools/_base.py)."""

from tools._base import ErrorInfo, Tool, ToolArgs, ToolKind, ToolOutcome, ToolResult
from tools._context import ToolContext

__all__ = ["ErrorInfo", "Tool", "ToolArgs", "ToolContext", "ToolKind", "ToolOutcome", "ToolResult"]
