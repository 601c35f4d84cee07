"""The shipped content validates, and broken content is reported in full."""

import datetime as dt
import textwrap

import pytest

from knowledge_base.cli import main as kb
from knowledge_base.loader import load_content

pytestmark = pytest.mark.unit

GOOD = textwrap.dedent("""\
    items:
      - id: test-service
        type: service
        title: Test service
        organisation: Test org
        description: A service used in tests only.
        categories: [food]
        boroughs: [hackney]
        say_this: ["We can help with food."]
        steps: ["Give the number."]
        contacts: [{kind: web, value: "https://example.org"}]
        source: https://example.org
        owner: training-team
        last_reviewed: 2026-01-01
        review_by: 2027-01-01
""")


def write(tmp_path, rel, text):
    p = tmp_path / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def test_shipped_content_has_no_errors(content):
    assert content.errors == [], "\n".join(map(str, content.errors))
    assert len(content.items) >= 120


def test_every_item_has_source_owner_and_review_dates(content):
    for item in content.items:
        assert item.owner and item.last_reviewed < item.review_by
        if item.type == "guidance" and item.legal:
            assert any(s.primary for s in item.sources), item.id


def test_illustrative_items_carry_no_phone_number(content):
    for item in content.items:
        if item.illustrative:
            assert not [c for c in item.contacts if c.kind in ("phone", "text")], item.id


def test_all_problems_reported_at_once_with_file_and_line(tmp_path):
    bad = GOOD.replace("type: service", "type: service\n    colour: blue")  # unknown field, line 3
    bad = bad.replace("boroughs: [hackney]", "boroughs: [camden]")              # bad value
    bad = bad.replace("source: https://example.org", "source: not-a-url")      # bad URL
    write(tmp_path, "services/bad.yml", bad)
    write(tmp_path, "services/broken.yml", "items:\n  - id: x\n   bad indent: [\n")
    content = load_content(tmp_path, today=dt.date(2026, 6, 1))
    msgs = [str(p) for p in content.errors]
    assert any("bad.yml:4:" in m and "colour" in m for m in msgs), msgs
    assert any("bad.yml:" in m and "boroughs" in m for m in msgs), msgs
    assert any("bad.yml:" in m and "source" in m for m in msgs), msgs
    assert any("broken.yml:" in m and "YAML syntax" in m for m in msgs), msgs
    assert all("hint:" in m for m in msgs if "colour" in m)


def test_duplicate_ids_and_future_dates(tmp_path):
    write(tmp_path, "services/a.yml", GOOD)
    write(tmp_path, "services/b.yml", GOOD.replace("2026-01-01\n    review_by", "2027-01-01\n    review_by")
          .replace("review_by: 2027-01-01", "review_by: 2028-01-01"))
    content = load_content(tmp_path, today=dt.date(2026, 6, 1))
    msgs = [str(p) for p in content.errors]
    assert any("duplicate id 'test-service'" in m and "a.yml:2" in m for m in msgs), msgs
    assert any("in the future" in m for m in msgs), msgs


def test_past_review_by_is_a_warning_that_fails_only_in_strict_mode(tmp_path, capsys):
    write(tmp_path, "services/a.yml", GOOD.replace("review_by: 2027-01-01", "review_by: 2026-02-01"))
    assert kb(["--content", str(tmp_path), "validate"]) == 0
    assert kb(["--content", str(tmp_path), "validate", "--strict"]) == 1
    out = capsys.readouterr().out
    assert "past its review_by" in out and "a.yml:2" in out


def test_invalid_content_exits_non_zero_with_file_line(tmp_path, capsys):
    write(tmp_path, "services/a.yml", GOOD.replace("title: Test service", "title: X"))
    assert kb(["--content", str(tmp_path), "validate"]) == 1
    err = capsys.readouterr().err
    assert "a.yml:4:" in err and "title" in err


def test_legal_guidance_without_primary_source_is_refused(tmp_path):
    guidance = textwrap.dedent("""\
        items:
          - id: test-legal
            type: guidance
            title: A legal article
            categories: [housing]
            boroughs: [national]
            summary: Something about the law in England.
            say_this: ["Say this."]
            steps: ["Do this."]
            contacts: [{kind: web, value: "https://example.org"}]
            sources: [{title: A blog, url: "https://example.org/blog"}]
            legal: true
            owner: housing-lead
            last_reviewed: 2026-01-01
            review_by: 2026-07-01
    """)
    write(tmp_path, "guidance/a.yml", guidance)
    content = load_content(tmp_path, today=dt.date(2026, 6, 1))
    assert any("primary" in p.message for p in content.errors)


def test_kb_validate_covers_flows_and_risk_routes(tmp_path, capsys):
    import shutil

    from knowledge_base.loader import CONTENT_DIR

    shutil.copytree(CONTENT_DIR, tmp_path / "c")
    flow = tmp_path / "c" / "flows" / "eviction-homelessness.yml"
    flow.write_text(flow.read_text().replace("next: tonight}", "next: no-such-step}", 1))
    triggers = tmp_path / "c" / "risk_routes.yml"
    triggers.write_text(triggers.read_text().replace("flow: domestic-abuse", "flow: domestic-abus"))
    assert kb(["--content", str(tmp_path / "c"), "validate"]) == 1
    err = capsys.readouterr().err
    assert "eviction-homelessness.yml:" in err and "no-such-step" in err
    assert "risk_routes.yml:" in err and "unknown flow 'domestic-abus'" in err
