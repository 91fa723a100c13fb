"""feed.config_url: the configured URL, kept apart from the URL a permanent redirect set

Revision ID: feeds_0001
Revises: incidents_0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "feeds_0001"
down_revision = "incidents_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.add_column(sa.Column("config_url", sa.String(), nullable=True))
    # Feeds synced from the configuration so far carry the configured URL.
    op.execute("UPDATE feed SET config_url = url WHERE origin = 'config'")


def downgrade() -> None:
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.drop_column("config_url")
