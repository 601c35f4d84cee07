"""Staff web front door: sign-in, the chat panel, trainer console and users page.

Each message goes to Rasa's REST channel (``POST {FRONTLINE_RASA_URL}/webhooks/rest/webhook``)
with a sender id derived by HMAC from the signed-in session and the server
secret, so no one can read or write another person's conversation. Rasa stays
on localhost. Wording comes from ``content/wording/web.yml``.
"""

from __future__ import annotations

import logging
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Optional

import httpx
from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from frontline.rasa_pool import NoRasaServer, RasaPool

from . import auth
from .config import WebSettings, load_secret
from .db import Feedback, User, make_sessionmaker
from .pages import PAGE_ROLES, allowed_pages, trainer_status
from .ui_text import STATIC_CONTENT, load_ui_text

HERE = Path(__file__).resolve().parent
COOKIE = "frontline_session"
LOGIN_CSRF_COOKIE = "frontline_login_csrf"
CSRF_HEADER = "x-csrf-token"
MAX_CHARS = 10_000

log = logging.getLogger(__name__)


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(max_length=MAX_CHARS)


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$")
    helpful: bool
    reason: Optional[str] = Field(default=None, max_length=1000)
    log_id: Optional[int] = Field(default=None, ge=1, description="search_log row of the answer (kb gaps)")


_trial = {}


def trial_search(query: str) -> dict:
    """'Try a question' on the trainer console: the shipped search over the current
    content, loaded once per process on first use (trainers only)."""
    from knowledge_base.search import KnowledgeSearch

    if "ks" not in _trial:
        ks = KnowledgeSearch.create()
        ks.warm_up()
        _trial["ks"] = ks
    out = _trial["ks"].run(query[:1000], top_k=5)
    return {"confidence": out["confidence"], "hits": [
        {"id": h.id, "title": h.item.title, "score": round(h.score, 3), "dense": round(h.dense, 3),
         "bm25": round(h.bm25, 2)} for h in out["hits"]]}


def response_stats(item_id: str) -> dict | None:
    """Median time to first response from recorded referrals; None without data
    (never an invented figure)."""
    try:
        from referrals.service import referral_stats

        stats = referral_stats(item_id)
    except Exception as exc:
        log.warning("referral stats unavailable: %s", type(exc).__name__)
        return None
    return {"median_hours": stats.median_hours, "count": stats.count} if stats else None


def response_table() -> list[dict]:
    """Referral response times for the trainer console (only services with recorded replies)."""
    try:
        from referrals.service import _load_services, default_service

        titles = {i: s.title for i, s in _load_services().items()}
        return [{"id": st.service_id, "title": titles.get(st.service_id, st.service_id),
                 "median_hours": st.median_hours, "count": st.count} for st in default_service().all_stats()]
    except Exception as exc:
        log.warning("referral response times unavailable: %s", type(exc).__name__)
        return []


def merge_cards(messages: list[dict]) -> list[dict]:
    """An answer arrives as text messages (for REST clients) followed by a card
    that says how many of them it replaces; the panel shows the card only."""
    out: list[dict] = []
    for m in messages:
        card = (m.get("custom") or {}).get("card") if isinstance(m.get("custom"), dict) else None
        if isinstance(card, dict) and card.get("refer") and card.get("item_id"):
            card["response_stats"] = response_stats(card["item_id"])
        n = card.get("replaces", 0) if isinstance(card, dict) else 0
        while n > 0 and out and out[-1].get("text") and not out[-1].get("buttons") and not out[-1].get("custom"):
            out.pop()
            n -= 1
        out.append(m)
    return out


def redact_reason(text: str | None) -> str | None:
    """Pass free text through ``common.redact.redact_text``; without it, keep no text at all."""
    if not text or not text.strip():
        return None
    try:
        from common.redact import redact_text
    except ImportError:
        return None
    return redact_text(text.strip())


class _State:
    """Opens the database and reads the secret on first use, not at import."""

    def __init__(self, settings: WebSettings, secret: bytes | None):
        self.settings = settings
        self._secret = secret

    @cached_property
    def db(self):
        return make_sessionmaker(self.settings.data_dir)

    @cached_property
    def secret(self) -> bytes:
        return self._secret or load_secret(self.settings.data_dir)


