"""Single sign-on: an account signed in through the council's identity provider is keyed
by the provider's stable subject (``sso_subject``: issuer and ``sub``), and a session keeps
the ID token for the provider's sign-out.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("sso_subject", sa.String(512), nullable=True))
        batch.create_index("ix_users_sso_subject", ["sso_subject"], unique=True)
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("id_token", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("id_token")
    with op.batch_alter_table("users") as batch:
        batch.drop_index("ix_users_sso_subject")
        batch.drop_column("sso_subject")
