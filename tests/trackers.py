"""Trackers for action tests, in one place: ``make_tracker`` builds the state an action
is run from (the latest message, slots, the active form, earlier events); each test
module names the states it tests from (RasaHQ/financial-demo's tracker fixtures)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker


def make_tracker(text: str, intent: str = "ask_knowledge", *, confidence: float = 0.9,
                 entities: list[dict[str, Any]] | None = None, slots: dict[str, Any] | None = None,
                 events: list[dict[str, Any]] | None = None, loop: str | None = None,
                 message_id: str | None = None, sender: str = "w1") -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": entities or []}
    if message_id is not None:
        latest["message_id"] = message_id
    return Tracker(sender_id=sender, slots=dict(slots or {}), latest_message=latest, events=list(events or []),
                   paused=False, followup_action=None, active_loop={"name": loop} if loop else {},
                   latest_action_name="action_listen")
