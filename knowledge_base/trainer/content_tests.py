"""``kb test``: the trainers' content tests (``content/tests/*.yml``): "this message must find
this item", "this flow with these answers must end here"."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml
from pydantic import Field, ValidationError, model_validator

from common.problems import Problem, display_path, node_line

from ..loader import HINTS, load_content
from ..schema import ItemId, Strict
from ._shared import _content_dir, _flows_module, messages


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
    from ..embedders import make_embedder
    from ..search import Filters, KnowledgeSearch

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
