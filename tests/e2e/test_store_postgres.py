"""The application database in PostgreSQL (FRONTLINE_DATABASE_URL): migrated on first use
from an empty database, shared by the three rooms, and migrating again changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from .services import Services

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory):
    s = Services(tmp_path_factory.mktemp("store-pg"))
    try:
        yield s.postgres().url
    finally:
        s.stop_all()


def test_postgres_database_is_migrated_and_shared(pg_url, tmp_path, monkeypatch):
    import store
    from knowledge_base.gaps import delete_sender, gap_report, log_search
    from web import auth
    from web.db import make_sessionmaker

    monkeypatch.setenv("FRONTLINE_DATABASE_URL", pg_url)
    engine = store.engine_for(tmp_path)
    assert engine.dialect.name == "postgresql" and store.current_revision(engine) == store.HEAD
    assert not (tmp_path / "frontline.db").exists()  # nothing written to the SQLite default
    tables = set(sa.inspect(engine).get_table_names())
    assert {"users", "sessions", "feedback", "search_log", "referral_referrals", "referral_targets",
            "referral_audit", "alembic_version"} <= tables
    with make_sessionmaker(tmp_path)() as db:
        auth.add_user(db, "pgworker", "worker", "plum tractor violin 1")
        assert auth.get_user(db, "pgworker").role == "worker"
    log_search("rent arrears in the PostgreSQL log", None, 0.1, "none", directory=tmp_path, sender_id="web-pg")
    gaps, _ = gap_report(dt.date.today() - dt.timedelta(days=1), directory=tmp_path)
    assert [g.text for g in gaps] == ["rent arrears in the postgresql log"]  # normalised by kb gaps
    assert delete_sender("web-pg", directory=tmp_path) == 1
    store.upgrade(engine)  # again: nothing to do
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
