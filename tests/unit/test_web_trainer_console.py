"""Trainer console: gaps from the search log, 'try a question', feedback linked to the log."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import web.routes.trainer as trainer_routes
from knowledge_base.embedders import FakeEmbedder
from knowledge_base.gaps import gap_report, log_search
from web import auth
from web.app import create_app
from web.config import WebSettings
from web.db import make_sessionmaker
from web.testing import sign_in

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("cheap_argon2")]
PW = "plum tractor violin 1"


def client_for(tmp_path, role):
    with make_sessionmaker(tmp_path)() as s:
        auth.add_user(s, f"{role}1", role, PW)
    c = TestClient(create_app(rasa_url="http://127.0.0.1:9", secret="s", settings=WebSettings(data_dir=tmp_path)))
    return c, {"X-CSRF-Token": sign_in(c, f"{role}1", PW)}


def test_gaps_are_listed_for_trainers(tmp_path):
    for _ in range(3):
        log_search("res needs a blue badge for parking", None, 0.1, "none", directory=tmp_path)
    log_search("food bank voucher", "how-food-bank-vouchers-work", 0.7, "answer", directory=tmp_path)
    c, _ = client_for(tmp_path, "trainer")
    page = c.get("/trainer").text
    assert "blue badge" in page and "food bank voucher" not in page
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title, title


def test_try_a_question_shows_ranked_items(tmp_path, monkeypatch, fake_search):
    monkeypatch.setitem(trainer_routes._trial, "ks", fake_search)
    c, headers = client_for(tmp_path, "trainer")
    page = c.post("/trainer", data={"q": "food bank voucher", "csrf_token": headers["X-CSRF-Token"]}).text
    assert 'id="try-results"' in page and "Confidence:" in page


def test_the_test_question_is_a_post_with_csrf_and_never_runs_for_others(tmp_path, monkeypatch, fake_search):
    calls = []
    monkeypatch.setattr(trainer_routes, "trial_search", lambda q: calls.append(q) or {"confidence": "none", "hits": []})
    c, headers = client_for(tmp_path, "trainer")
    assert 'method="post" action="/trainer"' in c.get("/trainer").text  # the question stays out of the URL
    assert c.post("/trainer", data={"q": "food bank voucher", "csrf_token": "forged"}).status_code == 403
    w, wh = client_for(tmp_path, "worker")
    assert w.post("/trainer", data={"q": "food bank voucher", "csrf_token": wh["X-CSRF-Token"]}).status_code == 403
    anon = TestClient(create_app(rasa_url="http://127.0.0.1:9", secret="s" * 32,
                                 settings=WebSettings(data_dir=tmp_path)))
    assert anon.post("/trainer", data={"q": "x"}, follow_redirects=False).status_code == 303
    assert calls == []  # refused before any search ran


def test_workers_cannot_open_the_console(tmp_path):
    c, _ = client_for(tmp_path, "worker")
    assert c.get("/trainer").status_code == 403


def test_not_helpful_feedback_marks_the_logged_search(tmp_path):
    log_id = log_search("landlord changed locks", "illegal-eviction-lockout", 0.6, "answer", directory=tmp_path)
    c, h = client_for(tmp_path, "worker")
    r = c.post("/api/feedback", json={"item_id": "illegal-eviction-lockout", "helpful": False, "log_id": log_id,
                                      "reason": "wrong borough"}, headers=h)
    assert r.status_code == 200
    gaps, _ = gap_report(__import__("datetime").date(2000, 1, 1), directory=tmp_path)
    assert [g.text for g in gaps] == ["landlord changed locks"] and gaps[0].unhelpful == 1


def test_referral_response_times_on_the_console_only_from_recorded_replies(tmp_path, monkeypatch):
    import datetime as dt

    import referrals.service as rs
    from referrals.config import ReferralSettings
    from referrals.models import Referral, Target

    monkeypatch.setattr(rs, "_DEFAULT", rs.ReferralService(ReferralSettings(data_dir=tmp_path, secret=b"k")))
    c, _ = client_for(tmp_path, "trainer")
    assert "No replies to referrals recorded yet" in c.get("/trainer").text  # never an invented figure
    now = dt.datetime(2026, 11, 26, 9, 0)
    with rs.default_service().db() as db:
        for n, hours in enumerate((2, 4, 30)):
            ref = Referral(id=f"r{n}", created_by="w", created_at=now, consent=True, consent_at=now,
                           urgency="soon", contact_preference="phone")
            ref.targets.append(Target(service_id="hackney-foodbank", service_title="x", organisation="y",
                                      route="email", status="received", message_id=f"<m{n}>",
                                      response_seconds=hours * 3600.0))
            db.add(ref)
        db.commit()
    html = c.get("/trainer").text
    row = html.split('id="responses"', 1)[1]
    assert "Hackney Foodbank" in row and "4.0 h" in row and ">3<" in row


def test_the_console_shows_which_guide_a_disclosure_opened_and_why(tmp_path):
    log_search("res says her partner hit her", "domestic-abuse", 0.97, "risk", reason="cue 'partner hit'",
               directory=tmp_path)
    log_search("food bank voucher", "how-food-bank-vouchers-work", 0.7, "answer", directory=tmp_path)
    # a guide only offered after the answer is listed too, so a trainer can teach the route the disclosure
    log_search("nephew has his bank card", "safeguarding-adult", 0.3, "check",
               reason="no route (check safeguarding-adult): nearest 'x'", directory=tmp_path)
    c, _ = client_for(tmp_path, "trainer")
    page = c.get("/trainer").text
    routes = page.split('id="routes"', 1)[1].split("</table>", 1)[0]
    assert "partner hit her" in routes and "domestic-abuse" in routes and "cue &#39;partner hit&#39;" in routes
    assert "nephew has his bank card" in routes and "no route (check safeguarding-adult)" in routes
    assert "food bank voucher" not in routes


@pytest.mark.parametrize("role", [None, "worker"])
def test_the_console_does_no_work_before_checking_the_user(tmp_path, monkeypatch, role):
    def boom(*_a, **_k):
        raise AssertionError("searched before checking the user")

    monkeypatch.setattr(trainer_routes, "trial_search", boom)
    monkeypatch.setattr("knowledge_base.gaps.gap_report", boom)
    if role is None:
        c = TestClient(create_app(rasa_url="http://127.0.0.1:9", secret="s", settings=WebSettings(data_dir=tmp_path)))
        r = c.get("/trainer?q=eviction", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
    else:
        c, _ = client_for(tmp_path, role)
        assert c.get("/trainer?q=eviction").status_code == 403


def test_the_console_shows_needs_coverage_by_borough(tmp_path):
    c, _ = client_for(tmp_path, "trainer")
    page = c.get("/trainer").text
    table = page.split('id="coverage"', 1)[1].split("</table>", 1)[0]
    assert "Hackney" in table and "Newham" in table
    assert 'id="coverage-gaps"' in page
