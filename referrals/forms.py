"""The referral form as data, and its validation (pure logic, no database).

Which optional fields become required depends on what the chosen services say
they need (``Service.referral.needs``): "date of birth" makes the date of birth
required, "address" the address, and so on. Every problem is reported at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace

from knowledge_base.schema import EMAIL_RE, Service

from .errors import ConsentRequired, ReferralInvalid
from .text import ReferralText

MAX_CHARS = 2000
# the order of the fields on the page (and so of the error summary)
FORM_ORDER = ("services", "consent", "resident_name", "date_of_birth", "address", "language", "access_needs",
              "need_what", "need_since", "urgency", "need_tried", "contact_preference", "phone", "email",
              "contact_notes")
URGENCIES = ("routine", "soon", "urgent")
PREFERENCES = ("phone", "text", "email", "letter", "worker")
# words in a service's `referral.needs` that make a form field required
NEEDS_KEYWORDS: dict[str, tuple[str, ...]] = {
    "date_of_birth": ("date of birth", "dob", "age"),
    "address": ("address", "postcode"),
    "phone": ("phone", "contact number", "telephone", "mobile"),
    "email": ("email",),
}


@dataclass(frozen=True)
class ReferralInput:
    service_ids: list[str] = field(default_factory=list)
    consent: bool = False
    resident_name: str = ""
    date_of_birth: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    contact_preference: str = ""
    contact_notes: str = ""
    need_what: str = ""
    need_since: str = ""
    urgency: str = ""
    need_tried: str = ""
    access_needs: str = ""
    language: str = ""

    TEXT_FIELDS = ("resident_name", "date_of_birth", "address", "phone", "email", "contact_preference",
                   "contact_notes", "need_what", "need_since", "urgency", "need_tried", "access_needs", "language")

    def stripped(self) -> ReferralInput:
        return replace(self, **{f: " ".join((getattr(self, f) or "").split()) if f not in (
            "need_what", "need_tried", "address") else (getattr(self, f) or "").strip() for f in self.TEXT_FIELDS})


assert set(ReferralInput.TEXT_FIELDS) | {"service_ids", "consent"} == {f.name for f in fields(ReferralInput)}


def referable(service: Service) -> bool:
    """A service a worker can refer to: it has a referral route that accepts professionals."""
    return service.referral is not None and service.referral.accepts_professional_referrals


def required_by_services(services: list[Service]) -> set[str]:
    needed: set[str] = set()
    for s in services:
        for need in (s.referral.needs if s.referral else []):
            low = need.lower()  # whole words: "household size and ages" does not ask for an age
            needed |= {name for name, words in NEEDS_KEYWORDS.items()
                       if any(re.search(rf"\b{re.escape(w)}\b", low) for w in words)}
    return needed


def validate(inp: ReferralInput, services: list[Service], text: ReferralText) -> ReferralInput:
    """The cleaned input, or :class:`ConsentRequired` / :class:`ReferralInvalid` with every problem."""
    inp = inp.stripped()
    err = text.errors
    problems: dict[str, str] = {}
    if not services or not all(referable(s) for s in services):
        problems["services"] = err.services
    if inp.consent is not True:
        problems["consent"] = err.consent
    for name in ("resident_name", "need_what", "need_since"):
        if not getattr(inp, name):
            problems[name] = getattr(err, name)
    if inp.urgency not in URGENCIES:
        problems["urgency"] = err.urgency
    if inp.contact_preference not in PREFERENCES:
        problems["contact_preference"] = err.contact_preference
    required = required_by_services(services)
    required |= {"phone": {"phone"}, "text": {"phone"}, "email": {"email"}, "letter": {"address"}}.get(
        inp.contact_preference, set())
    for name in sorted(required):
        if not getattr(inp, name):
            problems.setdefault(name, getattr(err, name))
    if inp.email and not EMAIL_RE.fullmatch(inp.email):
        problems.setdefault("email", err.email_invalid)
    for name in ReferralInput.TEXT_FIELDS:
        if len(getattr(inp, name)) > MAX_CHARS:
            problems.setdefault(name, err.too_long)
    problems = {k: problems[k] for k in FORM_ORDER if k in problems}  # the error summary follows the form
    if "consent" in problems:
        raise ConsentRequired(problems)
    if problems:
        raise ReferralInvalid(problems)
    return inp
