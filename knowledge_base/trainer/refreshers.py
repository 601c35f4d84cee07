"""``kb refreshers``: validate the refresher modules."""

from __future__ import annotations

import json
import sys

from ._shared import _content_dir, messages


def cmd_refreshers(args) -> int:
    from ..refreshers import validate_refreshers

    modules, problems = validate_refreshers(_content_dir(args) / "refreshers")
    for p in problems:
        print(p, file=sys.stderr if p.level == "error" else sys.stdout)
    errors = sum(1 for p in problems if p.level == "error")
    warnings = len(problems) - errors
    if args.json:
        print(json.dumps({"modules": sorted(modules), "problems": [str(p) for p in problems]}, indent=2))
    else:
        key = "failed" if errors else "ok"
        print(messages()["refreshers"][key].format(count=len(modules), errors=errors, warnings=warnings))
    return 1 if errors else 0
