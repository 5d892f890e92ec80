"""evals package of Taorui (see DESIGN.md)."""

__all__: list[str] = []
