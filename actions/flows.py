"""Guided flows skill: one generic Rasa form (``flow_form``) drives any flow.

- ``action_start_flow`` picks the flow (button, request, or risk disclosure),
  puts a running flow aside if one is interrupted, and seeds ``flow_state``.
- ``action_ask_flow_answer`` shows the current step (critical rules first,
  then the question) with its options and back / start again / stop.
- ``validate_flow_form`` takes every message while the form is active: an
  answer or command goes to the engine; a risk disclosure pivots to the
  safeguarding guide; a knowledge question is answered and the same step shown
  again.
- ``action_flow_finished`` shows the end step and the case-note summary, or
  offers to resume an interrupted guide.

All wording comes from the flow YAML (content/flows) and the
domain responses (bot/domain/flows.yml).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from knowledge_base import flows as F

from .guides import _message_id, start_events
from .risk import interrupt_slots, risk_flows, route_of
from .search import answer_search

log = logging.getLogger(__name__)

QUESTION_CONFIDENCE = 0.8


def _intent(tracker: Tracker) -> tuple[str | None, float]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def _text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def step_messages(dispatcher: CollectingDispatcher, turn_view: F.StepView) -> None:
    """Dispatch one step: text from the engine's renderer, buttons from the view."""
    buttons = [{"title": f"{o.value}. {o.label}", "payload": o.value} for o in turn_view.options]
    dispatcher.utter_message(response="utter_flow_step", step=F.render(turn_view), buttons=buttons)
    if turn_view.status == "active" and turn_view.kind != "stopped":
        dispatcher.utter_message(response="utter_flow_controls")


def choose_flow(tracker: Tracker) -> str | None:
    entity = next(tracker.get_latest_entity_values("flow_id"), None)
    known = {f["id"] for f in F.list_flows()}
    if entity in known:
        return entity
    return best_flow_for_text(_text(tracker))


def best_flow_for_text(text: str) -> str | None:
    """A flow request in words ("walk me through an eviction"): most shared words with
    the flow's title and tags wins (``flow_words``: common words do not count)."""
    words = F.flow_words(text)
    best, best_score = None, 0
    for f in F.list_flows():
        score = len(words & F.guide_words(f))
        if score > best_score:
            best, best_score = f["id"], score
    return best


class ActionStartFlow(Action):
    def name(self) -> str:
        return "action_start_flow"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent, _ = _intent(tracker)
        if intent == "risk_disclosure" and next(tracker.get_latest_entity_values("flow_id"), None) is None:
            # the router decides which guide; a question ABOUT a risk topic gets an answer, never a guide
            from .risk import open_route

            text = _text(tracker)
            decision = route_of(text)
            if decision.is_risk:
                return open_route(dispatcher, tracker, decision)
            answer_search(dispatcher, text, check=decision.check_flow)
            return [SlotSet("flow_state", None), FollowupAction("action_listen")]
        flow_id = choose_flow(tracker)
        if flow_id is None:
            # No guide matches. A message the knowledge base answers with confidence was
            # probably a question ("stepchange"): answer it. Otherwise list the guides.
            # Either way the guide form is not entered (FollowupAction overrides the rule).
            from .search import search_for

            text = _text(tracker)
            out = search_for(text) if text and not text.startswith("/") else None
            if out is not None and out["confidence"] == "answer":
                answer_search(dispatcher, text, out)
            else:
                dispatcher.utter_message(response="utter_flow_which", buttons=[
                    {"title": f["title"], "payload": f'/start_flow{{"flow_id": "{f["id"]}"}}'} for f in F.list_flows()])
            return [SlotSet("flow_state", None), FollowupAction("action_listen")]
        return start_events(flow_id, tracker)


class ActionAskFlowAnswer(Action):
    def name(self) -> str:
        return "action_ask_flow_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        state = tracker.get_slot("flow_state")
        if not isinstance(state, dict):
            dispatcher.utter_message(response="utter_flow_which")
            return []
        try:
            turn = F.view(state)
        except F.FlowError:
            log.warning("unusable flow state; asking which guide to start")
            dispatcher.utter_message(response="utter_flow_which")
            return [SlotSet("flow_state", None)]
        view = turn.view
        notices = [n for n in (tracker.get_slot("flow_notices") or []) if n in F.default_engine().messages.notices]
        if notices and not view.notices:
            texts = [F.default_engine().messages.notices[n] for n in notices]
            view = view.model_copy(update={"notices": notices, "notice_texts": texts})
        step_messages(dispatcher, view)
        return [SlotSet("flow_state", turn.state), SlotSet("flow_notices", None)]


