"""Staff web front door.

A minimal chat page for now (issue "Web chat panel" makes it real). Each
browser session gets an opaque random cookie; the Rasa sender id is derived
from it with a server secret, so one session can never address another's
conversation. Rasa is reached on localhost only.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

HERE = Path(__file__).resolve().parent
COOKIE = "frontline_session"
MAX_CHARS = 10_000

log = logging.getLogger(__name__)


class MessageIn(BaseModel):
    message: str = Field(max_length=MAX_CHARS)


def create_app(rasa_url: str | None = None, secret: str | None = None,
               transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    rasa_url = (rasa_url or os.environ.get("FRONTLINE_RASA_URL", "http://127.0.0.1:5005")).rstrip("/")
    key = (secret or os.environ.get("FRONTLINE_SECRET_KEY") or secrets.token_hex(32)).encode()
    app = FastAPI(title="Frontline assistant", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    client = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=2.0), transport=transport)

    def sender_for(token: str) -> str:
        return "web-" + hmac.new(key, token.encode(), hashlib.sha256).hexdigest()[:32]

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
        return response

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request):
        response = templates.TemplateResponse(request, "chat.html", {})
        if not request.cookies.get(COOKIE):
            response.set_cookie(COOKIE, secrets.token_urlsafe(32), httponly=True, samesite="strict",
                                secure=request.url.scheme == "https")
        return response

    @app.post("/api/message")
    async def message(body: MessageIn, request: Request):
        token = request.cookies.get(COOKIE)
        if not token:
            return JSONResponse({"error": "no session: reload the page"}, status_code=401)
        # a custom header a cross-site form cannot send: simple CSRF protection for the JSON API
        if request.headers.get("x-requested-with") != "frontline":
            return JSONResponse({"error": "missing X-Requested-With header"}, status_code=403)
        text = body.message.strip()
        if not text:
            return JSONResponse({"error": "type a message first"}, status_code=422)
        try:
            r = await client.post(f"{rasa_url}/webhooks/rest/webhook",
                                  json={"sender": sender_for(token), "message": text})
            r.raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("assistant unreachable: %s", type(exc).__name__)
            return JSONResponse({"error": "unavailable"}, status_code=503)
        return {"messages": [
            {k: m[k] for k in ("text", "buttons", "custom") if k in m} for m in r.json()
        ]}

    @app.on_event("shutdown")
    async def close_client():
        await client.aclose()

    return app


app = create_app()
