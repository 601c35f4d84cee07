"""One settings table (common/settings_table.py), checked in both directions against the
code, and the README's settings table is the generated one."""

import re

import pytest

from common.paths import ROOT
from common.settings_table import SETTINGS, readme_block

pytestmark = pytest.mark.unit

CODE_DIRS = ("common", "store", "frontline", "knowledge_base", "actions", "web", "scripts", "bot", "referrals", "deploy")
NAME = re.compile(r"FRONTLINE_[A-Z0-9_]*[A-Z0-9]|FRONTLINE_[A-Z0-9]+_(?=\{)")


def _code() -> str:
    files = [p for d in CODE_DIRS for p in (ROOT / d).rglob("*") if p.suffix in (".py", ".sh", ".yml")]
    return "\n".join(p.read_text(encoding="utf-8") for p in files if "settings_table" not in p.name) + (
        ROOT / "Makefile").read_text(encoding="utf-8")


def _listed(name: str) -> str:
    return name.split("<", 1)[0]  # a family: FRONTLINE_SEARCH_<FIELD> -> FRONTLINE_SEARCH_


def test_every_variable_the_code_reads_is_in_the_table():
    listed = [_listed(s.name) for s in SETTINGS]
    found = set(NAME.findall(_code()))
    missing = sorted(n for n in found if not any(
        n == l or (l.endswith("_") and n.startswith(l))  # a member of a family (FRONTLINE_SEARCH_ANSWER_MARGIN)
        or l.startswith(n + "_")  # a prefix the code matches on ("FRONTLINE_PG_")
        for l in listed))
    assert not missing, f"add these to common/settings_table.py: {missing}"


def test_every_variable_in_the_table_is_read_by_the_code():
    code = _code()
    unused = [s.name for s in SETTINGS if _listed(s.name) not in code]
    assert not unused, f"listed but never read: {unused}"


def test_the_readme_table_is_the_generated_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_block() in readme, "run: python -m common.settings_table --readme"


def test_every_entry_has_a_default_a_type_and_help():
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names))
    for s in SETTINGS:
        assert s.default and s.type and len(s.help) > 5, s
