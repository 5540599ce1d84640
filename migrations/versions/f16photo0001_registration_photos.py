"""registration photos (issue 16)

A registration may have a passport-style photo and a small thumbnail for the check-in desk,
both kept as ``uploads`` rows (bytes in the database, like co-host logos).

Revision ID: f16photo0001
Revises: f19state0001
Create Date: 2026-12-04 19:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f16photo0001'
down_revision = 'f19state0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('photo_thumbnail_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_registrations_photo_id_uploads'), 'uploads',
                                    ['photo_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_registrations_photo_thumbnail_id_uploads'),
                                    'uploads', ['photo_thumbnail_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_registrations_photo_thumbnail_id_uploads'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_registrations_photo_id_uploads'),
                                 type_='foreignkey')
        batch_op.drop_column('photo_thumbnail_id')
        batch_op.drop_column('photo_id')
