"""Which role may open which page, and the trainer console's content status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PAGE_ROLES: dict[str, frozenset[str]] = {
    "chat": frozenset({"worker", "trainer", "admin"}),
    "referrals": frozenset({"worker", "trainer", "admin"}),
    "trainer": frozenset({"trainer", "admin"}),
    "admin": frozenset({"admin"}),
}
PAGE_LINKS = [("chat", "/"), ("referrals", "/referrals"), ("trainer", "/trainer"), ("admin", "/admin")]


def allowed_pages(role: str) -> list[tuple[str, str]]:
    """(page, href) of the pages a role may open, for the navigation."""
    return [(name, href) for name, href in PAGE_LINKS if role in PAGE_ROLES[name]]


@dataclass
class ContentStatus:
    items: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stale: list[tuple[str, str, str, str]] = field(default_factory=list)  # id, title, review_by, owner
    coverage: dict[str, dict[str, int]] = field(default_factory=dict)  # borough -> local / national / none
    uncovered: list[tuple[str, str, str, str]] = field(default_factory=list)  # need id, title, hackney, newham


def trainer_status(content_dir: Path | None = None, today: dt.date | None = None) -> ContentStatus:
    """Validation problems and stale items; recomputed only when a content file or the date changes."""
    from knowledge_base.loader import CONTENT_DIR, content_fingerprint

    content_dir = Path(content_dir or CONTENT_DIR)
    return _status(content_dir, content_fingerprint(content_dir), today or dt.date.today())


@lru_cache(maxsize=4)
def _status(content_dir: Path, _fingerprint: str, today: dt.date) -> ContentStatus:
    from knowledge_base.loader import load_content

    content = load_content(content_dir, today=today)
    status = ContentStatus(items=len(content.items))
    for p in content.problems:
        (status.errors if p.level == "error" else status.warnings).append(str(p))
    status.stale = [(i.id, i.title, i.review_by.isoformat(), i.owner)
                    for i in sorted(content.items, key=lambda i: i.review_by) if i.review_by < today]
    from knowledge_base.needs import coverage, load_needs, summary

    needs, _ = load_needs(content_dir)
    if needs is not None:  # the same view as `kb coverage`: what residents need that has no local route
        rows = coverage(needs, content.by_id())
        status.coverage = summary(rows)
        status.uncovered = [(r.need.id, r.need.title, r.cells["hackney"], r.cells["newham"])
                            for r in rows if "local" not in r.cells.values()]
    return status
