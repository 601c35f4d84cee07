"""SQL store for the front door: staff accounts, sign-in sessions and answer feedback.

SQLAlchemy 2.x over a SQLite file (``$FRONTLINE_DATA_DIR/frontline.db``). Session
tokens are stored only as SHA-256 hashes, so a copy of the database cannot be
used to sign in.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, String, Text, delete
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from store import sessionmaker_for

ROLES = ("worker", "trainer", "admin")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # "<issuer> <sub>" for an account made by single sign-on (web/sso.py); None for a local one
    sso_subject: Mapped[str | None] = mapped_column(String(512), nullable=True, unique=True)


class LoginSession(Base):
    __tablename__ = "sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)  # the idle timeout
    id_token: Mapped[str | None] = mapped_column(Text, nullable=True)  # SSO: for the provider's sign-out


class SignInFailure(Base):
    """One failed sign-in, under each of its keys (hashed): kept for the limiter's window only."""
    __tablename__ = "sign_in_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[float] = mapped_column(Float)


class Feedback(Base):
    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[str] = mapped_column(String(80), index=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


def db_path(data_dir: Path) -> Path:
    return Path(data_dir) / "frontline.db"


def make_sessionmaker(data_dir: Path) -> sessionmaker:
    """A session factory on the shared database; its tables come from the migrations
    (``store/migrations``), applied when the database is first opened."""
    return sessionmaker_for(data_dir)


def purge_feedback(data_dir: Path, older_than_days: int, now: dt.datetime | None = None) -> int:
    """Delete answer feedback older than ``older_than_days`` (retention); rows deleted."""
    cutoff = (now or utcnow()) - dt.timedelta(days=older_than_days)
    with make_sessionmaker(data_dir)() as db:
        n = db.execute(delete(Feedback).where(Feedback.created_at < cutoff)).rowcount or 0
        db.commit()
    return n
