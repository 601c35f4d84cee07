"""Strict schema of a refresher module and of ``_messages.yml``."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from ..schema import ItemId, ShortLine, Source, Strict

QUESTIONS_PER_CHECK = 3


class CheckOption(Strict):
    """One answer to a quick-check question, with the feedback shown when it is chosen."""

    text: str = Field(min_length=1, max_length=200)
    correct: bool = False
    feedback: str = Field(min_length=3, max_length=400, description="Shown when this option is chosen")


class CheckQuestion(Strict):
    """A quick-check question: 2-5 options, exactly one with ``correct: true``."""

    question: str = Field(min_length=5, max_length=300)
    options: list[CheckOption] = Field(min_length=2, max_length=5)

    @model_validator(mode="after")
    def _one_correct(self):
        n = sum(1 for o in self.options if o.correct)
        if n != 1:
            raise ValueError(f"exactly one option must have correct: true (found {n})")
        return self


class Refresher(Strict):
    """A two-minute refresher module built from training content."""

    id: ItemId
    title: str = Field(min_length=3, max_length=120)
    summary: str = Field(min_length=10, max_length=400, description="One or two sentences: what this refresher covers")
    topics: list[str] = Field(min_length=1, description="Words a worker might ask for it by")
    tags: list[str] = Field(default_factory=list)
    key_points: list[str] = Field(min_length=2, max_length=6)
    say_this: list[ShortLine] = Field(min_length=1, max_length=4)
    common_mistakes: list[str] = Field(min_length=1, max_length=5)
    quick_check: list[CheckQuestion] = Field(min_length=QUESTIONS_PER_CHECK, max_length=QUESTIONS_PER_CHECK)
    related_items: list[ItemId] = Field(default_factory=list)
    related_flows: list[ItemId] = Field(default_factory=list)
    owner: str = Field(min_length=2)
    last_reviewed: dt.date
    review_by: dt.date
    sources: list[Source] = Field(min_length=1)
    legal: bool = Field(default=False, description="True when the module states law or safeguarding duties")
    notes: str | None = None

    @model_validator(mode="after")
    def _checks(self):
        if self.review_by <= self.last_reviewed:
            raise ValueError("review_by must be after last_reviewed")
        if self.legal and not any(s.primary for s in self.sources):
            raise ValueError("a legal or safeguarding refresher needs at least one source with primary: true")
        return self


CardLabel = Literal["key_points", "say_this", "common_mistakes", "related", "sources", "quick_check"]
CARD_LABELS: tuple[str, ...] = CardLabel.__args__  # type: ignore[attr-defined]


class RefresherMessages(Strict):
    """Fixed wording of the engine (``_messages.yml``)."""

    card_labels: dict[CardLabel, str]
    minutes: int = Field(ge=1, le=10)
    correct: str
    incorrect: str
    not_understood: str
    finished: str = Field(description="Template with {score} and {total}")
    all_correct: str
    some_wrong: str
    # words that make a typed message a request for a refresher ("refresh me on ...",
    # "doing a session in 10 minutes on ..."), checked before it is searched
    request_words: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _all_labels(self):
        missing = set(CARD_LABELS) - set(self.card_labels)
        if missing:
            raise ValueError(f"card_labels is missing: {', '.join(sorted(missing))}")
        if "{score}" not in self.finished or "{total}" not in self.finished:
            raise ValueError("finished must contain {score} and {total}")
        return self
