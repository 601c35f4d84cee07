"""An admin deletes one conversation from the tracker store now; other roles cannot."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient

from web import auth
from web.app import create_app
from web.config import WebSettings
from web.db import make_sessionmaker
from web.testing import sign_in

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("cheap_argon2")]
PW = "plum tractor violin 1"


@pytest.fixture
def tracker_db(tmp_path, monkeypatch):
    db = tmp_path / "tracker.db"
    con = sqlite3.connect(db)
    con.execute("create table events (id integer primary key, sender_id text, type_name text, timestamp real,"
                " intent_name text, action_name text, data text)")
    con.executemany("insert into events (sender_id, type_name, timestamp, data) values (?, 'user', 1.0, '{}')",
                    [("web-aaa",), ("web-aaa",), ("web-bbb",)])
    con.commit()
    con.close()
    monkeypatch.setenv("FRONTLINE_TRACKER_URL", f"sqlite:///{db}")
    return db


def client(tmp_path, role):
    with make_sessionmaker(tmp_path)() as s:
        auth.add_user(s, f"{role}1", role, PW)
    c = TestClient(create_app(rasa_url="http://127.0.0.1:9", secret="s", settings=WebSettings(data_dir=tmp_path)))
    return c, sign_in(c, f"{role}1", PW)


def remaining(db):
    con = sqlite3.connect(db)
    return [r[0] for r in con.execute("select sender_id from events order by id")]


def test_admin_deletes_one_conversation(tmp_path, tracker_db):
    c, csrf = client(tmp_path, "admin")
    r = c.post("/admin/conversations/delete", data={"sender": "web-aaa", "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin?deleted=2"
    assert remaining(tracker_db) == ["web-bbb"]


def test_without_csrf_or_as_worker_nothing_is_deleted(tmp_path, tracker_db):
    c, _ = client(tmp_path, "admin")
    assert c.post("/admin/conversations/delete", data={"sender": "web-aaa"}).status_code == 403
    w, csrf = client(tmp_path, "worker")
    assert w.post("/admin/conversations/delete", data={"sender": "web-aaa", "csrf_token": csrf}).status_code == 403
    assert remaining(tracker_db) == ["web-aaa", "web-aaa", "web-bbb"]


def test_chat_page_shows_the_conversation_reference(tmp_path):
    c, _ = client(tmp_path, "worker")
    assert 'id="conversation-reference">web-' in c.get("/").text