def create_app(rasa_url: str | None = None, secret: str | None = None,
               transport: httpx.AsyncBaseTransport | None = None, *,
               settings: WebSettings | None = None, ui_text_path: Path = STATIC_CONTENT) -> FastAPI:
    settings = settings or WebSettings()
    rasa = (rasa_url or settings.rasa_url).rstrip("/")
    # several Rasa servers (FRONTLINE_RASA_URLS): each sender sticks to one, failing over when it is down
    pool = RasaPool([rasa]) if rasa_url else RasaPool.from_env(default=rasa)
    state = _State(settings, secret.encode() if secret else None)
    text = load_ui_text(ui_text_path)
    limiter = auth.LoginRateLimiter(settings.login_max_failures, settings.login_window_seconds)
    app = FastAPI(title=text.service_name, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = state
    app.state.limiter = limiter
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    if (settings.assets_dir / "govuk-frontend.min.css").exists():
        app.mount("/govuk", StaticFiles(directory=settings.assets_dir), name="govuk")
        app.mount("/assets", StaticFiles(directory=settings.assets_dir / "assets"), name="assets")
    else:
        log.warning("govuk-frontend not found at %s: run `npm ci --prefix web`", settings.assets_dir)
    templates = Jinja2Templates(directory=HERE / "templates")
    client = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=2.0), transport=transport)

    def render(request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
        return templates.TemplateResponse(request, template, {"t": text, **ctx}, status_code=status)

    def signed_in(request: Request):
        with state.db() as db:
            return auth.lookup_session(db, request.cookies.get(COOKIE))

    def page(request: Request, page_name: str, template: str, **ctx) -> Response:
        found = signed_in(request)
        if found is None:
            return RedirectResponse("/login", status_code=303)
        sess, user = found
        if user.role not in PAGE_ROLES[page_name]:
            return render(request, "error.html", 403, message=text.errors.forbidden, user=user,
                          csrf=sess.csrf_token, nav=allowed_pages(user.role))
        return render(request, template, user=user, csrf=sess.csrf_token, nav=allowed_pages(user.role),
                      current=page_name, **ctx)

    def api_session(request: Request):
        """(session, user) for a JSON API call, or the error response."""
        found = signed_in(request)
        if found is None:
            return None, JSONResponse({"error": text.errors.session_expired}, status_code=401)
        sess, user = found
        if not auth.csrf_ok(sess.csrf_token, request.headers.get(CSRF_HEADER)):
            return None, JSONResponse({"error": "missing or wrong X-CSRF-Token header"}, status_code=403)
        if user.role not in PAGE_ROLES["chat"]:
            return None, JSONResponse({"error": text.errors.forbidden}, status_code=403)
        return found, None

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        )
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if request.url.path != "/healthz" and not request.url.path.startswith(("/static", "/govuk", "/assets")):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon():
        return Response(status_code=204)

    # ---- referrals (referrals/ package): pages and API behind the same sign-in and CSRF
    from referrals.web import create_router as create_referral_router

    class _Staff:  # the referrals package expects .username and .role
        def __init__(self, user):
            self.username, self.role = user.name, user.role

    def current_staff(request: Request):
        found = signed_in(request)
        if found is None:
            raise HTTPException(status_code=303, headers={"Location": "/login"})
        return _Staff(found[1])

    async def verify_csrf(request: Request):
        found = signed_in(request)
        given = request.headers.get(CSRF_HEADER)
        if given is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")):
            given = (await request.form()).get("csrf_token")  # plain HTML forms
        if found is None or not auth.csrf_ok(found[0].csrf_token, given):
            raise HTTPException(status_code=403, detail="missing or wrong CSRF token")

    def csrf_for(request: Request):
        found = signed_in(request)
        return found[0].csrf_token if found else None

    app.include_router(create_referral_router(current_staff, verify_csrf, csrf_token=csrf_for))
    if os.environ.get("FRONTLINE_REFERRAL_QUEUE", "1") == "1":
        from referrals.queue import QueueRunner

        runner = QueueRunner()
        app.router.on_startup.append(runner.start)
        app.router.on_shutdown.append(runner.stop)

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok"}

    def login_form(request: Request, status: int = 200, error: str | None = None, name: str = "") -> Response:
        token = secrets.token_urlsafe(32)
        response = render(request, "login.html", status, csrf=token, error=error, name=name)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
                            secure=request.url.scheme == "https")
        return response

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request):
        if signed_in(request):
            return RedirectResponse("/", status_code=303)
        return login_form(request)

    @app.post("/login")
    def login(request: Request, name: str = Form("", max_length=64), password: str = Form("", max_length=1024),
              csrf_token: str = Form("", max_length=128)):
        if not auth.csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
            return login_form(request, 403, text.login.expired, name)
        ip = request.client.host if request.client else "?"
        if limiter.blocked(name, ip):
            return login_form(request, 429, text.login.rate_limited, name)
        with state.db() as db:
            user = auth.get_user(db, name)
            if not auth.verify_password(user, password):
                limiter.failed(name, ip)
                return login_form(request, 401, text.login.failed, name)
            limiter.succeeded(name, ip)
            token = auth.create_session(db, user, settings.session_hours)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="lax", path="/",
                            max_age=int(settings.session_hours * 3600), secure=request.url.scheme == "https")
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
        return response

    @app.post("/logout")
    def logout(request: Request, csrf_token: str = Form("", max_length=128)):
        found = signed_in(request)
        if found is not None and not auth.csrf_ok(found[0].csrf_token, csrf_token):
            return render(request, "error.html", 403, message=text.errors.forbidden, user=None, nav=[])
        with state.db() as db:
            auth.end_session(db, request.cookies.get(COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @app.get("/", response_class=HTMLResponse)
    def chat(request: Request):
        token = request.cookies.get(COOKIE)
        reference = auth.sender_id(state.secret, token) if token else None
        return page(request, "chat", "chat.html", conversation_reference=reference)

    @app.get("/trainer", response_class=HTMLResponse)
    def trainer(request: Request, q: str = ""):
        import datetime as dt

        from knowledge_base.gaps import gap_report, recent_routes

        found = signed_in(request)
        if found is None or found[1].role not in PAGE_ROLES["trainer"]:
            return page(request, "trainer", "trainer.html")  # sign-in or 403 before any work is done
        since = dt.date.today() - dt.timedelta(days=30)
        try:
            gaps, _ = gap_report(since, directory=settings.data_dir, limit=20)
            routes = recent_routes(since, directory=settings.data_dir, limit=20)
        except Exception as exc:  # the console still shows content status
            log.warning("gap report unavailable: %s", type(exc).__name__)
            gaps, routes = [], []
        tried = trial_search(q) if q.strip() else None
        return page(request, "trainer", "trainer.html", content_status=trainer_status(settings.content_dir),
                    gaps=gaps, routes=routes, q=q, tried=tried, responses=response_table())

    @app.get("/admin", response_class=HTMLResponse)
    def admin(request: Request, deleted: int | None = None):
        with state.db() as db:
            users = list(db.scalars(select(User).order_by(User.name)))
        return page(request, "admin", "admin.html", users=users, deleted=deleted)

    @app.post("/admin/conversations/delete", dependencies=[Depends(verify_csrf)])
    def admin_delete_conversation(request: Request, sender: str = Form(..., min_length=3, max_length=200)):
        """Delete one conversation from the tracker store now (retention does it after N days)."""
        from frontline.retention import RetentionError, delete_conversation

        found = signed_in(request)
        if found is None or found[1].role != "admin":
            return render(request, "error.html", 403, message=text.errors.forbidden, user=None, nav=[])
        try:
            n = delete_conversation(sender.strip())
        except RetentionError as exc:
            log.error("conversation delete failed: %s", type(exc).__name__)
            raise HTTPException(status_code=503, detail=text.admin.delete_failed) from exc
        log.info("admin %s deleted a conversation (%d events)", found[1].name, n)
        return RedirectResponse(f"/admin?deleted={n}", status_code=303)

    @app.post("/api/message")
    async def message(body: MessageIn, request: Request):
        found, error = api_session(request)
        if error:
            return error
        text_in = body.message.strip()
        if not text_in:
            return JSONResponse({"error": text.errors.message_empty}, status_code=422)
        token = request.cookies[COOKIE]
        try:
            replies = await pool.send(auth.sender_id(state.secret, token), text_in, client=client)
        except (httpx.HTTPError, ValueError, NoRasaServer) as exc:
            log.warning("assistant unreachable: %s", type(exc).__name__)
            return JSONResponse({"error": "unavailable"}, status_code=503)
        return {"messages": merge_cards(
            [{k: m[k] for k in ("text", "buttons", "custom") if k in m} for m in replies if isinstance(m, dict)])}

    @app.post("/api/feedback")
    def feedback(body: FeedbackIn, request: Request):
        found, error = api_session(request)
        if error:
            return error
        with state.db() as db:
            db.add(Feedback(item_id=body.item_id, helpful=body.helpful, reason=redact_reason(body.reason),
                            user_id=found[1].id))
            db.commit()
        if body.log_id:  # mark the logged search, so `kb gaps` lists unhelpful answers
            try:
                from knowledge_base.gaps import record_feedback

                record_feedback(body.log_id, body.helpful, body.reason, directory=settings.data_dir)
            except Exception as exc:
                log.warning("feedback not linked to the search log: %s", type(exc).__name__)
        return {"status": "saved"}

    @app.exception_handler(404)
    async def not_found(request: Request, exc):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": text.errors.not_found}, status_code=404)
        return render(request, "error.html", 404, message=text.errors.not_found, user=None, nav=[])

    @app.on_event("shutdown")
    async def close_client():
        await client.aclose()

    return app


app = create_app()
