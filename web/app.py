"""Staff web front door: sign-in, the chat panel, trainer console, admin page and referrals.

``create_app`` assembles the routers (``web/routes/``, ``referrals.web``); each route
declares its guard as a dependency (``web/guards.py``), which runs before any work.
Each message goes to Rasa's REST channel (``POST {FRONTLINE_RASA_URL}/webhooks/rest/webhook``)
with a sender id derived by HMAC from the signed-in session and the server secret, so no
one can read or write another person's conversation. Rasa stays on localhost. Wording
comes from ``content/wording/web.yml``.
"""

from __future__ import annotations

import logging
import os
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from .rasa_pool import RasaPool

from . import auth
from .config import WebSettings
from .context import HERE, WebContext, _State
from .guards import (COOKIE, CsrfFailed, Forbidden, SignInRequired, csrf_for, public, require_role, signed_in,
                     verify_csrf)
from .pages import allowed_pages
from .routes import admin, chat, session, trainer
from .routes import sso as sso_routes
from .sso import OidcClient
from .routes.chat import redact_reason  # noqa: F401 - re-exported for callers and tests
from .ui_text import STATIC_CONTENT, load_ui_text

__all__ = ["COOKIE", "create_app", "redact_reason"]

log = logging.getLogger(__name__)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(rasa_url: str | None = None, secret: str | None = None,
               transport: httpx.AsyncBaseTransport | None = None, *,
               settings: WebSettings | None = None, ui_text_path: Path = STATIC_CONTENT) -> FastAPI:
    settings = settings or WebSettings()
    rasa = (rasa_url or settings.rasa_url).rstrip("/")
    # several Rasa servers (FRONTLINE_RASA_URLS): each sender sticks to one, failing over when it is down
    pool = RasaPool([rasa]) if rasa_url else RasaPool.from_env(default=rasa)
    text = load_ui_text(ui_text_path)
    state = _State(settings, secret.encode() if secret else None)
    ctx = WebContext(
        settings=settings, state=state, text=text,
        templates=Jinja2Templates(directory=HERE / "templates"), pool=pool,
        client=httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=2.0), transport=transport),
        limiter=auth.LoginRateLimiter(lambda: state.db(), settings.login_max_failures, settings.login_window_seconds),
        sso=OidcClient(settings.sso) if settings.sso.enabled else None)
    queue = None
    if os.environ.get("FRONTLINE_REFERRAL_QUEUE", "1") == "1":
        from referrals.queue import QueueRunner

        queue = QueueRunner()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if queue is not None:
            queue.start()  # a background thread
        try:
            yield
        finally:
            if queue is not None:
                queue.stop()
            await ctx.client.aclose()

    app = FastAPI(title=text.service_name, docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.ctx = ctx
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    if (settings.assets_dir / "govuk-frontend.min.css").exists():
        app.mount("/govuk", StaticFiles(directory=settings.assets_dir), name="govuk")
        app.mount("/assets", StaticFiles(directory=settings.assets_dir / "assets"), name="assets")
    else:
        log.warning("govuk-frontend not found at %s: run `npm ci --prefix web`", settings.assets_dir)

    # signing out of council sign-in posts the form to /logout, which redirects to the provider:
    # form-action covers that redirect, so the provider's origin is allowed there (and only there)
    issuer = httpx.URL(settings.sso.issuer) if settings.sso.enabled else None
    form_action = "'self'" + (f" {issuer.scheme}://{issuer.netloc.decode()}" if issuer else "")
    csp = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           f"frame-ancestors 'none'; form-action {form_action}; base-uri 'none'")

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = csp
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if settings.over_tls(request):  # browsers ignore HSTS over plain http
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.url.path != "/healthz" and not request.url.path.startswith(("/static", "/govuk", "/assets")):
            response.headers["Cache-Control"] = "no-store"
        return response

    # ---- the guards' refusals, as pages or as JSON for /api/
    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, exc: SignInRequired):
        if _is_api(request):
            return JSONResponse({"error": text.errors.session_expired}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden):
        if _is_api(request):
            return JSONResponse({"error": text.errors.forbidden}, status_code=403)
        staff = exc.staff
        return ctx.render(request, "error.html", 403, message=text.errors.forbidden,
                          user=staff.user if staff else None, csrf=staff.csrf if staff else None,
                          nav=allowed_pages(staff.role) if staff else [])

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed):
        if _is_api(request):
            return JSONResponse({"error": "missing or wrong X-CSRF-Token header"}, status_code=403)
        return ctx.render(request, "error.html", 403, message=text.errors.forbidden, user=None, nav=[])

    @app.exception_handler(404)
    async def not_found(request: Request, exc):
        if _is_api(request):
            return JSONResponse({"error": text.errors.not_found}, status_code=404)
        return ctx.render(request, "error.html", 404, message=text.errors.not_found, user=None, nav=[])

    @app.get("/favicon.ico", include_in_schema=False, dependencies=[Depends(public)])
    async def favicon():
        return Response(status_code=204)

    @app.get("/healthz", dependencies=[Depends(public)])
    async def healthz():
        return {"status": "ok"}

    for room in (session, sso_routes, chat, trainer, admin):
        app.include_router(room.router)
    # referrals (referrals/ package): pages and API behind the same sign-in and CSRF
    from referrals.web import create_router as create_referral_router

    def page_context(request: Request) -> dict:
        """The front door's header on the referral pages: its wording and the signed-in
        member of staff's navigation (nothing for the public reply pages)."""
        staff = signed_in(request)
        if staff is None:
            return {}
        return {"ui": text, "user": staff.user, "nav": allowed_pages(staff.role), "current": "referrals"}

    app.include_router(create_referral_router(require_role("referrals"), verify_csrf, csrf_token=csrf_for,
                                              public=public, page_context=page_context,
                                              shared_templates=HERE / "templates"))
    return app


app = create_app()
