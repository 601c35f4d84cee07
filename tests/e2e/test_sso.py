"""Council sign-in end to end: the front door against a real local OpenID Connect provider
(node oidc-provider, tests/oidc/provider.mjs), in Chromium with Playwright.

Covered: sign-in; role mapping for each role; no mapped role refused; a tampered or expired
ID token refused; a wrong audience refused; a wrong nonce or state refused; key rotation;
sign-out at the provider too; password sign-in turned off."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from common.paths import ROOT
from web.app import create_app
from web.config import WebSettings
from web.sso import OidcClient, SsoError, SsoSettings
from web.testing import LiveServer, StubRasa, collect_page_errors, free_port

pytestmark = pytest.mark.slow

PROVIDER = ROOT / "tests" / "oidc" / "provider.mjs"
ROLE_MAP = {"Frontline.Worker": "worker", "Frontline.Trainer": "trainer", "Frontline.Admin": "admin"}
ACCOUNTS = {
    "wendy": {"preferred_username": "wendy@hackney.example", "roles": ["Frontline.Worker"]},
    "terry": {"preferred_username": "terry@hackney.example", "roles": ["Frontline.Trainer"]},
    "ada": {"preferred_username": "ada@hackney.example", "roles": ["Frontline.Admin", "Frontline.Worker"]},
    "nora": {"preferred_username": "nora@hackney.example", "roles": ["Payroll.Reader"]},
}


class Provider:
    """node oidc-provider on a free port; ``restart(key_id)`` comes back with a new signing key."""

    def __init__(self, clients: list[dict]):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.clients = clients
        self.proc: subprocess.Popen | None = None

    def start(self, key_id: str = "key-1") -> "Provider":
        env = {**os.environ, "OIDC_PORT": str(self.port), "OIDC_KEY_ID": key_id,
               "OIDC_CLIENTS": json.dumps(self.clients), "OIDC_ACCOUNTS": json.dumps(ACCOUNTS)}
        self.proc = subprocess.Popen(["node", str(PROVIDER)], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError("oidc-provider exited: " + (self.proc.stdout.read() if self.proc.stdout else ""))
            time.sleep(0.2)
        raise RuntimeError("oidc-provider did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def restart(self, key_id: str) -> None:
        self.stop()
        self.start(key_id)


def client_meta(client_id: str, app_url: str) -> dict:
    return {"client_id": client_id, "client_secret": f"{client_id}-secret-for-tests-only",
            "redirect_uris": [f"{app_url}/auth/callback"], "post_logout_redirect_uris": [f"{app_url}/login"],
            "grant_types": ["authorization_code"], "response_types": ["code"]}


def sso_settings(provider: Provider, client_id: str, **kw) -> SsoSettings:
    return SsoSettings(issuer=provider.issuer, client_id=client_id,
                       client_secret=f"{client_id}-secret-for-tests-only", role_map=ROLE_MAP,
                       scopes="openid profile email roles", **kw)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The provider and three front doors: the app ("frontline"), another app registered at
    the same provider ("other-app", for the wrong audience), and an app whose ID tokens live
    2 seconds ("short-lived"), each with its own database."""
    ports = {name: free_port() for name in ("frontline", "other-app", "short-lived")}
    urls = {name: f"http://127.0.0.1:{p}" for name, p in ports.items()}
    provider = Provider([client_meta(name, urls[name]) for name in ports]).start()
    servers, stack = {}, []
    try:
        rasa = StubRasa(lambda message: [{"text": f"echo: {message}"}]).__enter__()
        stack.append(rasa)
        for name, port in ports.items():
            data = tmp_path_factory.mktemp(name)
            settings = WebSettings(data_dir=data, public_url=urls[name],
                                   sso=sso_settings(provider, name, leeway_seconds=0 if name == "short-lived" else 30))
            srv = LiveServer(create_app(rasa_url=rasa.url, secret="s" * 32, settings=settings), port=port).__enter__()
            srv.data_dir = data
            stack.append(srv)
            servers[name] = srv
        yield provider, servers
    finally:
        for s in reversed(stack):
            s.__exit__(None, None, None)
        provider.stop()


@pytest.fixture
def page(browser, world):
    ctx = browser.new_context(base_url=world[1]["frontline"].url)
    pg = ctx.new_page()
    errors = collect_page_errors(pg)
    yield pg
    ctx.close()
    assert [e for e in errors if not e.startswith("Failed to load resource")] == [], errors


def council_sign_in(page, account: str, base: str | None = None) -> None:
    """Through the front door's button to the provider's sign-in and consent pages and back."""
    page.goto((base or "") + "/login")
    page.get_by_role("button", name="Sign in with your council account").click()
    page.locator("input[name=login]").fill(account)
    page.locator("input[name=password]").fill("any password: the test provider's dev sign-in")
    page.locator("button[type=submit]").click()
    consent = page.get_by_role("button", name="Continue")
    if consent.count():
        consent.click()
    page.wait_for_load_state()


def id_token_of(server, name: str) -> str:
    con = sqlite3.connect(Path(server.data_dir) / "frontline.db")
    row = con.execute("select s.id_token from sessions s join users u on u.id = s.user_id where u.name = ? "
                      "order by s.created_at desc", (name,)).fetchone()
    con.close()
    assert row and row[0], f"no session with an ID token for {name}"
    return row[0]


