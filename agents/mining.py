"""The LLM factor proposer: a language model writes hypotheses and expressions, the loop judges them.

The model gets the task, the grammar (fields, operators, size bounds) and each round's
feedback (what was kept, what was dropped and why, what the parser refused and its message)
and answers with JSON: ``{"hypotheses": [{"text", "theme", "expressions": [...]}]}``. The reply
is validated as :class:`~taorui_engines.factor_mining.ProposalBatch`; one that does not
validate gets one corrected try with the validation error, then the round goes on without it
(a note says why). Every call goes through :class:`~agents.llm.ChatClient` under a meter with
the run's token and money budgets, so the budget that stops the loop is the one it counts.
"""

from __future__ import annotations

import json
import re
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.llm import ChatClient, LLMConfig, UsageMeter
from taorui_engines.factor_mining import (
    THEMES,
    Hypothesis,
    ProposalBatch,
    ProposerUsage,
    RoundFeedback,
)

__all__ = ["LLMFactorProposer"]

#: The operators the prompt spells out with their argument shapes (the parser accepts more).
_GRAMMAR = (
    "Fields: {fields} (written with '$', e.g. $close). Operators: {ops}. Windows are whole trading days "
    "(1-250) and come last, e.g. Mean($close, 20), Corr($close, $volume, 10), Ref($close, 5). Infix + - * / "
    "and comparisons work. No future data: Ref windows are positive. Keep each expression at most "
    "{size} nodes and {depth} levels deep."
)

_SYSTEM = """You are a quantitative researcher proposing cross-sectional alpha factors for Taorui.
A factor is an expression whose value on a day ranks stocks by their expected return over the next
{horizon} trading day(s). You only propose; a fixed rule judges every expression: Rank ICIR on a mining
period with a Bonferroni-corrected Newey-West t for every candidate tried (so each extra expression makes
the bar higher: propose few, distinct, well-motivated ones), the same sign on a held-out confirmation
period you never see, low correlation with known factors, and a complexity bound.

{grammar}

Answer with JSON only, no prose, in this shape:
{{"hypotheses": [{{"text": "<the idea, one or two sentences{lang}>", "theme": "<{themes} or llm>",
"expressions": ["<expression>", ...]}}]}}
Give at most {want} expressions in total. Do not repeat an expression already tried."""


class _Reply(BaseModel):
    """The JSON the model must send."""

    model_config = ConfigDict(extra="forbid")

    hypotheses: list[Hypothesis] = Field(min_length=1, max_length=12)


def _feedback_text(feedback: RoundFeedback) -> str:
    """The round's feedback as compact text (the model reads it; numbers as the loop saw them)."""
    lines = [
        f"Round {feedback.round}. Universe {feedback.universe}{' (SYNTHETIC data)' if feedback.synthetic else ''}; "
        f"themes asked for: {', '.join(feedback.themes)}. Candidates tried so far: {feedback.n_tried} "
        f"(current |t| bar {feedback.t_threshold:.2f}); {feedback.candidates_left} may still be evaluated. "
        f"Propose up to {feedback.want} new expressions.",
    ]

    def block(title: str, rows: tuple[Any, ...]) -> None:
        if rows:
            lines.append(title)
            for r in rows:
                icir = "" if r.mining_rank_icir is None else f" mining Rank ICIR {r.mining_rank_icir:+.3f};"
                lines.append(f"- {r.expr}:{icir} {r.reason}")

    block("Accepted (do not duplicate; look for something different):", feedback.accepted)
    block("Rejected, best first (learn from the reasons):", feedback.rejected)
    block("Refused by the parser (fix the grammar):", feedback.invalid)
    if feedback.library:
        lines.append("Known library factors (a new one must not duplicate them): " + "; ".join(feedback.library))
    return "\n".join(lines)


def _json_object(text: str) -> Any:
    """The first JSON object in a reply (code fences and prose around it are tolerated)."""
    fenced = re.search(r"```(?:json)?\s*(\{.*?\})\s*```", text, re.DOTALL)
    candidate = fenced.group(1) if fenced else text[text.find("{"): text.rfind("}") + 1]
    if not candidate:
        raise ValueError("the reply has no JSON object")
    return json.loads(candidate)


class LLMFactorProposer:
    """Proposes factors with a chat model; one per mining run (its meter holds the run's budgets)."""

    def __init__(self, model: BaseChatModel, config: LLMConfig, token_budget: int, cost_budget_usd: float,
                 language: str = "en") -> None:
        self._client = ChatClient(model, config, UsageMeter(token_budget, cost_budget_usd, config.model_price()))
        self._model_name = config.model
        self._language = language

    @property
    def name(self) -> str:
        """``llm:<model>``."""
        return f"llm:{self._model_name}"

    def _messages(self, feedback: RoundFeedback) -> list[BaseMessage]:
        grammar = _GRAMMAR.format(fields=", ".join(f"${f}" for f in feedback.fields),
                                  ops=", ".join(feedback.operators), size=feedback.max_size, depth=feedback.max_depth)
        lang = ", written in Chinese" if feedback.language == "zh" else ""
        system = _SYSTEM.format(horizon=feedback.horizon, grammar=grammar, lang=lang, themes=", ".join(THEMES),
                                want=feedback.want)
        return [SystemMessage(system), HumanMessage(_feedback_text(feedback))]

    def propose(self, feedback: RoundFeedback) -> ProposalBatch:
        """One round: ask, validate, ask once more with the error if the reply does not validate."""
        before = self._client.meter.usage
        messages = self._messages(feedback)
        note: str | None = None
        hypotheses: tuple[Hypothesis, ...] = ()
        for attempt in range(2):
            reply = self._client.complete(messages).message
            text = reply.content if isinstance(reply.content, str) else json.dumps(reply.content)
            try:
                hypotheses = tuple(_Reply.model_validate(_json_object(text)).hypotheses)
                note = None
                break
            except (ValueError, ValidationError) as exc:
                error = str(exc).splitlines()[0][:300] if isinstance(exc, ValidationError) else str(exc)[:300]
                note = f"the model's reply was not usable ({error})" + (", even after a corrected try" if attempt else "")
                messages = [*messages, AIMessage(text[:4000]), HumanMessage(
                    f"That reply could not be used: {error}. Answer again with the JSON object only, in the shape "
                    "given.")]
        after = self._client.meter.usage
        usage = ProposerUsage(
            calls=after.calls - before.calls, input_tokens=after.input_tokens - before.input_tokens,
            output_tokens=after.output_tokens - before.output_tokens,
            cost_usd=None if after.cost_usd is None or before.cost_usd is None else after.cost_usd - before.cost_usd)
        return ProposalBatch(hypotheses=hypotheses[:12], usage=usage, note=note)
