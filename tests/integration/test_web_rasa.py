"""The front door against a real HTTP server on loopback standing in for Rasa's REST
channel: forwarding, reply shape, session→sender binding and the 503 path."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from web import auth
from web.app import COOKIE, create_app
from web.config import WebSettings
from web.db import make_sessionmaker
from web.testing import StubRasa, free_port, sign_in

pytestmark = pytest.mark.integration

SECRET = "integration-secret"
PW = {"wendy": "plum tractor violin 1", "will": "plum tractor violin 2"}


def reply(sender, message):
    return [{"recipient_id": sender, "text": f"you said {message}",
             "buttons": [{"title": "One", "payload": "/one"}]},
            {"recipient_id": sender, "text": "card", "custom": {"card": {"item_id": "x1", "title": "T"}}}]


@pytest.fixture
def data_dir(tmp_path):
    with make_sessionmaker(tmp_path)() as s:
        for name, pw in PW.items():
            auth.add_user(s, name, "worker", pw)
    return tmp_path


def app_for(url, data_dir):
    return create_app(rasa_url=url, secret=SECRET, settings=WebSettings(data_dir=data_dir))


def test_messages_are_forwarded_with_a_sender_bound_to_the_session(data_dir):
    with StubRasa(reply) as rasa:
        app = app_for(rasa.url, data_dir)
        a, b, a2 = TestClient(app), TestClient(app), TestClient(app)
        ta, tb, ta2 = sign_in(a, "wendy", PW["wendy"]), sign_in(b, "will", PW["will"]), sign_in(a2, "wendy", PW["wendy"])
        r = a.post("/api/message", json={"message": "  no money for food "}, headers={"X-CSRF-Token": ta})
        assert r.status_code == 200
        assert r.json() == {"messages": [
            {"text": "you said no money for food", "buttons": [{"title": "One", "payload": "/one"}]},
            {"text": "card", "custom": {"card": {"item_id": "x1", "title": "T"}}},
        ]}
        a.post("/api/message", json={"message": "again"}, headers={"X-CSRF-Token": ta})
        b.post("/api/message", json={"message": "hello"}, headers={"X-CSRF-Token": tb})
        a2.post("/api/message", json={"message": "other tab"}, headers={"X-CSRF-Token": ta2})
    senders = [s["sender"] for s in rasa.seen]
    assert [s["message"] for s in rasa.seen] == ["no money for food", "again", "hello", "other tab"]
    assert senders[0] == senders[1] == auth.sender_id(SECRET.encode(), a.cookies[COOKIE])
    assert len({senders[0], senders[2], senders[3]}) == 3  # other user, and another session, differ
    assert all(set(s) == {"sender", "message"} for s in rasa.seen)


def test_one_session_cannot_use_another_sessions_csrf_token_or_choose_a_sender(data_dir):
    with StubRasa(reply) as rasa:
        app = app_for(rasa.url, data_dir)
        a, b = TestClient(app), TestClient(app)
        sign_in(a, "wendy", PW["wendy"])
        tb = sign_in(b, "will", PW["will"])
        assert a.post("/api/message", json={"message": "x"}, headers={"X-CSRF-Token": tb}).status_code == 403
        r = b.post("/api/message", json={"message": "x", "sender": "web-wendy"}, headers={"X-CSRF-Token": tb})
        assert r.status_code == 422
    assert rasa.seen == []


def test_unreachable_assistant_gives_503(data_dir):
    app = app_for(f"http://127.0.0.1:{free_port()}", data_dir)
    c = TestClient(app)
    t = sign_in(c, "wendy", PW["wendy"])
    r = c.post("/api/message", json={"message": "hello"}, headers={"X-CSRF-Token": t})
    assert r.status_code == 503 and r.json() == {"error": "unavailable"}


def test_empty_message_is_not_forwarded(data_dir):
    with StubRasa(reply) as rasa:
        c = TestClient(app_for(rasa.url, data_dir))
        t = sign_in(c, "wendy", PW["wendy"])
        assert c.post("/api/message", json={"message": "   "}, headers={"X-CSRF-Token": t}).status_code == 422
    assert rasa.seen == []
