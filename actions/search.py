"""Knowledge search skill: answer, offer a choice, or say nothing matched.

Actions read the message, call ``knowledge_base.search`` and dispatch response
names from the domain; no user-facing wording lives here. A risk disclosure
typed as a search pivots to the safeguarding guide (see actions/flows.py).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge_base.present import answer_fields
from knowledge_base.risk import detect_risk

from .knowledge import get_search

log = logging.getLogger(__name__)


def utter_item(dispatcher: CollectingDispatcher, item) -> list[dict[str, Any]]:
    fields = answer_fields(item)
    dispatcher.utter_message(response="utter_kb_answer", **fields)
    if fields["illustrative"]:
        dispatcher.utter_message(response="utter_kb_illustrative")
    if fields["stale"]:
        dispatcher.utter_message(response="utter_kb_stale", **fields)
    return [SlotSet("last_item_id", item.id)]


def offer_flows(dispatcher: CollectingDispatcher, hits) -> None:
    """A guided flow is an item of the knowledge base too: offer it beside the answer."""
    from knowledge_base import flows as F

    cats = {c for h in hits[:2] for c in h.item.categories}
    offers = [f for f in F.list_flows() if cats & set(f["categories"])]
    if offers:
        dispatcher.utter_message(response="utter_flow_offer", buttons=[
            {"title": f["title"], "payload": "/start_flow" + json.dumps({"flow_id": f["id"]})} for f in offers[:2]])


def answer_search(dispatcher: CollectingDispatcher, text: str) -> list[dict[str, Any]]:
    """Search and dispatch the answer, the choices, or the no-match reply."""
    out = get_search().run(text, top_k=3)
    hits, confidence = out["hits"], out["confidence"]
    log.info("search confidence=%s top=%s", confidence, hits[0].id if hits else None)
    if confidence == "answer":
        events = utter_item(dispatcher, hits[0].item)
        offer_flows(dispatcher, hits)
        return events
    if confidence == "choose":
        buttons = [{"title": h.item.title, "payload": "/show_item" + json.dumps({"item_id": h.id})} for h in hits]
        dispatcher.utter_message(response="utter_kb_choose", buttons=buttons)
        offer_flows(dispatcher, hits)
        return []
    dispatcher.utter_message(response="utter_kb_no_match")
    return []


class ActionSearchKnowledge(Action):
    def name(self) -> str:
        return "action_search_knowledge"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        text = (tracker.latest_message or {}).get("text") or ""
        risk_flow = detect_risk(text)
        if risk_flow:  # safeguarding interrupt: critical rules and the guide, in this same reply
            from .flows import start_events

            return [*start_events(risk_flow, tracker), FollowupAction("flow_form")]
        return answer_search(dispatcher, text)


class ActionShowItem(Action):
    def name(self) -> str:
        return "action_show_item"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        item_id = next(tracker.get_latest_entity_values("item_id"), None)
        item = get_search().items.get(item_id or "")
        if item is None:
            dispatcher.utter_message(response="utter_kb_item_gone")
            return []
        return utter_item(dispatcher, item)
