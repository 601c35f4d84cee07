"""Council sign-in (OpenID Connect, web/sso.py): start at the provider, come back with a
code, and leave with the same local session a password sign-in gives. Both routes are
public (the provider's answer is checked against the signed, short-lived state cookie)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from .. import auth
from ..context import WebContext, get_ctx
from ..guards import public
from ..sso import SsoError, seal, unseal

log = logging.getLogger(__name__)
router = APIRouter()
STATE_COOKIE = "frontline_sso"
CALLBACK = "/auth/callback"


def _callback_url(ctx: WebContext) -> str:
    return ctx.settings.public_url.rstrip("/") + CALLBACK


def _sso(ctx: WebContext):
    if ctx.sso is None:
        raise HTTPException(status_code=404)
    return ctx.sso


@router.get("/login/sso", dependencies=[Depends(public)])
async def sso_start(request: Request, ctx: WebContext = Depends(get_ctx)):
    client = _sso(ctx)
    try:
        url, bundle = await client.start(_callback_url(ctx))
    except SsoError as exc:
        log.warning("council sign-in could not start: %s", exc)
        return ctx.render(request, "sso_refused.html", 502, title=ctx.text.login.title,
                          message=ctx.text.login.sso_failed)
    response = RedirectResponse(url, status_code=303)
    # SameSite=Lax: sent back on the provider's top-level redirect to the callback
    response.set_cookie(STATE_COOKIE, seal(ctx.state.secret, bundle), max_age=600, httponly=True,
                        samesite="lax", path=CALLBACK, secure=ctx.settings.over_tls(request))
    return response


@router.get(CALLBACK, response_class=HTMLResponse, dependencies=[Depends(public)])
async def sso_callback(request: Request, ctx: WebContext = Depends(get_ctx)):
    client, text = _sso(ctx), ctx.text.login
    try:
        bundle = unseal(ctx.state.secret, request.cookies.get(STATE_COOKIE))
        claims, id_token = await client.finish(_callback_url(ctx), dict(request.query_params), bundle)
    except SsoError as exc:
        log.warning("council sign-in refused: %s", exc)
        return _refused(ctx, request, 401, text.title, text.sso_failed)
    role = client.role_for(claims)
    if role is None:  # signed in at the council, but in no group this service maps: never a default role
        log.info("council sign-in without a mapped role (claim %r)", ctx.settings.sso.roles_claim)
        return _refused(ctx, request, 403, text.sso_no_role_title, text.sso_no_role)
    name = str(claims.get("preferred_username") or claims.get("email") or claims["sub"])[:64]
    subject = f"{claims['iss']} {claims['sub']}"
    hours = min(ctx.settings.session_hours, ctx.settings.sso.session_hours)
    with ctx.state.db() as db:
        try:
            user = auth.sso_user(db, subject, name, role)
        except auth.SsoAccountError as exc:
            log.warning("council sign-in refused: %s", exc)
            return _refused(ctx, request, 403, text.title, text.sso_refused)
        token = auth.create_session(db, user, hours, id_token=id_token)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(ctx.settings.session_cookie, token, httponly=True, samesite="lax", path="/",
                        max_age=int(hours * 3600), secure=ctx.settings.over_tls(request))
    response.delete_cookie(STATE_COOKIE, path=CALLBACK)
    return response


def _refused(ctx: WebContext, request: Request, status: int, title: str, message: str):
    response = ctx.render(request, "sso_refused.html", status, title=title, message=message)
    response.delete_cookie(STATE_COOKIE, path=CALLBACK)
    return response
