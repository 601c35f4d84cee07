"""The README is tested against the code: commands, targets, settings, links."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_quick_start_is_exactly_make_run_and_make_test():
    block = README.split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [l.split("#")[0].strip() for l in block.splitlines()[1:] if l.strip()]
    assert commands == ["make run", "make test"]


def test_every_make_target_in_the_readme_exists():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z-]+):", makefile, re.M))
    for target in set(re.findall(r"`make ([a-z-]+)", README)):
        assert target in targets, target


def test_every_kb_and_frontline_command_in_the_readme_exists():
    from knowledge_base.cli import build_parser

    kb_cmds = set(build_parser()._subparsers._group_actions[0].choices)
    for cmd in set(re.findall(r"(?:`|\.venv/bin/)kb ([a-z][a-z-]+)", README)):
        assert cmd in kb_cmds, cmd
    cli = (ROOT / "frontline" / "cli.py").read_text()
    for cmd in set(re.findall(r"(?:`|\.venv/bin/)frontline ([a-z]+)", README)):
        assert f'"{cmd}"' in cli or f"{cmd} " in cli, cmd


def test_every_setting_in_the_readme_is_read_by_the_code():
    code = "".join(p.read_text() for d in ("common", "store", "frontline", "knowledge_base", "actions", "web", "scripts", "bot", "referrals")
                   for p in (ROOT / d).rglob("*") if p.suffix in (".py", ".sh", ".yml"))
    table = README.split("## Settings", 1)[1].split("##", 1)[0]
    for var in set(re.findall(r"`((?:FRONTLINE|PYTHON)[A-Z0-9_]*)`", table)):
        assert var in code, var


def test_linked_files_exist():
    for link in re.findall(r"\]\(((?!http)[^)#]+)\)", README):
        assert (ROOT / link).exists(), link
