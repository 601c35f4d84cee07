"""Action tests from named tracker fixtures (RasaHQ/financial-demo style)."""

import datetime as dt

import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.knowledge as knowledge
from actions.search import ActionSearchKnowledge, ActionShowItem
from tests.trackers import make_tracker

pytestmark = pytest.mark.unit


def tracker_for(text, intent="ask_knowledge", entities=None, sender="worker-1"):
    return make_tracker(text, intent, entities=entities, sender=sender)


@pytest.fixture
def search(fake_search, monkeypatch):
    monkeypatch.setattr(knowledge, "_search", fake_search)
    return fake_search


# Named trackers: the states the actions are tested from.
TRACKERS = {
    "hurried_question": tracker_for("res cant pay gas UC not come through"),
    "gibberish": tracker_for("😀😀😀", intent="nlu_fallback"),
}


def test_hurried_question_gets_a_reply(search):
    d = CollectingDispatcher()
    ActionSearchKnowledge().run(d, TRACKERS["hurried_question"], {})
    assert d.messages and d.messages[0]["response"] in {"utter_kb_answer", "utter_kb_choose", "utter_kb_no_match"}


def test_answer_dispatches_the_answer_response_with_all_fields(search, monkeypatch):
    item = search.content.items[0]
    monkeypatch.setattr(search, "run", lambda text, filters=None, top_k=3: {"hits": [type("H", (), {"item": item, "id": item.id})()],
                                                               "confidence": "answer", "query": text})
    d = CollectingDispatcher()
    events = ActionSearchKnowledge().run(d, tracker_for("anything"), {})
    assert d.messages[0]["response"] == "utter_kb_answer"
    for key in ("title", "say_this", "steps", "contact", "source", "last_checked"):
        assert d.messages[0][key], key
    assert events == [{"event": "slot", "timestamp": None, "name": "last_item_id", "value": item.id}]
    card = next(m["custom"]["card"] for m in d.messages if m.get("custom"))
    assert card["item_id"] == item.id and card["steps"] == list(item.steps)


@pytest.mark.parametrize("confidence, marked", [("answer", False), ("show", True)])
def test_answer_first_the_card_then_not_this_with_the_next_two(search, monkeypatch, confidence, marked):
    items = search.content.items[:3]
    hits = [type("H", (), {"item": i, "id": i.id})() for i in items]
    monkeypatch.setattr(search, "run", lambda text, filters=None, top_k=3: {"hits": hits, "confidence": confidence,
                                                                               "query": text})
    d = CollectingDispatcher()
    ActionSearchKnowledge().run(d, tracker_for("council tax enforcement"), {})
    responses = [m.get("response") for m in d.messages]
    assert responses[0] == "utter_kb_answer" and d.messages[0]["title"] == items[0].title
    assert ("utter_kb_check_fits" in responses) is marked
    not_this = next(m for m in d.messages if m.get("response") == "utter_kb_not_this")
    assert [b["payload"] for b in not_this["buttons"]] == [f'/show_item{{"item_id": "{i.id}"}}' for i in items[1:]]


def test_two_needs_in_one_message_add_also_with_the_second(search, monkeypatch):
    food = next(i for i in search.content.items if "food" in i.categories and "housing" not in i.categories)
    housing = next(i for i in search.content.items if i.categories == ["housing"] or
                   ("housing" in i.categories and "food" not in i.categories))
    hit = lambda i, score=0.5: type("H", (), {"item": i, "id": i.id, "score": score})()  # noqa: E731

    def run(text, filters=None, top_k=3):
        first = housing if "locks" in text and "voucher" not in text else food
        return {"hits": [hit(first)], "confidence": "answer", "query": text}

    monkeypatch.setattr(search, "run", run)
    monkeypatch.setattr(search, "run_many", lambda queries, filters=None, top_k=3: [run(q) for q in queries])
    d = CollectingDispatcher()
    ActionSearchKnowledge().run(d, tracker_for("needs a food bank voucher today and the landlord changed the locks"), {})
    also = next(m for m in d.messages if m.get("response") == "utter_kb_also")
    assert also["title"] == housing.title
    assert also["buttons"] == [{"title": housing.title, "payload": f'/show_item{{"item_id": "{housing.id}"}}'}]


