"""``python -m knowledge_base.flows``: validate the shipped (or given) flows."""

from __future__ import annotations

from .paths import all_paths
from .validate import FLOWS_DIR, validate_flows


def main(argv: list[str] | None = None) -> int:
    """``python -m knowledge_base.flows [validate|paths] [--content DIR]``: list every
    problem (exit 1 on errors), or print each flow's path count."""
    import argparse
    import sys

    ap = argparse.ArgumentParser(prog="python -m knowledge_base.flows")
    ap.add_argument("command", choices=["validate", "paths"], nargs="?", default="validate")
    ap.add_argument("--content", default=str(FLOWS_DIR), help="flows folder")
    args = ap.parse_args(argv)
    flows, problems = validate_flows(args.content)
    for p in problems:
        print(p, file=sys.stderr if p.level == "error" else sys.stdout)
    errors = sum(1 for p in problems if p.level == "error")
    if args.command == "paths" and not errors:
        for fid, flow in sorted(flows.items()):
            paths = all_paths(flow)
            print(f"{fid}: {len(flow.steps)} steps, {len(paths)} paths, longest {max(map(len, paths))} steps")
    print(f"{'FAILED' if errors else 'OK'}: {len(flows)} flows, {errors} error(s), {len(problems) - errors} warning(s)")
    return 1 if errors else 0