class ValidateFlowForm(FormValidationAction):
    def name(self) -> str:
        return "validate_flow_form"

    async def extract_flow_answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        if tracker.active_loop_name != "flow_form" or tracker.get_slot("requested_slot") != "flow_answer":
            return {}
        return {"flow_answer": _text(tracker) or " "}

    def validate_flow_answer(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> dict[str, Any]:
        state = tracker.get_slot("flow_state")
        text = _text(tracker)
        intent, confidence = _intent(tracker)
        if _message_id(tracker) == tracker.get_slot("flow_msg_id"):
            return {"flow_answer": None} if isinstance(state, dict) and state.get("status") == "active" else {}
        if not isinstance(state, dict):
            return {"flow_answer": "stopped"}
        result = self._handle(state, text, intent, confidence, dispatcher, tracker)
        result["flow_msg_id"] = _message_id(tracker)
        return result

    def _handle(self, state: dict, text: str, intent: str | None, confidence: float,
                dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        # Safeguarding interrupt: a disclosure inside a guide that is not itself a risk
        # guide opens the disclosure's guide (the interrupted one is offered again later).
        if len(text.split()) >= 3 and state.get("flow") not in risk_flows():
            decision = route_of(text)
            if decision.is_risk:
                slots = interrupt_slots(dispatcher, tracker, decision)
                if slots:
                    return slots
                dispatcher.utter_message(response="utter_flow_back_to_guide")
                return {"flow_answer": None, "flow_state": state}
        try:
            turn = F.answer(state, text)
        except F.FlowError:
            log.warning("unusable flow state; stopping the guide")
            return {"flow_answer": "stopped", "flow_state": None}
        not_understood = "not_understood" in turn.view.notices
        # A knowledge question mid-guide: answer it, then show the same step again.
        if not_understood and intent in ("ask_knowledge", "nlu_fallback") and (
                intent == "nlu_fallback" or confidence >= QUESTION_CONFIDENCE) and len(text.split()) >= 3:
            answer_search(dispatcher, text)
            dispatcher.utter_message(response="utter_flow_back_to_guide")
            return {"flow_answer": None, "flow_state": state}
        if turn.state["status"] == "active":
            # the ask action shows the step again with these notices (not understood, restarted ...)
            return {"flow_answer": None, "flow_state": turn.state, "flow_notices": list(turn.view.notices) or None}
        return {"flow_answer": turn.state["status"], "flow_state": turn.state}


def offer_referral(dispatcher: CollectingDispatcher, service_ids: list[str]) -> None:
    """The end of a guide can offer one referral to several services: a line for any
    client, and for the web panel a ``refer`` payload it turns into a "Refer" link.
    Services no longer in the knowledge base are left out."""
    from .knowledge import get_search

    items = get_search().items
    services = [{"id": i, "title": items[i].title, "organisation": getattr(items[i], "organisation", "")}
                for i in service_ids if i in items]
    if services:
        dispatcher.utter_message(response="utter_flow_refer",
                                 services="; ".join(s["title"] for s in services))
        dispatcher.utter_message(json_message={"refer": {"services": services}})


class ActionFlowFinished(Action):
    """After the form: the end step and the case note, or the 'stopped' notice;
    then offer to resume a guide that a safeguarding disclosure interrupted."""

    def name(self) -> str:
        return "action_flow_finished"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        state = tracker.get_slot("flow_state")
        events: list[EventType] = [SlotSet("flow_answer", None)]
        if isinstance(state, dict):
            try:
                turn = F.view(state)
                step_messages(dispatcher, turn.view)
                if state.get("status") == "done":
                    dispatcher.utter_message(response="utter_flow_summary", summary=F.summary(state))
                    if turn.view.end and turn.view.end.refer_to:
                        offer_referral(dispatcher, turn.view.end.refer_to)
                    from .refreshers import offer_related

                    events += offer_related(dispatcher, tracker, state["flow"])
            except F.FlowError:
                log.warning("unusable flow state at the end of a guide")
        stack = list(tracker.get_slot("flow_stack") or [])
        if stack:
            paused = stack[-1]
            title = next((f["title"] for f in F.list_flows() if f["id"] == paused.get("flow")), paused.get("flow"))
            dispatcher.utter_message(response="utter_flow_offer_resume", title=title,
                                     buttons=[{"title": title, "payload": "/resume_flow"}])
        return events


class ActionResumeFlow(Action):
    """Resume the guide put aside by a safeguarding interrupt, or reopen a stopped
    guide with back / restart."""

    def name(self) -> str:
        return "action_resume_flow"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        stack = list(tracker.get_slot("flow_stack") or [])
        intent, _ = _intent(tracker)
        if intent == "resume_flow" and stack:
            state = stack.pop()
            return [SlotSet("flow_state", state), SlotSet("flow_stack", stack), SlotSet("flow_answer", None),
                    SlotSet("flow_msg_id", _message_id(tracker))]
        state = tracker.get_slot("flow_state")
        if isinstance(state, dict):
            try:
                turn = F.answer(state, {"flow_back": "back", "flow_restart": "restart"}.get(intent, "back"))
                if turn.state["status"] == "active":
                    return [SlotSet("flow_state", turn.state), SlotSet("flow_answer", None),
                            SlotSet("flow_msg_id", _message_id(tracker))]
            except F.FlowError:
                pass
        dispatcher.utter_message(response="utter_flow_nothing_to_resume")
        return [SlotSet("flow_state", None), FollowupAction("action_listen")]
