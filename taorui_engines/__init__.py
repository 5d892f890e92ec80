"""Taorui engines: data center, Qlib, FinRL, Backtrader, brokers. No LLM imports here."""

__all__: list[str] = []
