"""certificates: each event's codes signed with its own stored key, not SECRET_KEY (issue 17)

Events set up before this revision keep no key: their codes stay signed with SECRET_KEY, so
the certificates already printed keep verifying.

Revision ID: f17cert0002
Revises: f17sched0001
Create Date: 2026-12-06 02:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f17cert0002'
down_revision = 'f17sched0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificate_settings') as batch_op:
        batch_op.add_column(sa.Column('code_key', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('certificate_settings') as batch_op:
        batch_op.drop_column('code_key')
