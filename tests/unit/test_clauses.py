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


def test_a_second_need_is_not_already_in_the_first_reply(fake_search):
    text = "res needs a food bank voucher today and also her landlord changed the locks"
    first = fake_search.run(text)["hits"]
    hit = second_need(fake_search, text, first)
    if hit is not None:  # the fake embedder may not find it: when it does, it is not already shown
        assert hit.id not in {h.id for h in first}
