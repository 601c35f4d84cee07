"""Every labelled search set is well formed and names only items that exist, so
`make eval` never fails half-way through a measurement."""

from pathlib import Path

import pytest

from bench.search_eval import ROOT, check_devset, labelled_sets, load_devset

pytestmark = pytest.mark.unit

SETS = labelled_sets()


def test_the_dev_set_and_the_later_sets_are_there():
    names = [d.name for d in SETS]
    assert "dev" in names and {"check", "check2", "check3", "check4"} <= set(names)
    assert len(load_devset(ROOT / "tests" / "eval" / "dev")) >= 150


@pytest.mark.parametrize("folder", SETS, ids=lambda d: Path(d).name)
def test_every_label_names_a_real_item(folder, content):
    queries = load_devset(folder)
    assert queries and all(q.text.strip() and q.expected for q in queries)
    assert check_devset(queries, {i.id for i in content.items}) == []
    texts = [q.text.lower() for q in queries]
    assert len(texts) == len(set(texts)), "a message appears twice"


def test_answer_first_counts_what_the_first_reply_holds():
    """card_right: the card; right: the card or a choice; in_reply: anywhere in the first
    reply, the card's two "Not this?" buttons included; wrong_unmarked: a wrong confident card."""
    from types import SimpleNamespace as NS

    from bench.search_eval import Query, answer_first

    def hits(*ids):
        return [NS(id=i) for i in ids]

    replies = {
        "card right": {"hits": hits("a", "b", "c"), "confidence": "answer"},
        "button right": {"hits": hits("x", "a", "c"), "confidence": "show"},
        "wrong confident": {"hits": hits("x", "y", "a"), "confidence": "answer"},
        "choice right": {"hits": hits("x", "y", "a"), "confidence": "choose"},
        "nothing": {"hits": [], "confidence": "none"},
    }

    class Search:
        def run(self, text, filters=None, top_k=3):
            return replies[text]

    out = answer_first(Search(), [Query(t, ["a"], "f") for t in replies])
    assert out == {"cards": 3 / 5, "card_right": 1 / 5, "right": 2 / 5, "in_reply": 4 / 5, "wrong_unmarked": 1 / 5}
    assert {"check5"} <= {d.name for d in SETS}
