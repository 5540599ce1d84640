"""retention and erasure of personal data

Per event: ``passport_retention_days`` (default 30) and ``anonymise_after_months`` (default 24,
NULL: never); existing events get the defaults. Per registration: ``erasure_requested_at``.

Revision ID: e13reten0001
Revises: e13crypt0001
Create Date: 2026-12-04 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e13reten0001'
down_revision = 'e13crypt0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('passport_retention_days', sa.Integer(),
                                      server_default='30', nullable=False))
        batch_op.add_column(sa.Column('anonymise_after_months', sa.Integer(),
                                      server_default='24', nullable=True))
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erasure_requested_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('erasure_requested_at')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('anonymise_after_months')
        batch_op.drop_column('passport_retention_days')
