"""The front door turns an answer's texts + card into one card, with referral stats."""

import pytest

import web.routes.chat as webapp

pytestmark = pytest.mark.unit


def test_card_replaces_the_texts_it_covers_and_keeps_the_rest():
    msgs = [{"text": "Did you mean", "buttons": [{"title": "x", "payload": "/x"}]},
            {"text": "answer"}, {"text": "Warning: this answer may be out of date"},
            {"custom": {"card": {"item_id": "a", "replaces": 2}}}, {"text": "Guided steps", "buttons": []}]
    out = webapp.merge_cards(msgs)
    assert [m.get("text") for m in out] == ["Did you mean", None, "Guided steps"]


def test_referable_card_gets_response_stats_or_none(monkeypatch):
    monkeypatch.setattr(webapp, "response_stats", lambda item_id: {"median_hours": 5.5, "count": 3}
                        if item_id == "svc-with-data" else None)
    out = webapp.merge_cards([{"custom": {"card": {"item_id": "svc-with-data", "refer": True, "replaces": 0}}},
                              {"custom": {"card": {"item_id": "svc-new", "refer": True, "replaces": 0}}},
                              {"custom": {"card": {"item_id": "guidance", "refer": False, "replaces": 0}}}])
    cards = [m["custom"]["card"] for m in out]
    assert cards[0]["response_stats"] == {"median_hours": 5.5, "count": 3}
    assert cards[1]["response_stats"] is None
    assert "response_stats" not in cards[2]
