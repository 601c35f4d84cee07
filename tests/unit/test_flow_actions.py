"""Flow actions from named tracker fixtures: the critical rules come first, the
safeguarding interrupt, digressions, stop and resume."""

import json

import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.knowledge as knowledge
from actions.flows import ActionAskFlowAnswer, ActionFlowFinished, ActionResumeFlow, ActionStartFlow, ValidateFlowForm
from actions.search import ActionSearchKnowledge
from knowledge_base import flows as F
from tests.trackers import make_tracker

pytestmark = pytest.mark.unit


def tracker(text, intent="ask_knowledge", confidence=0.95, slots=None, entities=None, loop=None, msg="m1"):
    return make_tracker(text, intent, confidence=confidence, entities=entities, loop=loop, message_id=msg,
                        slots={"flow_msg_id": None, **(slots or {})})


def slots_of(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.fixture
def search(fake_search, monkeypatch):
    monkeypatch.setattr(knowledge, "_search", fake_search)
    return fake_search


def validate(t):
    d = CollectingDispatcher()
    return ValidateFlowForm().validate_flow_answer(t.latest_message["text"], d, t, {}), d


def test_risk_disclosure_reply_starts_with_the_critical_rules(search):
    t = tracker("lady says her son hits her and takes her pension", intent="risk_disclosure")
    state = slots_of(ActionStartFlow().run(CollectingDispatcher(), t, {}))["flow_state"]
    assert state["flow"] == "safeguarding-adult"
    d = CollectingDispatcher()
    ActionAskFlowAnswer().run(d, tracker("x", slots={"flow_state": state}), {})
    text = d.messages[0]["step"]
    assert text.index("999") < text.index("?"), "the 999 rule comes before any question"
    assert "secret" in text


def test_child_disclosure_goes_to_the_child_guide(search):
    t = tracker("child says don't tell anyone", intent="risk_disclosure")
    assert slots_of(ActionStartFlow().run(CollectingDispatcher(), t, {}))["flow_state"]["flow"] == "safeguarding-child"


def test_disclosure_typed_as_a_search_pivots_to_the_guide(search):
    events = ActionSearchKnowledge().run(CollectingDispatcher(), tracker("she says her partner hits her"), {})
    assert slots_of(events)["flow_state"]["flow"] == "domestic-abuse"
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "flow_form"}


def test_two_close_routes_give_the_999_rule_and_both_guides(search):
    d = CollectingDispatcher()
    events = ActionSearchKnowledge().run(d, tracker("her husband hits her and the kids"), {})
    assert "flow_state" not in slots_of(events), "no guide is chosen for the worker when two fit"
    assert d.messages[0]["response"] == "utter_risk_choose"
    flows = {json.loads(b["payload"].removeprefix("/start_flow"))["flow_id"] for b in d.messages[0]["buttons"]}
    assert flows == {"domestic-abuse", "safeguarding-child"}
    assert events == [{"event": "followup", "timestamp": None, "name": "action_listen"}]


def test_a_question_about_a_risk_topic_gets_an_answer_not_a_guide(search):
    d = CollectingDispatcher()
    events = ActionStartFlow().run(d, tracker("what is coercive control", intent="risk_disclosure"), {})
    assert "flow_state" not in slots_of(events) or slots_of(events)["flow_state"] is None
    assert d.messages[0]["response"] in {"utter_kb_answer", "utter_kb_choose", "utter_kb_no_match"}


def test_a_disclosure_during_a_quick_check_is_not_scored_and_opens_its_guide(search):
    from actions.refreshers import ActionQuizFinished, ValidateQuizForm
    from knowledge_base import refreshers as R

    module = sorted(R.default_engine().modules)[0]
    state = R.quick_check_start(module).state
    t = tracker("hang on, she just said her partner hit her last night", slots={"quiz_state": state}, loop="quiz_form",
                msg="q2")
    out = ValidateQuizForm().validate_quiz_answer(t.latest_message["text"], CollectingDispatcher(), t, {})
    assert out["quiz_answer"] == "risk" and out["flow_state"]["flow"] == "domestic-abuse"
    assert out.get("quiz_state", state) == state, "the disclosure was not scored as an answer"
    events = ActionQuizFinished().run(CollectingDispatcher(), tracker("x", slots={"quiz_answer": "risk"}), {})
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "flow_form"}


def test_answers_move_the_guide_on_and_each_message_is_applied_once():
    state = F.start("eviction-homelessness").state
    t = tracker("1", slots={"flow_state": state}, loop="flow_form", msg="m2")
    out, _ = validate(t)
    assert out["flow_answer"] is None and out["flow_state"]["trail"] and out["flow_msg_id"] == "m2"
    # Rasa calls the validation again for the same message: nothing changes
    again, _ = validate(tracker("1", slots={"flow_state": out["flow_state"], "flow_msg_id": "m2"}, loop="flow_form",
                                msg="m2"))
    assert again == {"flow_answer": None}


