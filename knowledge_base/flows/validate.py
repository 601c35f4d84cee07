"""Flow validation: load ``_messages.yml`` and every flow file of a folder, and report
ALL problems at once as ``file:line: message`` (schema, graph, dates, contacts, risk
options that never reach an escalate step)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import ValidationError

from common.problems import Problem, node_line

from ..loader import (CONTENT_DIR, EMERGENCY_NUMBERS, HINTS, load_model_file, read_units, schema_problems,
                      unit_id_problems)
from .graph import _graph_problems
from .paths import all_paths
from .schema import Flow, FlowMessages

FLOWS_DIR = CONTENT_DIR / "flows"
MESSAGES_FILE = "_messages.yml"
_STEP_KINDS = ("question", "info", "checklist", "escalate", "end")  # union tags, not keys


def _hint(err: dict) -> str | None:
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        return "set `kind:` to question, info, checklist, escalate or end"
    if err["type"] == "string_type" and isinstance(err.get("input"), bool):
        return "quote the text: YAML reads a bare yes/no as true/false"
    return HINTS.get(err["type"])


def _schema_problems(name: str, root, exc: ValidationError) -> list[Problem]:
    return schema_problems(name, root, exc, skip=_STEP_KINDS, hint=_hint)


def _raw_field_problems(name: str, root, data: dict) -> list[Problem]:
    out = []
    last, due = data.get("last_reviewed"), data.get("review_by")
    if isinstance(last, dt.date) and isinstance(due, dt.date) and due <= last:
        out.append(Problem(name, node_line(root, ("review_by",)), "review_by must be after last_reviewed",
                           hint="legal and safeguarding flows are reviewed within six months"))
    sources = data.get("sources") if isinstance(data.get("sources"), list) else []
    if not any(isinstance(s, dict) and s.get("primary") is True for s in sources):
        out.append(Problem(name, node_line(root, ("sources",)), "a flow needs at least one source with primary: true",
                           hint="cite legislation.gov.uk, GOV.UK statutory guidance or the regulator"))
    return out


def _content_problems(name: str, root, flow: Flow, today: dt.date) -> list[Problem]:
    out: list[Problem] = []
    if flow.last_reviewed > today:
        out.append(Problem(name, node_line(root, ("last_reviewed",)), f"last_reviewed {flow.last_reviewed} is in the future",
                           hint="use the date the flow was actually checked"))
    if (flow.review_by - flow.last_reviewed).days > 186:
        out.append(Problem(name, node_line(root, ("review_by",)), "review_by is more than six months after last_reviewed",
                           level="warning", hint="flows state law or safeguarding duties: review them every six months"))
    if flow.review_by < today:
        out.append(Problem(name, node_line(root, ("review_by",)), f"past its review_by date {flow.review_by}",
                           level="warning", hint="check the flow against its sources and move review_by on"))
    for i, s in enumerate(flow.steps):
        for j, c in enumerate(getattr(s, "contacts", [])):
            if c.kind in ("phone", "text") and c.verified_on is None and c.value.strip() not in EMERGENCY_NUMBERS:
                out.append(Problem(name, node_line(root, ("steps", i, "contacts", j)),
                                   f"step '{s.id}': phone number {c.value!r} has no verified_on date", level="warning",
                                   hint="check the number on the provider's own page and record the date"))
    # every path through a risk option must reach an escalate step
    kinds = {s.id: s.kind for s in flow.steps}
    index = {s.id: i for i, s in enumerate(flow.steps)}
    reported = set()
    for path in all_paths(flow):
        for k, hop in enumerate(path):
            if hop.choice is None:
                continue
            opt = flow.step(hop.step_id).options[hop.choice]
            key = (hop.step_id, hop.choice)
            if opt.risk and key not in reported and not any(kinds[h.step_id] == "escalate" for h in path[k + 1:]):
                reported.add(key)
                out.append(Problem(name, node_line(root, ("steps", index[hop.step_id], "options", hop.choice)),
                                   f"step '{hop.step_id}': risk option '{opt.label}' has a path that never reaches an escalate step",
                                   hint="route risk answers through a `kind: escalate` step"))
    return out


def load_messages(content_dir: Path | str = FLOWS_DIR) -> tuple[FlowMessages | None, list[Problem]]:
    return load_model_file(Path(content_dir) / MESSAGES_FILE, FlowMessages, "flow messages file not found",
                           f"add {MESSAGES_FILE}", _schema_problems)


def validate_flows(content_dir: Path | str = FLOWS_DIR, today: dt.date | None = None,
                   ) -> tuple[dict[str, Flow], list[Problem]]:
    """Load every ``*.yml`` flow in ``content_dir`` (files starting with ``_`` are not
    flows). Returns the valid flows by id and every problem found; never raises for
    content problems. A flow with any error is left out of the returned dict."""
    content_dir = Path(content_dir)
    today = today or dt.date.today()
    flows: dict[str, Flow] = {}
    problems: list[Problem] = []
    if not content_dir.is_dir():
        return flows, [Problem(str(content_dir), 1, "flows folder not found")]
    _, msg_problems = load_messages(content_dir)
    problems.extend(msg_problems)
    first_seen: dict[str, str] = {}
    for path, name, file_problems, root, data in read_units(
            content_dir, "a flow file must be a mapping with id, title, steps ...",
            "see content/flows/README.md"):
        flow = None
        if isinstance(data, dict):
            try:
                flow = Flow.model_validate(data)
            except ValidationError as exc:
                file_problems.extend(_schema_problems(name, root, exc))
            if flow is None:  # the model's own cross-field checks did not run: repeat them here
                file_problems.extend(_raw_field_problems(name, root, data))
            graph = _graph_problems(name, root, data)
            file_problems.extend(graph)
            if flow is not None and not graph:
                file_problems.extend(_content_problems(name, root, flow, today))
            if flow is not None:
                file_problems.extend(unit_id_problems("flow", name, root, flow.id, path, first_seen))
        problems.extend(file_problems)
        if flow is not None and not any(p.level == "error" for p in file_problems):
            flows[flow.id] = flow
            first_seen[flow.id] = name
    if not flows and not any(p.level == "error" for p in problems):
        problems.append(Problem(str(content_dir), 1, "no flows found", hint="add a flow file"))
    return flows, problems
