"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('url', sa.String(), nullable=True),
    sa.Column('path', sa.String(), nullable=True),
    sa.Column('origin', sa.String(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('interval_s', sa.Integer(), nullable=True),
    sa.Column('fetch_full_text', sa.Boolean(), nullable=False),
    sa.Column('category', sa.String(), nullable=True),
    sa.Column('title', sa.String(), nullable=True),
    sa.Column('site_url', sa.String(), nullable=True),
    sa.Column('etag', sa.String(), nullable=True),
    sa.Column('last_modified', sa.String(), nullable=True),
    sa.Column('body_hash', sa.String(), nullable=True),
    sa.Column('ttl_s', sa.Integer(), nullable=True),
    sa.Column('next_poll_at', sa.DateTime(), nullable=True),
    sa.Column('last_polled_at', sa.DateTime(), nullable=True),
    sa.Column('last_success_at', sa.DateTime(), nullable=True),
    sa.Column('last_error_at', sa.DateTime(), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('healthy', sa.Boolean(), nullable=False),
    sa.Column('items_seen', sa.Integer(), nullable=False),
    sa.Column('lease_owner', sa.String(), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('feed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_name'), ['name'], unique=True)
        batch_op.create_index(batch_op.f('ix_feed_next_poll_at'), ['next_poll_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_feed_url'), ['url'], unique=False)

    op.create_table('incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=True),
    sa.Column('country', sa.String(), nullable=True),
    sa.Column('place', sa.String(), nullable=True),
    sa.Column('site', sa.String(), nullable=True),
    sa.Column('target', sa.String(), nullable=True),
    sa.Column('target_type', sa.String(), nullable=True),
    sa.Column('target_nationality', sa.String(), nullable=True),
    sa.Column('weapon', sa.String(), nullable=True),
    sa.Column('munitions', sa.Integer(), nullable=True),
    sa.Column('killed', sa.Integer(), nullable=True),
    sa.Column('injured', sa.Integer(), nullable=True),
    sa.Column('perpetrator', sa.String(), nullable=True),
    sa.Column('perpetrator_status', sa.String(), nullable=True),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('relevant', sa.Boolean(), nullable=False),
    sa.Column('watch', sa.JSON(), nullable=False),
    sa.Column('severity', sa.String(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('sources_count', sa.Integer(), nullable=False),
    sa.Column('outlets_count', sa.Integer(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(), nullable=True),
    sa.Column('last_updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_country'), ['country'], unique=False)
        batch_op.create_index('ix_incident_date_country', ['event_date', 'country'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_event_date'), ['event_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_first_seen_at'), ['first_seen_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_last_updated_at'), ['last_updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_relevant'), ['relevant'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_site'), ['site'], unique=False)

    op.create_table('subscriptionstate',
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('last_digest_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription', sa.String(), nullable=False),
    sa.Column('channel', sa.String(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('lease_owner', sa.String(), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index('ix_delivery_status_next', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_subscription'), ['subscription'], unique=False)

    op.create_table('item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feed_id', sa.Integer(), nullable=False),
    sa.Column('guid', sa.String(), nullable=False),
    sa.Column('link', sa.String(), nullable=True),
    sa.Column('canonical_link', sa.String(), nullable=True),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('published', sa.DateTime(), nullable=True),
    sa.Column('updated', sa.DateTime(), nullable=True),
    sa.Column('language', sa.String(), nullable=True),
    sa.Column('fetched_at', sa.DateTime(), nullable=True),
    sa.Column('content_hash', sa.String(), nullable=True),
    sa.Column('simhash', sa.BigInteger(), nullable=True),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('is_attack', sa.Boolean(), nullable=False),
    sa.Column('relevant', sa.Boolean(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('watch', sa.JSON(), nullable=False),
    sa.Column('verdict', sa.JSON(), nullable=False),
    sa.Column('classified_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['feed_id'], ['feed.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('feed_id', 'guid', name='uq_item_feed_guid')
    )
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_canonical_link'), ['canonical_link'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_content_hash'), ['content_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_feed_id'), ['feed_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_is_attack'), ['is_attack'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_published'), ['published'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_relevant'), ['relevant'], unique=False)

    op.create_table('itemincident',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('attack_index', sa.Integer(), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('attack', sa.JSON(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.PrimaryKeyConstraint('item_id', 'incident_id')
    )
    with op.batch_alter_table('itemincident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_itemincident_incident_id'), ['incident_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('itemincident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_itemincident_incident_id'))

    op.drop_table('itemincident')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_relevant'))
        batch_op.drop_index(batch_op.f('ix_item_published'))
        batch_op.drop_index(batch_op.f('ix_item_is_attack'))
        batch_op.drop_index(batch_op.f('ix_item_feed_id'))
        batch_op.drop_index(batch_op.f('ix_item_content_hash'))
        batch_op.drop_index(batch_op.f('ix_item_canonical_link'))

    op.drop_table('item')
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_subscription'))
        batch_op.drop_index('ix_delivery_status_next')
        batch_op.drop_index(batch_op.f('ix_delivery_incident_id'))

    op.drop_table('delivery')
    op.drop_table('subscriptionstate')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_site'))
        batch_op.drop_index(batch_op.f('ix_incident_relevant'))
        batch_op.drop_index(batch_op.f('ix_incident_last_updated_at'))
        batch_op.drop_index(batch_op.f('ix_incident_first_seen_at'))
        batch_op.drop_index(batch_op.f('ix_incident_event_date'))
        batch_op.drop_index('ix_incident_date_country')
        batch_op.drop_index(batch_op.f('ix_incident_country'))

    op.drop_table('incident')
    with op.batch_alter_table('feed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_url'))
        batch_op.drop_index(batch_op.f('ix_feed_next_poll_at'))
        batch_op.drop_index(batch_op.f('ix_feed_name'))

    op.drop_table('feed')
