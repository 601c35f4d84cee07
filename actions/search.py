"""Knowledge search skill: answer, offer a choice, or say nothing matched.

Actions read the message, call ``knowledge_base.search`` and dispatch response
names from the domain; no user-facing wording lives here.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge_base.present import answer_fields

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


class ActionSearchKnowledge(Action):
    def name(self) -> str:
        return "action_search_knowledge"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        text = (tracker.latest_message or {}).get("text") or ""
        out = get_search().run(text, top_k=3)
        hits, confidence = out["hits"], out["confidence"]
        log.info("search confidence=%s top=%s", confidence, hits[0].id if hits else None)
        if confidence == "answer":
            return utter_item(dispatcher, hits[0].item)
        if confidence == "choose":
            buttons = [
                {"title": h.item.title, "payload": "/show_item" + json.dumps({"item_id": h.id})}
                for h in hits
            ]
            dispatcher.utter_message(response="utter_kb_choose", buttons=buttons)
            return []
        dispatcher.utter_message(response="utter_kb_no_match")
        return []


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
