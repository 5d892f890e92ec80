"""Package names imported on first use (PEP 562), so naming a light part loads no heavy one.

Why: ``taorui ask --plan-only`` must answer in well under two seconds, and a package whose
``__init__`` imports everything (pandas, Backtrader, LangChain) makes reading its catalogue
cost seconds. A package lists where each public name lives and sets
``__getattr__ = lazy_exports(__name__, WHERE)``; the name is imported when first used and
then cached in the package like an ordinary attribute.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``where`` maps a name to its submodule (``"_center"``)."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
