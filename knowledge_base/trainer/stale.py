"""``kb stale``: items past or near their ``review_by`` date, by owner."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from common.problems import display_path

from ..loader import load_content
from ._shared import _content_dir, _flows_module, messages


@dataclass
class Due:
    kind: str
    id: str
    title: str
    owner: str
    review_by: dt.date
    days: int
    where: str

    @property
    def status(self) -> str:
        return "overdue" if self.days < 0 else "due"


def due_for_review(content_dir: Path, today: dt.date, within: int) -> list[Due]:
    until = today + dt.timedelta(days=within)
    out: list[Due] = []
    content = load_content(content_dir, today)
    for item in content.items:
        f, line = content.item_lines.get(item.id, ("?", 1))
        out.append(Due(item.type, item.id, item.title, item.owner, item.review_by, (item.review_by - today).days, f"{f}:{line}"))
    flows = _flows_module()
    if flows is not None and (content_dir / "flows").is_dir():
        found, _ = flows.validate_flows(content_dir / "flows", today)
        for f in found.values():
            out.append(Due("flow", f.id, f.title, f.owner, f.review_by, (f.review_by - today).days,
                           display_path(content_dir / "flows" / f"{f.id}.yml")))
    if (content_dir / "refreshers").is_dir():
        from ..refreshers import validate_refreshers

        mods, _ = validate_refreshers(content_dir / "refreshers", today, cross_check=False)
        for m in mods.values():
            out.append(Due("refresher", m.id, m.title, m.owner, m.review_by, (m.review_by - today).days,
                           display_path(content_dir / "refreshers" / f"{m.id}.yml")))
    return sorted((d for d in out if d.review_by <= until), key=lambda d: (d.owner, d.review_by, d.id))


def cmd_stale(args) -> int:
    today = args.today or dt.date.today()
    until = today + dt.timedelta(days=args.within)
    rows = due_for_review(_content_dir(args), today, args.within)
    if args.json:
        groups: dict[str, list] = {}
        for d in rows:
            groups.setdefault(d.owner, []).append({**asdict(d), "review_by": d.review_by.isoformat(), "status": d.status})
        print(json.dumps({"today": today.isoformat(), "until": until.isoformat(), "count": len(rows), "owners": groups}, indent=2))
        return 0
    m = messages()["stale"]
    if not rows:
        print(m["none"].format(until=until))
        return 0
    print(m["header"].format(until=until, count=len(rows)))
    owner = None
    for d in rows:
        if d.owner != owner:
            owner = d.owner
            print(m["owner"].format(owner=owner))
        print(m["line"].format(review_by=d.review_by, status=m[d.status], kind=d.kind, id=d.id, where=d.where, title=d.title))
    return 0
