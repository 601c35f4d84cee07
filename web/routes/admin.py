"""The administrator's page: users, and deleting one conversation now."""

from __future__ import annotations

import logging
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from .. import auth
from ..context import WebContext, get_ctx
from ..db import User
from ..guards import Staff, require_role, verify_csrf
from ..pages import allowed_pages

log = logging.getLogger(__name__)
router = APIRouter()
admin_guard = require_role("admin")


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, deleted: int | None = None, changed: str | None = None,
          staff: Staff = Depends(admin_guard), ctx: WebContext = Depends(get_ctx)):
    return _page(request, staff, ctx, deleted=deleted, changed=changed)


def _page(request: Request, staff: Staff, ctx: WebContext, status: int = 200, **kw):
    with ctx.state.db() as db:
        users = list(db.scalars(select(User).order_by(User.name)))
    return ctx.render(request, "admin.html", status, user=staff.user, csrf=staff.csrf, nav=allowed_pages(staff.role),
                      current="admin", users=users, deleted=kw.get("deleted"), changed=kw.get("changed"),
                      refused=kw.get("refused"))


@router.post("/admin/users/{name}/{action}", dependencies=[Depends(verify_csrf)])
def admin_account(request: Request, name: str, action: Literal["disable", "enable", "sign-out"],
                  staff: Staff = Depends(admin_guard), ctx: WebContext = Depends(get_ctx)):
    """Disable a leaver (signed out everywhere at once), enable an account, or end every
    session of a user. Never one's own account: that needs another admin."""
    if name == staff.username:
        return _page(request, staff, ctx, 409, refused=ctx.text.admin.not_yourself)
    with ctx.state.db() as db:
        try:
            if action == "sign-out":
                user = auth.get_user(db, name)
                if user is None:
                    raise auth.AccountError(name)
                n = auth.end_user_sessions(db, user)
            else:
                n = auth.set_active(db, name, action == "enable")
        except auth.AccountError as exc:
            raise HTTPException(status_code=404, detail=ctx.text.errors.not_found) from exc
    log.info("admin %s: %s %s (%d session(s) ended)", staff.username, action, name, n)
    return RedirectResponse(f"/admin?changed={quote(name)}+{action}", status_code=303)


@router.post("/admin/conversations/delete", dependencies=[Depends(verify_csrf)])
def admin_delete_conversation(sender: str = Form(..., min_length=3, max_length=200),
                              staff: Staff = Depends(admin_guard), ctx: WebContext = Depends(get_ctx)):
    """Delete one conversation from the tracker store now (retention does it after N days)."""
    from store.tracker import TrackerStoreError, delete_conversation

    from knowledge_base.gaps import delete_sender

    try:
        n = delete_conversation(sender.strip())
    except TrackerStoreError as exc:
        log.error("conversation delete failed: %s", type(exc).__name__)
        raise HTTPException(status_code=503, detail=ctx.text.admin.delete_failed) from exc
    delete_sender(sender.strip(), directory=ctx.settings.data_dir)  # its logged searches go too
    log.info("admin %s deleted a conversation (%d events)", staff.username, n)
    return RedirectResponse(f"/admin?deleted={n}", status_code=303)
