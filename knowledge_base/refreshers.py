"""Refreshers: two-minute training cards with a three-question quick check.

Trainers write one module per file under ``knowledge_base/content/refreshers/``
(``<id>.yml``; files starting with ``_`` are not modules: ``_messages.yml`` holds the
fixed wording the engine uses). Three parts, no Rasa imports:

* **Schema** (:class:`Refresher`): strict pydantic models (``extra="forbid"``).
* **Validator** (:func:`validate_refreshers`): schema + cross checks (related item and
  flow ids exist, dates, duplicates), ALL problems at once as ``file:line: message``.
* **Engine** (:class:`RefresherEngine`, or the module functions over the shipped
  content)::

      card = get_refresher("safeguarding")          # by id, topic or tag -> CardView
      turn = quick_check_start(card.id)              # CheckTurn(state=dict, view=CheckView)
      turn = quick_check_answer(turn.state, "2")     # option number, letter or its text
      related_refresher("duty-to-refer-homelessness-s213b", offered=["..."])

  The state is a small JSON-serialisable dict a Rasa slot can hold.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import KnowledgeBaseError
from .loader import (CONTENT_DIR, Problem, _node_line, load_model_file, read_units, schema_problems,
                     unit_id_problems)
from .schema import ItemId, ShortLine, Source, Strict

REFRESHERS_DIR = CONTENT_DIR / "refreshers"
MESSAGES_FILE = "_messages.yml"
STATE_VERSION = 1
QUESTIONS_PER_CHECK = 3


class RefresherError(KnowledgeBaseError):
    """Base class for refresher errors."""


class RefreshersInvalid(RefresherError):
    def __init__(self, problems):
        self.problems = list(problems)
        n = sum(1 for p in self.problems if p.level == "error")
        super().__init__(f"{n} refresher error(s); run `kb refreshers` to list them")


class UnknownRefresher(RefresherError):
    exit_code = 2


class BadCheckState(RefresherError):
    exit_code = 2


# --------------------------------------------------------------------------- schema
class CheckOption(Strict):
    """One answer to a quick-check question, with the feedback shown when it is chosen."""

    text: str = Field(min_length=1, max_length=200)
    correct: bool = False
    feedback: str = Field(min_length=3, max_length=400, description="Shown when this option is chosen")


class CheckQuestion(Strict):
    """A quick-check question: 2-5 options, exactly one with ``correct: true``."""

    question: str = Field(min_length=5, max_length=300)
    options: list[CheckOption] = Field(min_length=2, max_length=5)

    @model_validator(mode="after")
    def _one_correct(self):
        n = sum(1 for o in self.options if o.correct)
        if n != 1:
            raise ValueError(f"exactly one option must have correct: true (found {n})")
        return self


class Refresher(Strict):
    """A two-minute refresher module built from training content."""

    id: ItemId
    title: str = Field(min_length=3, max_length=120)
    summary: str = Field(min_length=10, max_length=400, description="One or two sentences: what this refresher covers")
    topics: list[str] = Field(min_length=1, description="Words a worker might ask for it by")
    tags: list[str] = Field(default_factory=list)
    key_points: list[str] = Field(min_length=2, max_length=6)
    say_this: list[ShortLine] = Field(min_length=1, max_length=4)
    common_mistakes: list[str] = Field(min_length=1, max_length=5)
    quick_check: list[CheckQuestion] = Field(min_length=QUESTIONS_PER_CHECK, max_length=QUESTIONS_PER_CHECK)
    related_items: list[ItemId] = Field(default_factory=list)
    related_flows: list[ItemId] = Field(default_factory=list)
    owner: str = Field(min_length=2)
    last_reviewed: dt.date
    review_by: dt.date
    sources: list[Source] = Field(min_length=1)
    legal: bool = Field(default=False, description="True when the module states law or safeguarding duties")
    notes: str | None = None

    @model_validator(mode="after")
    def _checks(self):
        if self.review_by <= self.last_reviewed:
            raise ValueError("review_by must be after last_reviewed")
        if self.legal and not any(s.primary for s in self.sources):
            raise ValueError("a legal or safeguarding refresher needs at least one source with primary: true")
        return self


CardLabel = Literal["key_points", "say_this", "common_mistakes", "related", "sources", "quick_check"]
CARD_LABELS: tuple[str, ...] = CardLabel.__args__  # type: ignore[attr-defined]


class RefresherMessages(Strict):
    """Fixed wording of the engine (``_messages.yml``)."""

    card_labels: dict[CardLabel, str]
    minutes: int = Field(ge=1, le=10)
    correct: str
    incorrect: str
    not_understood: str
    finished: str = Field(description="Template with {score} and {total}")
    all_correct: str
    some_wrong: str

    @model_validator(mode="after")
    def _all_labels(self):
        missing = set(CARD_LABELS) - set(self.card_labels)
        if missing:
            raise ValueError(f"card_labels is missing: {', '.join(sorted(missing))}")
        if "{score}" not in self.finished or "{total}" not in self.finished:
            raise ValueError("finished must contain {score} and {total}")
        return self


# ------------------------------------------------------------------------- loading


def _schema_problems(name: str, root, exc: ValidationError) -> list[Problem]:
    return schema_problems(name, root, exc, whole="(file)")


def load_messages(content_dir: Path | str = REFRESHERS_DIR) -> tuple[RefresherMessages | None, list[Problem]]:
    return load_model_file(Path(content_dir) / MESSAGES_FILE, RefresherMessages, "refresher messages file missing",
                           "add _messages.yml", _schema_problems, skip_empty=True)


def _flow_ids(flows_dir: Path) -> set[str] | None:
    """Ids of the flows next to the content, or None when the flows module is absent."""
    try:
        from . import flows as flows_mod
    except ImportError:
        return None
    validate = getattr(flows_mod, "validate_flows", None)
    if validate is None or not flows_dir.is_dir():
        return None
    flows, _ = validate(flows_dir)
    return set(flows)


def _item_ids(kb_root: Path) -> set[str]:
    """Ids of the knowledge-base items next to the refreshers (a fast read: the items
    themselves are validated by ``kb validate``)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    ids: set[str] = set()
    for sub in ("services", "guidance"):
        for path in sorted((kb_root / sub).glob("*.y*ml")):
            try:
                data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
            except (yaml.YAMLError, UnicodeDecodeError):
                continue
            items = data.get("items") if isinstance(data, dict) else None
            ids.update(str(i["id"]) for i in items or [] if isinstance(i, dict) and i.get("id"))
    return ids


