"""Flow content schema: strict pydantic models for a flow file (:class:`Flow` and its
steps) and for the engine's fixed wording in ``_messages.yml`` (:class:`FlowMessages`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Union

from pydantic import Field, model_validator

from ..schema import Category, Contact, ItemId, ShortLine, Source, Strict

StepId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,59}$")]
Urgency = Literal["immediate", "today", "within-days"]
AnswerKind = Literal["yes", "no", "not-sure"]
Notice = Literal["not_understood", "offer_stop", "flow_changed", "restarted", "at_start", "finished", "stopped"]


class Option(Strict):
    """One answer to a question. ``risk: true`` marks an answer that means danger;
    every path through it must reach an escalate step (checked by the validator)."""

    label: str = Field(min_length=1, max_length=120)
    next: StepId
    risk: bool = False
    answer: AnswerKind | None = Field(
        default=None, description="What yes/no/not-sure free text selects this option (inferred from the label if unset)"
    )


class _StepBase(Strict):
    id: StepId
    text: str = Field(min_length=3, max_length=600)
    say_this: list[ShortLine] = Field(default_factory=list, max_length=3)
    source: Source | None = None


class QuestionStep(_StepBase):
    kind: Literal["question"]
    options: list[Option] = Field(min_length=2, max_length=9)


class InfoStep(_StepBase):
    kind: Literal["info"]
    do: list[str] = Field(default_factory=list, description="What the worker does, in order")
    next: StepId


class ChecklistStep(_StepBase):
    kind: Literal["checklist"]
    items: list[ShortLine] = Field(min_length=1)
    next: StepId


class EscalateStep(_StepBase):
    kind: Literal["escalate"]
    who: str = Field(min_length=3, max_length=200)
    how: str = Field(min_length=3, max_length=400)
    urgency: Urgency
    contacts: list[Contact] = Field(min_length=1)
    next: StepId


class EndStep(_StepBase):
    kind: Literal["end"]
    record: list[str] = Field(min_length=1, description="What to record in the case notes")
    next_actions: list[str] = Field(min_length=1)
    contacts: list[Contact] = Field(min_length=1)
    refer_to: list[ItemId] = Field(default_factory=list, max_length=6, description=(
        "Ids of services in the knowledge base the worker can refer to from here (web panel: one "
        "referral to all of them). Each must take professional referrals and not be illustrative."))


Step = Annotated[Union[QuestionStep, InfoStep, ChecklistStep, EscalateStep, EndStep], Field(discriminator="kind")]


class Flow(Strict):
    id: ItemId
    title: str = Field(min_length=3, max_length=120)
    description: str = Field(min_length=10)
    tags: list[str] = Field(default_factory=list)
    categories: list[Category] = Field(min_length=1)
    critical: list[ShortLine] = Field(min_length=1, max_length=6, description="Shown before any question")
    start: StepId
    owner: str = Field(min_length=2)
    last_reviewed: dt.date
    review_by: dt.date
    sources: list[Source] = Field(min_length=1)
    notes: str | None = None
    steps: list[Step] = Field(min_length=2)

    @model_validator(mode="after")
    def _checks(self):
        if self.review_by <= self.last_reviewed:
            raise ValueError("review_by must be after last_reviewed")
        if not any(s.primary for s in self.sources):
            raise ValueError("a flow needs at least one source with primary: true")
        return self

    def step(self, step_id: str):
        return self._index().get(step_id)

    def _index(self) -> dict[str, Any]:
        return {s.id: s for s in self.steps}


class _Msgs(Strict):
    """Base for the messages file models (strict, like all content)."""


class SummaryLabels(_Msgs):
    heading: str
    checked: str
    checklist_done: str
    advised: str
    escalated: str
    contacts: str
    record: str
    status_completed: str
    status_stopped: str
    status_active: str


class RenderLabels(_Msgs):
    critical: str
    say_this: str
    do: str
    checklist: str
    escalate_who: str
    escalate_how: str
    urgency: str
    contacts: str
    record: str
    next_actions: str
    options: str
    progress: str = Field(description="format string with {step} and {of}")
    source: str


class FlowMessages(_Msgs):
    """Fixed wording the engine needs (content, not code)."""

    answer_words: dict[AnswerKind, list[str]]
    continue_words: list[str] = Field(min_length=1)
    commands: dict[Literal["back", "restart", "stop"], list[str]]
    continue_label: dict[Literal["info", "checklist", "escalate"], ShortLine]
    notices: dict[Notice, str]
    urgency: dict[Urgency, str]
    summary: SummaryLabels
    render: RenderLabels

    @model_validator(mode="after")
    def _complete(self):
        for name, want in (("answer_words", AnswerKind), ("commands", ("back", "restart", "stop")),
                           ("notices", Notice), ("urgency", Urgency),
                           ("continue_label", ("info", "checklist", "escalate"))):
            keys = want if isinstance(want, tuple) else want.__args__  # type: ignore[attr-defined]
            missing = [k for k in keys if k not in getattr(self, name)]
            if missing:
                raise ValueError(f"{name} is missing {', '.join(missing)}")
        return self
