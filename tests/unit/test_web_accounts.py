"""Account lifecycle: a leaver is disabled and signed out everywhere at once, a password
reset or a role change ends the user's sessions, and an admin cannot lock themselves out."""

import io

import pytest
from fastapi.testclient import TestClient

from web import auth, users
from web.app import create_app
from web.config import WebSettings
from web.db import make_sessionmaker
from web.testing import sign_in

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("cheap_argon2")]
PW = "plum tractor violin 1"


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(tmp_path))
    with make_sessionmaker(tmp_path)() as s:
        for name, role in (("ada", "admin"), ("wendy", "worker"), ("terry", "trainer")):
            auth.add_user(s, name, role, PW)
    return tmp_path


def client(data, name):
    c = TestClient(create_app(rasa_url="http://127.0.0.1:9", secret="s" * 32, settings=WebSettings(data_dir=data)))
    return c, sign_in(c, name, PW)


def run(*argv, stdin=""):
    import argparse

    p = argparse.ArgumentParser()
    users.add_users_parser(p.add_subparsers())
    args = p.parse_args(["users", *argv])
    old = users.sys.stdin
    users.sys.stdin = io.StringIO(stdin)
    try:
        return args.handler(args)
    finally:
        users.sys.stdin = old


def test_disabling_a_leaver_ends_their_session_now_and_blocks_sign_in(data, capsys):
    w, _ = client(data, "wendy")
    assert w.get("/").status_code == 200
    assert run("disable", "wendy") == 0
    assert "1 session(s) ended" in capsys.readouterr().out
    assert w.get("/", follow_redirects=False).status_code == 303  # the open browser is signed out
    again = TestClient(w.app)
    with pytest.raises(RuntimeError, match="HTTP 401"):
        sign_in(again, "wendy", PW)
    assert run("enable", "wendy") == 0
    sign_in(TestClient(w.app), "wendy", PW)


def test_password_reset_and_role_change_end_sessions(data, capsys):
    w, _ = client(data, "wendy")
    assert run("reset-password", "wendy", stdin="short\n") == 1  # refused with the reason, nothing changed
    assert "password refused" in capsys.readouterr().err
    assert w.get("/").status_code == 200
    assert run("reset-password", "wendy", stdin="marble lantern orbit 7\n") == 0
    assert w.get("/", follow_redirects=False).status_code == 303
    c, _ = client(data, "terry")
    assert run("set-role", "terry", "--role", "worker") == 0
    assert c.get("/trainer", follow_redirects=False).status_code == 303
    c2, _ = client(data, "terry")
    assert c2.get("/trainer").status_code == 403  # the new role applies at the next sign-in


def test_unknown_user_is_one_clear_line(data, capsys):
    assert run("disable", "nobody") == 1
    assert "no user 'nobody'" in capsys.readouterr().err


def test_admin_page_disables_and_signs_out_others_but_not_themselves(data):
    a, token = client(data, "ada")
    w, _ = client(data, "wendy")
    page = a.get("/admin").text
    assert 'action="/admin/users/wendy/disable"' in page and 'action="/admin/users/ada/disable"' not in page
    r = a.post("/admin/users/wendy/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and "changed=wendy" in r.headers["location"]
    assert w.get("/", follow_redirects=False).status_code == 303
    w, _ = client(data, "wendy")
    assert a.post("/admin/users/wendy/disable", data={"csrf_token": token}).status_code == 200
    assert w.get("/", follow_redirects=False).status_code == 303
    assert a.post("/admin/users/ada/disable", data={"csrf_token": token}).status_code == 409
    assert a.get("/admin").status_code == 200  # still signed in
    assert a.post("/admin/users/nobody/disable", data={"csrf_token": token}).status_code == 404
    assert a.post("/admin/users/wendy/delete", data={"csrf_token": token}).status_code == 422


def test_https_only_makes_cookies_secure_and_sends_hsts(data, monkeypatch):
    monkeypatch.setenv("FRONTLINE_HTTPS_ONLY", "1")
    c = TestClient(create_app(rasa_url="http://127.0.0.1:9", secret="s" * 32, settings=WebSettings(data_dir=data)))
    r = c.get("/login")
    assert r.headers["strict-transport-security"].startswith("max-age=31536000")
    assert "secure" in r.headers["set-cookie"].lower()


def test_plain_http_by_default_sends_no_hsts(data):
    c = TestClient(create_app(rasa_url="http://127.0.0.1:9", secret="s" * 32, settings=WebSettings(data_dir=data)))
    r = c.get("/login")
    assert "strict-transport-security" not in r.headers and "secure" not in r.headers["set-cookie"].lower()


def test_removing_an_account_ends_its_session_and_keeps_feedback_without_the_name(data, capsys):
    import sqlite3

    w, _ = client(data, "wendy")
    with make_sessionmaker(data)() as s:
        from web.db import Feedback

        s.add(Feedback(item_id="x", helpful=True, user_id=auth.get_user(s, "wendy").id))
        s.commit()
    assert run("remove", "wendy") == 0
    assert "removed wendy; 1 session(s) ended" in capsys.readouterr().out
    assert w.get("/", follow_redirects=False).status_code == 303
    con = sqlite3.connect(data / "frontline.db")
    assert con.execute("select count(*) from users where name='wendy'").fetchone()[0] == 0
    assert con.execute("select user_id from feedback").fetchall() == [(None,)]
    con.close()
    assert run("remove", "wendy") == 1 and "no user 'wendy'" in capsys.readouterr().err