def validate_refreshers(content_dir: Path | str = REFRESHERS_DIR, today: dt.date | None = None,
                        item_ids: Iterable[str] | None = None, flow_ids: Iterable[str] | None = None,
                        cross_check: bool = True) -> tuple[dict[str, Refresher], list[Problem]]:
    """Load every refresher module in ``content_dir`` (the ``refreshers`` folder, or a
    content folder that contains one). Returns the valid modules by id and every
    problem found; never raises for content problems. Related item ids are checked
    against the knowledge base next to the folder, and flow ids against its flows
    (unless given explicitly); ``cross_check=False`` skips those checks."""
    content_dir = Path(content_dir)
    if (content_dir / "refreshers").is_dir():
        content_dir = content_dir / "refreshers"
    today = today or dt.date.today()
    modules: dict[str, Refresher] = {}
    problems: list[Problem] = []
    if not content_dir.is_dir():
        return modules, [Problem(str(content_dir), 1, "refreshers folder not found")]
    _, msg_problems = load_messages(content_dir)
    problems.extend(msg_problems)
    kb_root = content_dir.parent
    if not cross_check:
        item_ids, flow_ids = None, None
    else:
        item_ids = set(item_ids) if item_ids is not None else _item_ids(kb_root)
        flow_ids = set(flow_ids) if flow_ids is not None else _flow_ids(kb_root / "flows")
    first_seen: dict[str, str] = {}
    for path, name, file_problems, root, data in read_units(
            content_dir, "a refresher file must be a mapping with id, title, key_points ...", "see docs/trainer-guide.md"):
        module = None
        if isinstance(data, dict):
            try:
                module = Refresher.model_validate(data)
            except ValidationError as exc:
                file_problems.extend(_schema_problems(name, root, exc))
            # cross checks on the raw data, so they are reported even when the schema failed
            for key, known, what in (("related_items", item_ids, "knowledge-base item"), ("related_flows", flow_ids, "flow")):
                raw = data.get(key) or []
                if not isinstance(raw, list):
                    continue
                for i, ref in enumerate(raw):
                    if known is not None and ref not in known:
                        file_problems.append(Problem(name, _node_line(root, (key, i)), f"{key}.{i}: unknown {what} id '{ref}'",
                                                     hint=f"check the id against the {what}s (kb search / kb validate)"))
            if module is not None:
                file_problems.extend(unit_id_problems("refresher", name, root, module.id, path, first_seen))
                if module.last_reviewed > today:
                    file_problems.append(Problem(name, _node_line(root, ("last_reviewed",)),
                                                 f"last_reviewed {module.last_reviewed} is in the future",
                                                 hint="use the date the module was actually checked"))
                if module.review_by < today:
                    file_problems.append(Problem(name, _node_line(root, ("review_by",)), f"past its review_by date {module.review_by}",
                                                 level="warning", hint="check the module against its sources and move review_by on"))
        problems.extend(file_problems)
        if module is not None and not any(p.level == "error" for p in file_problems):
            modules[module.id] = module
            first_seen[module.id] = name
    return modules, problems


