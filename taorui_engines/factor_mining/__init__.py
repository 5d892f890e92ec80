"""Factor mining: an offline research loop that proposes, checks, evaluates and keeps factors.

The default proposer is a seeded genetic search over the project's expression grammar; every
candidate goes through :func:`~taorui_engines.expressions.parse_expression` before it is
evaluated, is scored by its Rank IC on a mining period (IC code of
``taorui_engines.qlib_engine``), and is kept only under a written acceptance rule that adds a
held-out confirmation period, a dedupe against known factors, a complexity bound and a
Bonferroni correction for the number of candidates tried. A language model can propose too
(``proposer="llm"`` or ``"hybrid"``): it writes hypotheses and expressions through the
:class:`ExternalProposer` seam, under token and money budgets, and the same rule judges them.

Public surface::

    mine_factors(center, MiningRequest(...), runs_dir=None, progress=None, clock=..., proposer=None,
                 ray_address=None) -> MiningResult   (candidates scored as Ray tasks when an address is given)
    ExternalProposer   the seam for a language model: propose(RoundFeedback) -> ProposalBatch
    AcceptanceRule, MinedFactor, FailedCandidate, PeriodStats, THEMES, theme_key
"""

from taorui_engines.factor_mining._loop import mine_factors
from taorui_engines.factor_mining._models import (
    AcceptanceRule,
    FailedCandidate,
    MinedFactor,
    MiningRequest,
    MiningResult,
    PeriodStats,
    ProposerMode,
    StopReason,
)
from taorui_engines.factor_mining._proposals import (
    ExternalProposer,
    FeedbackFactor,
    Hypothesis,
    ProposalBatch,
    ProposerUsage,
    RoundFeedback,
)
from taorui_engines.factor_mining._themes import THEMES, theme_key

__all__ = [
    "THEMES",
    "AcceptanceRule",
    "ExternalProposer",
    "FailedCandidate",
    "FeedbackFactor",
    "Hypothesis",
    "ProposalBatch",
    "ProposerMode",
    "ProposerUsage",
    "RoundFeedback",
    "MinedFactor",
    "MiningRequest",
    "MiningResult",
    "PeriodStats",
    "StopReason",
    "mine_factors",
    "theme_key",
]
