"""The Rasa sender id comes from the signed-in session and the server secret only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from web import auth
from web.app import create_app
from web.config import WebSettings, load_secret
from web.db import make_sessionmaker
from web.testing import sign_in

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("cheap_argon2")]


def test_sender_id_is_an_hmac_of_session_and_secret():
    a = auth.sender_id(b"secret-1", "token-a")
    assert a == auth.sender_id(b"secret-1", "token-a")
    assert a != auth.sender_id(b"secret-1", "token-b")
    assert a != auth.sender_id(b"secret-2", "token-a")
    assert a.startswith("web-") and "token-a" not in a


def test_secret_is_created_once_with_private_permissions(tmp_path, monkeypatch):
    monkeypatch.delenv("FRONTLINE_SECRET_KEY", raising=False)
    first = load_secret(tmp_path)
    assert first == load_secret(tmp_path) and len(first) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    monkeypatch.setenv("FRONTLINE_SECRET_KEY", "from-env")
    assert load_secret(tmp_path) == b"from-env"


def test_a_user_cannot_choose_a_sender(tmp_path):
    with make_sessionmaker(tmp_path)() as s:
        auth.add_user(s, "wendy", "worker", "correct horse battery staple")
    app = create_app(rasa_url="http://127.0.0.1:9", secret="s", settings=WebSettings(data_dir=tmp_path))
    c = TestClient(app)
    token = sign_in(c, "wendy", "correct horse battery staple")
    r = c.post("/api/message", json={"message": "hi", "sender": "web-someone-else"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 422
