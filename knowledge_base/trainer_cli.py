"""Trainer commands for ``kb`` (wired in by ``cli.build_parser``):

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
import datetime as dt
import json
import subprocess
import sys
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import Field, ValidationError, model_validator

from common.paths import WORDING_DIR
from common.problems import Problem, display_path, node_line
from common.wording import load_wording

from .errors import KnowledgeBaseError
from .loader import CONTENT_DIR, HINTS, load_content
from .schema import ItemId, Strict

MESSAGES_PATH = WORDING_DIR / "trainer.yml"


class UsageError(KnowledgeBaseError):
    exit_code = 2


class _Stale(Strict):
    header: str
    owner: str
    line: str
    overdue: str
    due: str
    none: str


class _WhatsNew(Strict):
    header: str
    added: str
    changed: str
    removed: str
    reviewed: str
    day: str
    none: str
    fallback: str
    terms: str
    footer: str


class _Test(Strict):
    passed: str
    search_failed: str
    flow_failed: str
    flow_bad_answer: str
    not_run: str
    none: str


class _Gaps(Strict):
    header: str
    line: str
    none: str


class _Coverage(Strict):
    header: str
    line: str
    total: str
    missing: str


class _Refreshers(Strict):
    ok: str
    failed: str


class TrainerMessages(Strict):
    """``content/wording/trainer.yml``: the trainer commands' wording, one section per command."""

    stale: _Stale
    whats_new: _WhatsNew
    test: _Test
    gaps: _Gaps
    coverage: _Coverage
    refreshers: _Refreshers


@lru_cache(maxsize=1)
def messages() -> dict[str, dict[str, str]]:
    return load_wording(MESSAGES_PATH, TrainerMessages.model_validate,
                        hint="compare with TrainerMessages in knowledge_base/trainer_cli.py").model_dump()


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _content_dir(args) -> Path:
    import os

    return Path(getattr(args, "content", None) or os.environ.get("FRONTLINE_CONTENT_DIR", CONTENT_DIR))


def _flows_module():
    """knowledge_base.flows if a colleague's module is present with the API we need."""
    try:
        from . import flows
    except ImportError:
        return None
    return flows if hasattr(flows, "validate_flows") else None


# --------------------------------------------------------------------------- stale
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
        from .refreshers import validate_refreshers

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