# -------------------------------------------------------------------------- views
class SourceView(BaseModel):
    model_config = ConfigDict(frozen=True)
    title: str
    url: str
    primary: bool


class CardView(BaseModel):
    """The two-minute card (JSON: ``card.model_dump(mode="json")``)."""

    model_config = ConfigDict(frozen=True)
    id: str
    title: str
    summary: str
    minutes: int
    labels: dict[str, str]
    key_points: list[str]
    say_this: list[str]
    common_mistakes: list[str]
    related_items: list[str]
    related_flows: list[str]
    sources: list[SourceView]
    review_by: dt.date
    questions: int


class OptionView(BaseModel):
    model_config = ConfigDict(frozen=True)
    value: str = Field(description="Button payload: the option number as text")
    label: str


class FeedbackView(BaseModel):
    model_config = ConfigDict(frozen=True)
    correct: bool
    verdict: str
    text: str
    correct_answer: str


class CheckView(BaseModel):
    """What to show after a quick-check turn: feedback on the last answer (if any),
    then the next question, or the final score."""

    model_config = ConfigDict(frozen=True)
    refresher_id: str
    title: str
    status: Literal["question", "done"]
    number: int = Field(description="1-based number of the question shown (or answered last when done)")
    of: int
    question: str | None = None
    options: list[OptionView] = Field(default_factory=list)
    feedback: FeedbackView | None = None
    not_understood: str | None = None
    score: int
    result: str | None = None


@dataclass(frozen=True)
class CheckTurn:
    state: dict
    view: CheckView


# words too common to pick a refresher by when nothing else matches
_COMMON = {"what", "when", "with", "your", "about", "have", "help", "that", "this", "they", "them", "from", "should"}


def _norm(text: str) -> str:
    text = (text or "").lower().replace("\u2019", "'").replace("'", "")
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]+", " ", text)).strip()


