"""The migration e13crypt0001 encrypts the rows written before it, and its downgrade decrypts."""

import secrets
from datetime import UTC, date, datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import JSON, Boolean, Date, DateTime, Enum, Integer, MetaData, select

from config import TestingConfig
from seminar_app import create_app
from seminar_app.crypto import key_id_of
from seminar_app.extensions import db
from seminar_app.models import OutboxEmail, Registration
from tests import test_migrations

#: an empty database: an SQLite file, or a fresh schema on PostgreSQL (as test_migrations)
migration_url = test_migrations.migration_url

BEFORE, REVISION = "e13auth00001", "e13crypt0001"
TOKEN = "Zq3xY9-abcDEF_0123456789ghijkLMNOP"
PASSPORT = {"passport_number": "B7654321", "nationality": "MY", "birth_date": date(1975, 4, 2),
            "birth_place": "Kuala Lumpur", "passport_expiry": date(2031, 1, 31)}


def _dummy(column, sqlite: bool):
    """A value any NOT NULL column without a default accepts (an enum's: from the models,
    SQLite reflects enums as VARCHAR)."""
    kind = column.type
    model_table = db.metadata.tables.get(column.table.name)
    model_type = model_table.c[column.name].type if model_table is not None and \
        column.name in model_table.c else None
    if isinstance(model_type, Enum) and model_type.enums:
        return model_type.enums[0]
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return 1
    if isinstance(kind, DateTime):
        return datetime.now(UTC).replace(tzinfo=None) if sqlite else datetime.now(UTC)
    if isinstance(kind, Date):
        return date(2030, 1, 1)
    if isinstance(kind, JSON):
        return {}
    length = getattr(kind, "length", None) or 32
    return secrets.token_hex(16)[:length]


def _insert(conn, metadata, name: str, ids: dict, **values) -> int:
    """Insert a row into ``name`` (and first, the rows its required foreign keys need)."""
    table = metadata.tables[name]
    sqlite = conn.dialect.name == "sqlite"
    for column in table.columns:
        if (column.name in values or column.primary_key or column.nullable
                or column.server_default is not None):
            continue
        if column.foreign_keys:
            target = next(iter(column.foreign_keys)).column.table.name
            values[column.name] = ids.get(target) or _insert(conn, metadata, target, ids)
        else:
            values[column.name] = _dummy(column, sqlite)
    ids[name] = conn.execute(table.insert().values(values).returning(table.c.id)).scalar_one()
    return ids[name]


def _raw(table: str, columns: tuple, row_id: int) -> dict:
    metadata = MetaData()
    metadata.reflect(bind=db.engine, only=[table])
    reflected = metadata.tables[table]
    with db.engine.connect() as conn:
        row = conn.execute(select(*(reflected.c[name] for name in columns))
                           .where(reflected.c.id == row_id)).one()
    return dict(zip(columns, row, strict=True))


def test_upgrade_encrypts_rows_written_before_and_downgrade_decrypts(migration_url, tmp_path):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=migration_url,
                     TASK_QUEUE_PATH=str(tmp_path / "q.sqlite3"))
    with app.app_context():
        upgrade(revision=BEFORE)
        metadata = MetaData()
        metadata.reflect(bind=db.engine)
        link = f"https://events.example.org/r/{TOKEN}"
        with db.engine.begin() as conn:
            ids = {}
            registration_id = _insert(conn, metadata, "registrations", ids,
                                      needs_visa_letter=True, **PASSPORT)
            empty_id = _insert(conn, metadata, "registrations", ids, passport_number="",
                               birth_place="", nationality="")
            email_id = _insert(conn, metadata, "outbox_emails", ids,
                               body_text=f"Your link: {link}", body_html=f'<a href="{link}">',
                               headers={"List-Unsubscribe": "<https://x.org/u/r1.abcdefgh>"})
        upgrade(revision=REVISION)

        raw = _raw("registrations", tuple(PASSPORT), registration_id)
        assert all(key_id_of(value) for value in raw.values()), raw
        assert _raw("registrations", tuple(PASSPORT), empty_id) == {
            "passport_number": "", "nationality": "", "birth_date": None, "birth_place": "",
            "passport_expiry": None}
        raw_email = _raw("outbox_emails", ("body_text", "body_html", "headers"), email_id)
        assert all(key_id_of(value) for value in raw_email.values())
        assert TOKEN not in str(raw_email)

        upgrade()  # the models describe the latest schema
        registration = db.session.get(Registration, registration_id)
        assert {key: getattr(registration, key) for key in PASSPORT} == PASSPORT
        email = db.session.get(OutboxEmail, email_id)
        assert email.body_text == f"Your link: {link}"
        assert email.headers == {"List-Unsubscribe": "<https://x.org/u/r1.abcdefgh>"}
        db.session.remove()

        downgrade(revision=BEFORE)
        assert _raw("registrations", tuple(PASSPORT), registration_id) == PASSPORT
        raw_email = _raw("outbox_emails", ("body_text", "headers"), email_id)
        assert raw_email == {"body_text": f"Your link: {link}",
                             "headers": {"List-Unsubscribe": "<https://x.org/u/r1.abcdefgh>"}}
        downgrade(revision="base")
        db.engine.dispose()

