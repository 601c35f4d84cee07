"""What the engine returns: JSON-ready views of a card and of a quick-check turn."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SourceView(BaseModel):
    model_config = ConfigDict(frozen=True)
    title: str
    url: str
    primary: bool


class CardView(BaseModel):
    """The two-minute card (JSON: ``card.model_dump(mode="json")``)."""

    model_config = ConfigDict(frozen=True)
    id: str
    title: str
    summary: str
    minutes: int
    labels: dict[str, str]
    key_points: list[str]
    say_this: list[str]
    common_mistakes: list[str]
    related_items: list[str]
    related_flows: list[str]
    sources: list[SourceView]
    review_by: dt.date
    questions: int


class OptionView(BaseModel):
    model_config = ConfigDict(frozen=True)
    value: str = Field(description="Button payload: the option number as text")
    label: str


class FeedbackView(BaseModel):
    model_config = ConfigDict(frozen=True)
    correct: bool
    verdict: str
    text: str
    correct_answer: str


class CheckView(BaseModel):
    """What to show after a quick-check turn: feedback on the last answer (if any),
    then the next question, or the final score."""

    model_config = ConfigDict(frozen=True)
    refresher_id: str
    title: str
    status: Literal["question", "done"]
    number: int = Field(description="1-based number of the question shown (or answered last when done)")
    of: int
    question: str | None = None
    options: list[OptionView] = Field(default_factory=list)
    feedback: FeedbackView | None = None
    not_understood: str | None = None
    score: int
    result: str | None = None


@dataclass(frozen=True)
class CheckTurn:
    state: dict
    view: CheckView
