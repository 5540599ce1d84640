"""delegations: delegations registered together, and registrations.delegation_id

Revision ID: d7delegation1
Revises: c6bilingual01
Create Date: 2026-12-01 04:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7delegation1'
down_revision = 'c6bilingual01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('delegations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('head_registration_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_delegations_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_delegations_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['head_registration_id'], ['registrations.id'], name=op.f('fk_delegations_head_registration_id_registrations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delegations'))
    )
    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delegations_event_id'), ['event_id'], unique=False)

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delegation_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_registrations_delegation_id'), ['delegation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_registrations_delegation_id_delegations'), 'delegations', ['delegation_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_registrations_delegation_id_delegations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_registrations_delegation_id'))
        batch_op.drop_column('delegation_id')

    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delegations_event_id'))

    op.drop_table('delegations')
