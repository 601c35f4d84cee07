"""Sign-in and sign-out."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .. import auth
from ..context import WebContext, get_ctx
from ..guards import public, require_role, signed_in, verify_csrf

LOGIN_CSRF_COOKIE = "frontline_login_csrf"

router = APIRouter()


def login_form(ctx: WebContext, request: Request, status: int = 200, error: str | None = None,
               name: str = "") -> Response:
    token = secrets.token_urlsafe(32)
    response = ctx.render(request, "login.html", status, csrf=token, error=error, name=name,
                          sso=ctx.sso is not None, local_accounts=ctx.settings.sso.local_accounts or ctx.sso is None)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
                        secure=ctx.settings.over_tls(request))
    return response


@router.get("/login", response_class=HTMLResponse, dependencies=[Depends(public)])
def login_page(request: Request, ctx: WebContext = Depends(get_ctx)):
    if signed_in(request):
        return RedirectResponse("/", status_code=303)
    return login_form(ctx, request)


@router.post("/login", dependencies=[Depends(public)])
def login(request: Request, ctx: WebContext = Depends(get_ctx), name: str = Form("", max_length=64),
          password: str = Form("", max_length=1024), csrf_token: str = Form("", max_length=128)):
    text, limiter = ctx.text, ctx.limiter
    if ctx.sso is not None and not ctx.settings.sso.local_accounts:  # council sign-in only
        return login_form(ctx, request, 403, text.login.sso_only)
    if not auth.csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
        return login_form(ctx, request, 403, text.login.expired, name)
    ip = request.client.host if request.client else "?"
    if limiter.blocked(name, ip):
        return login_form(ctx, request, 429, text.login.rate_limited, name)
    with ctx.state.db() as db:
        user = auth.get_user(db, name)
        if not auth.verify_password(user, password):
            limiter.failed(name, ip)
            return login_form(ctx, request, 401, text.login.failed, name)
        limiter.succeeded(name, ip)
        auth.rehash_if_needed(db, user, password)
        token = auth.create_session(db, user, ctx.settings.session_hours)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(ctx.settings.session_cookie, token, httponly=True, samesite="lax", path="/",
                        max_age=int(ctx.settings.session_hours * 3600), secure=ctx.settings.over_tls(request))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", dependencies=[Depends(require_role("chat")), Depends(verify_csrf)])
async def logout(request: Request, ctx: WebContext = Depends(get_ctx)):
    with ctx.state.db() as db:
        id_token = auth.end_session(db, request.cookies.get(ctx.settings.session_cookie))
    after = None
    if ctx.sso is not None and id_token:  # signed in through the council: sign out there too
        after = await ctx.sso.end_session_url(id_token, ctx.settings.public_url.rstrip("/") + "/login")
    response = RedirectResponse(after or "/login", status_code=303)
    response.delete_cookie(ctx.settings.session_cookie, path="/", secure=ctx.settings.over_tls(request))
    return response
