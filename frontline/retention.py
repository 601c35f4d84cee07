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
from pathlib import Path

from store.tracker import TrackerStoreError
from store.tracker import delete_conversation as _delete
from store.tracker import purge_conversations as _purge
from store.tracker import tracker_url as _tracker_url

from .settings import Settings

log = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 30
DAY_SECONDS = 24 * 60 * 60

class RetentionError(TrackerStoreError):
    """The retention period is invalid or the tracker store cannot be reached."""


def _days(env: str, default: int) -> int:
    """A retention period in whole days (1 or more) from ``env``."""
    raw = os.environ.get(env, str(default))
    try:
        days = int(raw)
    except ValueError:
        days = 0
    if days < 1:
        raise RetentionError(f"{env} must be a whole number of days, 1 or more (got {raw!r})")
    return days


def retention_days() -> int:
    return _days("FRONTLINE_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)


def tracker_url(settings: Settings | None = None) -> str:
    """The SQLAlchemy URL of the tracker store Rasa uses."""
    return _tracker_url((settings or Settings()).tracker_db)


def delete_conversation(sender_id: str, url: str | None = None) -> int:
    """Every event of one conversation (``store.tracker``); events deleted."""
    try:
        return _delete(sender_id, url or tracker_url())
    except TrackerStoreError as exc:
        raise RetentionError(str(exc)) from exc


def purge_conversations(older_than_days: int, url: str | None = None, now: float | None = None) -> int:
    """Whole conversations idle for ``older_than_days`` (``store.tracker``)."""
    try:
        return _purge(older_than_days, url or tracker_url(), now)
    except TrackerStoreError as exc:
        raise RetentionError(str(exc)) from exc


DEFAULT_LOG_RETENTION_DAYS = 90


def log_retention_days() -> int:
    """The search log's period (FRONTLINE_LOG_RETENTION_DAYS), and the default of the two below."""
    return _days("FRONTLINE_LOG_RETENTION_DAYS", DEFAULT_LOG_RETENTION_DAYS)


def feedback_retention_days() -> int:
    return _days("FRONTLINE_FEEDBACK_RETENTION_DAYS", log_retention_days())


def logfile_retention_days() -> int:
    return _days("FRONTLINE_LOGFILE_RETENTION_DAYS", log_retention_days())


def purge_other_stores(data_dir=None) -> dict[str, int | None]:
    """Every store besides the conversations, each on its own (one that fails is logged
    and left for the next run): the search log and answer feedback, and referral personal
    data, and the processes' dated log files. Rows (or referrals, or files) purged per store;
    None where a store failed."""
    from knowledge_base.gaps import purge_search_log
    from .logfiles import purge_log_files
    from referrals.config import ReferralSettings
    from referrals.service import ReferralService
    from web.config import data_dir_from_env
    from web.db import purge_feedback

    data_dir = data_dir or data_dir_from_env()
    out: dict[str, int | None] = {}
    for name, work in (("search_log", lambda: purge_search_log(log_retention_days(), directory=data_dir)),
                       ("feedback", lambda: purge_feedback(data_dir, feedback_retention_days())),
                       ("referrals", lambda: ReferralService(ReferralSettings(data_dir=data_dir)).purge()),
                       ("log_files", lambda: purge_log_files(Path(data_dir) / "logs", logfile_retention_days()))):
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
