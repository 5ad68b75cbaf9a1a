"""The strategies library: caption presets by category, kept as data (ai_strategies.json).

A strategy's `guidance` goes into the caption prompt as Herald's own instruction (it is not
people's text, so it is not fenced). The file is validated when first read: ids unique, every
strategy in a known category, every text bounded, so a bad edit fails the tests, not a request.
"""

import json
from functools import cache
from pathlib import Path

from pydantic import BaseModel, Field, model_validator

from functions.publish.domain.ai_models import Strategy, StrategyCategory, StrategyLibrary
from functions.shared.problems import FieldError, ValidationFailed

_FILE = Path(__file__).with_name("ai_strategies.json")
MAX_STRATEGIES = 100


class _LibraryFile(BaseModel):
    categories: list[StrategyCategory] = Field(min_length=1, max_length=20)
    strategies: list[Strategy] = Field(min_length=1, max_length=MAX_STRATEGIES)

    @model_validator(mode="after")
    def _consistent(self) -> "_LibraryFile":
        categories = [category.id for category in self.categories]
        strategies = [strategy.id for strategy in self.strategies]
        if len(set(categories)) != len(categories) or len(set(strategies)) != len(strategies):
            raise ValueError("category and strategy ids must be unique")
        unknown = {s.category for s in self.strategies} - set(categories)
        if unknown:
            raise ValueError(f"strategies in unknown categories: {sorted(unknown)}")
        return self


@cache
def _library() -> _LibraryFile:
    return _LibraryFile.model_validate(json.loads(_FILE.read_text(encoding="utf-8")))


def strategies(category: str | None = None) -> StrategyLibrary:
    """The categories, and the strategies of one category (all of them without one)."""
    library = _library()
    chosen = [s for s in library.strategies if category is None or s.category == category]
    if category is not None and category not in {c.id for c in library.categories}:
        raise ValidationFailed(
            f"There is no strategy category {category!r}.",
            errors=[
                FieldError(
                    pointer="/query/category",
                    detail=f"One of: {', '.join(c.id for c in library.categories)}.",
                    code="unknown_category",
                )
            ],
        )
    return StrategyLibrary(categories=library.categories, strategies=chosen)


def strategy(strategy_id: str) -> Strategy:
    """The preset a caption request names; 422 when there is none by that id."""
    found = next((s for s in _library().strategies if s.id == strategy_id), None)
    if found is None:
        raise ValidationFailed(
            f"There is no strategy {strategy_id!r}; GET /v1/ai/strategies lists them.",
            errors=[
                FieldError(
                    pointer="/body/strategy",
                    detail="Choose a strategy id from GET /v1/ai/strategies.",
                    code="unknown_strategy",
                )
            ],
        )
    return found
