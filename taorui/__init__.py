"""Taorui (韬睿): LLM agents for quantitative research and supervised trading.

This is the thin application package: the ``taorui`` command, settings, and the wiring
that composes the engines, tools, memory, guardrails and graphs. It holds no domain logic.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
