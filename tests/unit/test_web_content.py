"""content/wording/web.yml (the front door's wording) and the trainer console status."""

from __future__ import annotations

import datetime as dt

import pytest

from web.pages import PAGE_ROLES, allowed_pages, trainer_status
from web.ui_text import STATIC_CONTENT, UiTextError, load_ui_text

pytestmark = pytest.mark.unit


def test_shipped_wording_loads_and_carries_the_safety_rule():
    t = load_ui_text()
    assert "999" in t.safety.emergency and "safeguarding" in t.safety.safeguarding
    assert t.stale_prefix == "Warning: this answer may be out of date"


def test_the_stale_prefix_matches_the_rasa_response():
    import yaml

    from pathlib import Path

    domain = yaml.safe_load((Path(__file__).resolve().parents[2] / "bot/domain/knowledge.yml").read_text())
    assert domain["responses"]["utter_kb_stale"][0]["text"].startswith(load_ui_text().stale_prefix)


def test_all_problems_are_reported_with_file_and_line(tmp_path):
    bad = tmp_path / "static_content.yml"
    text = STATIC_CONTENT.read_text().replace("  emergency:", "  emergncy:").replace("service_name:", "service_nam:")
    bad.write_text(text)
    with pytest.raises(UiTextError) as exc:
        load_ui_text(bad)
    lines = str(exc.value).splitlines()
    assert len(lines) >= 3  # two unknown keys + two missing keys
    assert all(line.startswith(f"{bad}:") for line in lines)
    assert any("emergncy" in line and ":" in line.split(str(bad))[1] for line in lines)


def test_trainer_status_lists_stale_items():
    now = trainer_status()
    assert now.items > 0 and not now.errors
    later = trainer_status(today=dt.date(2100, 1, 1))
    assert len(later.stale) == later.items
    assert later.stale == sorted(later.stale, key=lambda s: s[2])


def test_role_map():
    assert [p for p, _ in allowed_pages("worker")] == ["chat", "referrals"]
    assert [p for p, _ in allowed_pages("trainer")] == ["chat", "referrals", "trainer"]
    assert [p for p, _ in allowed_pages("admin")] == ["chat", "referrals", "trainer", "admin"]
    assert set().union(*PAGE_ROLES.values()) == {"worker", "trainer", "admin"}
