"""travel and accommodation (issue 17): hotels with room blocks, arrivals and departures

Revision ID: f17trav0001
Revises: f17kind0001
Create Date: 2026-12-05 13:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f17trav0001'
down_revision = 'f17kind0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'travel_settings',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('mode', sa.String(length=10), nullable=False),
        sa.Column('change_cutoff_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('arrivals_exported_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('rooming_exported_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('event_id'),
    )
    op.create_table(
        'hotels',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('address', sa.String(length=500), nullable=False),
        sa.Column('block_size', sa.Integer(), nullable=False),
        sa.Column('block_from', sa.Date(), nullable=False),
        sa.Column('block_to', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('block_size >= 0', name='hotel_block_not_negative'),
        sa.CheckConstraint('block_to > block_from', name='hotel_block_dates'),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('hotels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hotels_event_id'), ['event_id'], unique=False)
    op.create_table(
        'travel_plans',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('arrival_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('arrival_mode', sa.String(length=10), nullable=False),
        sa.Column('arrival_number', sa.String(length=20), nullable=False),
        sa.Column('arrival_place', sa.String(length=120), nullable=False),
        sa.Column('arrival_pickup', sa.Boolean(), nullable=False),
        sa.Column('departure_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('departure_mode', sa.String(length=10), nullable=False),
        sa.Column('departure_number', sa.String(length=20), nullable=False),
        sa.Column('departure_place', sa.String(length=120), nullable=False),
        sa.Column('departure_pickup', sa.Boolean(), nullable=False),
        sa.Column('lodging', sa.String(length=10), nullable=False),
        sa.Column('hotel_id', sa.Integer(), nullable=True),
        sa.Column('check_in', sa.Date(), nullable=True),
        sa.Column('check_out', sa.Date(), nullable=True),
        sa.Column('share_with_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('check_out IS NULL OR check_in IS NULL OR check_out > check_in',
                           name='travel_check_out_after_check_in'),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['hotel_id'], ['hotels.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['share_with_id'], ['registrations.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('registration_id'),
    )
    with op.batch_alter_table('travel_plans', schema=None) as batch_op:
        batch_op.create_index('ix_travel_plans_event_arrival', ['event_id', 'arrival_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_travel_plans_hotel_id'), ['hotel_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('travel_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_travel_plans_hotel_id'))
        batch_op.drop_index('ix_travel_plans_event_arrival')
    op.drop_table('travel_plans')
    with op.batch_alter_table('hotels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hotels_event_id'))
    op.drop_table('hotels')
    op.drop_table('travel_settings')