def test_each_role_comes_from_the_claim(page, world):
    council_sign_in(page, "wendy")
    expect(page).to_have_url(world[1]["frontline"].url + "/")
    assert page.goto("/trainer").status == 403
    page.context.clear_cookies()
    council_sign_in(page, "terry")
    assert page.goto("/trainer").status == 200 and page.goto("/admin").status == 403
    page.context.clear_cookies()
    council_sign_in(page, "ada")  # two mapped roles: the highest
    assert page.goto("/admin").status == 200
    con = sqlite3.connect(Path(world[1]["frontline"].data_dir) / "frontline.db")
    rows = dict(con.execute("select name, role from users"))
    con.close()
    assert rows == {"wendy@hackney.example": "worker", "terry@hackney.example": "trainer",
                    "ada@hackney.example": "admin"}


def test_no_mapped_role_is_refused_with_ask_your_administrator(page):
    council_sign_in(page, "nora")
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have access to this service yet")
    assert "Ask your administrator" in page.content()
    assert page.goto("/", wait_until="load").url.endswith("/login")  # no session was made


def test_sign_out_ends_the_session_here_and_at_the_provider(page, world):
    council_sign_in(page, "wendy")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    confirm = page.locator("button[autofocus], button[type=submit]").first  # the provider's "sign me out?"
    if "/session/end" in page.url:
        confirm.click()
    expect(page).to_have_url(world[1]["frontline"].url + "/login")
    page.get_by_role("button", name="Sign in with your council account").click()
    expect(page.locator("input[name=login]")).to_be_visible()  # the provider asks again


def test_a_wrong_state_or_a_missing_state_cookie_is_refused(page):
    r = page.goto("/auth/callback?code=made-up&state=made-up")
    assert r.status == 401
    assert "did not work" in page.content()


def _payload(token: str) -> dict:
    import base64

    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _validate(provider, client_id: str, token: str, nonce: str | None = None, **kw) -> dict:
    """The front door's validator on ``token`` (in its own thread: Playwright's loop runs here)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    client = OidcClient(sso_settings(provider, client_id, **kw))
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, client.validate(token, nonce or _payload(token)["nonce"])).result()


def test_tokens_are_checked_signature_audience_expiry_and_nonce(page, world):
    """Real tokens from the provider, given to the front door's validator: the genuine one
    passes; another app's (wrong audience), an expired one, a tampered one and one with
    another nonce are refused."""
    provider, servers = world
    council_sign_in(page, "wendy")
    genuine = id_token_of(servers["frontline"], "wendy@hackney.example")
    assert _validate(provider, "frontline", genuine)["sub"] == "wendy"
    with pytest.raises(SsoError, match="nonce"):
        _validate(provider, "frontline", genuine, nonce="another-sign-in")
    head, body, sig = genuine.split(".")
    import base64

    forged = dict(_payload(genuine), roles=["Frontline.Admin"])
    forged_body = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    with pytest.raises(SsoError):
        _validate(provider, "frontline", f"{head}.{forged_body}.{sig}")  # payload changed, signature not
    with pytest.raises(SsoError):
        _validate(provider, "frontline", f"{head}.{body}.{sig[:-6]}AAAAAA")  # signature changed

    page.context.clear_cookies()
    council_sign_in(page, "wendy", base=servers["other-app"].url)
    foreign = id_token_of(servers["other-app"], "wendy@hackney.example")
    assert _validate(provider, "other-app", foreign)["aud"] in ("other-app", ["other-app"])
    with pytest.raises(SsoError, match="aud"):
        _validate(provider, "frontline", foreign)

    page.context.clear_cookies()
    council_sign_in(page, "wendy", base=servers["short-lived"].url)
    expect(page).to_have_url(servers["short-lived"].url + "/")  # valid when it arrived
    short = id_token_of(servers["short-lived"], "wendy@hackney.example")
    time.sleep(3)
    with pytest.raises(SsoError, match="exp"):
        _validate(provider, "short-lived", short, leeway_seconds=0)


def test_a_rotated_signing_key_is_fetched_and_used(page, world):
    """The provider restarts with a new key (another key id): the front door, holding the
    old key set, fetches the new one once and signs the worker in."""
    provider, servers = world
    council_sign_in(page, "wendy")
    expect(page).to_have_url(servers["frontline"].url + "/")
    provider.restart("key-2")
    try:
        page.context.clear_cookies()
        council_sign_in(page, "terry")
        expect(page).to_have_url(servers["frontline"].url + "/")
        assert _payload(id_token_of(servers["frontline"], "terry@hackney.example"))  # a session was made
        import base64

        header = json.loads(base64.urlsafe_b64decode(
            id_token_of(servers["frontline"], "terry@hackney.example").split(".")[0] + "=="))
        assert header["kid"] == "key-2"
    finally:
        provider.restart("key-1")


def test_password_sign_in_can_be_turned_off(browser, world, tmp_path):
    provider, _ = world
    data = tmp_path / "sso-only"
    data.mkdir()
    port = free_port()
    settings = WebSettings(data_dir=data, public_url=f"http://127.0.0.1:{port}",
                           sso=sso_settings(provider, "frontline", local_accounts=False))
    with LiveServer(create_app(rasa_url="http://127.0.0.1:9", secret="s" * 32, settings=settings), port=port) as srv:
        ctx = browser.new_context(base_url=srv.url)
        pg = ctx.new_page()
        pg.goto("/login")
        expect(pg.get_by_role("button", name="Sign in with your council account")).to_be_visible()
        assert pg.locator("input[name=password]").count() == 0
        r = httpx.post(f"{srv.url}/login", data={"name": "x", "password": "y", "csrf_token": "z"})
        assert r.status_code == 403 and "turned off" in r.text
        ctx.close()
