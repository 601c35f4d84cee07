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
