"""One database, one set of SQLite settings, and migrations: a new database gets every
table at the latest revision, an old one made by the earlier create_all calls is brought
up to date, and every model's columns exist after migrating (a model change without a
migration fails here)."""

import sqlite3
import stat
from concurrent.futures import ProcessPoolExecutor

import pytest

import store
from knowledge_base.gaps import Base as SearchBase
from referrals.models import Base as ReferralBase
from web.db import Base as WebBase

pytestmark = pytest.mark.unit


def _columns(path):
    con = sqlite3.connect(path)
    try:
        return {t: {r[1] for r in con.execute(f"PRAGMA table_info({t})")}
                for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        con.close()


def test_a_new_database_is_created_private_at_the_latest_revision(tmp_path):
    engine = store.engine_for(tmp_path)
    assert store.current_revision(engine) == store.HEAD
    assert stat.S_IMODE((tmp_path / "frontline.db").stat().st_mode) == 0o600
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_every_models_columns_exist_after_migrating(tmp_path):
    cols = _columns(tmp_path / "frontline.db") if store.engine_for(tmp_path) else {}
    missing = [f"{t.name}.{c.name}" for base in (WebBase, SearchBase, ReferralBase)
               for t in base.metadata.sorted_tables for c in t.columns if c.name not in cols.get(t.name, set())]
    assert not missing, f"add a migration under store/migrations/versions for: {missing}"


def test_an_old_database_from_create_all_is_upgraded_and_keeps_its_rows(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    con = sqlite3.connect(old / "frontline.db")
    con.execute("CREATE TABLE search_log (id INTEGER NOT NULL PRIMARY KEY, time DATETIME NOT NULL, message TEXT NOT NULL, "
                "top_item_id VARCHAR(80), top_score FLOAT, confidence VARCHAR(8) NOT NULL, helpful BOOLEAN, reason TEXT)")
    con.execute("INSERT INTO search_log (time, message, confidence) VALUES ('2026-12-01 10:00:00', 'old row', 'none')")
    con.execute("CREATE TABLE referral_referrals (id VARCHAR(32) NOT NULL PRIMARY KEY, created_by VARCHAR(64) NOT NULL, "
                "created_at DATETIME NOT NULL, consent BOOLEAN NOT NULL, consent_at DATETIME NOT NULL, "
                "urgency VARCHAR(16) NOT NULL, contact_preference VARCHAR(16) NOT NULL)")
    con.commit()
    con.close()
    engine = store.engine_for(old)
    assert store.current_revision(engine) == store.HEAD
    cols = _columns(old / "frontline.db")
    assert {"sender_id"} <= cols["search_log"] and {"consent_reason", "consent_why"} <= cols["referral_referrals"]
    assert "users" in cols and "referral_targets" in cols
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT message FROM search_log").scalars().all() == ["old row"]


def _open(path: str) -> str:
    import store as s

    return s.current_revision(s.engine_for(path))


def test_processes_opening_a_new_database_together_migrate_it_once(tmp_path):
    with ProcessPoolExecutor(4) as pool:
        assert set(pool.map(_open, [str(tmp_path)] * 8)) == {store.HEAD}
    con = sqlite3.connect(tmp_path / "frontline.db")
    assert con.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)


def test_the_three_rooms_share_one_engine(tmp_path):
    from knowledge_base.gaps import make_engine
    from referrals.models import make_sessionmaker as referral_sessions
    from web.db import make_sessionmaker as web_sessions

    engine = store.engine_for(tmp_path)
    assert make_engine(tmp_path) is engine
    assert web_sessions(tmp_path).kw["bind"] is engine and referral_sessions(tmp_path).kw["bind"] is engine


def test_deleting_a_conversation_deletes_its_logged_searches(tmp_path):
    from knowledge_base.gaps import delete_sender, gap_report, log_search

    log_search("rent arrears help", None, 0.1, "none", directory=tmp_path, sender_id="web-abc")
    log_search("food bank voucher", None, 0.1, "none", directory=tmp_path, sender_id="web-other")
    assert delete_sender("web-abc", directory=tmp_path) == 1
    import datetime as dt

    gaps, _ = gap_report(dt.date.today() - dt.timedelta(days=1), directory=tmp_path)
    assert [g.text for g in gaps] == ["food bank voucher"]
