"""Two needs in one message: the clause split and the second-need search (fake embedder)."""

import pytest

from knowledge_base.clauses import second_need, split_clauses

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text, clauses", [
    ("no credit on the meter and a toddler, also UC not due till next week",
     ["no credit on the meter and a toddler", "UC not due till next week"]),
    ("clt needs food bank voucher + help with council tax arrears",
     ["clt needs food bank voucher", "help with council tax arrears"]),
    ("needs a food bank voucher. Landlord has given her a section 8 notice",
     ["needs a food bank voucher", "Landlord has given her a section 8 notice"]),
    ("bread and butter for the kids", ["bread and butter for the kids"]),
    ("food bank", []),
    ("res lost her job and she also mentioned the boiler is broken",
     ["res lost her job and she", "mentioned the boiler is broken"]),
])
def test_split_clauses(text, clauses):
    assert split_clauses(text) == clauses


def test_one_clause_has_no_second_need(fake_search):
    out = fake_search.run("food bank voucher")
    assert second_need(fake_search, "food bank voucher", out["hits"]) is None


def _hit(item_id, score=0.5):
    from types import SimpleNamespace

    return SimpleNamespace(id=item_id, score=score, item=SimpleNamespace(categories=["food"]))


class _Search:
    """Best item per clause, chosen by a word in it; all clauses searched in one call."""

    def __init__(self, best):
        self.best, self.calls, self.singles = best, 0, []

    def run(self, query, filters=None, top_k=3):
        self.singles.append(query)
        return self.run_many([query], filters, top_k)[0] | {"single": True}

    def run_many(self, queries, filters=None, top_k=1):
        self.calls += 1
        return [{"hits": [_hit(next(i for w, i in self.best.items() if w in q))], "confidence": "answer"}
                for q in queries]


def test_a_second_need_is_not_the_card():
    search = _Search({"voucher": "foodbank", "locks": "illegal-eviction"})
    text = "res needs a food bank voucher today and also her landlord changed the locks"
    assert second_need(search, text, [_hit("foodbank")]).id == "illegal-eviction"
    assert search.calls == 1, "every clause is searched in one call"
    assert second_need(search, text, [_hit("illegal-eviction"), _hit("foodbank")]).id == "foodbank"
    both = _Search({"voucher": "foodbank", "locks": "foodbank"})
    assert second_need(both, text, [_hit("foodbank")]) is None


def test_a_not_this_item_of_another_need_becomes_the_second_need():
    """The card's "Not this?" items are other answers to the same question; an item among them
    that the needs map gives another need is the second need ("Also:")."""
    search = _Search({"voucher": "foodbank", "locks": "illegal-eviction"})
    text = "res needs a food bank voucher today and also her landlord changed the locks"
    assert second_need(search, text, [_hit("foodbank"), _hit("illegal-eviction")]).id == "illegal-eviction"


def test_an_item_of_the_cards_own_need_is_not_a_second_need():
    search = _Search({"voucher": "foodbank", "parcels": "trussell-foodbank"})
    search.same_need = lambda a, b: {a, b} == {"foodbank", "trussell-foodbank"}
    text = "res needs a food bank voucher today and also somewhere that delivers food parcels"
    assert second_need(search, text, [_hit("foodbank")]) is None


def test_the_message_alone_then_its_clauses_in_one_batch():
    """search_with_clauses: the whole message searched on its own, exactly as ``run`` (and
    every evaluation) searches it, its clauses in one call (one encoder call); second_need
    uses those results without searching again."""
    from knowledge_base.clauses import search_with_clauses

    search = _Search({"voucher": "foodbank", "locks": "illegal-eviction"})
    text = "res needs a food bank voucher today and also her landlord changed the locks"
    out = search_with_clauses(search, text)
    assert search.singles == [text] and out.get("single")
    assert search.calls == 2 and len(out["clauses"]) == 2 and out["hits"][0].id == "foodbank"
    assert second_need(search, text, out["hits"], clause_outs=out["clauses"]).id == "illegal-eviction"
    assert search.calls == 2


def test_a_message_of_one_clause_is_one_plain_search(fake_search):
    from knowledge_base.clauses import search_with_clauses

    out = search_with_clauses(fake_search, "food bank voucher")
    assert out["clauses"] == [] and out["hits"] == fake_search.run("food bank voucher")["hits"]


def test_the_search_knows_which_items_answer_one_need(fake_search):
    """``same_need`` reads the needs map: two items one need lists answer the same need."""
    from knowledge_base.loader import CONTENT_DIR
    from knowledge_base.needs import load_needs

    needs, _ = load_needs(CONTENT_DIR)
    shared = next(n for n in needs.needs if len(n.items) >= 2)
    a, b = shared.items[:2]
    apart = next(i for n in needs.needs for i in n.items
                 if not any(i in m.items and a in m.items for m in needs.needs))
    assert fake_search.same_need(a, b) and fake_search.same_need(b, a)
    assert not fake_search.same_need(a, apart)
