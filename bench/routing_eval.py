"""Risk routing quality (``make eval``): every routing set under tests/eval_routing/.

A risk message is right when the router opens its route's guide or one of its ``also``
routes (a close second offered beside the first counts when it is one of them). A risk
message that starts no guide but is offered its guide after the answer (the router's
"check", ``check_floor``), or whose search answer offers its guide (the guides that share a
category with the answer's first two items, as the action server offers them), is counted
apart: it is not on the right route, and it is not "without a route" either. For ``none``
messages: how many start a guide (look-alike questions, everyday needs), and how many are
offered a guide as a check.
A confusion matrix per set: rows are the labels, columns what the router chose.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

from common.paths import ROOT

SETS_DIR = ROOT / "tests" / "eval_routing"


@dataclass(frozen=True)
class Labelled:
    text: str
    route: str
    also: tuple[str, ...] = ()
    kind: str | None = None


def load_set(path: Path) -> list[Labelled]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Labelled(m["text"], m["route"], tuple(m.get("also") or ()), m.get("kind")) for m in data["messages"]]


def routing_sets() -> list[Path]:
    return sorted(SETS_DIR.glob("*.yml"))


def search_offers(search, text: str, exclude: str | None = None) -> set[str]:
    """The guides the first reply offers beside the search answer for ``text``."""
    from knowledge_base.flows import flows_for_hits
    from knowledge_base.search import borough_filter

    out = search.run(text, borough_filter(text), top_k=3)
    if out["confidence"] == "none":
        return set()
    return {f["id"] for f in flows_for_hits(out["hits"], exclude=exclude, text=text)}


def evaluate(router, messages: list[Labelled], search=None) -> dict:
    """``search``: also count a risk message whose search answer offers its guide."""
    from knowledge_base.risk import NONE

    confusion: dict[str, Counter] = defaultdict(Counter)
    right = risk = missed = checked_right = checked_other = search_right = paired = paired_needed = 0
    started = Counter()
    checked = Counter()
    kinds = Counter()
    wrong: list[str] = []
    took: list[float] = []
    for m in messages:
        t = time.perf_counter()
        d = router.run(m.text)
        took.append(time.perf_counter() - t)
        confusion[m.route][d.route] += 1
        if m.route == NONE:
            kinds[m.kind] += 1
            if d.is_risk:
                started[m.kind] += 1
                wrong.append(f"  none/{m.kind} -> {d.route}: {m.text}  [{d.reason()}]")
            elif d.check:
                checked[m.kind] += 1
            continue
        risk += 1
        ok_routes = {m.route, *m.also}
        chosen = {d.route, *d.alternatives}
        paired += bool(d.is_risk and d.alternatives)
        if d.route in ok_routes or (d.is_risk and ok_routes & chosen):
            right += 1
            paired_needed += d.route not in ok_routes
        else:
            own = {router.flows[r] for r in ok_routes if r in router.flows}
            if not d.is_risk and d.check in ok_routes:
                checked_right += 1
            elif not d.is_risk and search is not None and own & search_offers(search, m.text, d.check_flow):
                search_right += 1
            elif not d.is_risk and d.check:
                checked_other += 1
            elif not d.is_risk:
                missed += 1
            wrong.append(f"  {m.route} -> {d.route}: {m.text}  [{d.reason()}]")
    return {"risk": risk, "right": right, "missed": missed, "kinds": kinds, "started": started, "checked": checked,
            "paired": paired, "paired_needed": paired_needed, "checked_right": checked_right, "checked_other": checked_other, "search_right": search_right,
            "confusion": confusion, "wrong": wrong, "took_ms": sorted(1000 * x for x in took)}


def report(name: str, r: dict, show_wrong: bool) -> None:
    print(f"\n== routing set {name}: {r['risk']} risk messages, "
          + ", ".join(f"{n} {k}" for k, n in sorted(r["kinds"].items())))
    print(f"risk on the right route: {r['right']}/{r['risk']} = {r['right'] / max(r['risk'], 1):.3f}; "
          f"risk with no route (no guide started or offered): {r['missed']}; "
          f"no guide started but offered in the first reply: {r['checked_right']} its own by the router, "
          f"{r['search_right']} its own beside the search answer, {r['checked_other']} another")
    print(f"risk offered a second guide beside the first: {r['paired']}/{r['risk']}; "
          f"right only by the second: {r['paired_needed']}")
    for kind in sorted(r["kinds"]):
        n, s, c = r["kinds"][kind], r["started"][kind], r["checked"][kind]
        print(f"{kind} that start a guide: {s}/{n} = {s / max(n, 1):.3f}; offered one after the answer: {c}/{n} = {c / max(n, 1):.3f}")
    cols = sorted({c for row in r["confusion"].values() for c in row} | set(r["confusion"]))
    short = {c: c[:8] for c in cols}
    took = r.get("took_ms") or [0.0]
    print(f"routing time per message (this machine, one process): p50 {took[len(took) // 2]:.0f} ms, "
          f"p95 {took[min(len(took) - 1, int(0.95 * len(took)))]:.0f} ms")
    print("confusion (rows: label, columns: routed to)")
    print(" " * 22 + " ".join(f"{short[c]:>8}" for c in cols))
    for row in cols:
        if row in r["confusion"]:
            print(f"{row:>22}" + " ".join(f"{r['confusion'][row][c]:>8}" for c in cols))
    if show_wrong and r["wrong"]:
        print("misrouted:")
        print("\n".join(r["wrong"]))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--set", help="one routing set file (default: every set in tests/eval_routing/)")
    p.add_argument("--wrong", action="store_true", help="list every misrouted message")
    p.add_argument("--fake", action="store_true", help="fake embedder (for a smoke run, not a measurement)")
    args = p.parse_args(argv)
    from knowledge_base.embedders import FakeEmbedder
    from knowledge_base.loader import load_content
    from knowledge_base.index import default_index_dir
    from knowledge_base.risk import RiskRouter, tuned_dir_for

    search = None
    if args.fake:
        router = RiskRouter.shipped(FakeEmbedder(), load_content().items)
    else:
        from bench.search_eval import canonical_search

        search = canonical_search()
        router = RiskRouter.shipped(search.embedder, search.items.values(),
                                    tuned_dir=tuned_dir_for(search.embedder, default_index_dir()))
    router.warm_up()
    print(f"classifier: {f'fine-tuned ({router.tuned_state})' if router.uses_tuned else 'logistic regression'}")
    paths = [Path(args.set)] if args.set else routing_sets()
    if not paths:
        print("no routing sets found", file=sys.stderr)
        return 1
    for path in paths:
        report(path.stem, evaluate(router, load_set(path), search), args.wrong)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
