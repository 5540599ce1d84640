"""invitations: invitees, mailings, message templates

Revision ID: 9cddc4b3f65a
Revises: f0a49dc46ae1
Create Date: 2026-12-01 03:56:29.959066

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

#: enum types this revision creates (on PostgreSQL); "honorific" exists already
NEW_ENUMS = {
    "mailing_kind": ("invitation", "reminder", "announcement"),
    "invitation_response": ("pending", "accepted", "declined"),
    "response_channel": ("online", "note_verbale", "letter", "email", "phone", "in_person"),
}


def _enum(name, *values):
    """An enum column type that never issues CREATE TYPE itself (done once, below)."""
    if op.get_bind().dialect.name == "postgresql":
        return postgresql.ENUM(*values, name=name, create_type=False)
    return sa.Enum(*values, name=name)


# revision identifiers, used by Alembic.
revision = '9cddc4b3f65a'
down_revision = 'f0a49dc46ae1'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, values in NEW_ENUMS.items():
            postgresql.ENUM(*values, name=name).create(op.get_bind(), checkfirst=True)
    op.create_table('mailings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('kind', _enum('mailing_kind', 'invitation', 'reminder', 'announcement'), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('attach_calendar', sa.Boolean(), nullable=False),
    sa.Column('send_key', sa.String(length=64), nullable=False),
    sa.Column('recipient_count', sa.Integer(), nullable=False),
    sa.Column('prepared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_mailings_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_mailings_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailings')),
    sa.UniqueConstraint('send_key', name=op.f('uq_mailings_send_key'))
    )
    with op.batch_alter_table('mailings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mailings_event_id'), ['event_id'], unique=False)

    op.create_table('message_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('kind', _enum('mailing_kind', 'invitation', 'reminder', 'announcement'), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_message_templates_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_message_templates_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_templates')),
    sa.UniqueConstraint('event_id', 'kind', 'language', name=op.f('uq_message_templates_event_id_kind_language'))
    )
    op.create_table('invitees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('honorific', _enum('honorific', 'he', 'amb', 'mr', 'ms', 'dr', 'prof', 'other'), nullable=True),
    sa.Column('honorific_other', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('position', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('group_name', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('token_salt', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('response', _enum('invitation_response', 'pending', 'accepted', 'declined'), nullable=False),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('response_channel', _enum('response_channel', 'online', 'note_verbale', 'letter', 'email', 'phone', 'in_person'), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=False),
    sa.Column('response_note', sa.Text(), nullable=False),
    sa.Column('response_recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bounced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bounce_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_invitees_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_invitees_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_invitees_registration_id_registrations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['response_recorded_by_id'], ['users.id'], name=op.f('fk_invitees_response_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitees')),
    sa.UniqueConstraint('event_id', 'email', name=op.f('uq_invitees_event_id_email')),
    sa.UniqueConstraint('registration_id', name=op.f('uq_invitees_registration_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitees_token_hash'))
    )
    with op.batch_alter_table('invitees', schema=None) as batch_op:
        batch_op.create_index('ix_invitees_event_group', ['event_id', 'group_name'], unique=False)
        batch_op.create_index('ix_invitees_event_response', ['event_id', 'response'], unique=False)

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('forwarded_invitation', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('unsubscribed_at', sa.DateTime(timezone=True),
                                      nullable=True))

    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mailing_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('invitee_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_emails_invitee_id'), ['invitee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_emails_mailing_id'), ['mailing_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_emails_mailing_id_recipient'), ['mailing_id', 'recipient'])
        batch_op.create_foreign_key(batch_op.f('fk_outbox_emails_mailing_id_mailings'), 'mailings', ['mailing_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_outbox_emails_invitee_id_invitees'), 'invitees', ['invitee_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_emails_invitee_id_invitees'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_outbox_emails_mailing_id_mailings'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_outbox_emails_mailing_id_recipient'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_outbox_emails_mailing_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_emails_invitee_id'))
        batch_op.drop_column('invitee_id')
        batch_op.drop_column('mailing_id')

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('unsubscribed_at')
        batch_op.drop_column('forwarded_invitation')

    with op.batch_alter_table('invitees', schema=None) as batch_op:
        batch_op.drop_index('ix_invitees_event_response')
        batch_op.drop_index('ix_invitees_event_group')

    op.drop_table('invitees')
    op.drop_table('message_templates')
    with op.batch_alter_table('mailings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mailings_event_id'))

    op.drop_table('mailings')
    if op.get_bind().dialect.name == "postgresql":
        for name in NEW_ENUMS:
            op.execute(f"DROP TYPE IF EXISTS {name}")