def test_knowledge_question_mid_guide_is_answered_and_the_step_kept(search):
    state = F.start("eviction-homelessness").state
    out, d = validate(tracker("how do i refer to a food bank", slots={"flow_state": state}, loop="flow_form"))
    assert out["flow_state"] == state and out["flow_answer"] is None
    responses = [m["response"] for m in d.messages]
    assert responses[-1] == "utter_flow_back_to_guide"
    assert responses[0] in {"utter_kb_answer", "utter_kb_choose", "utter_kb_no_match"}


def test_disclosure_inside_another_guide_pivots_and_offers_to_resume(search):
    state = F.start("immigration-advice-boundaries").state
    out, _ = validate(tracker("she says her partner hits her", intent="risk_disclosure",
                              slots={"flow_state": state}, loop="flow_form"))
    assert out["flow_state"]["flow"] == "domestic-abuse" and out["flow_stack"] == [state]
    d = CollectingDispatcher()
    done = F.start("domestic-abuse").state | {"status": "stopped"}
    ActionFlowFinished().run(d, tracker("stop", slots={"flow_state": done, "flow_stack": [state]}), {})
    assert d.messages[-1]["response"] == "utter_flow_offer_resume"
    resumed = slots_of(ActionResumeFlow().run(CollectingDispatcher(), tracker(
        "resume", intent="resume_flow", slots={"flow_stack": [state]}), {}))
    assert resumed["flow_state"] == state and resumed["flow_stack"] == []


def test_unrecognised_answer_reasks_then_offers_to_stop():
    state = F.start("eviction-homelessness").state
    out, _ = validate(tracker("banana", intent="greet", slots={"flow_state": state}, loop="flow_form", msg="a"))
    assert out["flow_notices"] == ["not_understood"]
    out, _ = validate(tracker("banana", intent="greet", slots={"flow_state": out["flow_state"]}, loop="flow_form",
                              msg="b"))
    assert out["flow_notices"] == ["not_understood", "offer_stop"]
    d = CollectingDispatcher()
    ActionAskFlowAnswer().run(d, tracker("x", slots={"flow_state": out["flow_state"], "flow_notices": out["flow_notices"]}), {})
    assert "Still not clear" in d.messages[0]["step"]


def test_stop_ends_the_form_and_back_reopens_it():
    state = F.start("eviction-homelessness").state
    out, _ = validate(tracker("stop", slots={"flow_state": state}, loop="flow_form"))
    assert out["flow_answer"] == "stopped"
    reopened = slots_of(ActionResumeFlow().run(CollectingDispatcher(), tracker(
        "go back", intent="flow_back", slots={"flow_state": out["flow_state"]}), {}))
    assert reopened["flow_state"]["status"] == "active"


def test_finished_guide_gives_a_case_note_without_resident_details():
    flow = F.default_engine().flows["immigration-advice-boundaries"]
    path = F.all_paths(flow)[0]
    turn = F.start(flow.id)
    for hop in path[:-1]:
        turn = F.answer(turn.state, str(hop.choice + 1) if hop.choice is not None else "1")
    assert turn.state["status"] == "done"
    d = CollectingDispatcher()
    ActionFlowFinished().run(d, tracker("1", slots={"flow_state": turn.state}), {})
    summary = next(m for m in d.messages if m.get("response") == "utter_flow_summary")
    assert flow.title in summary["summary"]
    # the related refresher is offered once, after the case note
    offers = [m for m in d.messages if m.get("response") == "utter_refresher_offer"]
    assert len(offers) <= 1


def finish(flow_id: str, end_step: str) -> dict:
    """Walk the first path of a flow that ends at ``end_step``; return the finished state."""
    flow = F.default_engine().flows[flow_id]
    path = next(p for p in F.all_paths(flow) if p[-1].step_id == end_step)
    turn = F.start(flow_id)
    for hop in path[:-1]:
        turn = F.answer(turn.state, str(hop.choice + 1) if hop.choice is not None else "1")
    assert turn.state["status"] == "done" and turn.view.step_id == end_step
    return turn.state


def test_a_guide_that_names_services_ends_with_one_referral_to_all_of_them(search):
    d = CollectingDispatcher()
    ActionFlowFinished().run(d, tracker("1", slots={"flow_state": finish("eviction-homelessness", "end")}), {})
    line = next(m for m in d.messages if m.get("response") == "utter_flow_refer")
    payload = next(m["custom"]["refer"] for m in d.messages if (m.get("custom") or {}).get("refer"))
    assert [s["id"] for s in payload["services"]] == ["hackney-homeless-help", "shelter-england-housing-advice"]
    assert all(s["title"] in line["services"] for s in payload["services"])
    # after the case note, before anything else
    kinds = [m.get("response") or "custom" for m in d.messages]
    assert kinds.index("utter_flow_summary") < kinds.index("utter_flow_refer") < kinds.index("custom")


