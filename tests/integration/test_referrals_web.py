"""The referral router through FastAPI's TestClient, on a real SQLite file and a real
SMTP server. ``get_current_user`` and ``verify_csrf`` are stub dependencies (the
front door supplies the real ones): the user comes from a test header."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.testclient import TestClient

from referrals.service import ReferralService
from referrals.web import create_router
from tests.integration.test_referrals import SERVICES, User, port, settings, start_smtp  # noqa: F401 (fixtures)
from tests.unit.test_referrals import WHY

pytestmark = pytest.mark.integration

USERS = {u.username: u for u in [User("alice"), User("bob"), User("tess", "trainer"), User("root", "admin")]}
CSRF = {"X-CSRF-Token": "good-token"}


def current_user(x_test_user: str = Header(...)):
    return USERS[x_test_user]


async def verify_csrf(request: Request, x_csrf_token: str | None = Header(default=None)):
    """Like the front door's: the header, or (plain HTML forms) the hidden csrf_token field."""
    given = x_csrf_token
    if given is None and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        given = (await request.form()).get("csrf_token")
    if given != "good-token":
        raise HTTPException(403, "bad csrf")


@pytest.fixture
def client(settings):  # noqa: F811
    svc = ReferralService(settings, services=lambda: SERVICES)
    app = FastAPI()
    app.include_router(create_router(current_user, verify_csrf, service=svc, csrf_token=lambda r: "good-token"))
    with TestClient(app) as c:
        c.svc = svc
        yield c


FORM = {"service": ["food-bank-hackney", "housing-portal"], "consent": "yes", "resident_name": "Ada Example",
        "phone": "07700 900123", "contact_preference": "phone", "need_what": "No food since benefits stopped.",
        "need_since": "2 weeks", "urgency": "urgent", "language": "Turkish, needs an interpreter"}


def as_user(name: str, **more) -> dict:
    return {"X-Test-User": name, **more}


