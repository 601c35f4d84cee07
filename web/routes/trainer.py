"""The trainer console: content status, needs coverage, gaps, routing reasons, referral
response times, and "try a question" (a POST with CSRF, so the question is not in the URL)."""

from __future__ import annotations

import datetime as dt
import logging

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from ..context import WebContext, get_ctx
from ..guards import Staff, require_role, verify_csrf
from ..pages import trainer_status

log = logging.getLogger(__name__)
router = APIRouter()
trainer_guard = require_role("trainer")

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


def console(request: Request, staff: Staff, ctx: WebContext, q: str = ""):
    from knowledge_base.gaps import gap_report, recent_routes

    since = dt.date.today() - dt.timedelta(days=30)
    try:
        gaps, _ = gap_report(since, directory=ctx.settings.data_dir, limit=20)
        routes = recent_routes(since, directory=ctx.settings.data_dir, limit=20)
    except Exception as exc:  # the console still shows content status
        log.warning("gap report unavailable: %s", type(exc).__name__)
        gaps, routes = [], []
    tried = trial_search(q) if q.strip() else None
    return ctx.page(request, staff, "trainer", "trainer.html", content_status=trainer_status(ctx.settings.content_dir),
                    gaps=gaps, routes=routes, q=q, tried=tried, responses=response_table())


@router.get("/trainer", response_class=HTMLResponse)
def trainer(request: Request, staff: Staff = Depends(trainer_guard), ctx: WebContext = Depends(get_ctx)):
    return console(request, staff, ctx)


@router.post("/trainer", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)])
def trainer_try(request: Request, staff: Staff = Depends(trainer_guard), ctx: WebContext = Depends(get_ctx),
                q: str = Form("", max_length=1000)):
    return console(request, staff, ctx, q)
