"""LLM configuration, validated once and passed in (the app builds it from settings)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["PRICES_PER_MTOK", "LLMConfig", "ModelPrice"]


class ModelPrice(BaseModel):
    """USD per million tokens, input and output."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0)
    output: float = Field(ge=0)


#: List prices of common OpenAI models (USD / 1M tokens). A model not listed has no known
#: price: its cost is reported as unknown and only the token budget applies, unless the
#: config names a price (a local vLLM server costs nothing: give it ``ModelPrice(0, 0)``).
PRICES_PER_MTOK: dict[str, ModelPrice] = {
    "gpt-4o-mini": ModelPrice(input=0.15, output=0.60),
    "gpt-4o": ModelPrice(input=2.50, output=10.00),
    "gpt-4.1": ModelPrice(input=2.00, output=8.00),
    "gpt-4.1-mini": ModelPrice(input=0.40, output=1.60),
    "gpt-4.1-nano": ModelPrice(input=0.10, output=0.40),
    "o4-mini": ModelPrice(input=1.10, output=4.40),
}


class LLMConfig(BaseModel):
    """Which backend, where, and how much it may spend per instruction."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Literal["offline", "openai"] = "offline"
    base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint; None = OpenAI.")
    model: str = "gpt-4o-mini"
    api_key: SecretStr | None = None
    timeout_s: float = Field(default=60.0, gt=0, le=3600)
    max_retries: int = Field(default=4, ge=0, le=20, description="Retries after the first try.")
    backoff_initial_s: float = Field(default=1.0, ge=0, le=60)
    backoff_max_s: float = Field(default=30.0, ge=0, le=600)
    token_budget: int = Field(default=200_000, gt=0, description="Tokens per instruction.")
    cost_budget_usd: float = Field(default=2.0, ge=0, description="USD per instruction.")
    price: ModelPrice | None = Field(default=None, description="Overrides the price table.")
    allow_remote: bool = Field(default=True, description="False: only loopback endpoints.")
    prompt_tokens: int = Field(default=3500, ge=256, le=10_000_000,
                               description="Tokens (estimated) a remote request's messages and tool schemas are "
                                           "fitted into: a 4k-token context less room for the answer.")
    temperature: float = Field(default=0.0, ge=0, le=2)
    seed: int | None = Field(default=None, ge=0, description="Sampling seed, for backends that honour one.")

    def model_price(self) -> ModelPrice | None:
        """The price used for cost counting, or None when unknown."""
        return self.price or PRICES_PER_MTOK.get(self.model)
