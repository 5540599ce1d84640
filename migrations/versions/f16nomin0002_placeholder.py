"""nominations, more (issue 16); empty unless its owner needed more

Revision ID: f16nomin0002
Revises: f16accr0001
Create Date: 2026-12-05 07:30:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = 'f16nomin0002'
down_revision = 'f16accr0001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
