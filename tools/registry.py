"""Every tool the project registers, gathered from the tool modules.

Each module in :data:`TOOL_MODULES` exposes ``TOOLS: tuple[Tool, ...]`` of read/compute
tools. Execute-kind tools are not listed here: they exist only as built by the guardrail
gate for a given broker (see ``tools.order_tools``), and the gate test walks this registry
plus the gate's tools to prove no execute tool escapes it.
"""

from __future__ import annotations

import importlib

from tools._base import Tool

__all__ = ["TOOL_MODULES", "all_tools", "get_tool"]

#: Modules holding ``TOOLS``; each engine's tools module adds itself here.
TOOL_MODULES: tuple[str, ...] = (
    "tools.rl_tools",
    "tools.order_tools",
    "tools.bt_tools",
    "tools.memory_tools",
    "tools.data_tools",
    "tools.qlib_tools",
    "tools.mining_tools",
    "tools.trading_tools",
)


def all_tools() -> dict[str, Tool]:  # type: ignore[type-arg]
    """Name -> tool for every registered (non-execute) tool."""
    out: dict[str, Tool] = {}  # type: ignore[type-arg]
    for module_name in TOOL_MODULES:
        for tool in importlib.import_module(module_name).TOOLS:
            if tool.name in out:
                raise ValueError(f"tool name {tool.name!r} registered twice")
            out[tool.name] = tool
    return out


def get_tool(name: str) -> Tool:  # type: ignore[type-arg]
    """One registered tool by name."""
    tools = all_tools()
    if name not in tools:
        raise KeyError(f"no tool {name!r}; known: {', '.join(sorted(tools))}")
    return tools[name]
