"""A message naming a place of one borough ("forest gate", "E8") searches that borough's
local items: the gazetteer is trainer content (content/places.yml), checked by kb validate."""

import pytest

from knowledge_base.places import borough_named, places_problems
from knowledge_base.search import borough_filter

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text, borough", [
    ("forest gate mum 3 kids, cupboards empty", "newham"),
    ("plaistow pensioner paying full CT", "newham"),
    ("lives E8 with 2 kids", "hackney"),
    ("res in Stoke Newington wants a befriender", "hackney"),
    ("e15 4ab, no gas", "newham"),
    ("food bank in Newham please", "newham"),
    ("moved from hackney to stratford, which council now", None),  # both: no filter
    ("council tax bill she cant afford", None),
    ("a hackneyed phrase", None),  # whole words only
    ("ME8 postcode", None),
])
def test_places_name_one_borough(text, borough):
    assert borough_named(text) == borough
    f = borough_filter(text)
    assert (f.borough if f else None) == borough


def test_the_shipped_gazetteer_is_valid():
    assert places_problems("content", {"hackney", "newham", "london", "national"}) == []


def test_a_place_under_two_boroughs_and_an_unknown_borough_are_errors_with_lines(tmp_path):
    (tmp_path / "places.yml").write_text(
        "owner: trainers\nlast_reviewed: 2026-12-04\nreview_by: 2027-12-04\nboroughs:\n"
        "  hackney: [dalston, stratford]\n  newham: [stratford]\n  camden: [kentish town]\n")
    problems = places_problems(tmp_path, {"hackney", "newham"})
    text = "\n".join(map(str, problems))
    assert "'stratford' is listed under both hackney and newham" in text
    assert "borough 'camden' is not a borough of any item" in text
    assert {p.line for p in problems} == {6, 7}  # the lines of newham and camden


def test_a_broken_gazetteer_is_one_clear_problem_and_a_missing_one_filters_nothing(tmp_path):
    assert borough_named("forest gate", tmp_path) is None
    (tmp_path / "places.yml").write_text("owner: trainers\nboroughs: []\n")
    problems = places_problems(tmp_path, {"hackney"})
    assert len(problems) == 1 and "cannot read the places list" in problems[0].message


def test_an_edited_gazetteer_is_read_again(tmp_path):
    import os

    path = tmp_path / "places.yml"
    path.write_text("owner: trainers\nlast_reviewed: 2026-12-04\nreview_by: 2027-12-04\nboroughs:\n  hackney: [dalston]\n")
    assert borough_named("dalston", tmp_path) == "hackney" and borough_named("hoxton", tmp_path) is None
    path.write_text(path.read_text().replace("[dalston]", "[dalston, hoxton]"))
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))
    assert borough_named("hoxton", tmp_path) == "hackney"


def test_kb_search_filters_by_the_place_named_as_the_assistant_does(content, tmp_path, capsys):
    import json

    from knowledge_base.cli import main as kb
    from knowledge_base.embedders import FakeEmbedder
    from knowledge_base.index import build_index

    build_index(content, FakeEmbedder(), tmp_path, progress=False)
    assert kb(["--embedder", "fake", "--index", str(tmp_path), "search", "food bank in forest gate",
               "--json", "--top", "10"]) == 0
    ids = [r["id"] for r in json.loads(capsys.readouterr().out)["results"]]
    items = {i.id: i for i in content.items}
    assert ids and all({"newham", "london", "national"} & set(items[i].boroughs) for i in ids)
    assert kb(["--embedder", "fake", "--index", str(tmp_path), "search", "food bank in forest gate",
               "--json", "--top", "10", "--borough", "hackney"]) == 0
    ids = [r["id"] for r in json.loads(capsys.readouterr().out)["results"]]
    assert ids and all({"hackney", "london", "national"} & set(items[i].boroughs) for i in ids)
