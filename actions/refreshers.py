"""Refreshers skill: the two-minute card, the 3-question quick check (a Rasa
form, ``quiz_form``), and offering the related refresher once.

Wording comes from content/refreshers/ and the domain responses
in bot/domain/refreshers.yml.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from knowledge_base import refreshers as R

log = logging.getLogger(__name__)


def _text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def _message_id(tracker: Tracker) -> str | None:
    return (tracker.latest_message or {}).get("message_id")


def _requested(tracker: Tracker) -> str:
    """The refresher asked for: a button's entity, else the words typed."""
    return next(tracker.get_latest_entity_values("refresher_id"), None) or _text(tracker)


def offer_related(dispatcher: CollectingDispatcher, tracker: Tracker, item_or_flow_id: str) -> list[EventType]:
    """Offer the refresher related to what the worker just used, once per conversation."""
    offered = list(tracker.get_slot("refreshers_offered") or [])
    try:
        card = R.related_refresher(item_or_flow_id, offered=offered)
    except R.RefresherError:
        return []
    if card is None:
        return []
    dispatcher.utter_message(response="utter_refresher_offer", title=card.title, buttons=[
        {"title": card.title, "payload": "/request_refresher" + json.dumps({"refresher_id": card.id})}])
    return [SlotSet("refreshers_offered", offered + [card.id])]


def show_check_view(dispatcher: CollectingDispatcher, view: R.CheckView) -> None:
    if view.not_understood:
        dispatcher.utter_message(response="utter_quiz_text", text_line=view.not_understood)
    if view.feedback:
        f = view.feedback
        dispatcher.utter_message(response="utter_quiz_feedback", verdict=f.verdict, feedback=f.text,
                                 correct_answer=f.correct_answer)
    if view.status == "done":
        dispatcher.utter_message(response="utter_quiz_result", result=view.result)


def show_refresher(dispatcher: CollectingDispatcher, tracker: Tracker, wanted: str) -> list[EventType]:
    """The refresher card for ``wanted`` (an id or words), or the list of refreshers."""
    try:
        card = R.get_refresher(wanted)
    except R.RefresherError:
        dispatcher.utter_message(response="utter_refresher_which", buttons=[
            {"title": c.title, "payload": "/request_refresher" + json.dumps({"refresher_id": c.id})}
            for c in (R.get_refresher(m) for m in sorted(R.default_engine().modules))])
        return []
    text = R.default_engine().render_card(card).replace("\n\n", "\n")
    dispatcher.utter_message(response="utter_refresher_card", card=text, buttons=[
        {"title": card.labels["quick_check"], "payload": "/request_quick_check" + json.dumps(
            {"refresher_id": card.id})}])
    offered = list(tracker.get_slot("refreshers_offered") or [])
    return [SlotSet("refreshers_offered", offered + [card.id])]


class ActionShowRefresher(Action):
    def name(self) -> str:
        return "action_show_refresher"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return show_refresher(dispatcher, tracker, _requested(tracker))


class ActionStartQuickCheck(Action):
    def name(self) -> str:
        return "action_start_quick_check"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return start_quick_check(dispatcher, tracker, _requested(tracker))


def start_quick_check(dispatcher: CollectingDispatcher, tracker: Tracker, wanted: str) -> list[EventType]:
    """The state of a new quick check on ``wanted`` (the quiz form asks the questions)."""
    try:
        module = R.default_engine().find(wanted)
        turn = R.quick_check_start(module.id if module else wanted)
    except R.RefresherError:
        turn = None
    if turn is None:
        dispatcher.utter_message(response="utter_refresher_which")
        return [SlotSet("quiz_state", None)]
    return [SlotSet("quiz_state", turn.state), SlotSet("quiz_answer", None),
            SlotSet("quiz_msg_id", _message_id(tracker))]


class ActionAskQuizAnswer(Action):
    def name(self) -> str:
        return "action_ask_quiz_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        state = tracker.get_slot("quiz_state")
        try:
            m, state = R.default_engine()._load(state)
            view = R.default_engine()._view(m, state)
        except (R.RefresherError, TypeError):
            dispatcher.utter_message(response="utter_refresher_which")
            return [SlotSet("quiz_state", None)]
        if view.status == "question":
            dispatcher.utter_message(response="utter_quiz_question", number=view.number, of=view.of,
                                     title=view.title, question=view.question,
                                     buttons=[{"title": f"{o.value}. {o.label}", "payload": o.value}
                                              for o in view.options])
        return []


class ValidateQuizForm(FormValidationAction):
    def name(self) -> str:
        return "validate_quiz_form"

    async def extract_quiz_answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        if tracker.active_loop_name != "quiz_form" or tracker.get_slot("requested_slot") != "quiz_answer":
            return {}
        return {"quiz_answer": _text(tracker) or " "}

    def validate_quiz_answer(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> dict[str, Any]:
        state = tracker.get_slot("quiz_state")
        if _message_id(tracker) == tracker.get_slot("quiz_msg_id"):  # Rasa may validate one message twice
            return {}
        said = _text(tracker).strip().lower()
        if said in {"stop", "cancel", "quit", "exit"}:
            return {"quiz_answer": "stopped", "quiz_msg_id": _message_id(tracker)}
        if len(said.split()) >= 3:  # a disclosure is never scored as an answer: it opens its guide
            from .risk import route_of

            decision = route_of(_text(tracker))
            if decision.is_risk:
                from .risk import interrupt_slots

                slots = interrupt_slots(dispatcher, tracker, decision)
                return {"quiz_answer": "risk" if slots else "stopped", "quiz_msg_id": _message_id(tracker), **slots}
        try:
            turn = R.quick_check_answer(state, _text(tracker))
        except R.RefresherError:
            return {"quiz_answer": "stopped", "quiz_state": None, "quiz_msg_id": _message_id(tracker)}
        show_check_view(dispatcher, turn.view)
        done = turn.view.status == "done"
        return {"quiz_answer": "done" if done else None, "quiz_state": turn.state, "quiz_msg_id": _message_id(tracker)}


class ActionQuizFinished(Action):
    def name(self) -> str:
        return "action_quiz_finished"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        answer = tracker.get_slot("quiz_answer")
        if answer == "stopped":
            dispatcher.utter_message(response="utter_quiz_stopped")
        events: list[EventType] = [SlotSet("quiz_answer", None), SlotSet("quiz_state", None)]
        if answer == "risk":  # a disclosure during the check: its guide, critical rules first
            events.append(FollowupAction("flow_form"))
        return events
