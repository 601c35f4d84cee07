"""Baseline: the tables of frontline.db as the three rooms created them before migrations.

Frozen here (not imported from the models), as Alembic revisions must be. A database made
by the earlier ``create_all`` calls already has some or all of these tables: only what is
missing is created, and nullable columns added to a table after it was first created
(the referrals' later columns) are added to old copies.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _tables(meta: sa.MetaData) -> list[sa.Table]:
    S, T, I, B, D, F = sa.String, sa.Text, sa.Integer, sa.Boolean, sa.DateTime, sa.Float
    C = sa.Column
    return [
        sa.Table("users", meta,
                 C("id", I, primary_key=True), C("name", S(64), nullable=False), C("role", S(16), nullable=False),
                 C("password_hash", S(255), nullable=False), C("active", B, nullable=False),
                 C("created_at", D, nullable=False), C("last_login_at", D),
                 sa.Index("ix_users_name", "name", unique=True)),
        sa.Table("sessions", meta,
                 C("token_hash", S(64), primary_key=True),
                 C("user_id", I, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
                 C("csrf_token", S(64), nullable=False), C("created_at", D, nullable=False),
                 C("expires_at", D, nullable=False), sa.Index("ix_sessions_user_id", "user_id")),
        sa.Table("feedback", meta,
                 C("id", I, primary_key=True), C("item_id", S(80), nullable=False), C("helpful", B, nullable=False),
                 C("reason", T), C("user_id", I, sa.ForeignKey("users.id", ondelete="SET NULL")),
                 C("created_at", D, nullable=False), sa.Index("ix_feedback_item_id", "item_id")),
        sa.Table("search_log", meta,
                 C("id", I, primary_key=True), C("time", D, nullable=False), C("message", T, nullable=False),
                 C("top_item_id", S(80)), C("top_score", F), C("confidence", S(8), nullable=False),
                 C("helpful", B), C("reason", T),
                 sa.Index("ix_search_log_confidence", "confidence"), sa.Index("ix_search_log_time", "time")),
        sa.Table("referral_referrals", meta,
                 C("id", S(32), primary_key=True), C("created_by", S(64), nullable=False),
                 C("created_at", D, nullable=False), C("consent", B, nullable=False),
                 C("consent_at", D, nullable=False), C("consent_reason", S(32)),
                 C("urgency", S(16), nullable=False), C("contact_preference", S(16), nullable=False),
                 C("erased_at", D), C("resident_name", T), C("date_of_birth", T), C("address", T), C("phone", T),
                 C("email", T), C("contact_notes", T), C("need_what", T), C("need_since", T), C("need_tried", T),
                 C("access_needs", T), C("language", T), C("consent_why", T),
                 sa.Index("ix_referral_referrals_created_at", "created_at"),
                 sa.Index("ix_referral_referrals_created_by", "created_by"),
                 sa.Index("ix_referral_referrals_erased_at", "erased_at")),
        sa.Table("referral_targets", meta,
                 C("id", I, primary_key=True),
                 C("referral_id", S(32), sa.ForeignKey("referral_referrals.id", ondelete="CASCADE"), nullable=False),
                 C("service_id", S(80), nullable=False), C("service_title", S(200), nullable=False),
                 C("organisation", S(200), nullable=False), C("route", S(32), nullable=False),
                 C("to_email", S(320)), C("portal_url", S(500)), C("status", S(16), nullable=False),
                 C("message_id", S(200), nullable=False, unique=True), C("attempts", I, nullable=False),
                 C("next_attempt_at", D), C("last_error", S(200)), C("queued_at", D), C("sent_at", D),
                 C("made_at", D), C("first_response_at", D), C("response_seconds", F), C("responded_at", D),
                 sa.UniqueConstraint("referral_id", "service_id"),
                 sa.Index("ix_referral_targets_next_attempt_at", "next_attempt_at"),
                 sa.Index("ix_referral_targets_referral_id", "referral_id"),
                 sa.Index("ix_referral_targets_service_id", "service_id"),
                 sa.Index("ix_referral_targets_status", "status")),
        sa.Table("referral_audit", meta,
                 C("id", I, primary_key=True), C("at", D, nullable=False), C("actor", S(64), nullable=False),
                 C("action", S(32), nullable=False), C("referral_id", S(32), nullable=False), C("service_id", S(80)),
                 C("detail", S(64)),
                 sa.Index("ix_referral_audit_at", "at"), sa.Index("ix_referral_audit_referral_id", "referral_id")),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    meta = sa.MetaData()
    tables = _tables(meta)
    have = set(sa.inspect(bind).get_table_names())
    for table in tables:
        if table.name not in have:
            table.create(bind)
            continue
        columns = {c["name"] for c in sa.inspect(bind).get_columns(table.name)}
        for col in table.columns:
            if col.name not in columns:
                if not col.nullable:
                    raise RuntimeError(f"{table.name}.{col.name} is missing and NOT NULL: migrate by hand")
                op.add_column(table.name, sa.Column(col.name, col.type, nullable=True))
        indexes = {i["name"] for i in sa.inspect(bind).get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                index.create(bind)


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone: restore a backup instead")
