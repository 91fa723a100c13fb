"""incidents: MinHash bands of items, incident keys, incident tally and merges

Revision ID: incidents_0001
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'incidents_0001'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('itemfingerprint',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('band', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.PrimaryKeyConstraint('item_id', 'band')
    )
    with op.batch_alter_table('itemfingerprint', schema=None) as batch_op:
        batch_op.create_index('ix_itemfingerprint_band_value', ['band', 'value'], unique=False)

    op.create_table('incidentkey',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('value', sa.String(), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('incident_id', 'kind', 'value')
    )
    with op.batch_alter_table('incidentkey', schema=None) as batch_op:
        batch_op.create_index('ix_incidentkey_kind_value_date', ['kind', 'value', 'event_date'], unique=False)

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tally', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_incident_merged_into_id', 'incident', ['merged_into_id'], ['id'])
        batch_op.create_index('ix_incident_country_date', ['country', 'event_date'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_country_date')
        batch_op.drop_constraint('fk_incident_merged_into_id', type_='foreignkey')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('tally')

    with op.batch_alter_table('incidentkey', schema=None) as batch_op:
        batch_op.drop_index('ix_incidentkey_kind_value_date')

    op.drop_table('incidentkey')
    with op.batch_alter_table('itemfingerprint', schema=None) as batch_op:
        batch_op.drop_index('ix_itemfingerprint_band_value')

    op.drop_table('itemfingerprint')
