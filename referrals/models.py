"""Tables for referrals, in the shared SQLite file ``$FRONTLINE_DATA_DIR/frontline.db``.

Own declarative base and ``MetaData`` (tables prefixed ``referral_``) so the front
door's tables and ours never collide. The tables are created and changed by the
migrations in ``store/migrations`` (a new column is a new revision there).

One :class:`Referral` per resident referral, one :class:`Target` per chosen
service (its own status), and :class:`AuditEntry` rows that record who did what
and when, never the personal data.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker

from store import sessionmaker_for

log = logging.getLogger(__name__)
STATUSES = ("draft", "queued", "sent", "made", "received", "accepted", "declined", "failed")
RESPONSES = ("received", "accepted", "declined")
# the columns that hold the resident's personal data: erased by the retention job
PERSONAL_FIELDS = ("resident_name", "date_of_birth", "address", "phone", "email", "contact_notes",
                   "need_what", "need_since", "need_tried", "access_needs", "language", "consent_why")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData()


class Referral(Base):
    __tablename__ = "referral_referrals"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, not guessable
    created_by: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    consent: Mapped[bool] = mapped_column(Boolean)  # False: shared without consent under safeguarding
    consent_at: Mapped[dt.datetime] = mapped_column(DateTime)  # when the worker recorded the answer
    consent_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)  # text.CONSENT_REASONS key
    urgency: Mapped[str] = mapped_column(String(16))
    contact_preference: Mapped[str] = mapped_column(String(16))
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    # personal data (nullable: erased after the retention period)
    resident_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    date_of_birth: Mapped[str | None] = mapped_column(Text, nullable=True)
    address: Mapped[str | None] = mapped_column(Text, nullable=True)
    phone: Mapped[str | None] = mapped_column(Text, nullable=True)
    email: Mapped[str | None] = mapped_column(Text, nullable=True)
    contact_notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    need_what: Mapped[str | None] = mapped_column(Text, nullable=True)
    need_since: Mapped[str | None] = mapped_column(Text, nullable=True)
    need_tried: Mapped[str | None] = mapped_column(Text, nullable=True)
    access_needs: Mapped[str | None] = mapped_column(Text, nullable=True)
    language: Mapped[str | None] = mapped_column(Text, nullable=True)
    consent_why: Mapped[str | None] = mapped_column(Text, nullable=True)  # the worker's words, when no consent

    targets: Mapped[list[Target]] = relationship(back_populates="referral", order_by="Target.id",
                                                 cascade="all, delete-orphan", lazy="selectin")


class Target(Base):
    """One service a referral goes to, with its own status."""

    __tablename__ = "referral_targets"
    __table_args__ = (UniqueConstraint("referral_id", "service_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referral_referrals.id", ondelete="CASCADE"), index=True)
    service_id: Mapped[str] = mapped_column(String(80), index=True)
    service_title: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    route: Mapped[str] = mapped_column(String(32))
    to_email: Mapped[str | None] = mapped_column(String(320), nullable=True)  # the service's address
    portal_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)  # same on every retry: idempotency
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)  # class and code only
    queued_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    made_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    first_response_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    response_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    responded_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    referral: Mapped[Referral] = relationship(back_populates="targets")


class AuditEntry(Base):
    """Who did what, when, to which referral. Never personal data."""

    __tablename__ = "referral_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))  # username, "system" or "service-reply"
    action: Mapped[str] = mapped_column(String(32))
    referral_id: Mapped[str] = mapped_column(String(32), index=True)
    service_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    detail: Mapped[str | None] = mapped_column(String(64), nullable=True)  # a status or error class only


def db_path(data_dir: Path) -> Path:
    return Path(data_dir) / "frontline.db"


def make_sessionmaker(data_dir: Path) -> sessionmaker:
    """A session factory on the shared database; its tables come from the migrations
    (``store/migrations``), applied when the database is first opened."""
    return sessionmaker_for(data_dir)