# ----------------------------------------------------------------------- whats-new
def _git(cwd: Path, *argv: str) -> str:
    res = subprocess.run(["git", *argv], cwd=cwd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise subprocess.CalledProcessError(res.returncode, argv, res.stdout, res.stderr)
    return res.stdout


def _units(path: str, text: str) -> dict[tuple[str, str], tuple[str, str]]:
    """The content units in one YAML file: {(kind, id): (title, canonical json)}."""
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return {}
    out = {}
    if not isinstance(data, dict):
        return out
    if isinstance(data.get("items"), list):
        for it in data["items"]:
            if isinstance(it, dict) and it.get("id"):
                out[(str(it.get("type", "item")), str(it["id"]))] = (str(it.get("title", it["id"])), json.dumps(it, sort_keys=True, default=str))
    elif isinstance(data.get("terms"), list):
        for t in data["terms"]:
            if isinstance(t, dict) and t.get("term"):
                out[("term", str(t["term"]))] = (str(t["term"]), json.dumps(t, sort_keys=True, default=str))
    elif data.get("id") and "/tests/" not in f"/{path}":
        kind = "refresher" if "/refreshers/" in f"/{path}" else "flow" if "/flows/" in f"/{path}" else "item"
        out[(kind, str(data["id"]))] = (str(data.get("title", data["id"])), json.dumps(data, sort_keys=True, default=str))
    return out


class _Blobs:
    """Reads ``commit:path`` blobs through one ``git cat-file --batch`` process."""

    def __init__(self, repo: Path):
        self.proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=repo, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def read(self, commit: str, path: str) -> str | None:
        self.proc.stdin.write(f"{commit}:{path}\n".encode())
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().decode().split()
        if len(header) != 3 or header[1] != "blob":
            return None  # missing at this commit
        data = self.proc.stdout.read(int(header[2]) + 1)[:-1]
        return data.decode("utf-8", errors="replace")

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def _snapshot(repo: Path, blobs: _Blobs, commit: str | None, paths: list[str] | None = None) -> dict:
    if commit is None:
        return {}
    if paths is None:
        paths = [p for p in _git(repo, "ls-tree", "-r", "--name-only", "--full-name", commit, "--", ".").splitlines()
                 if p.endswith((".yml", ".yaml"))]
    units: dict = {}
    for p in paths:
        if Path(p).name.startswith("_"):
            continue
        text = blobs.read(commit, p)
        if text is not None:
            units.update(_units(p, text))
    return units


def changes_from_git(content_dir: Path, since: dt.date) -> list[dict]:
    """Item-level changes between the last commit before ``since`` and HEAD, each
    dated by the last commit that touched that item. Raises CalledProcessError when
    ``content_dir`` is not in a git checkout."""
    repo = content_dir.resolve()
    _git(repo, "rev-parse", "--show-prefix")  # raises outside a git checkout
    since_s = f"{since.isoformat()} 00:00:00"
    base = _git(repo, "rev-list", "-1", f"--before={since_s}", "HEAD", "--", ".").strip() or None
    head = _git(repo, "rev-parse", "HEAD").strip()
    blobs = _Blobs(repo)
    try:
        return _diff_history(repo, blobs, base, head, since, since_s)
    finally:
        blobs.close()


def _diff_history(repo: Path, blobs: _Blobs, base: str | None, head: str, since: dt.date, since_s: str) -> list[dict]:
    before, after = _snapshot(repo, blobs, base), _snapshot(repo, blobs, head)
    last_touch: dict[tuple[str, str], str] = {}
    log = _git(repo, "log", "--reverse", "--format=%H %cs", f"--since={since_s}", "HEAD", "--", ".").splitlines()
    for line in log:
        sha, day = line.split()
        parents = _git(repo, "rev-list", "--parents", "-n", "1", sha).split()[1:]
        parent = parents[0] if parents else None
        files = [f for f in _git(repo, "diff-tree", "--root", "--no-commit-id", "--name-only", "-r", sha, "--", ".").splitlines()
                 if f.endswith((".yml", ".yaml"))]
        old, new = _snapshot(repo, blobs, parent, files), _snapshot(repo, blobs, sha, files)
        for key in set(old) | set(new):
            if old.get(key, (None, None))[1] != new.get(key, (None, None))[1]:
                last_touch[key] = day
    out = []
    for key in set(before) | set(after):
        b, a = before.get(key), after.get(key)
        if b is not None and a is not None and b[1] == a[1]:
            continue
        change = "added" if b is None else "removed" if a is None else "changed"
        title = (a or b)[0]
        out.append({"date": last_touch.get(key, since.isoformat()), "change": change, "kind": key[0], "id": key[1], "title": title})
    return sorted(out, key=lambda r: (r["date"], r["change"], r["kind"], r["id"]))


def changes_from_reviews(content_dir: Path, since: dt.date) -> list[dict]:
    """Fallback without git: items whose last_reviewed is on or after ``since``."""
    out = []
    content = load_content(content_dir)
    units = [(i.type, i.id, i.title, i.last_reviewed) for i in content.items]
    flows = _flows_module()
    if flows is not None and (content_dir / "flows").is_dir():
        units += [("flow", f.id, f.title, f.last_reviewed) for f in flows.validate_flows(content_dir / "flows")[0].values()]
    if (content_dir / "refreshers").is_dir():
        from .refreshers import validate_refreshers

        mods, _ = validate_refreshers(content_dir / "refreshers", cross_check=False)
        units += [("refresher", m.id, m.title, m.last_reviewed) for m in mods.values()]
    for kind, uid, title, reviewed in units:
        if reviewed >= since:
            out.append({"date": reviewed.isoformat(), "change": "reviewed", "kind": kind, "id": uid, "title": title})
    return sorted(out, key=lambda r: (r["date"], r["kind"], r["id"]))


def cmd_whats_new(args) -> int:
    since = args.since or (dt.date.today() - dt.timedelta(days=30))
    content_dir = _content_dir(args)
    try:
        rows, source = changes_from_git(content_dir, since), "git"
    except (subprocess.CalledProcessError, FileNotFoundError):
        rows, source = changes_from_reviews(content_dir, since), "last_reviewed"
    if args.json:
        print(json.dumps({"since": since.isoformat(), "source": source, "changes": rows}, indent=2))
        return 0
    m = messages()["whats_new"]
    if not rows:
        print(m["none"].format(since=since))
        return 0
    print(m["header"].format(since=since))
    if source != "git":
        print(m["fallback"].format(since=since))
    day = None
    for r in rows:
        if r["kind"] == "term":
            continue  # search words are summarised below, not listed
        if r["date"] != day:
            day = r["date"]
            print(m["day"].format(date=day))
        print(m[r["change"]].format(**r))
    terms = sum(1 for r in rows if r["kind"] == "term")
    if terms:
        print(m["terms"].format(count=terms))
    print(m["footer"])
    return 0


# ------------------------------------------------------------------------ kb test
class SearchCase(Strict):
    """``this message must find these items in its top three``."""

    message: str = Field(min_length=2, max_length=500)
    expect_top3: list[ItemId] = Field(min_length=1, max_length=3)
    borough: str | None = None


class FlowCase(Strict):
    """``these answers, from the start of this flow, must end at this step``."""

    flow: ItemId
    answers: list[str] = Field(min_length=1)
    expect_end: str = Field(min_length=2)


class ContentTest(Strict):
    """One content test: exactly one of ``search`` or ``flow``."""

    search: SearchCase | None = None
    flow: FlowCase | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_kind(self):
        if (self.search is None) == (self.flow is None):
            raise ValueError("give exactly one of `search:` or `flow:`")
        return self


class ContentTestFile(Strict):
    tests: list[ContentTest] = Field(min_length=1)


@dataclass
class CaseResult:
    where: str
    kind: str
    outcome: str  # passed | failed | not-run
    detail: str = ""


def load_tests(tests_dir: Path, item_ids: set[str], flow_ids: set[str] | None) -> tuple[list[tuple[str, ContentTest]], list[Problem]]:
    cases, problems = [], []
    for path in sorted(tests_dir.glob("*.y*ml")):
        name = display_path(path)
        text = path.read_text(encoding="utf-8")
        try:
            root, data = yaml.compose(text), yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problems.append(Problem(name, mark.line + 1 if mark else 1, f"YAML syntax: {exc}"))
            continue
        try:
            parsed = ContentTestFile.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                problems.append(Problem(name, node_line(root, err["loc"]), f"{'.'.join(map(str, err['loc']))}: {err['msg']}",
                                        hint=HINTS.get(err["type"])))
            continue
        for i, case in enumerate(parsed.tests):
            where = f"{name}:{node_line(root, ('tests', i))}"
            if case.search is not None:
                for j, ref in enumerate(case.search.expect_top3):
                    if ref not in item_ids:
                        problems.append(Problem(name, node_line(root, ("tests", i, "search", "expect_top3", j)),
                                                f"unknown item id '{ref}'", hint="check the id with kb search"))
            elif flow_ids is not None and case.flow.flow not in flow_ids:
                problems.append(Problem(name, node_line(root, ("tests", i, "flow", "flow")), f"unknown flow '{case.flow.flow}'"))
            cases.append((where, case))
    return cases, problems


def _run_search_cases(cases, args, content_dir: Path) -> list[CaseResult]:
    from .embedders import make_embedder
    from .search import Filters, KnowledgeSearch

    ks = KnowledgeSearch.create(content_dir=content_dir, index_dir=Path(args.index) if args.index else None,
                                embedder=make_embedder(args.embedder))
    ks.warm_up()
    m = messages()["test"]
    out = []
    for where, case in cases:
        s = case.search
        res = ks.run(s.message, Filters(borough=s.borough), top_k=3)
        found = [h.id for h in res["hits"]]
        missing = [e for e in s.expect_top3 if e not in found]
        if missing:
            out.append(CaseResult(where, "search", "failed", m["search_failed"].format(
                message=s.message, expected=", ".join(missing), found=", ".join(found) or "nothing", confidence=res["confidence"])))
        else:
            out.append(CaseResult(where, "search", "passed"))
    return out


def _run_flow_cases(cases, content_dir: Path) -> list[CaseResult]:
    m = messages()["test"]
    flows = _flows_module()
    engine_cls = getattr(flows, "FlowEngine", None) if flows else None
    if engine_cls is None or not hasattr(engine_cls, "start") or not hasattr(engine_cls, "answer") \
            or not (content_dir / "flows").is_dir():
        return [CaseResult(where, "flow", "not-run", m["not_run"]) for where, _ in cases]
    engine = engine_cls.from_content(content_dir / "flows")
    out = []
    for where, case in cases:
        f = case.flow
        turn = engine.start(f.flow)
        bad = None
        for ans in f.answers:
            step = turn.state.get("step")
            turn = engine.answer(turn.state, ans)
            if "not_understood" in (getattr(turn.view, "notices", None) or []):
                bad = m["flow_bad_answer"].format(flow=f.flow, answer=ans, step=step)
                break
        found, status = turn.state.get("step"), turn.state.get("status")
        if bad:
            out.append(CaseResult(where, "flow", "failed", bad))
        elif found != f.expect_end or status != "done":
            out.append(CaseResult(where, "flow", "failed", m["flow_failed"].format(
                flow=f.flow, expected=f.expect_end, found=found, status=status)))
        else:
            out.append(CaseResult(where, "flow", "passed"))
    return out


def cmd_test(args) -> int:
    content_dir = _content_dir(args)
    m = messages()["test"]
    content = load_content(content_dir)
    flows = _flows_module()
    flow_ids = None
    if flows is not None and (content_dir / "flows").is_dir():
        flow_ids = set(flows.validate_flows(content_dir / "flows")[0])
    cases, problems = load_tests(content_dir / "tests", {i.id for i in content.items}, flow_ids)
    for p in problems:
        print(p, file=sys.stderr)
    if not cases and not problems:
        print(m["none"].format(folder=display_path(content_dir / "tests")))
        return 0
    results = []
    search_cases = [(w, c) for w, c in cases if c.search is not None]
    flow_cases = [(w, c) for w, c in cases if c.flow is not None]
    if search_cases:
        results += _run_search_cases(search_cases, args, content_dir)
    if flow_cases:
        results += _run_flow_cases(flow_cases, content_dir)
    counts = {k: sum(1 for r in results if r.outcome == k) for k in ("passed", "failed", "not-run")}
    if args.json:
        print(json.dumps({"results": [asdict(r) for r in results], "problems": [str(p) for p in problems], **counts}, indent=2))
    else:
        for r in results:
            if r.outcome != "passed":
                print(f"{r.where}: {r.detail}", file=sys.stderr if r.outcome == "failed" else sys.stdout)
        print(m["passed"].format(passed=counts["passed"], failed=counts["failed"], not_run=counts["not-run"]))
    failed = counts["failed"] > 0 or bool(problems) or (args.strict and counts["not-run"] > 0)
    return 1 if failed else 0


# ------------------------------------------------------------------------ kb gaps
def cmd_gaps(args) -> int:
    from .gaps import gap_report

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


# ------------------------------------------------------------------ kb refreshers
def cmd_refreshers(args) -> int:
    from .refreshers import validate_refreshers

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


# -------------------------------------------------------------------- kb coverage
def cmd_coverage(args) -> int:
    from .needs import coverage, load_needs, summary

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


# ------------------------------------------------------------------------- parsers
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


__all__ = ["add_trainer_parsers", "due_for_review", "changes_from_git", "changes_from_reviews", "load_tests"]
