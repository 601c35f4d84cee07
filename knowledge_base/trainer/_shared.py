"""What every trainer command shares: its wording (``content/wording/trainer.yml``, with a
strict schema), date arguments and the content folder."""

from __future__ import annotations

import argparse
import datetime as dt
from functools import lru_cache
from pathlib import Path

from common.paths import WORDING_DIR
from common.wording import load_wording

from ..errors import KnowledgeBaseError
from ..loader import CONTENT_DIR
from ..schema import Strict


MESSAGES_PATH = WORDING_DIR / "trainer.yml"


class UsageError(KnowledgeBaseError):
    exit_code = 2


class _Stale(Strict):
    header: str
    owner: str
    line: str
    overdue: str
    due: str
    none: str


class _WhatsNew(Strict):
    header: str
    added: str
    changed: str
    removed: str
    reviewed: str
    day: str
    none: str
    fallback: str
    terms: str
    footer: str


class _Test(Strict):
    passed: str
    search_failed: str
    flow_failed: str
    flow_bad_answer: str
    not_run: str
    none: str


class _Gaps(Strict):
    header: str
    line: str
    none: str


class _Coverage(Strict):
    header: str
    line: str
    total: str
    missing: str


class _Refreshers(Strict):
    ok: str
    failed: str


class TrainerMessages(Strict):
    """``content/wording/trainer.yml``: the trainer commands' wording, one section per command."""

    stale: _Stale
    whats_new: _WhatsNew
    test: _Test
    gaps: _Gaps
    coverage: _Coverage
    refreshers: _Refreshers


@lru_cache(maxsize=1)
def messages() -> dict[str, dict[str, str]]:
    return load_wording(MESSAGES_PATH, TrainerMessages.model_validate,
                        hint="compare with TrainerMessages in knowledge_base/trainer/_shared.py").model_dump()


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _content_dir(args) -> Path:
    import os

    return Path(getattr(args, "content", None) or os.environ.get("FRONTLINE_CONTENT_DIR", CONTENT_DIR))


def _flows_module():
    """knowledge_base.flows if a colleague's module is present with the API we need."""
    try:
        from .. import flows
    except ImportError:
        return None
    return flows if hasattr(flows, "validate_flows") else None