def create(client, user="alice", form=FORM) -> str:
    r = client.post("/referrals", data=form, headers=as_user(user, **CSRF), follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"].rsplit("/", 1)[1]


def test_form_asks_for_what_the_services_need_with_accessible_labels(client):
    r = client.get("/referrals/new", params={"service": ["food-bank-hackney", "housing-portal"]},
                   headers=as_user("alice"))
    assert r.status_code == 200
    html = r.text
    for field in ("consent", "resident_name", "phone", "need_what", "need_since", "urgency", "contact_preference",
                  "access_needs", "language"):
        assert f'for="{field}"' in html and f'id="{field}"' in html
    assert "Org food-bank-hackney" in html and "contact number" in html
    assert 'name="csrf_token" value="good-token"' in html and "govuk-checkboxes__input" in html


def test_unknown_service_is_refused(client):
    assert client.get("/referrals/new", params={"service": "nope"}, headers=as_user("alice")).status_code == 400


def test_missing_consent_shows_the_error_summary(client):
    form = {**FORM, "consent": ""}
    r = client.post("/referrals", data=form, headers=as_user("alice", **CSRF))
    assert r.status_code == 422
    assert "govuk-error-summary" in r.text and 'href="#consent"' in r.text
    assert "Say whether the resident agrees to this referral" in r.text
    assert 'value="Ada Example"' in r.text  # what was typed is kept
    assert client.svc.stats("food-bank-hackney") is None


def test_form_shows_the_guidance_and_every_reason_with_its_source(client):
    html = client.get("/referrals/new", params={"service": "children-mash"}, headers=as_user("alice")).text
    form = client.svc.text.form
    assert form.consent_guidance in htmllib.unescape(html)
    assert "If they do not agree, do not make the referral" not in html
    for key, reason in form.consent_reasons.items():
        assert re.search(rf'name="consent_reason" type="radio" value="{key}" aria-describedby="[^"]+"', html)
        assert reason.label in htmllib.unescape(html) and reason.source in htmllib.unescape(html)
    assert 'id="consent" name="consent" type="radio" value="yes"' in html
    assert 'id="consent-no" name="consent" type="radio" value="no"' in html
    assert 'for="consent_reason"' in html and 'id="consent_why"' in html


def test_no_consent_to_a_food_bank_is_refused_with_what_to_do_instead(client):
    form = {**FORM, "consent": "no", "consent_reason": "serious_crime", "consent_why": WHY}
    r = client.post("/referrals", data=form, headers=as_user("alice", **CSRF))
    assert r.status_code == 422 and 'href="#consent"' in r.text
    text = htmllib.unescape(r.text)
    assert "These services can only take a referral the resident has agreed to" in text
    assert "Org food-bank-hackney – Service food-bank-hackney" in text and "contact details" in text
    assert 'value="no" checked' in r.text and 'value="Ada Example"' in r.text  # nothing typed is lost
    assert client.svc.list_for(USERS["alice"]) == []  # nothing stored


def test_no_consent_to_the_mash_without_reason_and_why_keeps_everything_typed(client):
    form = {**FORM, "service": ["children-mash"], "consent": "no", "need_tried": "Spoke to the school"}
    r = client.post("/referrals", data=form, headers=as_user("alice", **CSRF))
    assert r.status_code == 422
    errors = client.svc.text.errors
    summary = r.text.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    assert re.findall(r'href="#(\w+)"', summary) == ["consent_reason", "consent_why"]
    assert errors.consent_reason in htmllib.unescape(r.text) and errors.consent_why in htmllib.unescape(r.text)
    assert 'id="consent_reason-error"' in r.text and 'id="consent_why-error"' in r.text
    for typed in ('value="Ada Example"', 'value="07700 900123"', 'value="2 weeks"', "No food since benefits stopped.",
                  "Spoke to the school", 'value="Turkish, needs an interpreter"', 'value="no" checked',
                  'value="urgent" checked', 'value="phone" checked', 'value="children-mash" checked'):
        assert typed in r.text, typed
    # the reason chosen, the why still empty: the reason stays chosen
    r = client.post("/referrals", data={**form, "consent_reason": "marac_high_risk"}, headers=as_user("alice", **CSRF))
    assert r.status_code == 422 and 'value="marac_high_risk" checked' in r.text
    assert 'href="#consent_why"' in r.text and 'href="#consent_reason"' not in r.text


def test_no_consent_to_the_mash_with_reason_and_why_is_previewed_and_sent(client, start_smtp):  # noqa: F811
    inbox = start_smtp()
    rid = create(client, form={**FORM, "service": ["children-mash"], "consent": "no",
                               "consent_reason": "child_significant_harm", "consent_why": WHY})
    label = client.svc.text.form.consent_reasons["child_significant_harm"].label
    preview = htmllib.unescape(client.get(f"/referrals/{rid}", headers=as_user("alice")).text)
    assert f"shared without consent under safeguarding: {label}" in preview and "explicit consent" not in preview
    client.post(f"/referrals/{rid}/send", headers=as_user("alice", **CSRF))
    [(rcpt, msg)] = inbox.messages
    assert rcpt == ["mash@council.example.org"] and "Ada" not in msg["Subject"]
    body = msg.get_content().replace("\r\n", "\n")
    assert f"shared without consent under safeguarding: {label}" in body and WHY in body
    assert "explicit consent" not in body
    ref = client.svc.get(USERS["alice"], rid)
    assert (ref.consent, ref.consent_reason, ref.consent_why, ref.created_by) == (
        False, "child_significant_harm", WHY, "alice")


def test_post_without_csrf_is_refused(client):
    r = client.post("/referrals", data=FORM, headers=as_user("alice"))
    assert r.status_code == 403
    r = client.post("/referrals", data={**FORM, "csrf_token": "wrong"}, headers=as_user("alice"))
    assert r.status_code == 403


def test_plain_html_form_post_with_hidden_csrf_field_works(client):
    r = client.post("/referrals", data={**FORM, "csrf_token": "good-token"}, headers=as_user("alice"),
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/referrals/")


def test_only_the_referring_worker_and_admins_can_read_a_referral(client):
    rid = create(client)
    mine = client.get(f"/referrals/{rid}", headers=as_user("alice"))
    assert mine.status_code == 200 and "Ada Example" in mine.text
    assert client.get(f"/referrals/{rid}", headers=as_user("root")).status_code == 200
    for other in ("bob", "tess"):
        r = client.get(f"/referrals/{rid}", headers=as_user(other))
        assert r.status_code == 403 and "Ada" not in r.text
        r = client.post(f"/referrals/{rid}/send", headers=as_user(other, **CSRF), follow_redirects=False)
        assert r.status_code == 403
    assert client.get("/referrals/0123456789abcdef0123456789abcdef", headers=as_user("root")).status_code == 404


def test_preview_send_mark_made_and_reply_link(client, start_smtp):  # noqa: F811
    inbox = start_smtp()
    rid = create(client)
    preview = client.get(f"/referrals/{rid}", headers=as_user("alice")).text
    assert "Check the referral before sending" in preview and "Name: Ada Example" in preview
    assert "Make this referral yourself" in preview  # the portal service: text for copying
    r = client.post(f"/referrals/{rid}/send", headers=as_user("alice", **CSRF), follow_redirects=False)
    assert r.status_code == 303
    assert len(inbox.messages) == 1 and inbox.messages[0][0] == ["referrals@foodbank.example.org"]
    status = client.get(f"/referrals/{rid}", headers=as_user("alice")).text
    assert 'data-service="food-bank-hackney"' in status and re.search(r'data-status="sent" data-service="food', status)
    r = client.post(f"/referrals/{rid}/made/housing-portal", headers=as_user("alice", **CSRF), follow_redirects=False)
    assert r.status_code == 303
    assert re.search(r'data-status="made" data-service="housing-portal"',
                     client.get(f"/referrals/{rid}", headers=as_user("alice")).text)
    body = inbox.messages[0][1].get_content()
    path = "/referrals/ack/" + body.split("/referrals/ack/")[1].split()[0]
    page = client.get(path)  # no login
    assert page.status_code == 200 and 'value="accepted"' in page.text and "Ada" not in page.text
    done = client.post(path, data={"status": "accepted"})
    assert done.status_code == 200 and 'data-status="accepted"' in done.text
    assert client.get(path[:-3] + "abc").status_code == 400
    stats = client.get("/api/referrals/stats/food-bank-hackney", headers=as_user("bob")).json()
    assert stats["service_id"] == "food-bank-hackney" and stats["stats"]["count"] == 1
    assert stats["stats"]["median_seconds"] >= 0


def test_stats_without_responses_is_null(client):
    r = client.get("/api/referrals/stats/food-bank-hackney", headers=as_user("alice"))
    assert r.json() == {"service_id": "food-bank-hackney", "stats": None}


def test_smtp_down_shows_queued(client):
    rid = create(client, form={**FORM, "service": ["food-bank-hackney"]})
    client.post(f"/referrals/{rid}/send", headers=as_user("alice", **CSRF))
    page = client.get(f"/referrals/{rid}", headers=as_user("alice")).text
    assert 'data-status="queued"' in page and "Nothing is lost" in page


def test_adding_and_removing_services_keeps_everything_typed(client):
    """'Update the list of services' redraws the form: the service chosen under 'Add another
    service' joins the ticked ones, an unticked one leaves, and every typed value stays."""
    typed = {**FORM, "service": ["food-bank-hackney", "debt-advice-newham"], "action": "update",
             "need_tried": "Called the council twice"}
    r = client.post("/referrals", data=typed, headers=as_user("alice", **CSRF))
    assert r.status_code == 200 and "There is a problem" not in r.text
    html = r.text
    for sid in ("food-bank-hackney", "debt-advice-newham"):
        assert re.search(rf'name="service" type="checkbox" value="{sid}" checked', html)
    assert 'value="Ada Example"' in html and "Called the council twice" in html and 'name="consent"' in html
    assert re.search(r'id="consent" name="consent" type="radio" value="yes" checked', html)
    # the chooser offers only services not already chosen
    chooser = html.split('<select', 1)[1].split("</select>", 1)[0]
    assert 'value="housing-portal"' in chooser and 'value="food-bank-hackney"' not in chooser
    # untick one (it is simply not sent) and nothing else changes
    r = client.post("/referrals", data={**typed, "service": ["debt-advice-newham", ""]}, headers=as_user("alice", **CSRF))
    assert 'value="food-bank-hackney" checked' not in r.text and 'value="Ada Example"' in r.text
    # then check the referral: one record with a status for each chosen service
    ref_id = create(client, form={**FORM, "service": ["food-bank-hackney", "debt-advice-newham", "housing-portal"]})
    ref = client.svc.get(USERS["alice"], ref_id)
    assert sorted(t.service_id for t in ref.targets) == ["debt-advice-newham", "food-bank-hackney", "housing-portal"]


def test_no_service_left_is_an_error_on_the_form_not_a_lost_page(client):
    r = client.post("/referrals", data={**FORM, "service": [""]}, headers=as_user("alice", **CSRF))
    assert r.status_code == 422
    assert 'href="#services"' in r.text and 'id="services"' in r.text and 'value="Ada Example"' in r.text


def test_my_referrals_lists_own_referrals_and_admins_see_all(client):
    mine = create(client, "alice")
    other = create(client, "bob")
    alice = client.get("/referrals", headers=as_user("alice")).text
    assert mine[:8].upper() in alice and other[:8].upper() not in alice
    assert 'aria-current="page"' in alice and 'href="/"' in alice  # the navigation back to the chat
    admin = client.get("/referrals", headers=as_user("root")).text
    assert mine[:8].upper() in admin and other[:8].upper() in admin
    empty = client.get("/referrals", headers=as_user("tess")).text
    assert "You have not made any referrals yet" in empty
    # the personal details are never on the list page
    assert "Ada Example" not in alice
    assert any(e.action == "list" for e in _audit(client))


def _audit(client):
    from sqlalchemy import select

    from referrals.models import AuditEntry

    with client.svc.db() as db:
        return list(db.scalars(select(AuditEntry)))


def test_reply_link_page_has_no_staff_navigation(client):
    r = client.get("/referrals/ack/not-a-token")
    assert r.status_code == 400 and "govuk-header__navigation" not in r.text and "My referrals" not in r.text
