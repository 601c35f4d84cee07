"""Strict schemas for knowledge-base content.

Every content file under ``content/`` is YAML with a top-level
``items:`` list (services and guidance) or ``terms:`` list (the thesaurus).
Unknown fields are refused (``extra="forbid"``) so a typo in a trainer's edit is
reported instead of silently ignored.

Service fields follow Open Referral UK / HSDS names where one exists
(``organisation``, ``name``, ``description``, ``eligibility``, ``service_areas``,
``contacts``, ``opening_times``, ``cost``, ``languages``, ``accessibility``) and add
our own (``say_this``, ``steps``, ``tags``, ``source``, ``owner``,
``last_reviewed``, ``review_by``, ``illustrative``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

ItemId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{2,79}$")]
ShortLine = Annotated[str, Field(min_length=3, max_length=200)]
# an address a referral can be sent to: local@domain.tld, no spaces, no display name
EMAIL_RE = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)

Category = Literal[
    "food",
    "money-debt",
    "benefits",
    "council-tax",
    "energy",
    "digital",
    "befriending",
    "mental-health",
    "carers",
    "social-prescribing",
    "domestic-abuse",
    "housing",
    "immigration",
    "nrpf",
    "safeguarding",
    "citizens-advice",
    "health",
    "general",
]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]

Borough = Literal["hackney", "newham", "london", "national"]
BOROUGHS: tuple[str, ...] = Borough.__args__  # type: ignore[attr-defined]

Audience = Literal["adults", "older-people", "families", "children", "young-people", "carers", "disabled-people", "migrants", "all"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Contact(Strict):
    """One way to reach a service. ``verified_on`` is the date the value was
    checked against the provider's own page (required for phone numbers of real
    organisations)."""

    kind: Literal["phone", "text", "email", "web", "webchat", "address", "in-person"]
    value: str = Field(min_length=3, max_length=300)
    label: str | None = None
    hours: str | None = None
    cost: str | None = None
    verified_on: dt.date | None = None


class Referral(Strict):
    """How a worker refers (HSDS: ``application_process`` plus our structure)."""

    route: Literal["email", "portal", "phone", "self-referral", "professional-form", "walk-in", "webchat"]
    how: str = Field(min_length=5)
    accepts_professional_referrals: bool = True
    needs: list[str] = Field(default_factory=list, description="What information the service needs")
    expected_response: str | None = None
    email: str | None = None
    url: HttpUrl | None = None

    @field_validator("email")
    @classmethod
    def _email_address(cls, v: str | None) -> str | None:
        if v is not None and not EMAIL_RE.fullmatch(v):
            raise ValueError(f"{v!r} is not a valid email address (expected name@organisation.org.uk)")
        return v


class Source(Strict):
    """A source for a statement. ``primary`` sources are legislation.gov.uk,
    GOV.UK statutory guidance or a regulator's own guidance."""

    title: str = Field(min_length=3)
    url: HttpUrl
    primary: bool = False


class _ItemBase(Strict):
    id: ItemId
    title: str = Field(min_length=3, max_length=120)
    categories: list[Category] = Field(min_length=1)
    boroughs: list[Borough] = Field(min_length=1)
    audience: list[Audience] = Field(default_factory=lambda: ["all"])
    say_this: list[ShortLine] = Field(min_length=1, max_length=3)
    steps: list[str] = Field(min_length=1, description="What the worker does, in order")
    contacts: list[Contact] = Field(min_length=1, description="At least one way to reach help")
    tags: list[str] = Field(default_factory=list)
    owner: str = Field(min_length=2)
    last_reviewed: dt.date
    review_by: dt.date
    illustrative: bool = False
    notes: str | None = Field(
        default=None, description="Reviewer notes, e.g. where sources disagree and which one was preferred"
    )

    @model_validator(mode="after")
    def _dates_in_order(self):
        if self.review_by <= self.last_reviewed:
            raise ValueError("review_by must be after last_reviewed")
        return self


class Service(_ItemBase):
    """A service a worker can signpost or refer to."""

    type: Literal["service"]
    organisation: str = Field(min_length=2)
    description: str = Field(min_length=10)
    eligibility: str | None = None
    opening_times: str | None = None
    cost: str | None = None
    languages: list[str] = Field(default_factory=list)
    accessibility: str | None = None
    referral: Referral | None = None
    source: HttpUrl


class Guidance(_ItemBase):
    """A short guidance article: the answer, the steps, what to record."""

    type: Literal["guidance"]
    summary: str = Field(min_length=10)
    record: list[str] = Field(default_factory=list, description="What to record in the case notes")
    sources: list[Source] = Field(min_length=1)
    legal: bool = Field(
        default=False,
        description="True when the article states law or safeguarding duties; it then needs a primary source",
    )

    @model_validator(mode="after")
    def _legal_needs_primary(self):
        if self.legal and not any(s.primary for s in self.sources):
            raise ValueError("a legal or safeguarding article needs at least one source with primary: true")
        return self


Item = Annotated[Union[Service, Guidance], Field(discriminator="type")]


class ItemFile(Strict):
    items: list[Item] = Field(min_length=1)


class Term(Strict):
    """A thesaurus entry: a canonical term and the words workers and residents
    use for it. Search expands any variant to the canonical term and back."""

    term: str = Field(min_length=2)
    variants: list[str] = Field(min_length=1)

    @field_validator("variants")
    @classmethod
    def _lower(cls, v: list[str]) -> list[str]:
        return [x.lower() for x in v]


class ThesaurusFile(Strict):
    terms: list[Term] = Field(min_length=1)
