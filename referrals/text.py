"""Load ``content/wording/referrals.yml``: wording for the referral pages and the email templates.

Strict schema (unknown or missing keys are errors, reported at once as
``file:line: message``). Email subject and body are Jinja templates rendered as
plain text with ``StrictUndefined`` so a typo fails loudly at load time.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from jinja2 import StrictUndefined, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, field_validator

from common.paths import WORDING_DIR
from common.problems import Problem, node_line
from common.wording import WordingError, parse_wording

CONTENT = WORDING_DIR / "referrals.yml"
FieldName = Literal["consent", "consent_reason", "consent_why", "resident_name", "date_of_birth", "address", "phone",
                    "email", "contact_preference", "contact_notes", "need_what", "need_since", "urgency", "need_tried",
                    "access_needs", "language"]
Urgency = Literal["routine", "soon", "urgent"]
Preference = Literal["phone", "text", "email", "letter", "worker"]
Route = Literal["email", "portal", "phone", "self-referral", "professional-form", "walk-in", "webchat"]
ConsentAnswer = Literal["yes", "no"]
# lawful reasons to share without consent (the wording, and the law each rests on, is in the file)
ConsentReason = Literal["child_significant_harm", "adult_at_risk", "others_at_risk", "marac_high_risk", "serious_crime",
                        "asking_increases_risk"]
CONSENT_REASONS: tuple[str, ...] = ConsentReason.__args__  # type: ignore[attr-defined]
Status = Literal["draft", "queued", "sent", "made", "received", "accepted", "declined", "failed"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldText(_Strict):
    label: str
    hint: str | None = None


class Reason(_Strict):
    label: str
    source: str  # the law or guidance it rests on, one short line on the form


class Form(_Strict):
    title: str
    intro: str
    referring_to: str
    service_asks: str
    consent_heading: str
    about_heading: str
    need_heading: str
    contact_heading: str
    submit: str
    back: str
    no_services: str
    keep_service: str
    add_service: str
    add_service_hint: str
    add_service_none: str
    update_services: str
    without_consent_heading: str
    consent_guidance: str
    fields: dict[FieldName, FieldText]
    consent: dict[ConsentAnswer, str]
    consent_reasons: dict[ConsentReason, Reason]
    urgency: dict[Urgency, str]
    contact_preference: dict[Preference, str]

    @field_validator("consent", "consent_reasons")
    @classmethod
    def _every_key(cls, v: dict, info):  # a reason or answer left out would vanish from the form
        keys = {"consent": ConsentAnswer, "consent_reasons": ConsentReason}[info.field_name].__args__
        if missing := [k for k in keys if k not in v]:
            raise ValueError(f"missing: {', '.join(missing)}")
        return v


class Errors(_Strict):
    summary_title: str
    consent: str
    consent_needed: str  # {services}: the chosen services that cannot take a referral without consent
    consent_reason: str
    consent_why: str
    services: str
    resident_name: str
    date_of_birth: str
    address: str
    phone: str
    email: str
    email_invalid: str
    contact_preference: str
    need_what: str
    need_since: str
    urgency: str
    too_long: str

    @field_validator("consent_needed")
    @classmethod
    def _names_the_services(cls, v: str) -> str:  # a typo here would break the page that refuses the referral
        try:
            ok = v.format(services="\0") != v
        except (KeyError, IndexError, ValueError):
            ok = False
        if not ok:
            raise ValueError("must contain {services} and no other {...}")
        return v


class Pages(_Strict):
    preview_title: str
    preview_intro: str
    send: str
    change: str
    status_title: str
    reference: str
    service: str
    route: str
    status: str
    queued_note: str
    copy_heading: str
    copy_intro: str
    open_portal: str
    mark_made: str
    erased: str
    not_allowed: str
    not_found: str
    response_time: str
    list_title: str
    list_intro: str
    list_empty: str
    list_created: str
    new_referral_hint: str


class Nav(_Strict):
    label: str
    chat: str
    referrals: str


class Ack(_Strict):
    title: str
    intro: str
    current: str
    received: str
    accepted: str
    declined: str
    thanks: str
    bad_link: str


class Email(_Strict):
    subject: str
    body: str


class ReferralText(_Strict):
    service_name: str
    nav: Nav
    form: Form
    errors: Errors
    pages: Pages
    routes: dict[Route, str]
    statuses: dict[Status, str]
    ack: Ack
    email: Email


class ReferralTextError(WordingError):
    """The referral wording file cannot be used (every problem, as file:line)."""


_env = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)


def load_text(path: Path | str = CONTENT) -> ReferralText:
    path = Path(path)
    try:
        text, root = parse_wording(path, ReferralText.model_validate, hint="compare with the keys in referrals/text.py")
    except WordingError as exc:
        raise ReferralTextError(exc.problems) from exc
    problems = []
    for key in ("subject", "body"):
        try:
            _env.from_string(getattr(text.email, key))
        except TemplateSyntaxError as exc:
            problems.append(Problem(str(path), node_line(root, ["email", key]) + (exc.lineno or 1),
                                    f"email.{key}: template error: {exc.message}"))
    if problems:
        raise ReferralTextError(problems)
    return text


@lru_cache(maxsize=4)
def default_text(path: Path = CONTENT) -> ReferralText:
    return load_text(path)


def render_email(text: ReferralText, ctx: dict) -> tuple[str, str]:
    """(subject, body) for one service. ``ctx`` keys: see the ``email`` templates in content.yml."""
    subject = " ".join(_env.from_string(text.email.subject).render(**ctx).split())
    return subject, _env.from_string(text.email.body).render(**ctx)
