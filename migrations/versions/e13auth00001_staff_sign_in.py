"""staff sign-in: two-factor, password resets, session version

Two-factor columns on users (TOTP secret, when it was switched on, the last accepted
time-step), the recovery_codes table, and the API tokens of accounts already deactivated
revoked (deactivation now revokes them, so that reactivating an account never revives them).

Revision ID: e13auth00001
Revises: e13links0001
Create Date: 2026-12-04 16:00:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e13auth00001'
down_revision = 'e13links0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('two_factor_enabled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))

    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
    sa.UniqueConstraint('user_id', 'code_hash', name=op.f('uq_recovery_codes_user_id_code_hash'))
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)

    _revoke_tokens_of_deactivated_accounts()


def _revoke_tokens_of_deactivated_accounts():
    bind = op.get_bind()
    now = datetime.now(timezone.utc)
    if bind.dialect.name == 'sqlite':
        now = now.replace(tzinfo=None)
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('active', sa.Boolean))
    tokens = sa.table('api_tokens', sa.column('created_by_id', sa.Integer),
                      sa.column('revoked_at', sa.DateTime(timezone=True)))
    inactive = sa.select(users.c.id).where(users.c.active == sa.false())
    bind.execute(tokens.update()
                 .where(tokens.c.revoked_at.is_(None), tokens.c.created_by_id.in_(inactive))
                 .values(revoked_at=now))


def downgrade():
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))

    op.drop_table('recovery_codes')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('two_factor_enabled_at')
        batch_op.drop_column('totp_secret')
