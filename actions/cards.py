"""An item's answer card: the same answer as text (REST clients, rasa shell) and as a
structured card for the web panel. Used by search, by "Did you mean" choices and by a
risk route that shows an item; it imports no other skill, so they can all use it."""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge_base.present import answer_fields

from .knowledge import get_search


def utter_item(dispatcher: CollectingDispatcher, item, log_id: int | None = None) -> list[dict[str, Any]]:
    """The answer as text (REST clients, rasa shell), then the same answer as a
    structured card for the web panel, which replaces those texts with it."""
    fields = answer_fields(item)
    dispatcher.utter_message(response="utter_kb_answer", **fields)
    texts = 1
    if fields["illustrative"]:
        dispatcher.utter_message(response="utter_kb_illustrative")
        texts += 1
    if fields["stale"]:
        dispatcher.utter_message(response="utter_kb_stale", **fields)
        texts += 1
    card = {**fields, "steps": list(item.steps), "replaces": texts, "log_id": log_id}
    dispatcher.utter_message(json_message={"card": card})
    return [SlotSet("last_item_id", item.id)]


def show_card(dispatcher: CollectingDispatcher, item_id: str | None) -> list[dict[str, Any]]:
    """The card of one item by id, or the "no longer available" reply."""
    item = get_search().items.get(item_id or "")
    if item is None:
        dispatcher.utter_message(response="utter_kb_item_gone")
        return []
    return utter_item(dispatcher, item)
