"""The referral form as data, and its validation (pure logic, no database).

Which optional fields become required depends on what the chosen services say
they need (``Service.referral.needs``): "date of birth" makes the date of birth
required, "address" the address, and so on. Every problem is reported at once.

Consent comes first. Without it, the referral can go only to safeguarding services
(:func:`shares_without_consent`), with a lawful reason from the wording file's fixed
list and the worker's own words on why; any other service refuses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace

from knowledge_base.schema import EMAIL_RE, Service

from .errors import ConsentRequired, ReferralInvalid
from .text import CONSENT_REASONS, ReferralText

MAX_CHARS = 2000
# the order of the fields on the page (and so of the error summary)
FORM_ORDER = ("services", "consent", "consent_reason", "consent_why", "resident_name", "date_of_birth", "address",
              "language", "access_needs", "need_what", "need_since", "urgency", "need_tried", "contact_preference",
              "phone", "email", "contact_notes")
URGENCIES = ("routine", "soon", "urgent")
PREFERENCES = ("phone", "text", "email", "letter", "worker")
# a service in one of these categories receives safeguarding concerns: it may be told without consent
SAFEGUARDING_CATEGORIES = {"safeguarding", "domestic-abuse"}
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
    consent: bool | None = None  # None: not answered
    consent_reason: str = ""  # a key of CONSENT_REASONS, when consent is False
    consent_why: str = ""
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

    TEXT_FIELDS = ("consent_reason", "consent_why", "resident_name", "date_of_birth", "address", "phone", "email",
                   "contact_preference", "contact_notes", "need_what", "need_since", "urgency", "need_tried",
                   "access_needs", "language")
    MULTILINE = ("need_what", "need_tried", "address", "consent_why")  # line breaks kept

    def stripped(self) -> ReferralInput:
        return replace(self, **{f: " ".join((getattr(self, f) or "").split()) if f not in self.MULTILINE
                                else (getattr(self, f) or "").strip() for f in self.TEXT_FIELDS})


assert set(ReferralInput.TEXT_FIELDS) | {"service_ids", "consent"} == {f.name for f in fields(ReferralInput)}


def referable(service: Service) -> bool:
    """A service a worker can refer to: it has a referral route that accepts professionals."""
    return service.referral is not None and service.referral.accepts_professional_referrals


def shares_without_consent(service: Service) -> bool:
    """A safeguarding receiver (children's MASH, adult safeguarding, domestic abuse service): the law lets a
    worker share with it without consent to protect someone. Not a self-referral: that needs the resident."""
    return bool(SAFEGUARDING_CATEGORIES & set(service.categories)) and (
        service.referral is not None and service.referral.route != "self-referral")


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
    if inp.consent is None:
        problems["consent"] = err.consent
    elif inp.consent:
        inp = replace(inp, consent_reason="", consent_why="")  # asked only when sharing without consent
    else:
        if need := [s for s in services if not shares_without_consent(s)]:
            problems["consent"] = err.consent_needed.format(services=", ".join(
                f"{s.organisation} – {s.title}" for s in need))
        if len(need) < len(services):  # a safeguarding service is chosen: the reason and why are needed
            if inp.consent_reason not in CONSENT_REASONS:
                problems["consent_reason"] = err.consent_reason
            if not inp.consent_why:
                problems["consent_why"] = err.consent_why
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
