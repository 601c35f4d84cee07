"""Council sign-in's pieces without a provider: role mapping, the signed state cookie, the
sign-in page and the switches. The flow itself runs against a real provider in
tests/e2e/test_sso.py."""

import time

import pytest
from fastapi.testclient import TestClient

from web.app import create_app
from web.config import WebSettings
from web.sso import OidcClient, SsoError, SsoSettings, _role_map, seal, unseal

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("cheap_argon2")]
MAP = {"Frontline.Worker": "worker", "Frontline.Trainer": "trainer", "Frontline.Admin": "admin"}


def test_roles_come_from_the_configured_claim_highest_first_never_a_default():
    client = OidcClient(SsoSettings(issuer="https://idp.example", client_id="app", role_map=MAP))
    assert client.role_for({"roles": ["Frontline.Worker"]}) == "worker"
    assert client.role_for({"roles": ["Frontline.Worker", "Frontline.Admin"]}) == "admin"
    assert client.role_for({"roles": "Frontline.Trainer"}) == "trainer"
    assert client.role_for({"roles": ["Payroll.Reader"]}) is None
    assert client.role_for({}) is None
    groups = OidcClient(SsoSettings(issuer="https://idp.example", client_id="app", roles_claim="groups",
                                    role_map={"0b1c-group-id": "trainer"}))
    assert groups.role_for({"groups": ["0b1c-group-id"], "roles": ["Frontline.Admin"]}) == "trainer"


def test_role_map_setting_is_parsed_and_a_bad_role_is_refused(monkeypatch):
    assert _role_map("Frontline.Worker=worker, Frontline.Admin=admin") == {
        "Frontline.Worker": "worker", "Frontline.Admin": "admin"}
    with pytest.raises(ValueError, match="worker\\|trainer\\|admin"):
        _role_map("Frontline.Boss=superuser")
    monkeypatch.setenv("FRONTLINE_OIDC_ISSUER", "https://login.example/tenant/v2.0/")
    monkeypatch.setenv("FRONTLINE_OIDC_CLIENT_ID", "abc")
    monkeypatch.setenv("FRONTLINE_LOCAL_ACCOUNTS", "0")
    s = SsoSettings.from_env()
    assert s.enabled and s.issuer == "https://login.example/tenant/v2.0" and not s.local_accounts


def test_the_state_cookie_is_signed_and_short_lived():
    secret = b"k" * 32
    value = seal(secret, {"state": "s", "nonce": "n", "verifier": "v"})
    assert unseal(secret, value)["nonce"] == "n"
    body, mac = value.rsplit(".", 1)
    with pytest.raises(SsoError, match="altered"):
        unseal(secret, body + "." + "0" * len(mac))
    with pytest.raises(SsoError, match="altered"):
        unseal(b"other" * 8, value)
    with pytest.raises(SsoError, match="missing"):
        unseal(secret, None)
    old = seal(secret, {"state": "s"})
    with pytest.raises(SsoError, match="too long"):
        unseal(secret, old, max_age=-1)
    assert time.time()  # the bundle carries its own time


def _app(tmp_path, **sso):
    settings = WebSettings(data_dir=tmp_path, sso=SsoSettings(**sso) if sso else SsoSettings())
    return TestClient(create_app(rasa_url="http://127.0.0.1:9", secret="s" * 32, settings=settings))


def test_without_sso_the_sign_in_page_is_as_before_and_sso_routes_do_not_exist(tmp_path):
    c = _app(tmp_path)
    page = c.get("/login").text
    assert "council account" not in page and 'name="password"' in page
    assert c.get("/login/sso", follow_redirects=False).status_code == 404
    assert c.get("/auth/callback?code=x&state=y").status_code == 404


def test_with_sso_the_page_offers_both_or_only_the_council_account(tmp_path):
    both = _app(tmp_path / "a", issuer="https://idp.example", client_id="app")
    page = both.get("/login").text
    assert "Sign in with your council account" in page and 'name="password"' in page
    only = _app(tmp_path / "b", issuer="https://idp.example", client_id="app", local_accounts=False)
    page = only.get("/login").text
    assert "Sign in with your council account" in page and 'name="password"' not in page
    r = only.post("/login", data={"name": "x", "password": "y", "csrf_token": "z"})
    assert r.status_code == 403 and "turned off" in r.text


def test_a_callback_without_the_state_cookie_is_refused_before_any_network(tmp_path):
    c = _app(tmp_path, issuer="https://idp.example", client_id="app")
    r = c.get("/auth/callback?code=x&state=y")
    assert r.status_code == 401 and "did not work" in r.text


def test_an_sso_account_cannot_get_a_local_password(tmp_path):
    from web import auth
    from web.db import make_sessionmaker

    with make_sessionmaker(tmp_path)() as db:
        auth.sso_user(db, "https://idp.example sub-1", "wendy@hackney.example", "worker")
        with pytest.raises(auth.AccountError, match="council account"):
            auth.reset_password(db, "wendy@hackney.example", "a long enough passphrase 1")
        assert not auth.verify_password(auth.get_user(db, "wendy@hackney.example"), "!sso")
        auth.set_active(db, "wendy@hackney.example", False)
        with pytest.raises(auth.SsoAccountError, match="disabled"):
            auth.sso_user(db, "https://idp.example sub-1", "wendy@hackney.example", "admin")
        with pytest.raises(auth.SsoAccountError, match="already called"):
            auth.add_user(db, "terry", "trainer", "a long enough passphrase 2")
            auth.sso_user(db, "https://idp.example sub-2", "terry", "worker")


def test_the_discovery_document_is_read_again_after_the_cache_time():
    """A provider that moves an endpoint or rotates keys is followed without a restart."""
    import asyncio

    import httpx

    reads = []

    def handler(request):
        reads.append(str(request.url))
        return httpx.Response(200, json={"issuer": "https://idp.example", "jwks_uri": "https://idp.example/jwks"})

    client = OidcClient(SsoSettings(issuer="https://idp.example", client_id="app", role_map=MAP),
                        transport=httpx.MockTransport(handler))
    clock = [1000.0]
    client.clock = lambda: clock[0]
    asyncio.run(client.metadata())
    asyncio.run(client.metadata())
    assert len(reads) == 1
    clock[0] += OidcClient.CACHE_SECONDS + 1
    asyncio.run(client.metadata())
    assert len(reads) == 2
