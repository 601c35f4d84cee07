"""The pure refresher engine, and the module API over the shipped content."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from .errors import BadCheckState, RefreshersInvalid, UnknownRefresher
from .schema import CheckQuestion, Refresher, RefresherMessages
from .validate import REFRESHERS_DIR, load_messages, validate_refreshers
from .views import CardView, CheckTurn, CheckView, FeedbackView, OptionView, SourceView

STATE_VERSION = 1

# words too common to pick a refresher by when nothing else matches
_COMMON = {"what", "when", "with", "your", "about", "have", "help", "that", "this", "they", "them", "from", "should"}


def _norm(text: str) -> str:
    text = (text or "").lower().replace("\u2019", "'").replace("'", "")
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]+", " ", text)).strip()


def _fingerprint(module: Refresher) -> str:
    raw = json.dumps([q.model_dump() for q in module.quick_check], sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


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

    def requested(self, text: str) -> Refresher | None:
        """The refresher a typed message asks for ("quick refresher on open questions",
        "doing a session in 10 minutes on eviction"), or None when it asks for none."""
        said = f" {_norm(text)} "
        if not any(f" {_norm(w)} " in said for w in self.messages.request_words):
            return None
        words = set(said.split()) - {_norm(w) for w in self.messages.request_words} - _COMMON
        return self.find(" ".join(sorted(words))) if words else None

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
