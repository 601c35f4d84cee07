"""The tracker store Rasa uses (named in bot/endpoints.yml and deploy/endpoints.scale.yml):
Rasa's SQL tracker store, with two changes made as methods of a subclass, not patches.

1. A deleted conversation stays deleted. The front door's "delete this conversation" and
   the retention purge (``store.tracker``) delete its events and write a tombstone row
   (``frontline_deleted_conversations``: the sha256 of the sender id, time of deletion). Rasa may hold that
   conversation in memory at that moment (a message being answered) and save it a moment
   later; its SQL store then sees no stored events and would write the whole conversation
   back. Here, events from before the deletion are never written back; what the worker
   types after it is stored as a new conversation. Tombstones are pruned after
   ``TOMBSTONE_DAYS`` by ``store.tracker``.

2. A conversation's stored events are counted with one prepared SQL statement (events of
   this sender at or after its latest ``session_started``, or all of them if there is
   none): Rasa builds that ORM query afresh before every save, 13% of its busy time
   (py-spy, search messages). ``bot.speedups.self_test`` checks it returns Rasa's count.

Only SQLAlchemy and Rasa are imported: this runs inside Rasa (Python 3.10).
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from typing import Any, Iterator

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted

logger = logging.getLogger(__name__)

TOMBSTONES = "frontline_deleted_conversations"
_metadata = sa.MetaData()
tombstones = sa.Table(  # the same table as store.tracker's (a unit test compares them)
    TOMBSTONES, _metadata,
    sa.Column("sender_hash", sa.String(64), primary_key=True),  # sha256 of the sender id, not the id
    sa.Column("deleted_at", sa.Float, nullable=False),
)


def sender_hash(sender_id: str) -> str:
    """The tombstone's key: the same function as store.tracker.sender_hash."""
    return hashlib.sha256(sender_id.encode("utf-8")).hexdigest()


class FrontlineTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that never writes a deleted conversation back (see module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._count_statement = None
        try:
            _metadata.create_all(self.engine, checkfirst=True)
        except sa.exc.DatabaseError:  # created at the same moment by another process
            if not sa.inspect(self.engine).has_table(TOMBSTONES):
                raise

    def _count_since_session_start(self, session, sender_id: str) -> int:
        if self._count_statement is None:
            table = self.SQLEvent.__table__
            sender = sa.bindparam("sender_id")
            start = (sa.select(sa.func.max(table.c.timestamp))
                     .where(table.c.sender_id == sender, table.c.type_name == SessionStarted.type_name)
                     .scalar_subquery())
            self._count_statement = (sa.select(sa.func.count()).select_from(table)
                                     .where(table.c.sender_id == sender,
                                            sa.or_(table.c.timestamp >= start, start.is_(None))))
        return int(session.execute(self._count_statement, {"sender_id": sender_id}).scalar() or 0)

    def _additional_events(self, session, tracker) -> Iterator:
        """The events of ``tracker`` not stored yet, never one from before a deletion."""
        deleted_at = session.execute(
            sa.select(tombstones.c.deleted_at).where(tombstones.c.sender_hash == sender_hash(tracker.sender_id))
        ).scalar()
        if deleted_at is None:
            n = self._count_since_session_start(session, tracker.sender_id)
            return itertools.islice(tracker.events, n, len(tracker.events))
        table = self.SQLEvent.__table__
        stored = {(ts, kind) for ts, kind in session.execute(
            sa.select(table.c.timestamp, table.c.type_name).where(table.c.sender_id == tracker.sender_id))}
        new = [e for e in tracker.events
               if (e.timestamp or 0) > deleted_at and (e.timestamp, e.type_name) not in stored]
        dropped = sum(1 for e in tracker.events if (e.timestamp or 0) <= deleted_at)
        if dropped:
            logger.info("conversation deleted at %.0f: %d earlier events not written back", deleted_at, dropped)
        return iter(new)


def self_test() -> None:
    """A conversation deleted while Rasa holds it in memory is not written back; what comes
    after the deletion is stored once. Run in the Rasa environment (``make test-rasa``)."""
    import asyncio
    import tempfile
    import time

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    def turn(ts: float, text: str) -> list:
        return [UserUttered(text, timestamp=ts), ActionExecuted("action_listen", timestamp=ts + 0.1)]

    with tempfile.TemporaryDirectory() as tmp:
        store = FrontlineTrackerStore(Domain.empty(), dialect="sqlite", db=f"{tmp}/tracker.db")
        t0 = time.time() - 60
        tracker = DialogueStateTracker.from_events("s1", turn(t0, "before"))
        asyncio.run(store.save(tracker))
        other = DialogueStateTracker.from_events("s2", turn(t0, "kept"))
        asyncio.run(store.save(other))
        # the front door deletes s1 (as store.tracker.delete_conversation does) ...
        with store.engine.begin() as conn:
            conn.execute(sa.insert(tombstones), [{"sender_hash": sender_hash("s1"), "deleted_at": time.time()}])
            conn.execute(sa.delete(store.SQLEvent.__table__).where(store.SQLEvent.__table__.c.sender_id == "s1"))
        # ... while Rasa, holding s1 in memory, answers one more message and saves twice
        after = time.time() + 1
        for event in turn(after, "after"):
            tracker.update(event)
        asyncio.run(store.save(tracker))
        asyncio.run(store.save(tracker))
        with store.engine.connect() as conn:
            rows = conn.execute(sa.select(store.SQLEvent.__table__.c.sender_id, store.SQLEvent.__table__.c.data)
                                .order_by(store.SQLEvent.__table__.c.id)).all()
        s1 = [data for sender, data in rows if sender == "s1"]
        assert len(s1) == 2 and all('"before"' not in d for d in s1) and '"after"' in s1[0], s1
        assert sum(sender == "s2" for sender, _ in rows) == 2, rows
        got = asyncio.run(store.retrieve("s1"))
        assert [e.text for e in got.events if isinstance(e, UserUttered)] == ["after"], got.events
        store.engine.dispose()
    print("bot.tracker_store OK: a conversation deleted mid-answer is not written back; later events stored once")