def _fingerprint(module: Refresher) -> str:
    raw = json.dumps([q.model_dump() for q in module.quick_check], sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


# -------------------------------------------------------------------------- engine
class RefresherEngine:
    """Pure engine. Quick-check state keys: ``v``, ``refresher``, ``fp`` (fingerprint of
    the questions), ``q`` (index of the next question), ``answers`` (chosen option
    indexes), ``score``."""

    def __init__(self, modules: dict[str, Refresher], messages: RefresherMessages):
        self.modules = modules
        self.messages = messages

    @classmethod
    def from_content(cls, content_dir: Path | str = REFRESHERS_DIR, today: dt.date | None = None) -> "RefresherEngine":
        modules, problems = validate_refreshers(content_dir, today)
        folder = Path(content_dir)
        folder = folder / "refreshers" if (folder / "refreshers").is_dir() else folder
        messages, _ = load_messages(folder)
        if messages is None or any(p.level == "error" for p in problems):
            raise RefreshersInvalid(problems)
        return cls(modules, messages)

    # ---- lookup
    def find(self, id_or_topic: str) -> Refresher | None:
        if id_or_topic in self.modules:
            return self.modules[id_or_topic]
        want = _norm(id_or_topic).replace("-", " ")
        if not want:
            return None
        for m in self.modules.values():  # exact topic or tag
            if want in {_norm(t) for t in [*m.topics, *m.tags, m.title, m.id.replace("-", " ")]}:
                return m
        padded = f" {want} "
        best, best_key = None, (0, 0)
        for m in sorted(self.modules.values(), key=lambda m: m.id):
            phrases = {_norm(t) for t in [*m.topics, *m.tags]} - {""}
            contained = sum(1 for ph in phrases if f" {ph} " in padded)  # a whole topic named in the request
            vocab = {w for ph in [*phrases, _norm(m.title)] for w in ph.split() if len(w) >= 4 and w not in _COMMON}
            key = (contained, len(vocab & set(want.split())))
            if key > best_key:
                best, best_key = m, key
        return best

    def card(self, id_or_topic: str) -> CardView:
        m = self.find(id_or_topic)
        if m is None:
            raise UnknownRefresher(f"no refresher for '{id_or_topic}'; known: {', '.join(sorted(self.modules))}")
        return CardView(id=m.id, title=m.title, summary=m.summary, minutes=self.messages.minutes,
                        labels=dict(self.messages.card_labels), key_points=list(m.key_points),
                        say_this=list(m.say_this), common_mistakes=list(m.common_mistakes),
                        related_items=list(m.related_items), related_flows=list(m.related_flows),
                        sources=[SourceView(title=s.title, url=str(s.url), primary=s.primary) for s in m.sources],
                        review_by=m.review_by, questions=len(m.quick_check))

    def related(self, item_or_flow_id: str, offered: Iterable[str] = ()) -> CardView | None:
        """The refresher related to an item or flow, unless it was already offered."""
        offered = set(offered)
        for m in sorted(self.modules.values(), key=lambda m: m.id):
            if m.id not in offered and (item_or_flow_id in m.related_items or item_or_flow_id in m.related_flows):
                return self.card(m.id)
        return None

    def render_card(self, card: CardView) -> str:
        lab = card.labels
        lines = [card.title, card.summary, "", lab["key_points"] + ":"]
        lines += [f"- {p}" for p in card.key_points]
        lines += ["", lab["say_this"] + ":"] + [f'- "{s}"' for s in card.say_this]
        lines += ["", lab["common_mistakes"] + ":"] + [f"- {s}" for s in card.common_mistakes]
        lines += ["", lab["sources"] + ":"] + [f"- {s.title} <{s.url}>" for s in card.sources]
        return "\n".join(lines)

    # ---- quick check
    def start(self, refresher_id: str) -> CheckTurn:
        m = self.find(refresher_id)
        if m is None:
            raise UnknownRefresher(f"no refresher '{refresher_id}'")
        state = {"v": STATE_VERSION, "refresher": m.id, "fp": _fingerprint(m), "q": 0, "answers": [], "score": 0}
        return CheckTurn(state, self._view(m, state))

    def answer(self, state: dict, text: str) -> CheckTurn:
        m, state = self._load(state)
        if state["q"] >= len(m.quick_check):
            return CheckTurn(state, self._view(m, state, last=len(m.quick_check) - 1))
        question = m.quick_check[state["q"]]
        choice = self._match(question, text)
        if choice is None:
            return CheckTurn(state, self._view(m, state, not_understood=True))
        right = question.options[choice].correct
        state = {**state, "q": state["q"] + 1, "answers": state["answers"] + [choice],
                 "score": state["score"] + (1 if right else 0)}
        return CheckTurn(state, self._view(m, state, last=state["q"] - 1))

    def _load(self, state: dict) -> tuple[Refresher, dict]:
        try:
            state = json.loads(json.dumps(state))  # copy; proves it is plain JSON
            m = self.modules[state["refresher"]]
            ok = state["v"] == STATE_VERSION and isinstance(state["answers"], list) and isinstance(state["q"], int)
        except (KeyError, TypeError, ValueError) as exc:
            raise BadCheckState(f"not a quick-check state: {exc}") from exc
        if not ok:
            raise BadCheckState("quick-check state has the wrong version or shape")
        if state["fp"] != _fingerprint(m):  # trainers changed the questions: start again
            return m, {**self.start(m.id).state}
        return m, state

    @staticmethod
    def _match(question: CheckQuestion, text: str) -> int | None:
        said = _norm(text)
        n = len(question.options)
        if said.isdigit() and 1 <= int(said) <= n:
            return int(said) - 1
        if len(said) == 1 and "a" <= said <= chr(ord("a") + n - 1):
            return ord(said) - ord("a")
        texts = [_norm(o.text) for o in question.options]
        if said in texts:
            return texts.index(said)
        return None

    def _view(self, m: Refresher, state: dict, last: int | None = None, not_understood: bool = False) -> CheckView:
        msg = self.messages
        total = len(m.quick_check)
        feedback = None
        if last is not None and last < len(state["answers"]):
            q = m.quick_check[last]
            chosen = q.options[state["answers"][last]]
            right = next(o for o in q.options if o.correct)
            feedback = FeedbackView(correct=chosen.correct, verdict=msg.correct if chosen.correct else msg.incorrect,
                                    text=chosen.feedback, correct_answer=right.text)
        base = dict(refresher_id=m.id, title=m.title, of=total, score=state["score"], feedback=feedback,
                    not_understood=msg.not_understood if not_understood else None)
        if state["q"] >= total:
            verdict = msg.all_correct if state["score"] == total else msg.some_wrong
            result = msg.finished.format(score=state["score"], total=total) + " " + verdict
            return CheckView(status="done", number=total, result=result, **base)
        q = m.quick_check[state["q"]]
        return CheckView(status="question", number=state["q"] + 1, question=q.question,
                         options=[OptionView(value=str(i + 1), label=o.text) for i, o in enumerate(q.options)], **base)


# ------------------------------------------------------- module API over shipped content
@lru_cache(maxsize=1)
def default_engine() -> RefresherEngine:
    """The engine over the shipped refreshers (validated once; raises RefreshersInvalid)."""
    return RefresherEngine.from_content(REFRESHERS_DIR)


def get_refresher(id_or_topic: str) -> CardView:
    return default_engine().card(id_or_topic)


def quick_check_start(refresher_id: str) -> CheckTurn:
    return default_engine().start(refresher_id)


def quick_check_answer(state: dict, answer: str) -> CheckTurn:
    return default_engine().answer(state, answer)


def related_refresher(item_or_flow_id: str, offered: Iterable[str] = ()) -> CardView | None:
    return default_engine().related(item_or_flow_id, offered)
