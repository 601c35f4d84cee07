"""'Yes' to a single offer, from named tracker fixtures: the assistant's last reply and
the worker's "yes"."""

import json

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.offers import ActionAcceptOffer, offered_buttons, parse_payload
from knowledge_base import refreshers as R
from tests.trackers import make_tracker

pytestmark = pytest.mark.unit


def after_reply(*buttons, text="yes"):
    """A conversation whose last assistant reply carried ``buttons``; the worker says ``text``."""
    events = [{"event": "user", "text": "res is 82 and lonely, no family"},
              {"event": "bot", "text": "the answer", "data": {"buttons": []}},
              {"event": "bot", "text": "Want a two-minute refresher on this?", "data": {"buttons": list(buttons)}},
              {"event": "action", "name": "action_listen"},
              {"event": "user", "text": text}]
    return make_tracker(text, "affirm", confidence=0.99, events=events, slots={"refreshers_offered": []})


def button(intent, **entities):
    return {"title": "x", "payload": f"/{intent}" + (json.dumps(entities) if entities else "")}


def run(tracker):
    d = CollectingDispatcher()
    return ActionAcceptOffer().run(d, tracker, {}), d


def test_payloads_are_read_and_only_the_last_reply_counts():
    assert parse_payload('/start_flow{"flow_id": "domestic-abuse"}') == ("start_flow", {"flow_id": "domestic-abuse"})
    assert parse_payload("/greet") == ("greet", {})
    assert parse_payload("1") is None and parse_payload('/x{"broken"') is None
    t = after_reply(button("greet"))
    assert [b["payload"] for b in offered_buttons(t)] == ["/greet"]


def test_yes_to_a_refresher_offer_shows_the_refresher():
    refresher_id = sorted(R.default_engine().modules)[0]
    events, d = run(after_reply(button("request_refresher", refresher_id=refresher_id)))
    assert d.messages[0]["response"] == "utter_refresher_card"
    assert {"event": "slot", "timestamp": None, "name": "refreshers_offered", "value": [refresher_id]} in events


def test_yes_to_a_single_guide_offer_starts_that_guide():
    events, d = run(after_reply(button("start_flow", flow_id="eviction-homelessness")))
    state = next(e["value"] for e in events if e.get("name") == "flow_state")
    assert state["flow"] == "eviction-homelessness"
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "flow_form"}


def test_yes_to_a_quick_check_offer_starts_it():
    refresher_id = sorted(R.default_engine().modules)[0]
    events, _ = run(after_reply(button("request_quick_check", refresher_id=refresher_id)))
    assert any(e.get("name") == "quiz_state" and e.get("value") for e in events)
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "quiz_form"}


@pytest.mark.parametrize("buttons", [(), (button("start_flow", flow_id="domestic-abuse"),
                                          button("start_flow", flow_id="eviction-homelessness")),
                                     (button("start_flow", flow_id="no-such-guide"),), (button("greet"),)])
def test_yes_with_nothing_or_several_or_an_unknown_offer_is_just_acknowledged(buttons):
    events, d = run(after_reply(*buttons))
    assert events == [] and [m["response"] for m in d.messages] == ["utter_ok"]


def test_not_this_alternatives_beside_a_card_do_not_hide_the_single_offer():
    refresher_id = sorted(R.default_engine().modules)[0]
    events, d = run(after_reply(button("show_item", item_id="a"), button("show_item", item_id="b"),
                                button("request_refresher", refresher_id=refresher_id)))
    assert d.messages[0]["response"] == "utter_refresher_card"


def test_two_alternatives_and_no_offer_is_just_acknowledged():
    events, d = run(after_reply(button("show_item", item_id="a"), button("show_item", item_id="b")))
    assert events == [] and [m["response"] for m in d.messages] == ["utter_ok"]
