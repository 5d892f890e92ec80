"""The offline planner: bilingual instruction parsing and a chat model that emits tool calls.

Public surface::

    parse_instruction(text) -> ParsedInstruction      # language, intent, agent, slots, question
    parse_conversation([instruction, reply, ...])     # with answers to a clarifying question
    detect_language(text) -> "en" | "zh"
    OfflinePlanner(defaults=PlannerDefaults(...))     # a LangChain BaseChatModel
"""

from agents.planner._defaults import PlannerDefaults
from agents.planner._model import OfflinePlanner
from agents.planner._models import Intent, Language, ParsedInstruction, Slots
from agents.planner._observe import APPROVAL_MESSAGE
from agents.planner._parse import detect_language, parse_conversation, parse_instruction
from agents.planner._periods import Period, resolve_period
from agents.planner._plan import describe_task

__all__ = [
    "APPROVAL_MESSAGE",
    "Intent",
    "Language",
    "OfflinePlanner",
    "ParsedInstruction",
    "Period",
    "PlannerDefaults",
    "Slots",
    "describe_task",
    "detect_language",
    "parse_conversation",
    "parse_instruction",
    "resolve_period",
]
