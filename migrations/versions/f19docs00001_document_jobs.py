"""document jobs (issue 19): big documents built by the worker, stored in chunks

Revision ID: f19docs00001
Revises: f19names0001
Create Date: 2026-12-05 08:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f19docs00001'
down_revision = 'f19names0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'document_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('progress_done', sa.Integer(), nullable=False),
        sa.Column('progress_total', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_document_jobs_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'],
                                name=op.f('fk_document_jobs_event_id_events'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_document_jobs')),
    )
    with op.batch_alter_table('document_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_document_jobs_event_created', ['event_id', 'created_at'],
                              unique=False)
        batch_op.create_index('ix_document_jobs_status', ['status'], unique=False)
    op.create_table(
        'document_chunks',
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['document_jobs.id'],
                                name=op.f('fk_document_chunks_job_id_document_jobs'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('job_id', 'number', name=op.f('pk_document_chunks')),
    )


def downgrade():
    op.drop_table('document_chunks')
    with op.batch_alter_table('document_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_document_jobs_status')
        batch_op.drop_index('ix_document_jobs_event_created')
    op.drop_table('document_jobs')
