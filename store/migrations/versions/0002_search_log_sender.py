"""search_log.sender_id: the conversation a logged search came from, so deleting a
conversation deletes its logged searches too.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("search_log") as batch:
        batch.add_column(sa.Column("sender_id", sa.String(255), nullable=True))
        batch.create_index("ix_search_log_sender_id", ["sender_id"])


def downgrade() -> None:
    with op.batch_alter_table("search_log") as batch:
        batch.drop_index("ix_search_log_sender_id")
        batch.drop_column("sender_id")
