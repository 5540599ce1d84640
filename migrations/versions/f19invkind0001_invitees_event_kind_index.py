"""invitees: an index on (event_id, kind) (issue 19)

The event tabs ask on every event page whether a mission (an organisation invitee) is invited;
without the index that question read every invitee of the event (20,000 at a UN-size
conference) when no mission is.

Revision ID: f19invkind0001
Revises: f19defer0001
Create Date: 2026-12-06 20:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f19invkind0001'
down_revision = 'f19defer0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_invitees_event_kind', 'invitees', ['event_id', 'kind'])


def downgrade():
    op.drop_index('ix_invitees_event_kind', table_name='invitees')