def test_a_guide_without_services_to_refer_to_offers_no_referral(search):
    d = CollectingDispatcher()
    ActionFlowFinished().run(d, tracker("1", slots={"flow_state": finish("safeguarding-adult", "end")}), {})
    assert not [m for m in d.messages if m.get("response") == "utter_flow_refer" or (m.get("custom") or {}).get("refer")]


def test_a_guide_request_no_guide_matches_never_enters_the_guide_form(search):
    """'stepchange' once reached the guide form as a guide request; the form then asked
    'which guide?' twice and swallowed the next message, which got no reply. Now: a
    message the knowledge base answers is answered, anything else lists the guides, and
    in both cases the assistant listens instead of starting the form."""
    for text, expect in [("stepchange debt charity", "utter_kb_answer"), ("guided steps please", "utter_flow_which")]:
        d = CollectingDispatcher()
        events = ActionStartFlow().run(d, tracker(text, intent="request_flow"), {})
        assert slots_of(events)["flow_state"] is None
        assert events[-1] == {"event": "followup", "timestamp": None, "name": "action_listen"}
        responses = [m.get("response") for m in d.messages]
        assert responses[0] == expect and responses.count("utter_flow_which") <= 1, responses
        if expect == "utter_flow_which":
            assert len(d.messages[0]["buttons"]) == len(F.list_flows())


def test_a_corrupt_flow_state_does_not_crash():
    d = CollectingDispatcher()
    events = ActionAskFlowAnswer().run(d, tracker("x", slots={"flow_state": {"v": 99}}), {})
    assert slots_of(events)["flow_state"] is None and d.messages[0]["response"] == "utter_flow_which"


def test_a_guide_asked_for_in_words_is_chosen_by_its_own_words_not_common_ones():
    from actions.flows import best_flow_for_text

    assert best_flow_for_text("walk me through the immigration advice rules") == "immigration-advice-boundaries"
    assert best_flow_for_text("walk me through an eviction") == "eviction-homelessness"
    assert best_flow_for_text("take me through the domestic abuse steps") == "domestic-abuse"
    assert best_flow_for_text("guide me through it") is None


def test_a_route_without_a_guide_shows_its_item_first(search, monkeypatch):
    from actions import risk
    from knowledge_base.risk import RiskDecision

    item = next(iter(search.items))
    monkeypatch.setattr(risk, "route_of", lambda text: RiskDecision("mental-health-crisis", f"item:{item}"))
    d = CollectingDispatcher()
    events = ActionSearchKnowledge().run(d, tracker("he says he has saved up his tablets"), {})
    assert d.messages[0]["response"] == "utter_kb_answer" and events[-1]["name"] == "action_listen"
    # inside another guide: the item, then the same step again
    state = F.start("eviction-homelessness").state
    monkeypatch.setattr("actions.flows.route_of", lambda text: RiskDecision("mental-health-crisis", f"item:{item}"))
    out, d = validate(tracker("he says he has saved up his tablets", slots={"flow_state": state}, loop="flow_form"))
    assert out["flow_state"] == state and d.messages[-1]["response"] == "utter_flow_back_to_guide"


def test_a_route_that_only_came_close_is_offered_after_the_answer(search, monkeypatch):
    """No guide is started, but the close route's guide is one click away, first among the offers."""
    from actions import risk
    from knowledge_base.risk import NONE, RiskDecision

    monkeypatch.setattr(risk, "route_of", lambda text: RiskDecision(
        NONE, None, check="safeguarding-adult", check_flow="safeguarding-adult"))
    d = CollectingDispatcher()
    events = ActionSearchKnowledge().run(d, tracker("his nephew keeps his bank card, fridge is empty"), {})
    assert "flow_state" not in slots_of(events), "a check never starts the guide"
    responses = [m["response"] for m in d.messages]
    assert "utter_risk_check" in responses
    check = d.messages[responses.index("utter_risk_check")]
    assert [json.loads(b["payload"].removeprefix("/start_flow"))["flow_id"] for b in check["buttons"]] == [
        "safeguarding-adult"]
    offered = [b["payload"] for m in d.messages if m["response"] == "utter_flow_offer" for b in m["buttons"]]
    assert not any("safeguarding-adult" in p for p in offered), "the checked guide is not offered twice"
    if "utter_kb_answer" in responses:
        assert responses.index("utter_kb_answer") < responses.index("utter_risk_check"), "the answer comes first"
