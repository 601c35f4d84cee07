"""Refresher actions from named tracker fixtures: card, quick check, offer once."""

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.refreshers import (ActionAskQuizAnswer, ActionShowRefresher, ActionStartQuickCheck,
                                ValidateQuizForm, offer_related)
from knowledge_base import refreshers as R
from tests.trackers import make_tracker

pytestmark = pytest.mark.unit


def tracker(text, intent="request_refresher", slots=None, entities=None, msg="m1", loop=None):
    return make_tracker(text, intent, entities=entities, loop=loop, message_id=msg,
                        slots={"quiz_msg_id": None, **(slots or {})})


def slots_of(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_refresh_me_on_safeguarding_shows_a_card_with_a_quick_check_button():
    d = CollectingDispatcher()
    events = ActionShowRefresher().run(d, tracker("refresh me on safeguarding"), {})
    msg = d.messages[0]
    assert msg["response"] == "utter_refresher_card" and "\n\n" not in msg["card"]
    assert msg["buttons"][0]["payload"].startswith("/request_quick_check")
    assert slots_of(events)["refreshers_offered"] == ["safeguarding-basics"]


def test_quick_check_runs_three_questions_with_feedback_and_a_score():
    state = slots_of(ActionStartQuickCheck().run(CollectingDispatcher(), tracker(
        "quick check on eviction", intent="request_quick_check"), {}))["quiz_state"]
    d = CollectingDispatcher()
    ActionAskQuizAnswer().run(d, tracker("x", slots={"quiz_state": state}), {})
    assert d.messages[0]["response"] == "utter_quiz_question" and d.messages[0]["number"] == 1
    for n in range(3):
        d = CollectingDispatcher()
        out = ValidateQuizForm().validate_quiz_answer("1", d, tracker(
            "1", slots={"quiz_state": state}, msg=f"a{n}", loop="quiz_form"), {})
        state = out["quiz_state"]
        assert d.messages[0]["response"] == "utter_quiz_feedback"
    assert out["quiz_answer"] == "done"
    assert d.messages[-1]["response"] == "utter_quiz_result"


def test_the_same_message_is_applied_once():
    state = R.quick_check_start("eviction-homelessness").state
    t = tracker("1", slots={"quiz_state": state, "quiz_msg_id": "m9"}, msg="m9", loop="quiz_form")
    assert ValidateQuizForm().validate_quiz_answer("1", CollectingDispatcher(), t, {}) == {}


def test_related_refresher_is_offered_once():
    d = CollectingDispatcher()
    events = offer_related(d, tracker("x"), "eviction-homelessness")
    offered = slots_of(events)["refreshers_offered"]
    assert d.messages[0]["response"] == "utter_refresher_offer"
    # each refresher is offered at most once: the eviction flow relates to two of them
    second = slots_of(offer_related(CollectingDispatcher(), tracker("x", slots={"refreshers_offered": offered}),
                                    "eviction-homelessness"))["refreshers_offered"]
    assert len(second) == 2 and len(set(second)) == 2
    d3 = CollectingDispatcher()
    assert offer_related(d3, tracker("x", slots={"refreshers_offered": second}), "eviction-homelessness") == []
    assert d3.messages == []
