"""The flow engine (:class:`FlowEngine`) and the module functions over the shipped
content (:func:`start`, :func:`answer`, :func:`view`, :func:`summary`, :func:`render`,
:func:`list_flows`). Its state is a small JSON-serialisable dict that Rasa can keep in
a slot; every fixed word comes from ``_messages.yml``."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import BadState, FlowsInvalid, UnknownFlow
from .paths import _longest_from
from .schema import AnswerKind, Flow, FlowMessages, Notice
from .validate import FLOWS_DIR, load_messages, validate_flows
from .views import EndView, EscalateView, OptionView, Progress, StepView, Turn

STATE_VERSION = 1


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
        if cmd == "back" and state["status"] == "stopped":
            # "Type back to carry on where you were": reopen at the step where it stopped
            state = {**state, "reasks": 0, "status": "active"}
            return Turn(state, self._view(flow, state, []))
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
                                   contacts=list(step.contacts), refer_to=list(step.refer_to))
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


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return frozenset(STOPWORDS_EN_PLUS)


def flow_words(text: str) -> set[str]:
    """The words of ``text`` that can name a guide: normalised as the engine matches answers,
    without common English words ("me", "the": they made "walk me through the immigration
    advice rules" tie with the eviction guide)."""
    return set(_norm(text).split()) - _common_words()


def guide_words(flow: dict) -> frozenset[str]:
    """The words that name a guide (``flow_words`` of its title and tags), worked out once per
    title and tags rather than on every answer."""
    return _guide_words(flow["title"], tuple(flow["tags"]))


@lru_cache(maxsize=64)
def _guide_words(title: str, tags: tuple[str, ...]) -> frozenset[str]:
    return frozenset(flow_words(" ".join([title, *tags])))


def flows_for_hits(hits, exclude: str | None = None, limit: int = 2, text: str = "") -> list[dict]:
    """The guides offered beside a search answer: those sharing a category with the first two
    hits (anything with ``.item``), ``exclude`` left out, at most ``limit``. Closest first: the
    words a guide's title and tags share with the message (``text``) and the answer's title (a
    "MASH referral" answer offers the child guide, an "adult safeguarding" one the adult
    guide), then how specific the shared categories are ("domestic-abuse", which one guide has,
    before "safeguarding", which six share), then the guides' own order."""
    flows = list_flows()
    cats = {c for h in hits[:2] for c in h.item.categories}
    share = {c: sum(c in f["categories"] for f in flows) for c in cats}
    said = flow_words(text) | (flow_words(hits[0].item.title) if hits else set())
    words = {f["id"]: guide_words(f) for f in flows}
    guides_with = Counter(w for ws in words.values() for w in ws)

    def closeness(f: dict) -> tuple[float, float]:
        # a shared word counts less the more guides have it: "fgm" (one guide) names the child
        # guide, "duty" (eviction's duty to refer, modern slavery's duty to notify) hardly any
        return (sum(1 / guides_with[w] for w in said & words[f["id"]]),
                sum(1 / share[c] for c in cats & set(f["categories"])))

    offered = [f for f in flows if cats & set(f["categories"]) and f["id"] != exclude]
    return sorted(offered, key=lambda f: tuple(-x for x in closeness(f)))[:limit]
