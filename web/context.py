"""What every router needs, built once by ``create_app`` and kept on ``app.state.ctx``:
settings, the database and secret (opened on first use), wording, templates, the Rasa
pool and its HTTP client, and the sign-in rate limit."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import httpx
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from .rasa_pool import RasaPool

from . import auth
from .config import WebSettings, load_secret
from .db import make_sessionmaker
from .guards import Staff
from .pages import allowed_pages
from .sso import OidcClient

HERE = Path(__file__).resolve().parent


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


@dataclass
class WebContext:
    settings: WebSettings
    state: _State
    text: object  # the front door's wording (ui_text.UiText)
    templates: Jinja2Templates
    pool: RasaPool
    client: httpx.AsyncClient
    limiter: auth.LoginRateLimiter
    sso: OidcClient | None = None  # council sign-in, when configured (web/sso.py)

    def render(self, request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
        return self.templates.TemplateResponse(request, template, {"t": self.text, **ctx}, status_code=status)

    def page(self, request: Request, staff: Staff, page_name: str, template: str, **ctx) -> HTMLResponse:
        """A page for a signed-in member of staff, with the navigation their role allows."""
        return self.render(request, template, user=staff.user, csrf=staff.csrf, nav=allowed_pages(staff.role),
                           current=page_name, **ctx)


def get_ctx(request: Request) -> WebContext:
    return request.app.state.ctx
