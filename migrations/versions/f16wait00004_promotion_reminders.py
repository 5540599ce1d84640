"""waiting list (issue 16): when a promoted delegate was reminded to confirm

Revision ID: f16wait00004
Revises: f16accr0001
Create Date: 2026-12-05 07:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f16wait00004'
down_revision = 'f16accr0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promotion_reminded_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('promotion_reminded_at')
