"""``python -m knowledge_base.flows``: validate the shipped (or given) flows."""

from __future__ import annotations

from .paths import all_paths
from .validate import FLOWS_DIR, validate_flows


def main(argv: list[str] | None = None) -> int:
    """``python -m knowledge_base.flows [validate|paths|examples] [--content DIR] [--check]``:
    list every problem (exit 1 on errors), print each flow's path count, or regenerate the
    annotated example conversations (docs/flows.md and README; ``--check`` only compares)."""
    import argparse
    import sys

    ap = argparse.ArgumentParser(prog="python -m knowledge_base.flows")
    ap.add_argument("command", choices=["validate", "paths", "examples"], nargs="?", default="validate")
    ap.add_argument("--content", default=str(FLOWS_DIR), help="flows folder")
    ap.add_argument("--check", action="store_true", help="examples: only check they are up to date (exit 1 if not)")
    args = ap.parse_args(argv)
    if args.command == "examples":
        from .examples import ExampleError
        from .examples import main as examples

        try:
            return examples(check=args.check)
        except ExampleError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
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
