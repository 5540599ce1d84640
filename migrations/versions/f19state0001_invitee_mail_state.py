"""invitee mail state on the invitee's row (issue 19)

Each invitee keeps where their invitation emails stand (``mail_state``) and whether one was
ever sent (``mail_sent``), so the invitee list, its status filters and the funnel read one row
per invitee instead of searching the outbox (their plans no longer depend on planner
statistics). Existing invitees get both computed from the outbox. The outbox's index on
``invitee_id`` becomes one on ``(invitee_id, status)``.

Revision ID: f19state0001
Revises: e14mail00001
Create Date: 2026-12-04 20:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f19state0001'
down_revision = 'e14mail00001'
branch_labels = None
depends_on = None


def _inviting(condition: str) -> str:
    return ("EXISTS (SELECT 1 FROM outbox_emails o JOIN mailings m ON m.id = o.mailing_id "
            "WHERE o.invitee_id = invitees.id AND m.kind IN ('invitation', 'reminder') "
            f"AND {condition})")


_PERMANENT = ("o.status = 'failed' AND (o.last_error LIKE '5__ %' OR o.last_error LIKE '5__') "
              "AND substr(o.last_error, 2, 1) BETWEEN '0' AND '9' "
              "AND substr(o.last_error, 3, 1) BETWEEN '0' AND '9'")


def upgrade():
    with op.batch_alter_table('invitees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mail_state', sa.String(length=16),
                                      server_default='not_sent', nullable=False))
        batch_op.add_column(sa.Column('mail_sent', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
    sent, failed = _inviting("o.status = 'sent'"), _inviting("o.status = 'failed'")
    waiting = _inviting("o.status IN ('queued', 'sending')")
    op.execute(
        f"UPDATE invitees SET mail_sent = {sent}, mail_state = CASE "
        f"WHEN {_inviting(_PERMANENT)} THEN 'bounced' WHEN {failed} THEN 'failed' "
        f"WHEN {sent} THEN 'sent' WHEN {waiting} THEN 'queued' ELSE 'not_sent' END")
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_emails_invitee_id')
        batch_op.create_index('ix_outbox_emails_invitee_status', ['invitee_id', 'status'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_emails_invitee_status')
        batch_op.create_index('ix_outbox_emails_invitee_id', ['invitee_id'], unique=False)
    with op.batch_alter_table('invitees', schema=None) as batch_op:
        batch_op.drop_column('mail_sent')
        batch_op.drop_column('mail_state')
