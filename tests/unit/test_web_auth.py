"""Front door: sign-in, sessions, cookie flags, CSRF, rate limiting and roles.

FastAPI's TestClient in-process over a real SQLite file in tmp_path."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient

from web import auth
from web.app import COOKIE, create_app
from web.config import WebSettings
from web.db import make_sessionmaker
from web.testing import CSRF_FIELD, sign_in

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("cheap_argon2")]


PASSWORD = "correct horse battery staple"
PW = {"wendy": "plum tractor violin 1", "terry": "plum tractor violin 2", "ada": "plum tractor violin 3",
      "will": "plum tractor violin 4"}


@pytest.fixture
def data_dir(tmp_path):
    db = make_sessionmaker(tmp_path)
    with db() as s:
        for name, role in (("wendy", "worker"), ("terry", "trainer"), ("ada", "admin"), ("will", "worker")):
            auth.add_user(s, name, role, PW[name])
    return tmp_path


@pytest.fixture
def app(data_dir):
    return create_app(rasa_url="http://127.0.0.1:9", secret="unit-test-secret", settings=WebSettings(data_dir=data_dir))


def client(app, https=False) -> TestClient:
    return TestClient(app, base_url="https://testserver" if https else "http://testserver")


def login_post(c: TestClient, name: str, password: str, ip_headers=None):
    token = CSRF_FIELD.search(c.get("/login").text).group(1)
    return c.post("/login", data={"name": name, "password": password, "csrf_token": token}, follow_redirects=False)


def test_sign_in_sets_an_httponly_lax_session_cookie_not_secure_over_http(app):
    c = client(app)
    r = login_post(c, "wendy", PW["wendy"])
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(COOKIE + "="))
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=lax" in flags and "secure" not in flags and "path=/" in flags


def test_session_cookie_is_secure_over_tls(app):
    c = client(app, https=True)
    r = login_post(c, "wendy", PW["wendy"])
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(COOKIE + "="))
    assert "secure" in cookie.lower()


def test_behind_tls_the_session_cookie_has_the_host_prefix(data_dir, monkeypatch):
    """FRONTLINE_PUBLIC_URL https (or FRONTLINE_HTTPS_ONLY=1): __Host-frontline_session,
    Secure, Path=/ and no Domain, so no sub-domain can set or read it; HSTS on every answer."""
    monkeypatch.setenv("FRONTLINE_PUBLIC_URL", "https://frontline.example.gov.uk")
    settings = WebSettings(data_dir=data_dir)
    assert settings.https_only and settings.session_cookie == "__Host-frontline_session"
    c = client(create_app(rasa_url="http://127.0.0.1:9", secret="s", settings=settings), https=True)
    r = login_post(c, "wendy", PW["wendy"])
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("__Host-frontline_session="))
    flags = cookie.lower()
    assert "secure" in flags and "path=/" in flags and "domain" not in flags
    assert "strict-transport-security" in {k.lower() for k in r.headers}
    assert c.get("/", follow_redirects=False).status_code == 200  # the prefixed cookie signs in
    monkeypatch.delenv("FRONTLINE_PUBLIC_URL")
    assert WebSettings(data_dir=data_dir).session_cookie == COOKIE


def test_an_idle_session_ends(data_dir):
    """No request for FRONTLINE_SESSION_IDLE_MINUTES: the session is deleted and the worker
    signs in again; a request in time keeps it alive."""
    import datetime as dt

    app = create_app(rasa_url="http://127.0.0.1:9", secret="s",
                     settings=WebSettings(data_dir=data_dir, session_idle_minutes=30))
    c = client(app)
    login_post(c, "wendy", PW["wendy"])
    assert c.get("/", follow_redirects=False).status_code == 200
    con = sqlite3.connect(data_dir / "frontline.db")
    old = (dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(minutes=29)).isoformat(" ")
    con.execute("update sessions set last_seen_at = ?", (old,))
    con.commit()
    assert c.get("/", follow_redirects=False).status_code == 200  # 29 minutes: still signed in
    older = (dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(minutes=31)).isoformat(" ")
    con.execute("update sessions set last_seen_at = ?", (older,))
    con.commit()
    r = c.get("/", follow_redirects=False)
    assert r.status_code in (302, 303) and "/login" in r.headers["location"]
    assert con.execute("select count(*) from sessions").fetchone()[0] == 0
    con.close()


def test_a_password_hashed_with_old_argon2_parameters_is_rehashed_at_sign_in(app, data_dir, monkeypatch):
    from argon2 import PasswordHasher

    con = sqlite3.connect(data_dir / "frontline.db")
    before = con.execute("select password_hash from users where name='wendy'").fetchone()[0]
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    monkeypatch.setattr(auth, "_hasher", stronger)
    assert login_post(client(app), "wendy", PW["wendy"]).status_code == 303
    after = con.execute("select password_hash from users where name='wendy'").fetchone()[0]
    con.close()
    assert after != before and "t=2" in after and stronger.verify(after, PW["wendy"])


def test_database_keeps_only_a_hash_of_the_session_token_and_argon2_password_hashes(app, data_dir):
    c = client(app)
    login_post(c, "wendy", PW["wendy"])
    token = c.cookies[COOKIE]
    con = sqlite3.connect(data_dir / "frontline.db")
    hashes = [r[0] for r in con.execute("select token_hash from sessions")]
    pw = [r[0] for r in con.execute("select password_hash from users")]
    assert token not in hashes and auth.hash_token(token) in hashes
    assert all(h.startswith("$argon2id$") for h in pw)
    assert (data_dir / "frontline.db").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("name,password", [("wendy", "wrong password here"), ("nobody", PASSWORD), ("", "")])
def test_wrong_credentials_are_refused_with_one_message(app, name, password):
    c = client(app)
    r = login_post(c, name, password)
    assert r.status_code == 401
    assert "username or password is not right" in r.text
    assert COOKIE not in c.cookies


def test_sign_in_form_needs_its_csrf_token(app):
    c = client(app)
    c.get("/login")
    r = c.post("/login", data={"name": "wendy", "password": PW["wendy"], "csrf_token": "forged"},
               follow_redirects=False)
    assert r.status_code == 403 and COOKIE not in c.cookies


def test_five_failures_lock_the_account_for_that_address_with_429(app):
    c = client(app)
    for _ in range(5):
        assert login_post(c, "wendy", "not the password!").status_code == 401
    r = login_post(c, "wendy", PW["wendy"])  # even the right password
    assert r.status_code == 429
    assert "Too many failed sign-in attempts" in r.text
    assert login_post(c, "will", PW["will"]).status_code == 303  # other accounts unaffected


def test_rate_limit_window_expires(tmp_path):
    now = [1000.0]
    lim = auth.LoginRateLimiter(make_sessionmaker(tmp_path), max_failures=5, window=300, clock=lambda: now[0])
    for _ in range(5):
        lim.failed("Wendy", "10.0.0.1")
    assert lim.blocked("wendy", "10.0.0.1")
    assert not lim.blocked("wendy", "10.0.0.2")
    now[0] += 301
    assert not lim.blocked("wendy", "10.0.0.1")


def test_rate_limit_catches_one_account_from_many_addresses_and_one_address_on_many_accounts(tmp_path):
    lim = auth.LoginRateLimiter(make_sessionmaker(tmp_path), max_failures=5, window=300, clock=lambda: 1000.0,
                                spread=4)
    for i in range(20):  # 20 addresses, one failure each, against one account
        lim.failed("wendy", f"10.0.1.{i}")
    assert lim.blocked("wendy", "10.0.9.9") and not lim.blocked("terry", "10.0.9.9")
    for i in range(20):  # one address spraying 20 accounts
        lim.failed(f"user{i}", "10.0.2.1")
    assert lim.blocked("anyone", "10.0.2.1") and not lim.blocked("anyone", "10.0.2.2")


def test_rate_limit_is_shared_by_workers_and_expired_rows_are_deleted(tmp_path):
    """Two front-door workers (two limiters on one database) see the same failures; no
    account name or address is stored; rows older than the window are gone at the next check."""
    now = [1000.0]
    one = auth.LoginRateLimiter(make_sessionmaker(tmp_path), max_failures=5, window=300, clock=lambda: now[0])
    two = auth.LoginRateLimiter(make_sessionmaker(tmp_path), max_failures=5, window=300, clock=lambda: now[0])
    for i in range(5):
        (one if i % 2 else two).failed("wendy", "10.0.0.1")
    assert one.blocked("wendy", "10.0.0.1") and two.blocked("wendy", "10.0.0.1")
    con = sqlite3.connect(tmp_path / "frontline.db")
    dump = "\n".join(map(str, con.execute("select * from sign_in_failures")))
    con.close()
    assert "wendy" not in dump and "10.0.0.1" not in dump
    for i in range(300):
        one.failed(f"user{i}", "10.0.3.3")
    assert len(one) > 900
    now[0] += 301
    one.blocked("someone", "10.9.9.9")
    assert len(two) == 0


def test_signed_out_pages_redirect_to_sign_in_and_api_says_401(app):
    c = client(app)
    for path in ("/", "/trainer", "/admin"):
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
    assert c.post("/api/message", json={"message": "hi"}).status_code == 401
    assert c.post("/api/feedback", json={"item_id": "abc", "helpful": True}).status_code == 401


@pytest.mark.parametrize("user,allowed,refused", [
    ("wendy", ["/"], ["/trainer", "/admin"]),
    ("terry", ["/", "/trainer"], ["/admin"]),
    ("ada", ["/", "/trainer", "/admin"], []),
])
def test_pages_refuse_other_roles_with_403(app, user, allowed, refused):
    c = client(app)
    sign_in(c, user, PW[user])
    for path in allowed:
        assert c.get(path).status_code == 200, path
    for path in refused:
        r = c.get(path)
        assert r.status_code == 403, path
        assert "You do not have access to this page" in r.text


def test_admin_page_lists_users_and_trainer_page_shows_content_status(app):
    c = client(app)
    sign_in(c, "ada", PW["ada"])
    page = c.get("/admin").text
    for name in ("wendy", "terry", "ada", "will"):
        assert f">{name}<" in page
    trainer = c.get("/trainer").text
    assert "Trainer console" in trainer and 'id="count-items"' in trainer


def test_state_changing_api_calls_need_the_session_csrf_token(app, data_dir):
    c = client(app)
    token = sign_in(c, "wendy", PW["wendy"])
    body = {"item_id": "citizens-advice-adviceline", "helpful": True}
    assert c.post("/api/feedback", json=body).status_code == 403
    assert c.post("/api/feedback", json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert c.post("/api/message", json={"message": "hi"}, headers={"X-Requested-With": "frontline"}).status_code == 403
    other = client(app)
    other_token = sign_in(other, "will", PW["will"])
    assert c.post("/api/feedback", json=body, headers={"X-CSRF-Token": other_token}).status_code == 403
    assert c.post("/api/feedback", json=body, headers={"X-CSRF-Token": token}).status_code == 200


def test_sign_out_needs_csrf_and_ends_the_session(app):
    c = client(app)
    token = sign_in(c, "wendy", PW["wendy"])
    assert c.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False).status_code == 403
    assert c.get("/", follow_redirects=False).status_code == 200
    old_cookie = c.cookies[COOKIE]
    r = c.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    c.cookies.set(COOKIE, old_cookie)  # replaying the old cookie does not work
    assert c.get("/", follow_redirects=False).status_code == 303


def test_a_forged_or_expired_session_cookie_is_not_accepted(app, data_dir):
    c = client(app)
    c.cookies.set(COOKIE, "made-up-token")
    assert c.get("/", follow_redirects=False).status_code == 303
    sign_in(c, "wendy", PW["wendy"])
    con = sqlite3.connect(data_dir / "frontline.db")
    con.execute("update sessions set expires_at = '2000-01-01 00:00:00'")
    con.commit()
    assert c.get("/", follow_redirects=False).status_code == 303


def test_security_headers_and_no_inline_script_or_style(app):
    c = client(app)
    sign_in(c, "wendy", PW["wendy"])
    for path in ("/login", "/"):
        r = c.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert r.headers["x-frame-options"] == "DENY"
        assert "<style" not in r.text and " style=" not in r.text and " on" + "click=" not in r.text
        for tag in r.text.split("<script")[1:]:
            assert ' src="/static/' in tag.split(">")[0] or 'type="application/json"' in tag.split(">")[0]


def test_chat_page_has_csrf_meta_shortcuts_and_safety_banner(app):
    c = client(app)
    sign_in(c, "wendy", PW["wendy"])
    page = c.get("/").text
    assert 'name="csrf-token"' in page
    assert "Alt + / or Ctrl + K" in page
    assert "call 999" in page and 'role="log"' in page


def test_healthz_needs_no_sign_in(app):
    assert client(app).get("/healthz").json() == {"status": "ok"}
