"""Retention on a real SQLite tracker store with Rasa's ``events`` schema."""

import sqlite3
import time

import pytest

from frontline import retention
from frontline.retention import RetentionError, RetentionTimer, delete_conversation, purge_conversations

pytestmark = pytest.mark.unit

DAY = 24 * 60 * 60
# the table exactly as Rasa 3.6's SQLTrackerStore creates it on SQLite
RASA_EVENTS = """CREATE TABLE events (id INTEGER NOT NULL, sender_id VARCHAR(255) NOT NULL,
 type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255),
 data TEXT, PRIMARY KEY (id))"""


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "tracker.db"
    con = sqlite3.connect(path)
    con.execute(RASA_EVENTS)
    con.execute("CREATE INDEX ix_events_sender_id ON events (sender_id)")
    now = time.time()
    rows = [("old", now - 40 * DAY), ("old", now - 35 * DAY),
            ("mixed", now - 50 * DAY), ("mixed", now - 2 * DAY),   # still in use: kept whole
            ("new", now - 1 * DAY), ("new", now)]
    con.executemany("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', ?, '{}')", rows)
    con.commit()
    con.close()
    monkeypatch.delenv("FRONTLINE_PG_HOST", raising=False)
    monkeypatch.setenv("FRONTLINE_TRACKER_URL", f"sqlite:///{path}")
    return path


def senders(path):
    con = sqlite3.connect(path)
    try:
        return sorted({r[0] for r in con.execute("select sender_id from events")})
    finally:
        con.close()


def test_purge_deletes_whole_conversations_whose_last_event_is_older_than_the_period(db):
    assert purge_conversations(30) == 1
    assert senders(db) == ["mixed", "new"]
    assert purge_conversations(1) == 1  # "mixed" ended 2 days ago
    assert senders(db) == ["new"]


def test_delete_one_conversation_and_report_a_missing_one(db):
    assert delete_conversation("mixed") == 2
    assert delete_conversation("mixed") == 0
    assert senders(db) == ["new", "old"]


def test_a_store_rasa_has_not_created_yet_is_empty_not_an_error(tmp_path):
    url = f"sqlite:///{tmp_path / 'none.db'}"
    assert purge_conversations(30, url=url) == 0 and delete_conversation("x", url=url) == 0


def test_retention_days_from_env(monkeypatch):
    monkeypatch.delenv("FRONTLINE_RETENTION_DAYS", raising=False)
    assert retention.retention_days() == 30
    monkeypatch.setenv("FRONTLINE_RETENTION_DAYS", "7")
    assert retention.retention_days() == 7
    for bad in ("0", "-3", "a week"):
        monkeypatch.setenv("FRONTLINE_RETENTION_DAYS", bad)
        with pytest.raises(RetentionError, match="FRONTLINE_RETENTION_DAYS"):
            retention.retention_days()
    with pytest.raises(RetentionError):
        purge_conversations(0)


def test_tracker_url_follows_the_rasa_settings(monkeypatch, tmp_path):
    monkeypatch.delenv("FRONTLINE_TRACKER_URL", raising=False)
    monkeypatch.delenv("FRONTLINE_PG_HOST", raising=False)
    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(tmp_path))
    assert retention.tracker_url() == f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv("FRONTLINE_PG_HOST", "db.internal")
    monkeypatch.setenv("FRONTLINE_PG_PORT", "6432")
    monkeypatch.setenv("FRONTLINE_PG_DB", "rasa")
    monkeypatch.setenv("FRONTLINE_PG_USER", "rasa")
    monkeypatch.setenv("FRONTLINE_PG_PASSWORD", "p@ss/word")
    assert retention.tracker_url() == "postgresql+psycopg2://rasa:p%40ss%2Fword@db.internal:6432/rasa"


def test_timer_purges_at_start_and_stops(db, tmp_path):
    timer = RetentionTimer(days=30, interval=3600, data_dir=tmp_path).start()
    deadline = time.monotonic() + 10
    while timer.runs == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    timer.stop()
    assert timer.runs == 1 and senders(db) == ["mixed", "new"]


def test_timer_survives_an_unreachable_store(tmp_path, caplog):
    timer = RetentionTimer(days=30, url=f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}", data_dir=tmp_path)
    assert timer.run_once() is None
    assert "conversation purge failed" in caplog.text
    assert timer.others == {"search_log": 0, "feedback": 0, "referrals": 0, "log_files": 0}  # the others still ran


def test_every_other_store_is_purged_by_the_timer(db, tmp_path, monkeypatch):
    """The search log and feedback after FRONTLINE_LOG_RETENTION_DAYS, referral personal data
    after FRONTLINE_REFERRAL_RETENTION_DAYS: by the daily timer, not only by hand."""
    import datetime as dt

    from knowledge_base.gaps import gap_report, log_search
    from web.db import Feedback, make_sessionmaker, utcnow

    monkeypatch.setenv("FRONTLINE_LOG_RETENTION_DAYS", "30")
    old = utcnow() - dt.timedelta(days=45)
    log_search("old message about rent", None, 0.1, "none", directory=tmp_path, when=old)
    log_search("new message about rent", None, 0.1, "none", directory=tmp_path)
    with make_sessionmaker(tmp_path)() as s:
        s.add_all([Feedback(item_id="a-b-c", helpful=False, created_at=old), Feedback(item_id="a-b-c", helpful=True)])
        s.commit()
    timer = RetentionTimer(days=30, data_dir=tmp_path)
    timer.run_once()
    assert timer.others["search_log"] == 1 and timer.others["feedback"] == 1
    gaps, _ = gap_report(dt.date.today() - dt.timedelta(days=365), directory=tmp_path)
    assert [g.text for g in gaps] == ["new message about rent"]
    monkeypatch.setenv("FRONTLINE_LOG_RETENTION_DAYS", "0")
    assert RetentionTimer(days=30, data_dir=tmp_path).run_once() is not None  # a bad setting is logged, not fatal


