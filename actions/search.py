"""Knowledge search skill: answer, offer a choice, or say nothing matched.

Actions read the message, call ``knowledge_base.search`` and dispatch response
names from the domain; no user-facing wording lives here. A risk disclosure
typed as a search opens its guide first (actions/risk.py).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from knowledge_base.clauses import search_with_clauses, second_need
from knowledge_base.present import asks_how_to_refer, referral_fields
from knowledge_base.search import borough_filter

from .cards import show_card, utter_item
from .knowledge import get_search

log = logging.getLogger(__name__)


def log_search(text: str, hits, confidence: str) -> int | None:
    """Record the search (redacted) for `kb gaps`; never let logging break an answer."""
    try:
        from knowledge_base.gaps import log_search as _log

        from .conversation import current_sender

        return _log(text, hits[0].id if hits else None, round(hits[0].score, 4) if hits else None, confidence,
                    sender_id=current_sender.get())
    except Exception as exc:  # e.g. redaction unavailable: store nothing
        log.warning("search not logged: %s", type(exc).__name__)
        return None


def offer_flows(dispatcher: CollectingDispatcher, hits, check: str | None = None, text: str = "") -> None:
    """A guided flow is an item of the knowledge base too: offer it beside the answer, the
    guides closest to the message (``text``) and the answer first. ``check`` is the
    safeguarding guide the risk router found close without starting it
    (``RiskDecision.check_flow``): offered first, on its own line ("Could someone be at risk?")."""
    from knowledge_base import flows as F

    known = {f["id"]: f for f in F.list_flows()}
    if check in known:
        f = known[check]
        dispatcher.utter_message(response="utter_risk_check", buttons=[
            {"title": f["title"], "payload": "/start_flow" + json.dumps({"flow_id": f["id"]})}])
    offers = F.flows_for_hits(hits, exclude=check, text=text)
    if offers:
        dispatcher.utter_message(response="utter_flow_offer", buttons=[
            {"title": f["title"], "payload": "/start_flow" + json.dumps({"flow_id": f["id"]})} for f in offers])


def requested_refresher(text: str) -> str | None:
    """The id of the refresher a typed message asks for in free words, if any."""
    from knowledge_base import refreshers as R

    try:
        module = R.default_engine().requested(text)
    except R.RefresherError:
        return None
    return module.id if module else None


def search_for(text: str) -> dict[str, Any]:
    """The shipped search for a worker's message (a borough whose places it names as a filter,
    ``content/places.yml``), with its clauses' results under ``"clauses"`` for the second need
    (the clauses in one batch) and the filter under ``"filters"``."""
    filters = borough_filter(text)
    return {**search_with_clauses(get_search(), text, filters, top_k=3), "filters": filters}


def answer_search(dispatcher: CollectingDispatcher, text: str, out: dict[str, Any] | None = None,
                  check: str | None = None) -> list[dict[str, Any]]:
    """Search (unless ``out`` is already :func:`search_for`'s result) and dispatch the
    answer, the choices, or the no-match reply; ``check`` as in :func:`offer_flows`."""
    out = out if out is not None else search_for(text)
    hits, confidence = out["hits"], out["confidence"]
    log.info("search confidence=%s top=%s", confidence, hits[0].id if hits else None)
    log_id = log_search(text, hits, confidence)
    if confidence in ("answer", "show"):  # answer first: the best card, the next two one click away
        events = utter_item(dispatcher, hits[0].item, log_id)
        if confidence == "show":
            dispatcher.utter_message(response="utter_kb_check_fits")
        referral = referral_fields(hits[0].item) if asks_how_to_refer(text) else None
        if referral:  # "what info does the foodbank need": the service's own referral route
            dispatcher.utter_message(response="utter_kb_referral", **referral)
        also = second_need(get_search(), text, hits, out.get("filters"), out.get("clauses"))
        others = [h for h in hits[1:3] if also is None or h.id != also.id]  # a second need is shown as "Also:"
        if others:
            dispatcher.utter_message(response="utter_kb_not_this", buttons=[
                {"title": h.item.title, "payload": "/show_item" + json.dumps({"item_id": h.id})} for h in others])
        if also is not None:  # two needs in one message: the second one is a click away
            dispatcher.utter_message(response="utter_kb_also", title=also.item.title, buttons=[
                {"title": also.item.title, "payload": "/show_item" + json.dumps({"item_id": also.id})}])
        offer_flows(dispatcher, hits, check, text)
        return events
    if confidence == "choose":
        buttons = [{"title": h.item.title, "payload": "/show_item" + json.dumps({"item_id": h.id})} for h in hits]
        dispatcher.utter_message(response="utter_kb_choose", buttons=buttons)
        offer_flows(dispatcher, hits, check, text)
        return []
    dispatcher.utter_message(response="utter_kb_no_match")
    offer_flows(dispatcher, [], check, text)
    return []


def offer_after_answer(dispatcher: CollectingDispatcher, tracker: Tracker, events) -> list[dict[str, Any]]:
    """After a direct answer, offer the related refresher (once per conversation)."""
    item_id = next((e["value"] for e in events if e.get("name") == "last_item_id"), None)
    if not item_id:
        return []
    from .refreshers import offer_related

    return offer_related(dispatcher, tracker, item_id)


class ActionSearchKnowledge(Action):
    def name(self) -> str:
        return "action_search_knowledge"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        text = (tracker.latest_message or {}).get("text") or ""
        from .risk import open_route, route_of

        decision = route_of(text)
        if decision.is_risk:  # safeguarding interrupt: critical rules and the guide, in this same reply
            return open_route(dispatcher, tracker, decision)
        refresher = requested_refresher(text)
        if refresher is not None:  # "quick refresher on open questions": the card, not a search
            from .refreshers import show_refresher

            return show_refresher(dispatcher, tracker, refresher)
        events = answer_search(dispatcher, text, check=decision.check_flow)
        return events + offer_after_answer(dispatcher, tracker, events)


class ActionShowItem(Action):
    def name(self) -> str:
        return "action_show_item"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        return show_item(dispatcher, tracker, next(tracker.get_latest_entity_values("item_id"), None))


def show_item(dispatcher: CollectingDispatcher, tracker: Tracker, item_id: str | None) -> list[dict[str, Any]]:
    """One item's answer (chosen from "Did you mean"), then the related refresher offer."""
    events = show_card(dispatcher, item_id)
    return events + offer_after_answer(dispatcher, tracker, events) if events else events
