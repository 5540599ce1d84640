"""personal data encrypted at rest

The five passport columns of registrations (number, nationality, birth date and place, expiry)
and the bodies and headers of outbox emails become Text holding values encrypted by
seminar_app.crypto (``v1:<key id>:<base64>``) under the first key of DATA_KEYS (or the key
derived from SECRET_KEY in development); existing rows are encrypted here. "" and NULL stay as
they are. The downgrade decrypts, then gives the columns their old types back.

Revision ID: e13crypt0001
Revises: e13auth00001
Create Date: 2026-12-04 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e13crypt0001'
down_revision = 'e13auth00001'
branch_labels = None
depends_on = None

BATCH = 500
#: (table, column, type before this revision, PostgreSQL cast back from text)
COLUMNS = [
    ('registrations', 'passport_number', sa.String(length=30), None),
    ('registrations', 'nationality', sa.String(length=2), None),
    ('registrations', 'birth_date', sa.Date(), 'birth_date::date'),
    ('registrations', 'birth_place', sa.String(length=120), None),
    ('registrations', 'passport_expiry', sa.Date(), 'passport_expiry::date'),
    ('outbox_emails', 'body_text', sa.Text(), None),
    ('outbox_emails', 'body_html', sa.Text(), None),
    ('outbox_emails', 'headers', sa.JSON(), 'headers::json'),
]


def _tables():
    tables = {}
    for name, column, old_type, _using in COLUMNS:
        tables.setdefault(name, []).append((column, old_type))
    return tables


def _convert(change):
    """Apply ``change(raw value, "table.column")`` to every non-empty value, in batches."""
    bind = op.get_bind()
    for name, columns in _tables().items():
        raw = sa.table(name, sa.column('id', sa.Integer),
                       *(sa.column(column, sa.Text) for column, _type in columns))
        last_id = 0
        while True:
            rows = bind.execute(
                sa.select(raw.c.id, *(raw.c[column] for column, _type in columns))
                .where(raw.c.id > last_id).order_by(raw.c.id).limit(BATCH)).all()
            if not rows:
                break
            last_id = rows[-1][0]
            for index, (column, _type) in enumerate(columns):
                changes = []
                for row in rows:
                    value = row[index + 1]
                    new = change(value, f'{name}.{column}') if value not in (None, '') else None
                    if new is not None and new != value:
                        changes.append({'row_id': row[0], 'new': new})
                if changes:
                    bind.execute(raw.update().where(raw.c.id == sa.bindparam('row_id'))
                                 .values({column: sa.bindparam('new')}), changes)


def _alter(to_text):
    for name, columns in _tables().items():
        # SQLite: the dates (ISO text) are copied as they are; alembic would CAST them to DATE,
        # which SQLite turns into a number (1975), were the reflected column not a Date already
        dates = [] if to_text else [sa.Column(column, sa.Date()) for column, old_type in columns
                                    if isinstance(old_type, sa.Date)]
        with op.batch_alter_table(name, schema=None, reflect_args=dates) as batch_op:
            for column, old_type in columns:
                if isinstance(old_type, sa.Text):
                    continue
                using = next(cast for table, col, _type, cast in COLUMNS
                             if (table, col) == (name, column))
                if to_text:
                    batch_op.alter_column(column, existing_type=old_type, type_=sa.Text())
                else:
                    batch_op.alter_column(column, existing_type=sa.Text(), type_=old_type,
                                          postgresql_using=using)


def upgrade():
    from seminar_app.crypto import current_keyring, key_id_of

    _alter(to_text=True)
    ring = current_keyring()
    _convert(lambda value, context: None if key_id_of(value) else ring.encrypt(value, context))


def downgrade():
    from seminar_app.crypto import current_keyring, key_id_of

    ring = current_keyring()
    _convert(lambda value, context: ring.decrypt(value, context) if key_id_of(value) else None)
    _alter(to_text=False)
