"""mailings and recorded answers (issue 14)

Per invitee: ``answered_on``, the day of an answer recorded by staff (a date, no time). Existing
recorded answers keep their ``responded_at``; those stored at noon of the event's zone (how a
date was kept until now) also get that day as ``answered_on``, so they show as a date.

Revision ID: e14mail00001
Revises: e13reten0001
Create Date: 2026-12-04 16:40:00

"""
from datetime import UTC, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e14mail00001'
down_revision = 'e13reten0001'
branch_labels = None
depends_on = None

_invitees = sa.table(
    'invitees', sa.column('id', sa.Integer), sa.column('event_id', sa.Integer),
    sa.column('responded_at', sa.DateTime(timezone=True)),
    sa.column('response_channel', sa.String), sa.column('answered_on', sa.Date))
_events = sa.table('events', sa.column('id', sa.Integer), sa.column('timezone', sa.String))


def _backfill():
    """answered_on for the recorded answers stored at noon of their event's zone."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_invitees.c.id, _invitees.c.responded_at, _events.c.timezone)
        .join(_events, _events.c.id == _invitees.c.event_id)
        .where(_invitees.c.responded_at.is_not(None),
               _invitees.c.response_channel.is_not(None),
               sa.cast(_invitees.c.response_channel, sa.String) != 'online')).all()
    for invitee_id, responded_at, zone in rows:
        moment = responded_at if responded_at.tzinfo else responded_at.replace(tzinfo=UTC)
        try:
            local = moment.astimezone(ZoneInfo(zone or 'UTC'))
        except (KeyError, ValueError):
            continue
        if local.time() == time(12):
            bind.execute(sa.update(_invitees).where(_invitees.c.id == invitee_id)
                         .values(answered_on=local.date()))


def upgrade():
    with op.batch_alter_table('invitees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answered_on', sa.Date(), nullable=True))
    _backfill()


def downgrade():
    with op.batch_alter_table('invitees', schema=None) as batch_op:
        batch_op.drop_column('answered_on')
