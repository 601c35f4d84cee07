"""The administrator's page: users, and deleting one conversation now."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from ..context import WebContext, get_ctx
from ..db import User
from ..guards import Staff, require_role, verify_csrf

log = logging.getLogger(__name__)
router = APIRouter()
admin_guard = require_role("admin")


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, deleted: int | None = None, staff: Staff = Depends(admin_guard),
          ctx: WebContext = Depends(get_ctx)):
    with ctx.state.db() as db:
        users = list(db.scalars(select(User).order_by(User.name)))
    return ctx.page(request, staff, "admin", "admin.html", users=users, deleted=deleted)


@router.post("/admin/conversations/delete", dependencies=[Depends(verify_csrf)])
def admin_delete_conversation(sender: str = Form(..., min_length=3, max_length=200),
                              staff: Staff = Depends(admin_guard), ctx: WebContext = Depends(get_ctx)):
    """Delete one conversation from the tracker store now (retention does it after N days)."""
    from frontline.retention import RetentionError, delete_conversation

    try:
        n = delete_conversation(sender.strip())
    except RetentionError as exc:
        log.error("conversation delete failed: %s", type(exc).__name__)
        raise HTTPException(status_code=503, detail=ctx.text.admin.delete_failed) from exc
    log.info("admin %s deleted a conversation (%d events)", staff.username, n)
    return RedirectResponse(f"/admin?deleted={n}", status_code=303)
