"""organisation type of registrations

Revision ID: b5orgtype0001
Revises: a4api0000001
Create Date: 2026-12-01 04:30:00

The kind of organisation a delegate comes from (ministry, embassy, ...). Stored as a plain
string checked by the service, so no PostgreSQL enum type is created; existing rows get
"other".
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b5orgtype0001'
down_revision = 'a4api0000001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_type', sa.String(length=30), nullable=False,
                                      server_default='other'))


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('organisation_type')
