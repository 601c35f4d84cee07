"""Opening a guide: the slot events that start a flow, putting an interrupted guide aside
to offer resuming it later. Used by the flows skill, by risk routing (a disclosure opens
its guide) and by offers; it imports no other skill."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from knowledge_base import flows as F


def _message_id(tracker: Tracker) -> str | None:
    """Rasa may call the form validation twice for one message (slot extraction,
    then the form itself); the engine must see each message once."""
    return (tracker.latest_message or {}).get("message_id")


def start_events(flow_id: str, tracker: Tracker) -> list[EventType]:
    state = tracker.get_slot("flow_state")
    stack = list(tracker.get_slot("flow_stack") or [])
    if isinstance(state, dict) and state.get("status") == "active" and state.get("flow") != flow_id:
        stack.append(state)  # put the interrupted guide aside, to offer resuming it later
    turn = F.start(flow_id)
    return [SlotSet("flow_state", turn.state), SlotSet("flow_stack", stack), SlotSet("flow_answer", None),
            SlotSet("flow_msg_id", _message_id(tracker))]  # the message that started the guide is not an answer
