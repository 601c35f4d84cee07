"""The needs map: strict schema, cross checks as file:line, and the coverage view."""

import json
import textwrap

import pytest

from knowledge_base.cli import main as kb
from knowledge_base.loader import load_content
from knowledge_base.needs import coverage, load_needs, needs_problems, summary

pytestmark = pytest.mark.unit


def item(id_, boroughs):
    return textwrap.dedent(f"""\
      - id: {id_}
        type: service
        title: Service {id_}
        organisation: Test org
        description: A service used in tests only.
        categories: [food]
        boroughs: {boroughs}
        say_this: ["We can help."]
        steps: ["Give the number."]
        contacts: [{{kind: web, value: "https://example.org"}}]
        source: https://example.org
        owner: training-team
        last_reviewed: 2026-01-01
        review_by: 2027-01-01
    """)


NEEDS = textwrap.dedent("""\
    owner: content-lead
    last_reviewed: 2026-11-01
    review_by: 2027-05-01
    sources:
      - {title: Citizens Advice - advice topics, url: "https://www.citizensadvice.org.uk/"}
    needs:
      - id: food-today
        area: food
        title: No food today
        description: The resident has no food for today and no money.
        examples: ["no food till friday"]
        items: [hackney-food, national-food]
      - id: water-bills
        area: water
        title: Cannot pay the water bill
        description: Water bill arrears or a social tariff.
        examples: ["water bill arrears"]
        items: [national-water]
        no_local_service: {hackney: 2026-11-01, newham: 2026-11-01}
      - id: bus-pass
        area: travel
        title: Free travel for an older or disabled resident
        description: Freedom Pass and concessionary travel.
        examples: ["freedom pass"]
        items: []
""")


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "s.yml").write_text(
        "items:\n" + "".join(item(i, b) for i, b in [("hackney-food", "[hackney]"), ("national-food", "[national]"),
                                                     ("national-water", "[national]"), ("london-food", "[london]"),
                                                     ("orphan-item", "[newham]")]))
    (tmp_path / "needs.yml").write_text(NEEDS)
    return tmp_path


def test_coverage_cells_local_national_none(folder):
    needs, problems = load_needs(folder)
    assert problems == []
    rows = {r.need.id: r.cells for r in coverage(needs, load_content(folder).by_id())}
    assert rows["food-today"] == {"hackney": "local", "newham": "national"}
    assert rows["water-bills"] == {"hackney": "national", "newham": "national"}
    assert rows["bus-pass"] == {"hackney": "none", "newham": "none"}
    assert summary(coverage(needs, load_content(folder).by_id()))["hackney"] == {"local": 1, "national": 1, "none": 1}


def test_london_wide_items_count_as_local(folder):
    (folder / "needs.yml").write_text(NEEDS.replace("items: [hackney-food, national-food]", "items: [london-food]"))
    needs, _ = load_needs(folder)
    rows = {r.need.id: r.cells for r in coverage(needs, load_content(folder).by_id())}
    assert rows["food-today"] == {"hackney": "local", "newham": "local"}


def test_cross_checks_report_every_problem_with_its_line(folder):
    (folder / "needs.yml").write_text(NEEDS.replace("items: [national-water]", "items: [no-such-item]")
                                      .replace("{hackney: 2026-11-01, newham", "{hackney: 2099-01-01, newham"))
    problems = needs_problems(folder, load_content(folder).by_id(), today=__import__("datetime").date(2026, 12, 4))
    text = "\n".join(map(str, problems))
    assert "needs.yml:18: error: water-bills: unknown item 'no-such-item'" in text
    assert "no_local_service.hackney date 2099-01-01 is in the future" in text
    assert "warning: bus-pass: no item meets this need yet" in text
    recorded = NEEDS.replace('examples: ["freedom pass"]', 'examples: ["freedom pass"]\n    notes: "no item yet"')
    (folder / "needs.yml").write_text(recorded)
    again = needs_problems(folder, load_content(folder).by_id(), today=__import__("datetime").date(2026, 12, 4))
    assert any(p.level == "notice" and "bus-pass" in p.message for p in again), "a recorded gap is a notice"
    assert "warning: item 'orphan-item' is mapped to no need" in text


def test_schema_is_strict(folder):
    (folder / "needs.yml").write_text(NEEDS.replace("area: food", "area: food\n    colour: blue"))
    _, problems = load_needs(folder)
    assert problems and "colour" in problems[0].message and problems[0].line == 9


def test_kb_validate_includes_the_needs_map(folder, capsys):
    (folder / "needs.yml").write_text(NEEDS.replace("items: [national-water]", "items: [no-such-item]"))
    assert kb(["--content", str(folder), "validate"]) == 1
    assert "unknown item 'no-such-item'" in capsys.readouterr().err


def test_kb_coverage_prints_the_matrix_and_totals(folder, capsys):
    assert kb(["--content", str(folder), "coverage"]) == 0
    out = capsys.readouterr().out
    assert "local     national  food-today  [hackney-food, national-food]" in out
    assert "Hackney: 1 local, 1 national only, 1 with no route (67% have a route)" in out
    assert kb(["--content", str(folder), "coverage", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["newham"] == {"local": 0, "national": 2, "none": 1}


def test_kb_coverage_without_a_map_says_what_to_do(tmp_path, capsys):
    (tmp_path / "services").mkdir()
    assert kb(["--content", str(tmp_path), "coverage"]) == 1
    assert "add needs.yml" in capsys.readouterr().err


def test_every_labelled_set_names_real_needs_and_routes():
    from pathlib import Path

    import yaml

    from knowledge_base.loader import CONTENT_DIR
    from knowledge_base.risk import NONE, load_routes

    root = Path(__file__).resolve().parents[2]
    needs, _ = load_needs(CONTENT_DIR)
    ids = {n.id for n in needs.needs}
    for path in sorted((root / "tests" / "eval_needs").glob("*.yml")):
        for m in yaml.safe_load(path.read_text())["messages"]:
            assert set(m.get("needs") or [m["need"]]) <= ids, (path.name, m)
    routes = {r.id for r in load_routes().routes} | {NONE}
    for path in sorted((root / "tests" / "eval_routing").glob("*.yml")):
        texts = [m["text"] for m in yaml.safe_load(path.read_text())["messages"]]
        assert len(texts) == len(set(texts)), path.name
        for m in yaml.safe_load(path.read_text())["messages"]:
            assert {m["route"], *(m.get("also") or [])} <= routes, (path.name, m)


def test_risk_route_names_a_known_route_and_keeps_the_need_out_of_the_everyday_class(folder):
    """A need whose messages can be disclosures names its risk route: an unknown route is an
    error at its line, and the router does not learn that need's examples as "no guide"."""
    from knowledge_base.risk.router import everyday_examples

    (folder / "risk_routes.yml").write_text("routes:\n  - id: safeguarding-adult\n")
    flagged = NEEDS.replace("    items: [hackney-food, national-food]",
                            "    items: [hackney-food, national-food]\n    risk_route: safeguarding-adult")
    (folder / "needs.yml").write_text(flagged.replace("risk_route: safeguarding-adult", "risk_route: no-such-route"))
    problems = needs_problems(folder, load_content(folder).by_id())
    assert any(p.line == 13 and "food-today: unknown risk route 'no-such-route'" in p.message for p in problems)
    (folder / "needs.yml").write_text(flagged)
    assert not any("risk route" in p.message for p in needs_problems(folder, load_content(folder).by_id()))
    needs, _ = load_needs(folder)
    everyday = everyday_examples([], needs.needs)
    assert "no food till friday" not in everyday and "water bill arrears" in everyday
