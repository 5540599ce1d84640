"""Shared fixtures: the app on a real database, clients, users, logins and an SMTP server.

The database is SQLite in a temporary file by default; set TEST_DATABASE_URL (e.g.
postgresql+psycopg://127.0.0.1/test) to run the same suite on PostgreSQL. The schema is
created once per session and every table is emptied after each test.
"""

import os
import re
import socket
import threading
import time
from dataclasses import dataclass, field

import pytest
from flask import g, request_started
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from config import TestingConfig
from seminar_app import create_app
from seminar_app.extensions import db as _db
from seminar_app.extensions import limiter
from seminar_app.models import UserRole
from seminar_app.services.accounts.users import create_user

PASSWORD = "correct horse battery staple"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def pytest_configure(config):
    """Under pytest-xdist (``make test`` runs one worker per CPU) each worker has its own
    PostgreSQL database, ``<name>_gw0``, ``<name>_gw1``..., created when missing; on SQLite
    each worker's session already has its own temporary file."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("TEST_DATABASE_URL", "")
    if worker and url.startswith("postgresql"):
        os.environ["TEST_DATABASE_URL"] = _worker_database(url, worker)


def _worker_database(url: str, worker: str) -> str:
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                     {"name": name}):
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """One application for the whole run, on its own database."""
    tmp = tmp_path_factory.mktemp("app")
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'test.sqlite3'}"
    application = create_app(
        TestingConfig, SQLALCHEMY_DATABASE_URI=url, TASK_QUEUE_PATH=str(tmp / "tasks.sqlite3")
    )
    request_started.connect(_fresh_request_globals, application)
    with application.app_context():
        _db.drop_all()
        _db.create_all()
        _without_autovacuum()
    yield application
    with application.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


def _without_autovacuum() -> None:
    """PostgreSQL: no autovacuum on the test tables. Tables are emptied by DELETE between
    tests; a vacuum would let new rows fill the freed space, and rows read without ORDER BY
    would come back in another order from one run to the next."""
    if _db.engine.dialect.name != "postgresql":
        return
    with _db.engine.begin() as conn:
        for table in _db.metadata.sorted_tables:
            conn.execute(text(f'ALTER TABLE "{table.name}" SET (autovacuum_enabled = false)'))


def _fresh_request_globals(sender, **extra):
    """Start every request with an empty ``g``, as in production.

    A test's requests share the test's app context (and so its database session); without
    this, ``g`` would carry the logged-in user, the CSRF token and the locale from one request
    into the next (and from one test client into another).
    """
    g.__dict__.clear()


@pytest.fixture(autouse=True)
def _clean_state(app):
    """Run each test in an app context and leave every table empty afterwards."""
    limiter.reset()
    for cache in ("form_page_cache", "registration_form_classes", "event_calendars"):
        app.extensions.pop(cache, None)  # per-process caches start empty in every test
    ctx = app.app_context()
    ctx.push()
    yield
    _db.session.remove()
    _empty_tables()
    ctx.pop()


def _empty_tables(attempts: int = 20):
    """Empty every table and start their ids at 1 again (as SQLite does once a table is
    empty). On PostgreSQL: DELETE, then the sequences reset in one statement (a TRUNCATE of
    every table cost 70-80 ms per test, a tenth of the PostgreSQL pass). A request of the
    browser tests' live server that is still finishing (a page's background fetch) can hold a
    lock and deadlock with it: PostgreSQL then cancels one side, and it is tried again."""
    tables = list(reversed(_db.metadata.sorted_tables))
    for attempt in range(attempts):
        try:
            with _db.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SET LOCAL lock_timeout = '10s'"))
                for table in tables:
                    conn.execute(table.delete())
                if conn.dialect.name == "postgresql":
                    _restart_sequences(conn)
            return
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.25)


def _restart_sequences(conn) -> None:
    sequences = conn.execute(text(
        "SELECT quote_ident(sequencename) FROM pg_sequences "
        "WHERE schemaname = current_schema() AND last_value IS NOT NULL")).scalars().all()
    if sequences:
        conn.execute(text("SELECT " + ", ".join(f"setval('{name}', 1, false)"
                                                for name in sequences)))


@pytest.fixture
def db(app):
    """The Flask-SQLAlchemy object, for tests that query directly."""
    return _db


@pytest.fixture
def client(app):
    """A test client that keeps cookies."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A runner for the app's command-line commands."""
    return app.test_cli_runner()


