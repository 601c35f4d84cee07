"""FastAPI router for referrals, mounted by the front door.

    create_router(get_current_user, verify_csrf) -> APIRouter

``get_current_user`` is the front door's dependency returning an object with
``.username`` and ``.role`` ('worker' | 'trainer' | 'admin'); ``verify_csrf`` its
dependency checking the ``X-CSRF-Token`` header (or form field). Optional
``csrf_token(request)`` gives the token to put in the forms' hidden field.

Routes: GET /referrals (the worker's referrals; admins see all), GET
/referrals/new?service=ID&service=ID (form), POST /referrals (create → preview; with
``action=update`` it only redraws the form with the services ticked or added, keeping
every typed value), GET /referrals/{id} (status; owner or admin), POST /referrals/{id}/send,
POST /referrals/{id}/made/{service_id}, GET/POST /referrals/ack/{token} (no login),
GET /api/referrals/stats/{service_id} (JSON).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from starlette.concurrency import run_in_threadpool

from .errors import (BadToken, NotAllowed, ReferralInvalid, ReferralNotFound, ServiceNotReferable, WrongState)
from .forms import ReferralInput, required_by_services
from .service import ReferralService

HERE = Path(__file__).resolve().parent


def create_router(get_current_user: Callable, verify_csrf: Callable, *,
                  service: ReferralService | Callable[[], ReferralService] | None = None,
                  csrf_token: Callable[[Request], str | None] | None = None,
                  public: Callable | None = None,
                  page_context: Callable[[Request], dict] | None = None,
                  shared_templates: Path | None = None) -> APIRouter:
    """``get_current_user`` guards every staff route; ``public`` marks the two reply
    routes a receiving service opens from its e-mail, whose guard is the signed token.
    ``page_context`` and ``shared_templates`` give the pages the front door's header and
    navigation (its ``_header.html``, with ``ui`` its wording, ``user``, ``nav``)."""
    loaders = [FileSystemLoader(HERE / "templates")] + ([FileSystemLoader(shared_templates)] if shared_templates else [])
    templates = Jinja2Templates(env=Environment(loader=ChoiceLoader(loaders), autoescape=True))
    router = APIRouter()
    holder: dict[str, ReferralService] = {}

    def svc() -> ReferralService:  # opened on first use, not at import
        if "svc" not in holder:
            holder["svc"] = service() if callable(service) and not isinstance(service, ReferralService) else (
                service or ReferralService())
        return holder["svc"]

    def render(request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
        csrf = csrf_token(request) if csrf_token else None
        shared = page_context(request) if page_context and ctx.get("nav") is not False else {}
        return templates.TemplateResponse(request, template, {"t": svc().text, "csrf": csrf, "errors": {},
                                                              "prefix": "", **shared, **ctx}, status_code=status)

    def message(request: Request, text: str, status: int) -> HTMLResponse:
        return render(request, "message.html", status, message=text)

    def stats_for(services) -> dict:
        return {s.id: st for s in services if (st := svc().stats(s.id)) is not None}

    def form_page(request, services, values, errors, status=200):
        chosen = {s.id for s in services}
        others = [s for s in svc().referable_services() if s.id not in chosen]
        return render(request, "form.html", status, services=services, values=values, errors=errors,
                      required=required_by_services(services), stats=stats_for(services), action="/referrals",
                      others=others)

    @router.get("/referrals", response_class=HTMLResponse)
    def my_referrals(request: Request, user=Depends(get_current_user)):
        refs = svc().list_for(user)
        return render(request, "list.html", referrals=refs, current="referrals")

    @router.get("/referrals/new", response_class=HTMLResponse)
    def new_referral(request: Request, service_ids: list[str] = Query(default=[], alias="service"),
                     user=Depends(get_current_user)):
        try:
            services = svc().services_for(service_ids)
        except ServiceNotReferable:
            return message(request, svc().text.form.no_services, 400)
        if not services:
            return message(request, svc().text.form.no_services, 400)
        return form_page(request, services, {}, {})

    @router.post("/referrals", dependencies=[Depends(verify_csrf)])
    async def create(request: Request, user=Depends(get_current_user)):
        form = await request.form()
        values = {k: str(form.get(k, "")) for k in ReferralInput.TEXT_FIELDS}
        values["consent"] = str(form.get("consent", ""))  # "yes", "no" or not answered: redrawn as typed
        # ticked services, plus the one chosen under "Add another service" (empty when none)
        inp = ReferralInput(service_ids=[str(s) for s in form.getlist("service") if str(s).strip()],
                            **{**values, "consent": {"yes": True, "no": False}.get(values["consent"])})
        try:
            services = await run_in_threadpool(svc().services_for, inp.service_ids)
            if form.get("action") == "update":  # add/remove services; nothing typed is lost
                return form_page(request, services, values, {})
            ref = await run_in_threadpool(svc().create_draft, user, inp)
        except ServiceNotReferable:
            return message(request, svc().text.form.no_services, 400)
        except ReferralInvalid as exc:
            return form_page(request, services, values, exc.problems, 422)
        return RedirectResponse(f"/referrals/{ref.id}", status_code=303)

    def guarded(request: Request, action: Callable[[], Response]) -> Response:
        text = svc().text
        try:
            return action()
        except NotAllowed:
            return message(request, text.pages.not_allowed, 403)
        except ReferralNotFound:
            return message(request, text.pages.not_found, 404)
        except WrongState as exc:
            return message(request, str(exc), 409)

    token_routes = [Depends(public)] if public else []

    @router.get("/referrals/ack/{token}", response_class=HTMLResponse, dependencies=token_routes)
    def ack_page(request: Request, token: str):
        return _ack(request, token, None)

    @router.post("/referrals/ack/{token}", response_class=HTMLResponse, dependencies=token_routes)
    async def ack_reply(request: Request, token: str):
        form = await request.form()
        return await run_in_threadpool(_ack, request, token, str(form.get("status", "")))

    def _ack(request: Request, token: str, status: str | None) -> Response:
        try:
            target = svc().acknowledge(token, status) if status else svc().target_for_token(token)
        except (BadToken, ReferralNotFound):
            return render(request, "ack.html", 400, bad_link=True, nav=False)
        except WrongState as exc:
            return message(request, str(exc), 409)
        return render(request, "ack.html", nav=False, target=target, ref=target.referral_id[:8].upper(), thanks=bool(status),
                      bad_link=False, ack_path=request.url.path)

    @router.get("/referrals/{referral_id}", response_class=HTMLResponse)
    def status_page(request: Request, referral_id: str, user=Depends(get_current_user)):
        def show():
            ref = svc().get(user, referral_id)
            previews = [] if ref.erased_at else svc().preview(ref)
            draft = any(t.status == "draft" and t.to_email for t in ref.targets)
            return render(request, "referral.html", referral=ref, previews=previews, draft=draft)
        return guarded(request, show)

    @router.post("/referrals/{referral_id}/send", dependencies=[Depends(verify_csrf)])
    def send(request: Request, referral_id: str, user=Depends(get_current_user)):
        def go():
            svc().send(user, referral_id)
            return RedirectResponse(f"/referrals/{referral_id}", status_code=303)
        return guarded(request, go)

    @router.post("/referrals/{referral_id}/made/{service_id}", dependencies=[Depends(verify_csrf)])
    def made(request: Request, referral_id: str, service_id: str, user=Depends(get_current_user)):
        def go():
            svc().mark_made(user, referral_id, service_id)
            return RedirectResponse(f"/referrals/{referral_id}", status_code=303)
        return guarded(request, go)

    @router.get("/api/referrals/stats/{service_id}")
    def stats(service_id: str, user=Depends(get_current_user)):
        st = svc().stats(service_id)
        body = None if st is None else {"median_seconds": st.median_seconds, "median_hours": st.median_hours,
                                        "count": st.count}
        return JSONResponse({"service_id": service_id, "stats": body})

    return router
