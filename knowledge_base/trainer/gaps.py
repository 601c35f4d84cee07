"""``kb gaps``: the most frequent unanswered or unhelpful messages."""

from __future__ import annotations

import datetime as dt
import json

from ._shared import messages


def cmd_gaps(args) -> int:
    from ..gaps import gap_report

    since = args.since or (dt.date.today() - dt.timedelta(days=30))
    gaps, total = gap_report(since, directory=args.data_dir, limit=args.limit)
    if args.json:
        print(json.dumps({"since": since.isoformat(), "searches": total, "gaps": [g.as_dict() for g in gaps]}, indent=2))
        return 0
    m = messages()["gaps"]
    if not gaps:
        print(m["none"].format(since=since))
        return 0
    print(m["header"].format(since=since, rows=total))
    for g in gaps:
        print(m["line"].format(count=g.count, text=g.text, unanswered=g.unanswered, unhelpful=g.unhelpful, top=g.top or "-"))
    return 0
