"""Load ``content/wording/web.yml``: the front door's user-facing wording.

Strict schema (unknown keys are errors); every problem is reported at once as
``file:line: message`` via the shared loader (:mod:`common.wording`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from common.paths import WORDING_DIR
from common.wording import WordingError, load_wording

STATIC_CONTENT = WORDING_DIR / "web.yml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Safety(_Strict):
    heading: str
    emergency: str
    safeguarding: str


class Login(_Strict):
    title: str
    name_label: str
    password_label: str
    submit: str
    failed: str
    rate_limited: str
    expired: str
    sso_button: str
    sso_or: str
    sso_only: str
    sso_no_role_title: str
    sso_no_role: str
    sso_failed: str
    sso_refused: str


class Shortcut(_Strict):
    keys: str
    action: str


class Chat(_Strict):
    intro: str
    input_label: str
    send: str
    typing: str
    you: str
    assistant: str
    sign_out: str
    shortcuts_heading: str
    shortcuts: list[Shortcut]


class Card(_Strict):
    say_this: str
    copy_button: str
    copied: str
    copy_failed: str
    steps: str
    contact: str
    source: str
    last_checked: str
    stale: str
    review_by: str
    close: str
    reopen: str
    closed: str
    helpful: str
    answer_yes: str
    answer_no: str
    reason_label: str
    send_reason: str
    thanks: str
    feedback_failed: str
    refer: str
    refer_many: str
    response_time: str


class Errors(_Strict):
    forbidden: str
    not_found: str
    message_empty: str
    session_expired: str


class Trainer(_Strict):
    title: str
    intro: str
    items: str
    errors: str
    warnings: str
    stale: str
    none_stale: str
    no_problems: str
    gaps: str
    gaps_intro: str
    none_gaps: str
    gap_message: str
    gap_count: str
    gap_top_item: str
    try_heading: str
    try_label: str
    try_button: str
    try_confidence: str
    try_item: str
    try_score: str
    responses: str
    responses_intro: str
    responses_none: str
    responses_service: str
    responses_median: str
    responses_count: str
    routes: str
    routes_intro: str
    routes_none: str
    routes_message: str
    routes_guide: str
    routes_reason: str
    coverage: str
    coverage_intro: str
    coverage_borough: str
    coverage_local: str
    coverage_national: str
    coverage_none: str
    coverage_gaps: str
    coverage_need: str


class Admin(_Strict):
    title: str
    intro: str
    name: str
    role: str
    active: str
    created: str
    last_login: str
    reference: str
    delete_heading: str
    delete_hint: str
    delete_label: str
    delete_button: str
    deleted: str
    delete_failed: str
    actions: str
    disable_button: str
    enable_button: str
    sign_out_button: str
    changed: str
    not_yourself: str


class Nav(_Strict):
    label: str
    chat: str
    referrals: str
    trainer: str
    admin: str
    skip: str
    signed_in_as: str


class UiText(_Strict):
    service_name: str
    safety: Safety
    stale_prefix: str
    nav: Nav
    login: Login
    chat: Chat
    card: Card
    errors: Errors
    trainer: Trainer
    admin: Admin


class UiTextError(WordingError):
    """The front door's wording file cannot be used (every problem, as file:line)."""


def load_ui_text(path: Path | str = STATIC_CONTENT) -> UiText:
    try:
        return load_wording(path, UiText.model_validate, hint="compare with the keys in web/ui_text.py")
    except WordingError as exc:
        raise UiTextError(exc.problems) from exc
