"""The one application database (``<data dir>/frontline.db``, or PostgreSQL at
``FRONTLINE_DATABASE_URL`` when several front doors share one): one engine per file per
process with one set of SQLite settings, and its schema managed by Alembic migrations
(``store/migrations/``), applied when the database is first opened.

Three rooms keep tables in it (the front door's accounts and feedback, the knowledge
base's search log, the referrals); each keeps its models, but none creates tables: a new
column is a new migration, so it reaches every existing database.

    engine_for(data_dir) -> Engine          opened once per process, migrated to head
    sessionmaker_for(data_dir) -> sessionmaker
    upgrade(engine)                         migrate to the latest revision (idempotent)
    current_revision(engine) -> str | None
    scrub(engine)                           after an erase: nothing left in the WAL or free pages
"""

from .db import HEAD, current_revision, db_path, engine_for, scrub, sessionmaker_for, upgrade

__all__ = ["HEAD", "current_revision", "db_path", "engine_for", "scrub", "sessionmaker_for", "upgrade"]
