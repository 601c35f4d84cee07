"""Delete conversations from Rasa's SQL tracker store: on request, and after N days.

Works on the table Rasa's ``SQLTrackerStore`` creates (``events``: one row per
event, with ``sender_id`` and a Unix ``timestamp``), on SQLite (the single
machine default, ``var/tracker.db``) and PostgreSQL (scale-out,
``deploy/endpoints.scale.yml``). Which database: ``FRONTLINE_TRACKER_URL`` (a
SQLAlchemy URL) if set, else PostgreSQL if ``FRONTLINE_PG_HOST`` is set (the
same ``FRONTLINE_PG_*`` variables Rasa reads), else the SQLite file.

A conversation is purged whole once its *last* event is older than the
retention period (``FRONTLINE_RETENTION_DAYS``, default 30), so a conversation
still in use is never cut in half.

    delete_conversation(sender_id) -> int    events deleted (0: no such conversation)
    purge_conversations(older_than_days) -> int    conversations deleted
    purge_other_stores() -> dict             the search log and feedback (FRONTLINE_LOG_RETENTION_DAYS,
                                             default 90) and referral personal data
                                             (FRONTLINE_REFERRAL_RETENTION_DAYS, default 90)
    RetentionTimer().start() / .stop()       purge all of them now, then once a day (supervisor)
    frontline conversations delete SENDER | purge [--days N]
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from urllib.parse import quote

import sqlalchemy as sa

from .settings import Settings

log = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 30
DAY_SECONDS = 24 * 60 * 60

_events = sa.Table(  # the columns we need of Rasa's SQLTrackerStore.SQLEvent
    "events", sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
)


class RetentionError(Exception):
    """The retention period is invalid or the tracker store cannot be reached."""


def retention_days() -> int:
    raw = os.environ.get("FRONTLINE_RETENTION_DAYS", str(DEFAULT_RETENTION_DAYS))
    try:
        days = int(raw)
    except ValueError:
        days = 0
    if days < 1:
        raise RetentionError(f"FRONTLINE_RETENTION_DAYS must be a whole number of days, 1 or more (got {raw!r})")
    return days


def tracker_url(settings: Settings | None = None) -> str:
    """The SQLAlchemy URL of the tracker store Rasa uses."""
    if os.environ.get("FRONTLINE_TRACKER_URL"):
        return os.environ["FRONTLINE_TRACKER_URL"]
    env = os.environ
    if env.get("FRONTLINE_PG_HOST"):
        user = quote(env.get("FRONTLINE_PG_USER", "postgres"), safe="")
        password = env.get("FRONTLINE_PG_PASSWORD", "")
        auth = f"{user}:{quote(password, safe='')}" if password else user
        return (f"postgresql+psycopg2://{auth}@{env['FRONTLINE_PG_HOST']}:{env.get('FRONTLINE_PG_PORT', '5432')}"
                f"/{env.get('FRONTLINE_PG_DB', 'frontline')}")
    return f"sqlite:///{(settings or Settings()).tracker_db}"


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
        raise RetentionError(f"cannot reach the tracker store at {engine.url!r}: {reason}") from exc
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
    return _run(url, lambda conn: conn.execute(sa.delete(_events).where(_events.c.sender_id == sender_id)).rowcount)


def purge_conversations(older_than_days: int, url: str | None = None, now: float | None = None) -> int:
    """Delete whole conversations whose last event is older than ``older_than_days``.

    Returns the number of conversations deleted.
    """
    if older_than_days < 1:
        raise RetentionError(f"the retention period must be 1 day or more (got {older_than_days})")
    cutoff = (time.time() if now is None else now) - older_than_days * DAY_SECONDS
    stale = (sa.select(_events.c.sender_id).group_by(_events.c.sender_id)
             .having(sa.func.max(_events.c.timestamp) < cutoff))

    def work(conn) -> int:
        senders = [row[0] for row in conn.execute(stale)]
        for start in range(0, len(senders), 500):
            conn.execute(sa.delete(_events).where(_events.c.sender_id.in_(senders[start:start + 500])))
        return len(senders)

    return _run(url, work)


DEFAULT_LOG_RETENTION_DAYS = 90


def log_retention_days() -> int:
    raw = os.environ.get("FRONTLINE_LOG_RETENTION_DAYS", str(DEFAULT_LOG_RETENTION_DAYS))
    try:
        days = int(raw)
    except ValueError:
        days = 0
    if days < 1:
        raise RetentionError(f"FRONTLINE_LOG_RETENTION_DAYS must be a whole number of days, 1 or more (got {raw!r})")
    return days


def purge_other_stores(data_dir=None) -> dict[str, int | None]:
    """Every store besides the conversations, each on its own (one that fails is logged
    and left for the next run): the search log and answer feedback, and referral personal
    data. Rows (or referrals) purged per store; None where a store failed."""
    from knowledge_base.gaps import purge_search_log
    from referrals.config import ReferralSettings
    from referrals.service import ReferralService
    from web.config import data_dir_from_env
    from web.db import purge_feedback

    data_dir = data_dir or data_dir_from_env()
    out: dict[str, int | None] = {}
    for name, work in (("search_log", lambda: purge_search_log(log_retention_days(), directory=data_dir)),
                       ("feedback", lambda: purge_feedback(data_dir, log_retention_days())),
                       ("referrals", lambda: ReferralService(ReferralSettings(data_dir=data_dir)).purge())):
        try:
            out[name] = work()
        except Exception as exc:  # noqa: BLE001 - one store's failure must not stop the others
            log.error("%s purge failed: %s", name, type(exc).__name__)
            out[name] = None
    return out


class RetentionTimer:
    """Purge at start, then every ``interval`` seconds, in a daemon thread. Never raises."""

    def __init__(self, days: int | None = None, interval: float = DAY_SECONDS, url: str | None = None,
                 data_dir=None):
        self.days = days if days is not None else retention_days()
        self.interval = interval
        self.url = url
        self.data_dir = data_dir
        self.others: dict[str, int | None] = {}
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="retention", daemon=True)

    def run_once(self) -> int | None:
        """Conversations first, then every other store; the conversations deleted."""
        try:
            n = purge_conversations(self.days, self.url)
        except Exception as exc:  # the timer must keep going; the next run retries
            log.error("conversation purge failed: %s", exc)
            n = None
        try:
            self.others = purge_other_stores(self.data_dir)
        finally:
            self.runs += 1
        if n:
            log.info("deleted %d conversation(s) older than %d days", n, self.days)
        return n

    def _loop(self) -> None:
        while True:
            self.run_once()
            if self._stop.wait(self.interval):
                return

    def start(self) -> "RetentionTimer":
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)


def _cmd_delete(args) -> int:
    from knowledge_base.gaps import delete_sender

    n = delete_conversation(args.sender)
    delete_sender(args.sender)  # its logged searches too (FRONTLINE_DATA_DIR)
    if not n:
        print(f"frontline: no conversation with sender id {args.sender!r}", file=sys.stderr)
        return 1
    print(f"deleted conversation {args.sender!r} ({n} events)")
    return 0


def _cmd_purge(args) -> int:
    days = args.days if args.days is not None else retention_days()
    n = purge_conversations(days)
    print(f"deleted {n} conversation(s) with no activity in the last {days} days")
    return 0


def _handler(args) -> int:
    try:
        return args.conversation_handler(args)
    except RetentionError as exc:
        print(f"frontline: {exc}", file=sys.stderr)
        return 1


def add_conversation_parsers(subparsers) -> None:
    """Register ``frontline conversations delete|purge``; sets ``args.handler``."""
    p = subparsers.add_parser("conversations", help="delete stored conversations (privacy and retention)")
    sub = p.add_subparsers(dest="conversations_cmd", required=True)
    d = sub.add_parser("delete", help="delete one conversation from the tracker store now")
    d.add_argument("sender", help="the conversation's sender id")
    d.set_defaults(handler=_handler, conversation_handler=_cmd_delete)
    g = sub.add_parser("purge", help="delete conversations with no activity for N days")
    g.add_argument("--days", type=int, default=None,
                   help=f"retention period (default: FRONTLINE_RETENTION_DAYS or {DEFAULT_RETENTION_DAYS})")
    g.set_defaults(handler=_handler, conversation_handler=_cmd_purge)
