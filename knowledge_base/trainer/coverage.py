"""``kb coverage``: needs x boroughs, local / national only / none (``content/needs.yml``)."""

from __future__ import annotations

import json
import sys

from common.problems import display_path

from ..loader import load_content
from ._shared import _content_dir, messages


def cmd_coverage(args) -> int:
    from ..needs import coverage, load_needs, summary

    content_dir = _content_dir(args)
    needs, problems = load_needs(content_dir)
    m = messages()["coverage"]
    if needs is None:
        for p in problems:
            print(p, file=sys.stderr)
        print(m["missing"].format(folder=display_path(content_dir)), file=sys.stderr)
        return 1
    items = load_content(content_dir).by_id()
    rows = coverage(needs, items)
    totals = summary(rows)
    if args.json:
        print(json.dumps({"summary": totals, "needs": [r.as_dict() for r in rows]}, indent=2))
        return 0
    print(m["header"].format(count=len(rows)))
    for r in rows:
        if args.gaps and all(c == "local" for c in r.cells.values()):
            continue
        print(m["line"].format(hackney=r.cells["hackney"], newham=r.cells["newham"], id=r.need.id,
                               items=", ".join(r.need.items) or "-"))
    for borough, t in totals.items():
        routed = t["local"] + t["national"]
        print(m["total"].format(borough=borough.title(), local=t["local"], national=t["national"], none=t["none"],
                                share=routed / max(len(rows), 1)))
    return 0
