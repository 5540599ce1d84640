"""substitution requests (issue 16): a delegate asks to be replaced; staff decide

Revision ID: f16subst0001
Revises: f16photo0001
Create Date: 2026-12-05 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f16subst0001'
down_revision = 'f16photo0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'substitution_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=False),
        sa.Column('data', sa.Text(), nullable=True),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('requested_by', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_substitution_requests_decided_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'],
                                name=op.f('fk_substitution_requests_registration_id_registrations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_substitution_requests')),
    )
    with op.batch_alter_table('substitution_requests', schema=None) as batch_op:
        batch_op.create_index('ix_substitution_requests_registration_status',
                              ['registration_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('substitution_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_substitution_requests_registration_status')
    op.drop_table('substitution_requests')
