"""'Yes' to an offer. When the assistant's last reply offered exactly one thing
("Want a two-minute refresher on this?" [the refresher]), a typed "yes" does what that
button does, mid-call, without reaching for the mouse. Otherwise "yes" is acknowledged
as before (``utter_ok``).

    action_accept_offer   rule: intent affirm (outside a guide or a quick check)
"""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

log = logging.getLogger(__name__)


def offered_buttons(tracker: Tracker) -> list[dict[str, Any]]:
    """The buttons of the assistant's reply just before the current message."""
    buttons: list[dict[str, Any]] = []
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                break
        elif users == 1 and event.get("event") == "bot":
            buttons = list((event.get("data") or {}).get("buttons") or []) + buttons
    return buttons


def parse_payload(payload: str) -> tuple[str, dict[str, Any]] | None:
    """``/intent{"key": "value"}`` -> (intent, entities); None for anything else."""
    if not isinstance(payload, str) or not payload.startswith("/"):
        return None
    name, brace, rest = payload[1:].partition("{")
    try:
        entities = json.loads(brace + rest) if brace else {}
    except ValueError:
        return None
    return (name, entities) if isinstance(entities, dict) else None


def accept(dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, entities: dict) -> list[EventType] | None:
    """Do what the offered button does; None when it is not an offer we can accept."""
    if intent == "request_refresher" and entities.get("refresher_id"):
        from .refreshers import show_refresher

        return show_refresher(dispatcher, tracker, entities["refresher_id"])
    if intent == "request_quick_check" and entities.get("refresher_id"):
        from .refreshers import start_quick_check

        events = start_quick_check(dispatcher, tracker, entities["refresher_id"])
        return events + [FollowupAction("quiz_form")] if any(
            e.get("name") == "quiz_state" and e.get("value") for e in events) else events
    if intent == "start_flow" and entities.get("flow_id"):
        from knowledge_base import flows as F

        from .guides import start_events

        if entities["flow_id"] in {f["id"] for f in F.list_flows()}:
            return [*start_events(entities["flow_id"], tracker), FollowupAction("flow_form")]
    if intent == "show_item" and entities.get("item_id"):
        from .search import show_item

        return show_item(dispatcher, tracker, entities["item_id"])
    return None


class ActionAcceptOffer(Action):
    def name(self) -> str:
        return "action_accept_offer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        buttons = offered_buttons(tracker)
        # "Not this?" alternatives beside a card are choices, not offers: "yes" means the offer
        offers = [b for b in buttons if not str(b.get("payload", "")).startswith("/show_item")] or buttons
        parsed = parse_payload(offers[0].get("payload", "")) if len(offers) == 1 else None
        events = accept(dispatcher, tracker, *parsed) if parsed else None
        if events is None:
            dispatcher.utter_message(response="utter_ok")
            return []
        log.info("yes accepted the single offer %s", parsed[0])
        return events
