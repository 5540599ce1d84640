"""waiting list, more (issue 16); empty unless its owner needed more

Revision ID: f16wait00004
Revises: f16atten0003
Create Date: 2026-12-05 07:30:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = 'f16wait00004'
down_revision = 'f16atten0003'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