def test_a_second_need_among_the_not_this_items_is_shown_as_also_instead(search, monkeypatch):
    """The whole message's "Not this?" items include the second need's item: it moves under
    "Also:" (a worker reads "Not this?" as another answer to the same question)."""
    food = next(i for i in search.content.items if "food" in i.categories and "housing" not in i.categories)
    housing = next(i for i in search.content.items if i.categories == ["housing"] or
                   ("housing" in i.categories and "food" not in i.categories))
    other = next(i for i in search.content.items if i.id not in (food.id, housing.id))
    hit = lambda i, score=0.5: type("H", (), {"item": i, "id": i.id, "score": score})()  # noqa: E731

    def run(text, filters=None, top_k=3):
        if "locks" in text and "voucher" not in text:
            return {"hits": [hit(housing)], "confidence": "answer", "query": text}
        return {"hits": [hit(food), hit(housing), hit(other)], "confidence": "answer", "query": text}

    monkeypatch.setattr(search, "run", run)
    monkeypatch.setattr(search, "run_many", lambda queries, filters=None, top_k=3: [run(q) for q in queries])
    d = CollectingDispatcher()
    ActionSearchKnowledge().run(d, tracker_for("needs a food bank voucher today and the landlord changed the locks"), {})
    also = next(m for m in d.messages if m.get("response") == "utter_kb_also")
    not_this = next(m for m in d.messages if m.get("response") == "utter_kb_not_this")
    assert also["title"] == housing.title
    assert [b["payload"] for b in not_this["buttons"]] == [f'/show_item{{"item_id": "{other.id}"}}']


def test_grey_zone_offers_three_buttons(search, monkeypatch):
    items = search.content.items[:3]
    hits = [type("H", (), {"item": i, "id": i.id})() for i in items]
    monkeypatch.setattr(search, "run", lambda text, filters=None, top_k=3: {"hits": hits, "confidence": "choose", "query": text})
    d = CollectingDispatcher()
    ActionSearchKnowledge().run(d, tracker_for("help"), {})
    assert d.messages[0]["response"] == "utter_kb_choose"
    assert [b["payload"] for b in d.messages[0]["buttons"]] == [f'/show_item{{"item_id": "{i.id}"}}' for i in items]


def test_gibberish_gets_no_match_response_not_a_crash(search):
    d = CollectingDispatcher()
    assert ActionSearchKnowledge().run(d, TRACKERS["gibberish"], {}) == []
    assert d.messages[0]["response"] == "utter_kb_no_match"


def test_stale_item_carries_the_warning(search, monkeypatch):
    item = search.content.items[0].model_copy(update={"review_by": dt.date(2020, 1, 1),
                                                       "last_reviewed": dt.date(2019, 1, 1)})
    monkeypatch.setitem(search.items, item.id, item)
    d = CollectingDispatcher()
    ActionShowItem().run(d, tracker_for("/show_item", intent="show_item",
                                        entities=[{"entity": "item_id", "value": item.id}]), {})
    assert "utter_kb_stale" in [m.get("response") for m in d.messages]
    card = next(m["custom"]["card"] for m in d.messages if m.get("custom"))
    assert card["stale"] and card["item_id"] == item.id and card["replaces"] == 2 + int(item.illustrative)


def test_unknown_item_id_is_handled(search):
    d = CollectingDispatcher()
    ActionShowItem().run(d, tracker_for("/show_item", intent="show_item",
                                        entities=[{"entity": "item_id", "value": "no-such-item"}]), {})
    assert d.messages[0]["response"] == "utter_kb_item_gone"


def test_every_dispatched_response_exists_in_the_domain():
    import pathlib
    import re

    domain = "".join(p.read_text() for p in pathlib.Path("bot/domain").glob("*.yml"))
    code = "".join(p.read_text() for p in pathlib.Path("actions").glob("*.py"))
    for name in set(re.findall(r'response="(utter_[a-z_]+)"', code)):
        assert f"{name}:" in domain, name


def test_a_named_borough_filters_the_search(search):
    from actions.search import borough_filter

    assert borough_filter("food bank in Newham please").borough == "newham"
    assert borough_filter("food bank") is None
    assert borough_filter("hackney or newham food bank") is None
    hits = search.run("food bank", borough_filter("food bank newham"), top_k=10)["hits"]
    assert all({"newham", "london", "national"} & set(h.item.boroughs) for h in hits)


def test_a_refresher_asked_for_in_free_words_shows_its_card_not_a_search(search):
    d = CollectingDispatcher()
    events = ActionSearchKnowledge().run(d, tracker_for("quick refresher on open questions"), {})
    assert d.messages[0]["response"] == "utter_refresher_card"
    assert any(e.get("name") == "refreshers_offered" and "core-conversations" in e["value"] for e in events)


def test_how_to_refer_questions_are_answered_from_the_referral_block(search, monkeypatch):
    from knowledge_base.present import search_wording

    assert search_wording().referral_question_words  # the wording file loads strictly
    service = next(i for i in search.content.items if getattr(i, "referral", None) is not None)
    hit = type("H", (), {"item": service, "id": service.id, "score": 0.5})()
    monkeypatch.setattr(search, "run", lambda text, filters=None, top_k=3: {"hits": [hit], "confidence": "answer",
                                                                               "query": text})
    d = CollectingDispatcher()
    ActionSearchKnowledge().run(d, tracker_for("what info does the foodbank need"), {})
    ref = next(m for m in d.messages if m.get("response") == "utter_kb_referral")
    assert ref["how"] == service.referral.how and ref["title"] == service.title
    d = CollectingDispatcher()
    ActionSearchKnowledge().run(d, tracker_for("food bank near the station"), {})
    assert not any(m.get("response") == "utter_kb_referral" for m in d.messages)
