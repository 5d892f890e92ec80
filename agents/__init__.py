"""Agent roles, their prompts and tools, the brief they receive, and the LLM backends.

Public surface::

    ROLES / SUPERVISOR / role(name) / load_prompt(name)     the roles
    Brief, CatalogEntry, MemoryHit, render_brief, read_brief the agent's brief
    control tools: route_to_agent, ask_user, handover        (agents.control)
    agents.llm      backends (offline planner, OpenAI-compatible), retries, budgets
    agents.planner  the offline planner and its bilingual parser
"""

from agents.brief import Brief, CatalogEntry, MemoryHit, read_brief, render_brief
from agents.control import (
    ASK_USER,
    CONTROL_TOOLS,
    HANDOVER,
    ROUTE,
    AskUserArgs,
    HandoverArgs,
    RouteArgs,
    control_schema,
)
from agents.roles import AGENTS, ROLES, SUPERVISOR, AgentName, Role, load_prompt, role

__all__ = [
    "AGENTS",
    "ASK_USER",
    "CONTROL_TOOLS",
    "HANDOVER",
    "ROLES",
    "ROUTE",
    "SUPERVISOR",
    "AgentName",
    "AskUserArgs",
    "Brief",
    "CatalogEntry",
    "HandoverArgs",
    "MemoryHit",
    "Role",
    "RouteArgs",
    "control_schema",
    "load_prompt",
    "read_brief",
    "render_brief",
    "role",
]
