"""``kb``: the trainers' and engineers' command line for the knowledge base.

    kb validate [--strict]     check every content file; all problems at once
    kb build [--force]         (re)build the search index, re-embedding only changed text
    kb search "query" [--json] [--borough B] [--category C] [--top N]

Exit codes: 0 ok, 1 content errors (or warnings with --strict), 2 usage,
3 model integrity, 4 no index.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .errors import ContentInvalid, KnowledgeBaseError
from .loader import CONTENT_DIR, load_content


def _content_dir(args) -> Path:
    return Path(args.content or os.environ.get("FRONTLINE_CONTENT_DIR", CONTENT_DIR))


def cmd_validate(args) -> int:
    from .validate import validate_all

    report = validate_all(_content_dir(args))
    for p in report.problems:
        print(p, file=sys.stderr if p.level == "error" else sys.stdout)
    n_err, n_warn = len(report.errors), len(report.warnings)
    failed = n_err > 0 or (args.strict and n_warn > 0)
    verdict = "FAILED" if failed else "OK"
    counts = ", ".join(f"{n} {what}" for what, n in report.counts.items())
    notices = f", {len(report.notices)} notice(s)" if report.notices else ""
    print(f"{verdict}: {counts}, {n_err} error(s), {n_warn} warning(s){notices}{' (strict)' if args.strict else ''}")
    return 1 if failed else 0


def _checked_content(args):
    content = load_content(_content_dir(args))
    if content.errors:
        for p in content.errors:
            print(p, file=sys.stderr)
        raise ContentInvalid(content.problems)
    return content


def cmd_build(args) -> int:
    from .embedders import make_embedder
    from .index import build_index, default_index_dir

    content = _checked_content(args)
    # a build encodes hundreds of texts: use every core (queries use one thread, see embedders.py)
    os.environ.setdefault("FRONTLINE_TORCH_THREADS", str(os.cpu_count() or 1))
    embedder = make_embedder(args.embedder)
    index_dir = Path(args.index) if args.index else default_index_dir()
    report = build_index(content, embedder, index_dir, progress=not args.quiet, force=args.force)
    if report.skipped:
        print(f"index up to date ({report.items} items): {report.path}")
    else:
        loading = f" after loading the model in {report.load_seconds:.1f}s" if report.load_seconds >= 0.05 else ""
        print(f"built index: {report.items} items, {report.vectors} vectors "
              f"({report.embedded} embedded, {report.reused} reused) in "
              f"{report.busy_seconds:.1f}s [{report.rate:.0f} vectors/s]{loading} -> {report.path}")
    if not args.index_only:
        _prepare_caches(content, embedder, index_dir, quiet=args.quiet)
    return 0


def _prepare_caches(content, embedder, index_dir: Path, quiet: bool) -> None:
    """What the action server needs beside the index: the needs map's exemplar vectors and the
    risk router's example vectors and fitted classifier, made now so its first start reads them
    back instead of encoding a few thousand texts and fitting (about 40 s on two cores). Only
    new texts are encoded; the router is refitted only when what it depends on changed."""
    import time

    from .risk import ROUTER_VECTORS_FILE, RiskRouter, tuned_dir_for
    from .search import exemplar_vectors

    t0 = time.monotonic()
    if not quiet:
        print("vectors of the needs' exemplars and the risk router's examples, the router's fit and its fine-tuned "
              "classifier (only what changed; about 40 s, and 8 min of fine-tuning, the first time) ...", flush=True)
    exemplars = [text for text, _ in content.exemplars]
    exemplar_vectors(embedder, exemplars, index_dir)  # the model is loaded only if a text is new
    n = RiskRouter.shipped(embedder, content.items, vector_cache=index_dir / ROUTER_VECTORS_FILE,
                           tuned_dir=tuned_dir_for(embedder, index_dir)).prepare(progress=not quiet)
    if not quiet:
        print(f"  ready: {len(exemplars)} exemplars, the router fitted on {n} examples "
              f"({time.monotonic() - t0:.1f}s) -> {index_dir}", flush=True)


def cmd_search(args) -> int:
    from .embedders import make_embedder
    from .places import borough_named
    from .search import Filters, KnowledgeSearch

    content = _checked_content(args)
    ks = KnowledgeSearch(content=content, embedder=make_embedder(args.embedder),
                         index_dir=Path(args.index) if args.index else None)
    # as the assistant searches: a place of one borough named in the message filters the local items
    borough = args.borough or borough_named(args.query, _content_dir(args))
    out = ks.run(args.query, Filters(borough=borough, category=args.category), top_k=args.top)
    rows = [{"id": h.id, "title": h.item.title, "score": round(h.score, 4),
             "source": str(getattr(h.item, "source", None) or h.item.sources[0].url)} for h in out["hits"]]
    if args.json:
        print(json.dumps({"query": out["query"], "confidence": out["confidence"], "results": rows}, indent=2))
    else:
        print(f"confidence: {out['confidence']}")
        for r in rows:
            print(f"{r['score']:.3f}  {r['id']}  {r['title']}  <{r['source']}>")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .importers.hsds import add_import_parser

    p = argparse.ArgumentParser(prog="kb", description="Knowledge-base tools for trainers and engineers.")
    p.add_argument("--content", help="content folder (default content/flows)")
    p.add_argument("--index", help="index folder (default var/index)")
    p.add_argument("--embedder", choices=["sentence-transformers", "fake"], default=None,
                   help="embedder (default from FRONTLINE_EMBEDDER, else the bundled model)")
    sub = p.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("validate", help="check all content; list every problem as file:line")
    v.add_argument("--strict", action="store_true", help="warnings fail too (CI)")
    v.set_defaults(func=cmd_validate)
    b = sub.add_parser("build", help="build the search index incrementally")
    b.add_argument("--force", action="store_true", help="rebuild even if up to date")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.add_argument("--index-only", action="store_true",
                   help="only the search index: leave the needs' exemplar vectors and the risk router's vectors and "
                        "fit to the action server's first start (slower start; for tests and index-only builds)")
    b.set_defaults(func=cmd_build)
    s = sub.add_parser("search", help="search the knowledge base")
    s.add_argument("query")
    s.add_argument("--json", action="store_true")
    s.add_argument("--borough", help="only this borough's local items (default: the borough whose places the "
                   "query names, as the assistant does)")
    s.add_argument("--category")
    s.add_argument("--top", type=int, default=5)
    s.set_defaults(func=cmd_search)
    add_import_parser(sub)
    from .trainer import add_trainer_parsers

    add_trainer_parsers(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KnowledgeBaseError as exc:
        print(f"kb: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("kb: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
