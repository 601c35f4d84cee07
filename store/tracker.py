"""Rasa's tracker store (not ours, but the conversations in it are residents' data):
delete one conversation, or every conversation idle for N days, on SQLite (the embedded
default) and PostgreSQL (scale-out). Deleted events are overwritten and, on SQLite, the
write-ahead log is truncated, so nothing is left in the file. Each deleted conversation
gets a tombstone (``frontline_deleted_conversations``), which Rasa's store
(``bot.tracker_store``) reads so that a message being answered at that moment cannot write
the conversation back; tombstones older than ``TOMBSTONE_DAYS`` are pruned.

    tracker_url(tracker_db=None) -> str          FRONTLINE_TRACKER_URL, else PostgreSQL from
                                                 FRONTLINE_PG_*, else the SQLite file
    delete_conversation(sender_id, url) -> int   events deleted
    purge_conversations(days, url, now) -> int   conversations deleted
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

from common.paths import ROOT

log = logging.getLogger(__name__)
DAY_SECONDS = 24 * 60 * 60
TOMBSTONE_DAYS = 2  # far longer than any message takes to answer


_events = sa.Table(  # the columns we need of Rasa's SQLTrackerStore.SQLEvent
    "events", sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
)


_tombstones = sa.Table(  # the same table as bot.tracker_store's (a unit test compares them)
    "frontline_deleted_conversations", sa.MetaData(),
    sa.Column("sender_hash", sa.String(64), primary_key=True),  # sha256 of the sender id, not the id
    sa.Column("deleted_at", sa.Float, nullable=False),
)


def sender_hash(sender_id: str) -> str:
    """What a tombstone keeps of a deleted conversation's sender id (bot.tracker_store too)."""
    return hashlib.sha256(sender_id.encode("utf-8")).hexdigest()


def _tombstone(conn, senders: list[str], now: float) -> None:
    """Mark ``senders`` deleted at ``now`` and prune tombstones older than TOMBSTONE_DAYS."""
    _tombstones.create(conn, checkfirst=True)
    conn.execute(sa.delete(_tombstones).where(_tombstones.c.deleted_at < now - TOMBSTONE_DAYS * DAY_SECONDS))
    for start in range(0, len(senders), 500):
        chunk = senders[start:start + 500]
        hashes = [sender_hash(s) for s in chunk]
        conn.execute(sa.delete(_tombstones).where(_tombstones.c.sender_hash.in_(hashes)))
        conn.execute(sa.insert(_tombstones), [{"sender_hash": h, "deleted_at": now} for h in hashes])


class TrackerStoreError(Exception):
    """The retention period is invalid or the tracker store cannot be reached."""


def tracker_url(tracker_db: Path | str | None = None) -> str:
    """The SQLAlchemy URL of the tracker store Rasa uses (``tracker_db``: the embedded
    SQLite file, by default ``$FRONTLINE_DATA_DIR/tracker.db``)."""
    if os.environ.get("FRONTLINE_TRACKER_URL"):
        return os.environ["FRONTLINE_TRACKER_URL"]
    env = os.environ
    if env.get("FRONTLINE_PG_HOST"):
        user = quote(env.get("FRONTLINE_PG_USER", "postgres"), safe="")
        password = env.get("FRONTLINE_PG_PASSWORD", "")
        auth = f"{user}:{quote(password, safe='')}" if password else user
        return (f"postgresql+psycopg2://{auth}@{env['FRONTLINE_PG_HOST']}:{env.get('FRONTLINE_PG_PORT', '5432')}"
                f"/{env.get('FRONTLINE_PG_DB', 'frontline')}")
    if tracker_db is None:
        tracker_db = Path(os.environ.get("FRONTLINE_DATA_DIR", ROOT / "var")) / "tracker.db"
    return f"sqlite:///{tracker_db}"


def _engine(url: str | None) -> sa.Engine:
    return sa.create_engine(url or tracker_url(), pool_pre_ping=True)


def _run(url: str | None, work) -> int:
    engine = _engine(url)
    try:
        with engine.begin() as conn:
            if not sa.inspect(conn).has_table("events"):
                return 0  # Rasa has not stored any conversation yet
            if engine.dialect.name == "sqlite":
                # overwrite deleted rows instead of leaving them in free pages
                conn.exec_driver_sql("PRAGMA secure_delete=ON")
            n = work(conn)
        if n and engine.dialect.name == "sqlite":
            _scrub_sqlite(engine)
        return n
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise TrackerStoreError(f"cannot reach the tracker store at {engine.url!r}: {reason}") from exc
    finally:
        engine.dispose()


def _scrub_sqlite(engine: sa.Engine) -> None:
    """After a delete: copy the write-ahead log into the database and truncate it, so the
    deleted events survive neither in the WAL file nor in free pages (secure_delete zeroed
    those). Best effort: a busy database is scrubbed at the next delete or purge."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except sa.exc.OperationalError as exc:
        log.warning("tracker store not checkpointed after a delete: %s", exc)


def delete_conversation(sender_id: str, url: str | None = None) -> int:
    """Delete every event of one conversation. Returns the number of events deleted (0 if none).

    For the web front door's admin action: call it with the sender id the
    front door uses for that conversation.
    """
    def work(conn) -> int:
        _tombstone(conn, [sender_id], time.time())  # first: a save from now on leaves these events out
        return conn.execute(sa.delete(_events).where(_events.c.sender_id == sender_id)).rowcount

    return _run(url, work)


def purge_conversations(older_than_days: int, url: str | None = None, now: float | None = None) -> int:
    """Delete whole conversations whose last event is older than ``older_than_days``.

    Returns the number of conversations deleted.
    """
    if older_than_days < 1:
        raise TrackerStoreError(f"the retention period must be 1 day or more (got {older_than_days})")
    now = time.time() if now is None else now
    cutoff = now - older_than_days * DAY_SECONDS
    stale = (sa.select(_events.c.sender_id).group_by(_events.c.sender_id)
             .having(sa.func.max(_events.c.timestamp) < cutoff))

    def work(conn) -> int:
        senders = [row[0] for row in conn.execute(stale)]
        _tombstone(conn, senders, now)
        for start in range(0, len(senders), 500):
            conn.execute(sa.delete(_events).where(_events.c.sender_id.in_(senders[start:start + 500])))
        return len(senders)

    return _run(url, work)
