"""invitee list order read from an index: (event_id, lower(name), id) (issue 19)

Revision ID: f19names0001
Revises: f16wait00004
Create Date: 2026-12-05 07:35:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f19names0001'
down_revision = 'f16wait00004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_invitees_event_lower_name', 'invitees',
                    ['event_id', sa.text('lower(name)'), 'id'], unique=False)


def downgrade():
    op.drop_index('ix_invitees_event_lower_name', table_name='invitees')