def csrf_token(client) -> str:
    """A valid CSRF token for ``client``'s session, read from any rendered page."""
    response = client.get("/")
    match = CSRF_META.search(response.get_data(as_text=True))
    assert match, "no csrf-token meta tag on the home page"
    return match.group(1)


def post_form(client, url, data=None, *, follow_redirects=False, **kwargs):
    """POST a form like a browser would, with a valid CSRF token."""
    payload = dict(data or {})
    payload.setdefault("csrf_token", csrf_token(client))
    return client.post(url, data=payload, follow_redirects=follow_redirects, **kwargs)


@pytest.fixture
def make_user():
    """Factory: ``make_user(role="organizer", email=None, password=PASSWORD)``."""
    counter = iter(range(1, 10_000))

    def _make(role="organizer", email=None, password=PASSWORD, name=None, language="en"):
        number = next(counter)
        email = email or f"{role}{number}@example.org"
        return create_user(
            email=email,
            name=name or f"{role.title()} {number}",
            password=password,
            role=UserRole(role),
            language=language,
        )

    return _make


@dataclass
class AuthActions:
    """Log a test client in and out."""

    client: object

    def login(self, user_or_email, password=PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        return post_form(self.client, "/manage/login", {"email": email, "password": password})

    def logout(self):
        return post_form(self.client, "/manage/logout")


@pytest.fixture
def auth(client):
    """``auth.login(user)`` / ``auth.logout()`` for the ``client`` fixture."""
    return AuthActions(client)


# --- a real SMTP server on loopback ---------------------------------------------------------


@dataclass
class SMTPSink:
    """An aiosmtpd server on a free loopback port that records what it receives."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list = field(default_factory=list)
    #: recipient address -> SMTP reply to give for it, e.g. "550 5.1.1 No such user"
    rcpt_replies: dict = field(default_factory=dict)
    #: replies given at DATA, one per message, before accepting again, e.g. ["421 4.3.0 Busy"]
    data_replies: list = field(default_factory=list)
    #: close the connection at the DATA of the next message once this many have arrived
    #: (the message is not recorded: the client sees a lost connection); None: never
    drop_after: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count, timeout=10.0):
        """Wait until ``count`` messages have arrived; return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} messages, got {len(self.messages)}")


class _SinkHandler:
    def __init__(self, sink: SMTPSink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.sink.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes
        from email.policy import default

        with self.sink.lock:
            if self.sink.data_replies:
                return self.sink.data_replies.pop(0)
            limit = self.sink.drop_after
            drop = limit is not None and len(self.sink.messages) >= limit
            if drop:
                self.sink.drop_after = None
        if drop:
            server.transport.abort()
            return "421 4.4.2 Connection dropped"
        message = message_from_bytes(envelope.original_content or envelope.content, policy=default)
        with self.sink.lock:
            self.sink.messages.append(
                {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message,
                 "peer": session.peer}
            )
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(app, monkeypatch):
    """A running SMTP server; the app is configured to send to it while the test runs."""
    from aiosmtpd.controller import Controller

    sink = SMTPSink(port=_free_port())
    controller = Controller(_SinkHandler(sink), hostname=sink.host, port=sink.port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", sink.host)
    monkeypatch.setitem(app.config, "MAIL_PORT", sink.port)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    monkeypatch.setitem(app.config, "MAIL_USE_SSL", False)
    monkeypatch.setitem(app.config, "MAIL_SUPPRESS_SEND", False)
    mail_state = app.extensions.get("mail")
    if mail_state is not None:
        for attr, value in (
            ("server", sink.host),
            ("port", sink.port),
            ("use_tls", False),
            ("use_ssl", False),
            ("suppress", False),
        ):
            monkeypatch.setattr(mail_state, attr, value, raising=False)
    yield sink
    controller.stop()
