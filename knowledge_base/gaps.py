"""Search log and content gaps.

Every search the assistant answers can be logged (``log_search``) in the
``search_log`` table of the SQLite database ``$FRONTLINE_DATA_DIR/frontline.db``
(default ``var/frontline.db``, the same file as the front door's store). Messages are
stored ONLY after redaction by ``common.redact.redact_text``; if the redactor cannot be
imported nothing is stored (:class:`RedactionUnavailable`).

``gap_report`` groups the unanswered (confidence ``none``/``choose``) and unhelpful
messages by normalised text, most frequent first: the questions trainers should
write content for (``kb gaps``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Boolean, DateTime, Float, Integer, String, Text, delete, func, or_, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from common.paths import ROOT
from store import engine_for, scrub

from .errors import KnowledgeBaseError

UNANSWERED = ("none", "choose")
MAX_MESSAGE_CHARS = 1000


class GapsError(KnowledgeBaseError):
    """Base class for search-log errors."""


class RedactionUnavailable(GapsError):
    """The redactor (common.redact.redact_text) is missing: raw text is never stored."""


class Base(DeclarativeBase):
    pass


class SearchLog(Base):
    __tablename__ = "search_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    time: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    message: Mapped[str] = mapped_column(Text, doc="the worker's message AFTER redaction")
    top_item_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    top_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    confidence: Mapped[str] = mapped_column(String(8), index=True)
    helpful: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True, doc="redacted free-text reason")
    sender_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True,
                                                  doc="the conversation (deleted with it)")


def data_dir() -> Path:
    return Path(os.environ.get("FRONTLINE_DATA_DIR", ROOT / "var"))


def db_path(directory: Path | str | None = None) -> Path:
    return Path(directory or data_dir()) / "frontline.db"


def make_engine(directory: Path | str | None = None):
    """The shared database's engine (``store``): created and migrated on first use."""
    return engine_for(directory or data_dir())


def _redactor():
    try:
        from common.redact import redact_text
    except ImportError as exc:
        raise RedactionUnavailable(f"common.redact.redact_text is not importable ({exc}); refusing to store raw text") from exc
    return redact_text


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def log_search(message: str, top_item_id: str | None, top_score: float | None, confidence: str,
               helpful: bool | None = None, reason: str | None = None, *,
               directory: Path | str | None = None, when: dt.datetime | None = None, engine=None,
               sender_id: str | None = None) -> int:
    """Store one search (redacted) and return its row id, for ``record_feedback`` later."""
    redact = _redactor()
    row = SearchLog(time=when or utcnow(), message=redact(message or "")[:MAX_MESSAGE_CHARS], top_item_id=top_item_id,
                    top_score=top_score, confidence=confidence, helpful=helpful, sender_id=sender_id,
                    reason=redact(reason)[:MAX_MESSAGE_CHARS] if reason else None)
    with Session(engine or make_engine(directory)) as s:
        s.add(row)
        s.commit()
        return row.id


def delete_sender(sender_id: str, *, directory: Path | str | None = None, engine=None) -> int:
    """Delete the logged searches of one conversation (with the conversation itself)."""
    engine = engine or make_engine(directory)
    with Session(engine) as s:
        n = s.execute(delete(SearchLog).where(SearchLog.sender_id == sender_id)).rowcount or 0
        s.commit()
    if n:
        scrub(engine)
    return n


def purge_search_log(older_than_days: int, *, directory: Path | str | None = None, engine=None,
                     now: dt.datetime | None = None) -> int:
    """Delete logged searches older than ``older_than_days`` (retention); rows deleted."""
    cutoff = (now or utcnow()) - dt.timedelta(days=older_than_days)
    engine = engine or make_engine(directory)
    with Session(engine) as s:
        n = s.execute(delete(SearchLog).where(SearchLog.time < cutoff)).rowcount or 0
        s.commit()
    if n:
        scrub(engine)
    return n


def record_feedback(log_id: int, helpful: bool, reason: str | None = None, *,
                    directory: Path | str | None = None, engine=None) -> bool:
    """Mark a logged search helpful or not (reason redacted). False if the row is gone."""
    redact = _redactor()
    with Session(engine or make_engine(directory)) as s:
        row = s.get(SearchLog, log_id)
        if row is None:
            return False
        row.helpful = helpful
        row.reason = redact(reason)[:MAX_MESSAGE_CHARS] if reason else None
        s.commit()
        return True


def normalise(text: str) -> str:
    """Lower case, punctuation dropped (placeholders such as [NAME] kept), spaces collapsed."""
    text = (text or "").lower().replace("\u2019", "'").replace("'", "")
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9\[\]_ ]+", " ", text)).strip()


@dataclass
class Gap:
    text: str
    count: int = 0
    unanswered: int = 0
    unhelpful: int = 0
    last_seen: dt.datetime | None = None
    top_items: dict[str, int] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    @property
    def top(self) -> str | None:
        return max(self.top_items, key=lambda k: (self.top_items[k], k)) if self.top_items else None

    def as_dict(self) -> dict:
        return {"text": self.text, "count": self.count, "unanswered": self.unanswered, "unhelpful": self.unhelpful,
                "last_seen": self.last_seen.isoformat() if self.last_seen else None, "top_item": self.top,
                "reasons": self.reasons[:5]}


def gap_report(since: dt.date | dt.datetime, *, directory: Path | str | None = None, engine=None,
               limit: int = 20) -> tuple[list[Gap], int]:
    """The most frequent unanswered or unhelpful messages since ``since``, and the
    number of searches logged in that period."""
    if not isinstance(since, dt.datetime):
        since = dt.datetime.combine(since, dt.time.min)
    engine = engine or make_engine(directory)
    with Session(engine) as s:
        total = s.scalar(select(func.count(SearchLog.id)).where(SearchLog.time >= since)) or 0
        rows = s.scalars(select(SearchLog).where(SearchLog.time >= since).where(
            or_(SearchLog.confidence.in_(UNANSWERED), SearchLog.helpful.is_(False))).order_by(SearchLog.time)).all()
    groups: dict[str, Gap] = {}
    for r in rows:
        key = normalise(r.message)
        if not key:
            continue
        g = groups.setdefault(key, Gap(text=key))
        g.count += 1
        g.unanswered += r.confidence in UNANSWERED
        g.unhelpful += r.helpful is False
        g.last_seen = r.time
        if r.top_item_id:
            g.top_items[r.top_item_id] = g.top_items.get(r.top_item_id, 0) + 1
        if r.reason:
            g.reasons.append(r.reason)
    ranked = sorted(groups.values(), key=lambda g: (-g.count, -g.unhelpful, g.text))
    return ranked[:limit], total


def recent_routes(since: dt.date | dt.datetime, *, directory: Path | str | None = None, engine=None,
                  limit: int = 20) -> list[dict]:
    """The latest messages the risk router sent to a safeguarding guide, or only offered one
    after the answer (logged as ``check``), redacted, newest first, each with the guide
    and why: the cue phrase or the nearest examples."""
    if not isinstance(since, dt.datetime):
        since = dt.datetime.combine(since, dt.time.min)
    with Session(engine or make_engine(directory)) as s:
        rows = s.scalars(select(SearchLog).where(SearchLog.time >= since, SearchLog.confidence.in_(("risk", "check")))
                         .order_by(SearchLog.time.desc(), SearchLog.id.desc()).limit(limit)).all()
    return [{"time": r.time, "message": r.message, "guide": r.top_item_id, "reason": r.reason} for r in rows]