def test_cli_delete_and_purge(db, capsys):
    import argparse

    parser = argparse.ArgumentParser(prog="frontline")
    retention.add_conversation_parsers(parser.add_subparsers(dest="cmd", required=True))

    def run(*argv):
        args = parser.parse_args(argv)
        return args.handler(args)

    assert run("conversations", "delete", "old") == 0
    assert "deleted conversation 'old' (2 events)" in capsys.readouterr().out
    assert run("conversations", "delete", "old") == 1
    assert "no conversation with sender id 'old'" in capsys.readouterr().err
    assert run("conversations", "purge", "--days", "1") == 0
    assert "deleted 1 conversation(s) with no activity in the last 1 days" in capsys.readouterr().out
    assert senders(db) == ["new"]


def test_cli_unreachable_store_is_one_clean_line(tmp_path, monkeypatch, capsys):
    import argparse

    monkeypatch.setenv("FRONTLINE_TRACKER_URL", f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    parser = argparse.ArgumentParser(prog="frontline")
    retention.add_conversation_parsers(parser.add_subparsers(dest="cmd", required=True))
    args = parser.parse_args(["conversations", "purge"])
    assert args.handler(args) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("frontline: cannot reach the tracker store") and "\n" not in err


def test_deleted_events_do_not_survive_in_the_sqlite_file_or_its_wal(tmp_path):
    """Deleted rows are overwritten (secure_delete) and the WAL is truncated after a delete,
    while another process (Rasa) keeps the database open."""
    path = tmp_path / "tracker.db"
    rasa = sqlite3.connect(path)  # stays open, as Rasa does: the WAL file is not removed on close
    rasa.execute("PRAGMA journal_mode=WAL")
    rasa.execute("PRAGMA secure_delete=OFF")
    rasa.execute(RASA_EVENTS)
    secret = "SENDER-SECRET-MARKER-0000"
    rasa.executemany("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', ?, ?)",
                     [("keep", time.time(), "{}")] + [(secret, time.time(), '{"text": "%s"}' % secret)] * 20)
    rasa.commit()
    wal = tmp_path / "tracker.db-wal"
    assert secret.encode() in wal.read_bytes()  # the conversation is in the WAL before the delete
    assert delete_conversation(secret, url=f"sqlite:///{path}") == 20
    for f in (path, wal):
        if f.exists():
            assert secret.encode() not in f.read_bytes(), f
    assert [r[0] for r in rasa.execute("SELECT DISTINCT sender_id FROM events")] == ["keep"]
    rasa.close()


def test_a_deleted_conversation_leaves_a_tombstone_that_rasas_store_reads(tmp_path):
    """delete_conversation writes the tombstone bot.tracker_store checks before each save (the
    same table, the same key: a hash of the sender id, never the id itself)."""
    import re

    import sqlalchemy as sa

    from common.paths import ROOT
    from store.tracker import _tombstones, sender_hash

    path = tmp_path / "tracker.db"
    rasa = sqlite3.connect(path)
    rasa.execute(RASA_EVENTS)
    rasa.execute("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES ('s1', 'user', 1.0, '{}')")
    rasa.commit()
    assert delete_conversation("s1", url=f"sqlite:///{path}") == 1
    rows = rasa.execute("SELECT sender_hash, deleted_at FROM frontline_deleted_conversations").fetchall()
    assert [r[0] for r in rows] == [sender_hash("s1")] and abs(rows[0][1] - time.time()) < 60
    rasa.close()
    bot_side = (ROOT / "bot" / "tracker_store.py").read_text(encoding="utf-8")
    assert f'TOMBSTONES = "{_tombstones.name}"' in bot_side
    for column in _tombstones.columns:
        kind = {sa.String: "sa.String(64)", sa.Float: "sa.Float"}[type(column.type)]
        assert re.search(rf'sa\.Column\("{column.name}", {re.escape(kind)}', bot_side), column.name
    assert 'hashlib.sha256(sender_id.encode("utf-8")).hexdigest()' in bot_side


def test_process_logs_are_one_file_a_day_and_old_days_are_purged(tmp_path):
    import datetime as dt

    from frontline.logfiles import DailyLog, purge_log_files

    day = [dt.date(2026, 11, 1)]
    log = DailyLog(tmp_path / "rasa.log", today=lambda: day[0])
    log.write("first day\n")
    day[0] = dt.date(2026, 11, 2)
    log.write("second day\n")
    day[0] = dt.date(2026, 12, 4)
    log.write("today\n")
    log.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["rasa.log", "rasa.log.2026-11-01", "rasa.log.2026-11-02"]
    assert (tmp_path / "rasa.log.2026-11-01").read_text() == "first day\n"
    assert (tmp_path / "rasa.log").read_text() == "today\n"
    assert purge_log_files(tmp_path, 32, today=dt.date(2026, 12, 4)) == 1  # 2026-11-01 is 33 days old, 11-02 32
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rasa.log", "rasa.log.2026-11-02"]
    assert purge_log_files(tmp_path / "missing", 31) == 0
