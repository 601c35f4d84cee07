"""Trainer commands for ``kb``, one module per command (wired in by ``cli.build_parser``):

    kb stale [--within DAYS] [--today DATE] [--json]    what needs review, by owner
    kb whats-new [--since DATE] [--json]                 items added/changed/removed
    kb test [--strict] [--json]                          content tests in content/tests/*.yml
    kb gaps [--since DATE] [--limit N] [--json]          unanswered / unhelpful messages
    kb coverage [--gaps] [--json]                        needs x boroughs: local / national only / none
    kb refreshers [--json]                               validate refresher modules

Wording comes from ``content/wording/trainer.yml``. Exit codes: 0 ok,
1 failures (``kb test``) or content errors, 2 usage.
"""


from __future__ import annotations

import argparse

from ._shared import TrainerMessages, UsageError, _date, messages
from .content_tests import ContentTest, load_tests
from .coverage import cmd_coverage
from .gaps import cmd_gaps
from .refreshers import cmd_refreshers
from .stale import cmd_stale, due_for_review
from .content_tests import cmd_test
from .whats_new import changes_from_git, changes_from_reviews, cmd_whats_new

def _common(p: argparse.ArgumentParser) -> None:
    # SUPPRESS: do not overwrite the global `kb --content DIR` when not given here
    p.add_argument("--content", default=argparse.SUPPRESS, help="content folder (same as the global --content)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def add_trainer_parsers(sub) -> None:
    s = sub.add_parser("stale", help="items past or near their review_by date, by owner")
    s.add_argument("--within", type=int, default=30, help="days ahead to include (default 30)")
    s.add_argument("--today", type=_date, default=None, help="pretend today is DATE (YYYY-MM-DD)")
    _common(s)
    s.set_defaults(func=cmd_stale)
    w = sub.add_parser("whats-new", help="what changed in the content since a date")
    w.add_argument("--since", type=_date, default=None, help="YYYY-MM-DD (default 30 days ago)")
    _common(w)
    w.set_defaults(func=cmd_whats_new)
    t = sub.add_parser("test", help="run the trainers' content tests (content/tests/*.yml)")
    t.add_argument("--strict", action="store_true", help="tests that could not run fail too")
    _common(t)
    t.set_defaults(func=cmd_test)
    g = sub.add_parser("gaps", help="most frequent unanswered or unhelpful messages")
    g.add_argument("--since", type=_date, default=None, help="YYYY-MM-DD (default 30 days ago)")
    g.add_argument("--limit", type=int, default=20)
    g.add_argument("--data-dir", default=None, help="folder of frontline.db (default $FRONTLINE_DATA_DIR or var/)")
    _common(g)
    g.set_defaults(func=cmd_gaps)
    c = sub.add_parser("coverage", help="needs x boroughs: local, national only or no route (content/needs.yml)")
    c.add_argument("--gaps", action="store_true", help="only needs without a local route in both boroughs")
    _common(c)
    c.set_defaults(func=cmd_coverage)
    r = sub.add_parser("refreshers", help="validate the refresher modules (content/refreshers/*.yml)")
    _common(r)
    r.set_defaults(func=cmd_refreshers)


__all__ = ["ContentTest", "TrainerMessages", "UsageError", "add_trainer_parsers", "changes_from_git",
           "changes_from_reviews", "due_for_review", "load_tests", "messages"]
