"""What the engine hands back each turn: a :class:`Turn` holds the new state (a small
JSON-serialisable dict) and a :class:`StepView` of the current step for the front end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..schema import Contact, Source
from .schema import Notice, Urgency


class OptionView(BaseModel):
    model_config = ConfigDict(frozen=True)
    value: str = Field(description="Button payload: the option number as text")
    label: str
    risk: bool = False


class EscalateView(BaseModel):
    model_config = ConfigDict(frozen=True)
    who: str
    how: str
    urgency: Urgency
    urgency_text: str
    contacts: list[Contact]


class EndView(BaseModel):
    model_config = ConfigDict(frozen=True)
    record: list[str]
    next_actions: list[str]
    contacts: list[Contact]
    refer_to: list[str] = Field(default_factory=list)


class Progress(BaseModel):
    model_config = ConfigDict(frozen=True)
    step: int
    of: int = Field(description="Steps on the longest route through this point")


class StepView(BaseModel):
    """What the front end shows for the current step (JSON: ``view.model_dump(mode="json")``)."""

    model_config = ConfigDict(frozen=True)
    flow_id: str
    flow_title: str
    status: Literal["active", "done", "stopped"]
    step_id: str
    kind: Literal["question", "info", "checklist", "escalate", "end", "stopped"]
    text: str
    critical: list[str] = Field(default_factory=list, description="Shown before the first question")
    say_this: list[str] = Field(default_factory=list)
    do: list[str] = Field(default_factory=list)
    options: list[OptionView] = Field(default_factory=list)
    checklist: list[str] = Field(default_factory=list)
    escalate: EscalateView | None = None
    end: EndView | None = None
    source: Source | None = None
    progress: Progress
    notices: list[Notice] = Field(default_factory=list)
    notice_texts: list[str] = Field(default_factory=list)
    reasks: int = 0


@dataclass(frozen=True)
class Turn:
    state: dict
    view: StepView
