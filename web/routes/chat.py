"""The chat panel and its API: messages to Rasa, feedback on answers (any signed-in role)."""

from __future__ import annotations

import logging
from typing import Optional

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..rasa_pool import NoRasaServer

from .. import auth
from ..context import WebContext, get_ctx
from ..db import Feedback
from ..guards import Staff, require_role, verify_csrf

MAX_CHARS = 10_000

log = logging.getLogger(__name__)
router = APIRouter()
chat_guard = require_role("chat")


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(max_length=MAX_CHARS)


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$")
    helpful: bool
    reason: Optional[str] = Field(default=None, max_length=1000)
    log_id: Optional[int] = Field(default=None, ge=1, description="search_log row of the answer (kb gaps)")


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


@router.get("/", response_class=HTMLResponse)
def chat(request: Request, staff: Staff = Depends(chat_guard), ctx: WebContext = Depends(get_ctx)):
    reference = auth.sender_id(ctx.state.secret, request.cookies[ctx.settings.session_cookie])
    return ctx.page(request, staff, "chat", "chat.html", conversation_reference=reference)


@router.post("/api/message", dependencies=[Depends(verify_csrf)])
async def message(body: MessageIn, request: Request, staff: Staff = Depends(chat_guard),
                  ctx: WebContext = Depends(get_ctx)):
    text_in = body.message.strip()
    if not text_in:
        return JSONResponse({"error": ctx.text.errors.message_empty}, status_code=422)
    try:
        replies = await ctx.pool.send(auth.sender_id(ctx.state.secret, request.cookies[ctx.settings.session_cookie]), text_in,
                                      client=ctx.client)
    except (httpx.HTTPError, ValueError, NoRasaServer) as exc:
        log.warning("assistant unreachable: %s", type(exc).__name__)
        return JSONResponse({"error": "unavailable"}, status_code=503)
    return {"messages": merge_cards(
        [{k: m[k] for k in ("text", "buttons", "custom") if k in m} for m in replies if isinstance(m, dict)])}


@router.post("/api/feedback", dependencies=[Depends(verify_csrf)])
def feedback(body: FeedbackIn, staff: Staff = Depends(chat_guard), ctx: WebContext = Depends(get_ctx)):
    with ctx.state.db() as db:
        db.add(Feedback(item_id=body.item_id, helpful=body.helpful, reason=redact_reason(body.reason),
                        user_id=staff.user.id))
        db.commit()
    if body.log_id:  # mark the logged search, so `kb gaps` lists unhelpful answers
        try:
            from knowledge_base.gaps import record_feedback

            record_feedback(body.log_id, body.helpful, body.reason, directory=ctx.settings.data_dir)
        except Exception as exc:
            log.warning("feedback not linked to the search log: %s", type(exc).__name__)
    return {"status": "saved"}
