"""api tokens

Revision ID: a4api0000001
Revises: 9cddc4b3f65a
Create Date: 2026-12-01 04:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4api0000001'
down_revision = '9cddc4b3f65a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('can_write', sa.Boolean(), nullable=False),
    sa.Column('all_events', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_tokens_created_by_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_created_by_id'), ['created_by_id'], unique=False)

    op.create_table('api_token_events',
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_api_token_events_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_api_token_events_token_id_api_tokens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_id', 'event_id', name=op.f('pk_api_token_events'))
    )
    with op.batch_alter_table('api_token_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_events_event_id'), ['event_id'], unique=False)


def downgrade():
    with op.batch_alter_table('api_token_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_events_event_id'))

    op.drop_table('api_token_events')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_created_by_id'))

    op.drop_table('api_tokens')
