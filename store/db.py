"""Engine, SQLite settings and migrations for ``frontline.db`` (see ``store/__init__``)."""

from __future__ import annotations

import fcntl
import logging
import os
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.orm import sessionmaker

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
MIGRATIONS = HERE / "migrations"
HEAD = "0004"  # the newest revision in migrations/versions
URL_ENV = "FRONTLINE_DATABASE_URL"  # PostgreSQL (scale-out): one database for every front door
_PG_LOCK = 720_412  # pg_advisory_lock key: processes migrating the same database take turns


def db_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / "frontline.db"


def _alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", str(engine.url))
    return cfg


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


@contextmanager
def _migration_lock(engine: Engine):
    """One migrator at a time: a lock file beside a SQLite database, an advisory lock in
    PostgreSQL (several machines may start together)."""
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database or "")
        with open(path.with_name(path.name + ".migrate.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    else:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK})
                conn.commit()


def upgrade(engine: Engine) -> None:
    """Migrate to the latest revision. Processes starting together take turns, so each
    revision runs once."""
    from alembic import command

    with _migration_lock(engine):
        if current_revision(engine) == HEAD:
            return
        cfg = _alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        log.info("database %s migrated to %s", engine.url.render_as_string(hide_password=True), HEAD)


@lru_cache(maxsize=16)
def _engine(where: str) -> Engine:
    """``where``: a SQLAlchemy URL (PostgreSQL) or the path of the SQLite file."""
    if "://" in where:
        engine = create_engine(where, pool_pre_ping=True)
        upgrade(engine)
        return engine
    path = Path(where)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():  # password hashes and referrals inside: the service account only
        path.touch(mode=0o600)
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 5})

    @event.listens_for(engine, "connect")
    def _sqlite_settings(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")      # readers never wait for the search log's writes
        cur.execute("PRAGMA synchronous=NORMAL")    # one insert per search: no fsync on every commit
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.execute("PRAGMA secure_delete=ON")      # erased personal data is overwritten, not left in free pages
        cur.close()

    upgrade(engine)
    return engine


def scrub(engine: Engine) -> None:
    """After erasing personal data: copy the write-ahead log into the database and truncate
    it, so erased rows survive neither in the WAL nor in free pages (secure_delete zeroes
    those). Best effort: a busy database is scrubbed at the next erase. (PostgreSQL: its
    own VACUUM reclaims the space.)"""
    if engine.dialect.name != "sqlite":
        return
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception as exc:  # noqa: BLE001 - never fail the erase itself
        log.warning("database not checkpointed after an erase: %s", type(exc).__name__)


def engine_for(data_dir: Path | str) -> Engine:
    """The database's engine, created and migrated on first use in this process:
    ``FRONTLINE_DATABASE_URL`` (PostgreSQL) if set, else ``<data_dir>/frontline.db``."""
    url = os.environ.get(URL_ENV)
    return _engine(url if url else str(db_path(data_dir).resolve()))


def sessionmaker_for(data_dir: Path | str) -> sessionmaker:
    return sessionmaker(engine_for(data_dir), expire_on_commit=False)
