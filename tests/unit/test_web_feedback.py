"""POST /api/feedback stores {item_id, helpful, reason} in the feedback table; the
reason goes through common.redact.redact_text, or is dropped if that is missing."""

from __future__ import annotations

import importlib.util
import sqlite3
import sys

import pytest
from fastapi.testclient import TestClient

from web import auth
from web.app import create_app, redact_reason
from web.config import WebSettings
from web.db import make_sessionmaker
from web.testing import sign_in

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("cheap_argon2")]

PW = "plum tractor violin 1"


@pytest.fixture
def signed_in(tmp_path):
    with make_sessionmaker(tmp_path)() as s:
        auth.add_user(s, "wendy", "worker", PW)
    c = TestClient(create_app(rasa_url="http://127.0.0.1:9", secret="s", settings=WebSettings(data_dir=tmp_path)))
    token = sign_in(c, "wendy", PW)
    return c, {"X-CSRF-Token": token}, tmp_path


def rows(data_dir):
    con = sqlite3.connect(data_dir / "frontline.db")
    return con.execute("select item_id, helpful, reason, user_id from feedback order by id").fetchall()


def test_helpful_yes_is_stored(signed_in):
    c, h, data = signed_in
    r = c.post("/api/feedback", json={"item_id": "citizens-advice-adviceline", "helpful": True}, headers=h)
    assert r.status_code == 200 and r.json() == {"status": "saved"}
    assert rows(data) == [("citizens-advice-adviceline", 1, None, 1)]


def test_reason_is_redacted_or_dropped(signed_in):
    c, h, data = signed_in
    reason = "Wrong number for Mrs Jones at 07700 900123"
    c.post("/api/feedback", json={"item_id": "citizens-advice-adviceline", "helpful": False, "reason": reason},
           headers=h)
    stored = rows(data)[0][2]
    if importlib.util.find_spec("common.redact") is not None:
        from common.redact import redact_text

        assert stored == redact_text(reason)
    else:
        assert stored is None


def test_without_the_redaction_module_no_reason_is_kept(monkeypatch):
    monkeypatch.setitem(sys.modules, "common.redact", None)  # makes `from common.redact import ...` fail
    assert redact_reason("call 07700 900123") is None
    assert redact_reason("   ") is None


@pytest.mark.parametrize("body", [
    {"item_id": "Not An Id!", "helpful": True},
    {"item_id": "abc", "helpful": "maybe"},
    {"item_id": "abc", "helpful": True, "reason": "x" * 1001},
    {"item_id": "abc", "helpful": True, "extra": 1},
])
def test_invalid_feedback_is_refused(signed_in, body):
    c, h, data = signed_in
    assert c.post("/api/feedback", json=body, headers=h).status_code == 422
    assert rows(data) == []
