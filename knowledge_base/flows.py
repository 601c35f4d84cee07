"""Guided flows: step-by-step scripts for safeguarding, immigration-advice limits and
eviction, stored as YAML under ``knowledge_base/content/flows/`` (one flow per file).

Three parts, no Rasa imports:

* **Schema** (:class:`Flow`, :class:`FlowMessages`): strict pydantic models.
* **Validator** (:func:`validate_flows`): schema + graph checks (unknown step ids,
  unreachable steps, dead ends, cycles, risk options that never reach an escalate
  step, dates), ALL problems at once as ``file:line: message``.
* **Engine** (:class:`FlowEngine`, or the module functions :func:`start`,
  :func:`answer`, :func:`summary` over the shipped content). Its state is a small
  JSON-serialisable dict that Rasa can keep in a slot::

      turn = start("domestic-abuse")            # Turn(state=dict, view=StepView)
      turn = answer(turn.state, "not sure")      # button value "2", "y", "back", "stop" ...
      render(turn.view)                          # plain text, wording from _messages.yml
      summary(turn.state)                        # case-note summary, no resident details

Every fixed word the engine uses (yes/no synonyms, commands, notices, summary labels)
comes from ``content/flows/_messages.yml``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import KnowledgeBaseError
from .loader import CONTENT_DIR, EMERGENCY_NUMBERS, HINTS, Problem, read_yaml, _display, _node_line
from .schema import Category, Contact, ItemId, ShortLine, Source, Strict

FLOWS_DIR = CONTENT_DIR / "flows"
MESSAGES_FILE = "_messages.yml"
STATE_VERSION = 1

StepId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,59}$")]
Urgency = Literal["immediate", "today", "within-days"]
AnswerKind = Literal["yes", "no", "not-sure"]
Notice = Literal["not_understood", "offer_stop", "flow_changed", "restarted", "at_start", "finished", "stopped"]


class FlowError(KnowledgeBaseError):
    """Base class for flow errors."""


class FlowsInvalid(FlowError):
    """Flow content failed validation; ``problems`` lists every problem found."""

    def __init__(self, problems):
        self.problems = list(problems)
        n = sum(1 for p in self.problems if p.level == "error")
        super().__init__(f"{n} flow content error(s); first: {self.problems[0] if self.problems else '-'}")


class UnknownFlow(FlowError):
    """No flow with that id."""

    exit_code = 2


class BadState(FlowError):
    """The state dict is not one this engine produced."""

    exit_code = 2


# --------------------------------------------------------------------------- schema
class Option(Strict):
    """One answer to a question. ``risk: true`` marks an answer that means danger;
    every path through it must reach an escalate step (checked by the validator)."""

    label: str = Field(min_length=1, max_length=120)
    next: StepId
    risk: bool = False
    answer: AnswerKind | None = Field(
        default=None, description="What yes/no/not-sure free text selects this option (inferred from the label if unset)"
    )


class _StepBase(Strict):
    id: StepId
    text: str = Field(min_length=3, max_length=600)
    say_this: list[ShortLine] = Field(default_factory=list, max_length=3)
    source: Source | None = None


class QuestionStep(_StepBase):
    kind: Literal["question"]
    options: list[Option] = Field(min_length=2, max_length=9)


class InfoStep(_StepBase):
    kind: Literal["info"]
    do: list[str] = Field(default_factory=list, description="What the worker does, in order")
    next: StepId


class ChecklistStep(_StepBase):
    kind: Literal["checklist"]
    items: list[ShortLine] = Field(min_length=1)
    next: StepId


class EscalateStep(_StepBase):
    kind: Literal["escalate"]
    who: str = Field(min_length=3, max_length=200)
    how: str = Field(min_length=3, max_length=400)
    urgency: Urgency
    contacts: list[Contact] = Field(min_length=1)
    next: StepId


class EndStep(_StepBase):
    kind: Literal["end"]
    record: list[str] = Field(min_length=1, description="What to record in the case notes")
    next_actions: list[str] = Field(min_length=1)
    contacts: list[Contact] = Field(min_length=1)


Step = Annotated[Union[QuestionStep, InfoStep, ChecklistStep, EscalateStep, EndStep], Field(discriminator="kind")]


class Flow(Strict):
    id: ItemId
    title: str = Field(min_length=3, max_length=120)
    description: str = Field(min_length=10)
    tags: list[str] = Field(default_factory=list)
    categories: list[Category] = Field(min_length=1)
    critical: list[ShortLine] = Field(min_length=1, max_length=6, description="Shown before any question")
    start: StepId
    owner: str = Field(min_length=2)
    last_reviewed: dt.date
    review_by: dt.date
    sources: list[Source] = Field(min_length=1)
    notes: str | None = None
    steps: list[Step] = Field(min_length=2)

    @model_validator(mode="after")
    def _checks(self):
        if self.review_by <= self.last_reviewed:
            raise ValueError("review_by must be after last_reviewed")
        if not any(s.primary for s in self.sources):
            raise ValueError("a flow needs at least one source with primary: true")
        return self

    def step(self, step_id: str):
        return self._index().get(step_id)

    def _index(self) -> dict[str, Any]:
        return {s.id: s for s in self.steps}


class _Msgs(Strict):
    """Base for the messages file models (strict, like all content)."""


class SummaryLabels(_Msgs):
    heading: str
    checked: str
    checklist_done: str
    advised: str
    escalated: str
    contacts: str
    record: str
    status_completed: str
    status_stopped: str
    status_active: str


class RenderLabels(_Msgs):
    critical: str
    say_this: str
    do: str
    checklist: str
    escalate_who: str
    escalate_how: str
    urgency: str
    contacts: str
    record: str
    next_actions: str
    options: str
    progress: str = Field(description="format string with {step} and {of}")
    source: str


class FlowMessages(_Msgs):
    """Fixed wording the engine needs (content, not code)."""

    answer_words: dict[AnswerKind, list[str]]
    continue_words: list[str] = Field(min_length=1)
    commands: dict[Literal["back", "restart", "stop"], list[str]]
    continue_label: dict[Literal["info", "checklist", "escalate"], ShortLine]
    notices: dict[Notice, str]
    urgency: dict[Urgency, str]
    summary: SummaryLabels
    render: RenderLabels

    @model_validator(mode="after")
    def _complete(self):
        for name, want in (("answer_words", AnswerKind), ("commands", ("back", "restart", "stop")),
                           ("notices", Notice), ("urgency", Urgency),
                           ("continue_label", ("info", "checklist", "escalate"))):
            keys = want if isinstance(want, tuple) else want.__args__  # type: ignore[attr-defined]
            missing = [k for k in keys if k not in getattr(self, name)]
            if missing:
                raise ValueError(f"{name} is missing {', '.join(missing)}")
        return self


# ------------------------------------------------------------------------ validation


def _schema_problems(name: str, root, exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = err["loc"]
        where = ".".join(str(p) for p in loc if p not in ("question", "info", "checklist", "escalate", "end"))
        hint = HINTS.get(err["type"])
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            hint = "set `kind:` to question, info, checklist, escalate or end"
        if err["type"] == "string_type" and isinstance(err.get("input"), bool):
            hint = "quote the text: YAML reads a bare yes/no as true/false"
        out.append(Problem(name, _node_line(root, loc), f"{where}: {err['msg']}", hint=hint))
    return out


def _edges(raw_step: dict, i: int) -> list[tuple[Any, tuple]]:
    if raw_step.get("kind") == "question":
        opts = raw_step.get("options") if isinstance(raw_step.get("options"), list) else []
        return [(o.get("next"), ("steps", i, "options", j, "next")) for j, o in enumerate(opts) if isinstance(o, dict)]
    if raw_step.get("kind") == "end":
        return []
    return [(raw_step["next"], ("steps", i, "next"))] if raw_step.get("next") is not None else []


def _graph_problems(name: str, root, data: dict) -> list[Problem]:
    """Graph checks on the raw YAML, so they run even when the schema fails."""
    out: list[Problem] = []
    steps = data.get("steps") if isinstance(data.get("steps"), list) else []
    where: dict[str, int] = {}
    for i, s in enumerate(steps):
        if not isinstance(s, dict) or not isinstance(s.get("id"), str):
            continue
        if s["id"] in where:
            out.append(Problem(name, _node_line(root, ("steps", i, "id")),
                               f"duplicate step id '{s['id']}' (first at line {_node_line(root, ('steps', where[s['id']]))})",
                               hint="step ids must be unique within a flow"))
        else:
            where[s["id"]] = i
    known = ", ".join(sorted(where)[:12])
    graph: dict[str, list[str]] = {}
    for sid, i in where.items():
        s = steps[i]
        edges = _edges(s, i)
        graph[sid] = []
        if s.get("kind") != "end" and not edges:
            out.append(Problem(name, _node_line(root, ("steps", i)), f"dead end: step '{sid}' leads nowhere",
                               hint="give it `next:` (or options with `next:`), or make it `kind: end`"))
        for target, loc in edges:
            if target not in where:
                out.append(Problem(name, _node_line(root, loc), f"step '{sid}': unknown next step '{target}'",
                                   hint=f"use one of: {known}"))
            else:
                graph[sid].append(target)
    start = data.get("start")
    if start not in where:
        out.append(Problem(name, _node_line(root, ("start",)), f"unknown start step '{start}'", hint=f"use one of: {known}"))
        return out
    # reachability
    seen, todo = {start}, [start]
    while todo:
        for t in graph[todo.pop()]:
            if t not in seen:
                seen.add(t)
                todo.append(t)
    for sid, i in where.items():
        if sid not in seen:
            out.append(Problem(name, _node_line(root, ("steps", i)), f"unreachable step '{sid}' (no path from '{start}')",
                               hint="link to it from another step or delete it"))
    # cycles (flows must be DAGs so every path ends)
    colour: dict[str, int] = {}

    def visit(n: str, trail: list[str]):
        colour[n] = 1
        for t in graph[n]:
            if colour.get(t) == 1:
                loop = " -> ".join(trail[trail.index(t):] + [n, t]) if t in trail else f"{n} -> {t}"
                out.append(Problem(name, _node_line(root, ("steps", where[n])), f"cycle: {loop}",
                                   hint="flows must not loop; use the `back` command instead of linking backwards"))
            elif t not in colour:
                visit(t, trail + [n])
        colour[n] = 2

    visit(start, [])
    # dead ends: a reachable step from which no end step can be reached
    ends = {sid for sid, i in where.items() if steps[i].get("kind") == "end"}
    can_end = set(ends)
    changed = True
    while changed:
        changed = False
        for sid, ts in graph.items():
            if sid not in can_end and any(t in can_end for t in ts):
                can_end.add(sid)
                changed = True
    for sid in sorted(seen - can_end, key=lambda s: where[s]):
        if graph[sid] and all(t in where for t, _ in _edges(steps[where[sid]], where[sid])):
            out.append(Problem(name, _node_line(root, ("steps", where[sid])),
                               f"dead end: no path from step '{sid}' reaches an end step",
                               hint="every route must finish at a `kind: end` step"))
    return out


def _raw_field_problems(name: str, root, data: dict) -> list[Problem]:
    out = []
    last, due = data.get("last_reviewed"), data.get("review_by")
    if isinstance(last, dt.date) and isinstance(due, dt.date) and due <= last:
        out.append(Problem(name, _node_line(root, ("review_by",)), "review_by must be after last_reviewed",
                           hint="legal and safeguarding flows are reviewed within six months"))
    sources = data.get("sources") if isinstance(data.get("sources"), list) else []
    if not any(isinstance(s, dict) and s.get("primary") is True for s in sources):
        out.append(Problem(name, _node_line(root, ("sources",)), "a flow needs at least one source with primary: true",
                           hint="cite legislation.gov.uk, GOV.UK statutory guidance or the regulator"))
    return out


def _content_problems(name: str, root, flow: Flow, today: dt.date) -> list[Problem]:
    out: list[Problem] = []
    if flow.last_reviewed > today:
        out.append(Problem(name, _node_line(root, ("last_reviewed",)), f"last_reviewed {flow.last_reviewed} is in the future",
                           hint="use the date the flow was actually checked"))
    if (flow.review_by - flow.last_reviewed).days > 186:
        out.append(Problem(name, _node_line(root, ("review_by",)), "review_by is more than six months after last_reviewed",
                           level="warning", hint="flows state law or safeguarding duties: review them every six months"))
    if flow.review_by < today:
        out.append(Problem(name, _node_line(root, ("review_by",)), f"past its review_by date {flow.review_by}",
                           level="warning", hint="check the flow against its sources and move review_by on"))
    for i, s in enumerate(flow.steps):
        for j, c in enumerate(getattr(s, "contacts", [])):
            if c.kind in ("phone", "text") and c.verified_on is None and c.value.strip() not in EMERGENCY_NUMBERS:
                out.append(Problem(name, _node_line(root, ("steps", i, "contacts", j)),
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
                out.append(Problem(name, _node_line(root, ("steps", index[hop.step_id], "options", hop.choice)),
                                   f"step '{hop.step_id}': risk option '{opt.label}' has a path that never reaches an escalate step",
                                   hint="route risk answers through a `kind: escalate` step"))
    return out


def load_messages(content_dir: Path | str = FLOWS_DIR) -> tuple[FlowMessages | None, list[Problem]]:
    path = Path(content_dir) / MESSAGES_FILE
    problems: list[Problem] = []
    if not path.is_file():
        return None, [Problem(_display(path), 1, "flow messages file not found", hint=f"add {MESSAGES_FILE}")]
    root, data = read_yaml(path, problems)
    if problems:
        return None, problems
    try:
        return FlowMessages.model_validate(data), []
    except ValidationError as exc:
        return None, _schema_problems(_display(path), root, exc)


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
    for path in sorted(content_dir.glob("*.y*ml")):
        if path.name.startswith("_"):
            continue
        name = _display(path)
        file_problems: list[Problem] = []
        root, data = read_yaml(path, file_problems)
        if root is not None and not isinstance(data, dict):
            file_problems.append(Problem(name, 1, "a flow file must be a mapping with id, title, steps ...",
                                        hint="see knowledge_base/content/flows/README.md"))
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
            if flow is not None and flow.id != path.stem:
                file_problems.append(Problem(name, _node_line(root, ("id",)), f"flow id '{flow.id}' differs from the file name",
                                             level="warning", hint=f"name the file {flow.id}.yml"))
            if flow is not None and flow.id in first_seen:
                file_problems.append(Problem(name, _node_line(root, ("id",)),
                                             f"duplicate flow id '{flow.id}' (also in {first_seen[flow.id]})",
                                             hint="flow ids must be unique"))
        problems.extend(file_problems)
        if flow is not None and not any(p.level == "error" for p in file_problems):
            flows[flow.id] = flow
            first_seen[flow.id] = name
    if not flows and not any(p.level == "error" for p in problems):
        problems.append(Problem(str(content_dir), 1, "no flows found", hint="add a flow file"))
    return flows, problems


# -------------------------------------------------------------------------- paths
@dataclass(frozen=True)
class Hop:
    """One step on a path; ``choice`` is the option index taken at a question."""

    step_id: str
    choice: int | None = None


def all_paths(flow: Flow, limit: int = 100_000) -> list[list[Hop]]:
    """Every path from the start step to an end step. Flows are DAGs (the validator
    rejects cycles); a cycle here raises :class:`FlowError` instead of looping."""
    paths: list[list[Hop]] = []

    def walk(sid: str, trail: list[Hop], on_path: frozenset):
        if sid in on_path:
            raise FlowError(f"flow '{flow.id}' has a cycle through step '{sid}'")
        step = flow.step(sid)
        if step is None:
            raise FlowError(f"flow '{flow.id}': unknown step '{sid}'")
        if len(paths) > limit:
            raise FlowError(f"flow '{flow.id}' has more than {limit} paths")
        if step.kind == "end":
            paths.append(trail + [Hop(sid)])
        elif step.kind == "question":
            for j, opt in enumerate(step.options):
                walk(opt.next, trail + [Hop(sid, j)], on_path | {sid})
        else:
            walk(step.next, trail + [Hop(sid)], on_path | {sid})

    walk(flow.start, [], frozenset())
    return paths


def _longest_from(flow: Flow) -> dict[str, int]:
    """Number of steps on the longest route from each step to an end (inclusive)."""
    memo: dict[str, int] = {}

    def depth(sid: str) -> int:
        if sid not in memo:
            s = flow.step(sid)
            nxt = [o.next for o in s.options] if s.kind == "question" else ([] if s.kind == "end" else [s.next])
            memo[sid] = 1 + max((depth(n) for n in nxt), default=0)
        return memo[sid]

    for s in flow.steps:
        depth(s.id)
    return memo


# -------------------------------------------------------------------------- engine
class OptionView(BaseModel):
    model_config = ConfigDict(frozen=True)
    value: str = Field(description="Button payload: the option number as text")
    label: str
    risk: bool = False


class EscalateView(BaseModel):
    model_config = ConfigDict(frozen=True)
    who: str
    how: str
    urgency: Urgency
    urgency_text: str
    contacts: list[Contact]


class EndView(BaseModel):
    model_config = ConfigDict(frozen=True)
    record: list[str]
    next_actions: list[str]
    contacts: list[Contact]


class Progress(BaseModel):
    model_config = ConfigDict(frozen=True)
    step: int
    of: int = Field(description="Steps on the longest route through this point")


class StepView(BaseModel):
    """What the front end shows for the current step (JSON: ``view.model_dump(mode="json")``)."""

    model_config = ConfigDict(frozen=True)
    flow_id: str
    flow_title: str
    status: Literal["active", "done", "stopped"]
    step_id: str
    kind: Literal["question", "info", "checklist", "escalate", "end", "stopped"]
    text: str
    critical: list[str] = Field(default_factory=list, description="Shown before the first question")
    say_this: list[str] = Field(default_factory=list)
    do: list[str] = Field(default_factory=list)
    options: list[OptionView] = Field(default_factory=list)
    checklist: list[str] = Field(default_factory=list)
    escalate: EscalateView | None = None
    end: EndView | None = None
    source: Source | None = None
    progress: Progress
    notices: list[Notice] = Field(default_factory=list)
    notice_texts: list[str] = Field(default_factory=list)
    reasks: int = 0


@dataclass(frozen=True)
class Turn:
    state: dict
    view: StepView


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]


def _norm(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("'", "")
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]+", " ", text)).strip()


class FlowEngine:
    """Pure flow engine. State dict keys: ``v`` (version), ``flow``, ``step``,
    ``trail`` (list of ``[step_id, option_index_or_null]``), ``reasks``, ``status``."""

    def __init__(self, flows: dict[str, Flow], messages: FlowMessages):
        self.flows = flows
        self.messages = messages
        self._depth = {fid: _longest_from(f) for fid, f in flows.items()}
        m = messages
        self._commands = {_norm(w): cmd for cmd, words in m.commands.items() for w in words}
        self._answers = {_norm(w): kind for kind, words in m.answer_words.items() for w in words}
        self._continue = {_norm(w) for w in m.continue_words}

    @classmethod
    def from_content(cls, content_dir: Path | str = FLOWS_DIR, today: dt.date | None = None) -> "FlowEngine":
        flows, problems = validate_flows(content_dir, today)
        messages, _ = load_messages(content_dir)
        if messages is None or any(p.level == "error" for p in problems):
            raise FlowsInvalid(problems)
        return cls(flows, messages)

    # ---- public API
    def list_flows(self) -> list[dict]:
        return [{"id": f.id, "title": f.title, "description": f.description, "tags": list(f.tags),
                 "categories": list(f.categories)} for f in self.flows.values()]

    def start(self, flow_id: str, notices: tuple[Notice, ...] = ()) -> Turn:
        flow = self.flows.get(flow_id)
        if flow is None:
            raise UnknownFlow(f"no flow '{flow_id}'; known: {', '.join(sorted(self.flows))}")
        state = {"v": STATE_VERSION, "flow": flow_id, "step": flow.start, "trail": [], "reasks": 0, "status": "active"}
        return Turn(state, self._view(flow, state, list(notices)))

    def view(self, state: dict) -> Turn:
        flow, state, notices = self._load(state)
        return Turn(state, self._view(flow, state, notices))

    def answer(self, state: dict, text: str) -> Turn:
        """Apply a button value or free text to the state; returns the new state and view."""
        flow, state, notices = self._load(state)
        if notices:  # the flow changed under us: restarted cleanly, ignore the answer
            return Turn(state, self._view(flow, state, notices))
        said = _norm(text or "")
        cmd = self._commands.get(said)
        if cmd == "restart":
            return self.start(flow.id, ("restarted",))
        if cmd == "stop":
            state = {**state, "status": "stopped"}
            return Turn(state, self._view(flow, state, ["stopped"]))
        if cmd == "back":
            if not state["trail"]:
                state = {**state, "reasks": 0, "status": "active"}
                return Turn(state, self._view(flow, state, ["at_start"]))
            trail = state["trail"][:-1]
            prev = state["trail"][-1][0]
            state = {**state, "trail": trail, "step": prev, "reasks": 0, "status": "active"}
            return Turn(state, self._view(flow, state, []))
        if state["status"] != "active":
            return Turn(state, self._view(flow, state, ["finished" if state["status"] == "done" else "stopped"]))
        step = flow.step(state["step"])
        choice = self._match(step, said)
        if choice is None:
            reasks = state["reasks"] + 1
            state = {**state, "reasks": reasks}
            return Turn(state, self._view(flow, state, ["not_understood"] if reasks < 2 else ["not_understood", "offer_stop"]))
        nxt = step.options[choice].next if step.kind == "question" else step.next
        state = {**state, "trail": state["trail"] + [[step.id, choice if step.kind == "question" else None]],
                 "step": nxt, "reasks": 0}
        if flow.step(nxt).kind == "end":
            state["status"] = "done"
        return Turn(state, self._view(flow, state, []))

    def summary_lines(self, state: dict) -> list[str]:
        """Case-note lines built only from the flow's own wording and the chosen
        options' labels: nothing the worker typed is copied."""
        flow, state, _ = self._load(state)
        lab = self.messages.summary
        checked, advised, escalated, contacts, record = [], [], [], [], []
        visited = [(flow.step(sid), c) for sid, c in state["trail"]] + [(flow.step(state["step"]), None)]
        for step, choice in visited:
            if step.kind == "question" and choice is not None:
                checked.append(f"{step.text} - {step.options[choice].label}")
            elif step.kind == "checklist" and step.id != state["step"]:
                checked.append(f"{step.text} ({lab.checklist_done})")
            elif step.kind == "info" and step.id != state["step"]:
                advised.append(_first_sentence(step.text))
            elif step.kind == "escalate" and step.id != state["step"]:
                escalated.append(f"{step.who} ({self.messages.urgency[step.urgency]})")
            elif step.kind == "end":
                advised.extend(step.next_actions)
                contacts.extend(f"{c.label or c.kind}: {c.value}" for c in step.contacts)
                record.extend(step.record)
        status = {"done": lab.status_completed, "stopped": lab.status_stopped}.get(state["status"], lab.status_active)
        lines = [f"{lab.heading}: {flow.title} - {status}"]
        for title, items in ((lab.checked, checked), (lab.advised, advised), (lab.escalated, escalated),
                             (lab.contacts, contacts), (lab.record, record)):
            if items:
                lines.append(f"{title}:")
                lines.extend(f"- {x}" for x in items)
        return lines

    def summary(self, state: dict) -> str:
        return "\n".join(self.summary_lines(state))

    def render(self, view: StepView) -> str:
        """Plain-text rendering of a view (labels from _messages.yml)."""
        r = self.messages.render
        out: list[str] = list(view.notice_texts)
        if view.critical:
            out += [r.critical] + [f"- {c}" for c in view.critical]
        out.append(view.text)
        if view.say_this:
            out += [r.say_this] + [f'  "{s}"' for s in view.say_this]
        if view.do:
            out += [r.do] + [f"- {d}" for d in view.do]
        if view.checklist:
            out += [r.checklist] + [f"[ ] {c}" for c in view.checklist]
        if view.escalate:
            e = view.escalate
            out += [f"{r.escalate_who} {e.who}", f"{r.escalate_how} {e.how}", f"{r.urgency} {e.urgency_text}", r.contacts]
            out += [f"- {c.label or c.kind}: {c.value}" for c in e.contacts]
        if view.end:
            out += [r.next_actions] + [f"- {a}" for a in view.end.next_actions]
            out += [r.contacts] + [f"- {c.label or c.kind}: {c.value}" for c in view.end.contacts]
            out += [r.record] + [f"- {x}" for x in view.end.record]
        if view.options:
            out += [r.options] + [f"{o.value}. {o.label}" for o in view.options]
        if view.source:
            out.append(f"{r.source} {view.source.title} ({view.source.url})")
        out.append(r.progress.format(step=view.progress.step, of=view.progress.of))
        return "\n".join(out)

    # ---- internals
    def _load(self, state: dict) -> tuple[Flow, dict, list[Notice]]:
        if (not isinstance(state, dict) or state.get("v") != STATE_VERSION or not isinstance(state.get("trail"), list)
                or not isinstance(state.get("reasks"), int)):
            raise BadState("not a flow state produced by this engine")
        flow = self.flows.get(state.get("flow"))
        if flow is None:
            raise UnknownFlow(f"no flow '{state.get('flow')}'")
        ok = flow.step(state.get("step")) is not None and state.get("status") in ("active", "done", "stopped")
        expected = flow.start  # replay the trail: every hop must still exist and lead where it led
        for entry in state["trail"] if ok else []:
            s = flow.step(entry[0]) if isinstance(entry, (list, tuple)) and len(entry) == 2 else None
            if s is None or s.id != expected or s.kind == "end" or (s.kind == "question") != isinstance(entry[1], int) or (
                    s.kind == "question" and not 0 <= entry[1] < len(s.options)):
                ok = False
                break
            expected = s.options[entry[1]].next if s.kind == "question" else s.next
        if ok and expected != state["step"]:
            ok = False
        if not ok:  # the flow file changed under a running state: restart cleanly
            turn = self.start(flow.id)
            return flow, turn.state, ["flow_changed"]
        return flow, dict(state), []

    def _answer_kind(self, label: str) -> AnswerKind | None:
        low = _norm(label)
        for phrase in sorted(self._answers, key=len, reverse=True):
            if low == phrase or re.match(rf"^{re.escape(phrase)}\s*[-\u2013,:(]", label.lower().replace("\u2019", "'").replace("'", "")):
                return self._answers[phrase]
        return None

    def _match(self, step, said: str) -> int | None:
        if not said:
            return None
        if step.kind != "question":
            label = _norm(self.messages.continue_label[step.kind])
            ok = said in self._continue or said == "1" or said == label or self._answers.get(said) == "yes"
            return 0 if ok else None
        labels = [_norm(o.label) for o in step.options]
        if said.isdigit():
            n = int(said)
            return n - 1 if 1 <= n <= len(step.options) else None
        if said in labels:
            return labels.index(said)
        kind = self._answers.get(said)
        if kind:
            hits = [j for j, o in enumerate(step.options) if (o.answer or self._answer_kind(o.label)) == kind]
            return hits[0] if len(hits) == 1 else None
        hits = [j for j, lab in enumerate(labels) if lab.startswith(said + " ") or said.startswith(lab + " ")]
        return hits[0] if len(hits) == 1 and len(said) >= 3 else None

    def _view(self, flow: Flow, state: dict, notices: list[Notice]) -> StepView:
        m = self.messages
        step = flow.step(state["step"])
        n = len(state["trail"]) + 1
        progress = Progress(step=n, of=n - 1 + self._depth[flow.id][step.id])
        base = dict(flow_id=flow.id, flow_title=flow.title, status=state["status"], step_id=step.id, progress=progress,
                    notices=notices, notice_texts=[m.notices[x] for x in notices], reasks=state["reasks"])
        if state["status"] == "stopped":
            return StepView(kind="stopped", text=m.notices["stopped"], **{**base, "notice_texts": [
                m.notices[x] for x in notices if x != "stopped"]})
        extra: dict[str, Any] = {}
        if step.kind == "question":
            extra["options"] = [OptionView(value=str(j + 1), label=o.label, risk=o.risk) for j, o in enumerate(step.options)]
        elif step.kind != "end":
            extra["options"] = [OptionView(value="1", label=m.continue_label[step.kind])]
        if step.kind == "info":
            extra["do"] = list(step.do)
        if step.kind == "checklist":
            extra["checklist"] = list(step.items)
        if step.kind == "escalate":
            extra["escalate"] = EscalateView(who=step.who, how=step.how, urgency=step.urgency,
                                             urgency_text=m.urgency[step.urgency], contacts=list(step.contacts))
        if step.kind == "end":
            extra["end"] = EndView(record=list(step.record), next_actions=list(step.next_actions),
                                   contacts=list(step.contacts))
        critical = list(flow.critical) if not state["trail"] else []
        return StepView(kind=step.kind, text=step.text, say_this=list(step.say_this), critical=critical,
                        source=step.source, **base, **extra)


# ------------------------------------------------------- module API over shipped content
@lru_cache(maxsize=1)
def default_engine() -> FlowEngine:
    """The engine over the shipped flows (validated once; raises FlowsInvalid)."""
    return FlowEngine.from_content(FLOWS_DIR)


def reload_default_engine() -> FlowEngine:
    """Re-read the shipped flows (e.g. after trainers edit them); running states of
    changed flows restart cleanly with the ``flow_changed`` notice."""
    default_engine.cache_clear()
    return default_engine()


def start(flow_id: str) -> Turn:
    return default_engine().start(flow_id)


def answer(state: dict, text: str) -> Turn:
    return default_engine().answer(state, text)


def view(state: dict) -> Turn:
    return default_engine().view(state)


def summary(state: dict) -> str:
    return default_engine().summary(state)


def render(step_view: StepView) -> str:
    return default_engine().render(step_view)


def list_flows() -> list[dict]:
    return default_engine().list_flows()


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


if __name__ == "__main__":
    raise SystemExit(main())
