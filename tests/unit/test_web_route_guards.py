"""Every route of the front door declares its guard, and the guard refuses before any work.

A new route without ``require_role(...)`` or an explicit ``public`` fails this test, so a
page cannot be added that anyone on the network can open."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from web import auth
from web.app import create_app
from web.config import WebSettings
from web.db import make_sessionmaker
from web.pages import PAGE_ROLES
from web.testing import sign_in

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("cheap_argon2")]
PW = "plum tractor violin 1"
# deliberately open: the sign-in page, the health check, the favicon, and the reply link a
# receiving service opens from its e-mail (guarded by its signed token), and council sign-in's
# start and callback (guarded by the signed state cookie and the provider's ID token)
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/healthz"), ("GET", "/favicon.ico"),
          ("GET", "/referrals/ack/{token}"), ("POST", "/referrals/ack/{token}"),
          ("GET", "/login/sso"), ("GET", "/auth/callback")}


def _calls(dependant):
    for d in dependant.dependencies:
        yield d.call
        yield from _calls(d)


def guards_of(route: APIRoute) -> set:
    return {getattr(c, "guard_page", "-") for c in _calls(route.dependant) if hasattr(c, "guard_page")}


def _flat(routes_):
    for r in routes_:
        if isinstance(r, APIRoute):
            yield r
        elif hasattr(r, "original_router"):  # an included router (FastAPI >= 0.16x)
            yield from _flat(r.original_router.routes)
        elif hasattr(r, "routes") and not hasattr(r, "app"):
            yield from _flat(r.routes)


def routes(app):
    for r in _flat(app.routes):
        for method in sorted(r.methods - {"HEAD"}):
            yield method, r


@pytest.fixture
def app(tmp_path):
    with make_sessionmaker(tmp_path)() as s:
        for role in ("worker", "trainer", "admin"):
            auth.add_user(s, f"{role}1", role, PW)
    return create_app(rasa_url="http://127.0.0.1:9", secret="s" * 32, settings=WebSettings(data_dir=tmp_path))


def _path(route: APIRoute) -> str:
    return re.sub(r"\{[^}]+\}", "x1", route.path)


def test_every_route_declares_exactly_one_guard_or_is_listed_as_public(app):
    problems = []
    for method, r in routes(app):
        g = guards_of(r)
        if (method, r.path) in PUBLIC:
            if g != {None}:
                problems.append(f"{method} {r.path}: listed as public but its guards are {g}")
        elif len(g) != 1 or None in g:
            problems.append(f"{method} {r.path}: needs exactly one require_role(...) dependency, has {g or 'none'}")
    assert not problems, "\n".join(problems)
    assert sum(1 for _ in routes(app)) >= 15  # guards against the walk silently finding nothing


def test_every_guarded_route_refuses_an_anonymous_caller(app):
    c = TestClient(app)
    for method, r in routes(app):
        if (method, r.path) in PUBLIC:
            continue
        resp = c.request(method, _path(r), follow_redirects=False)
        if r.path.startswith("/api/"):
            assert resp.status_code == 401, (method, r.path, resp.status_code)
        else:
            assert resp.status_code == 303 and resp.headers["location"] == "/login", (method, r.path, resp.status_code)


@pytest.mark.parametrize("role", ["worker", "trainer"])
def test_every_guarded_route_refuses_a_role_it_does_not_allow(app, role):
    c = TestClient(app)
    token = sign_in(c, f"{role}1", PW)
    checked = 0
    for method, r in routes(app):
        if (method, r.path) in PUBLIC:
            continue
        (page,) = guards_of(r)
        if role in PAGE_ROLES[page]:
            continue
        resp = c.request(method, _path(r), headers={"X-CSRF-Token": token}, data={"csrf_token": token},
                         follow_redirects=False)
        assert resp.status_code == 403, (role, method, r.path, resp.status_code)
        checked += 1
    assert checked >= (4 if role == "worker" else 2)


def test_state_changing_routes_need_the_csrf_token(app):
    c = TestClient(app)
    sign_in(c, "admin1", PW)
    for method, r in routes(app):
        if method != "POST" or (method, r.path) in PUBLIC:
            continue
        resp = c.request(method, _path(r), headers={"X-CSRF-Token": "forged"}, data={"csrf_token": "forged"},
                         follow_redirects=False)
        assert resp.status_code == 403, (method, r.path, resp.status_code)


def test_the_app_starts_and_stops_through_its_lifespan(tmp_path, monkeypatch):
    """Start-up and shut-down run (the referral queue thread, the HTTP client): a server
    with ``lifespan="on"`` (uvicorn, the browser tests) must come up."""
    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FRONTLINE_REFERRAL_QUEUE", "1")
    app = create_app(rasa_url="http://127.0.0.1:9", secret="s" * 32, settings=WebSettings(data_dir=tmp_path))
    with TestClient(app) as c:
        assert c.get("/healthz").json() == {"status": "ok"}
    assert app.state.ctx.client.is_closed
