"""Database engine set-up: SQLite pragmas and write transactions.

On SQLite every connection uses WAL, a busy timeout and enforced foreign keys. The driver's
own transaction handling is switched off so that we emit BEGIN ourselves: a request that may
write (anything but GET/HEAD/OPTIONS) and all work outside requests (CLI, worker) start with
``BEGIN IMMEDIATE``, which takes the write lock up front. A transaction that reads and then
writes can then never fail with "database is locked" half-way, and capacity checks done inside
it are serialized. Reads start with a plain deferred BEGIN and run concurrently; a use case
called by a read-only request (an audited download) ends that read transaction and begins its
own with BEGIN IMMEDIATE.

Transactions: each use case is one atomic block that others can join. A service function
decorated with ``@use_case`` (or a ``with transaction():`` block) commits at the end of the
outermost block and rolls back if any exception leaves it; blocks opened inside it join it
(no commit, no rollback of their own), so one use case can call another without special
arguments. The depth lives in ``db.session.info``. ``keep_values(*objects)`` asks the outermost
commit to keep those objects' loaded values (see ``commit_keeping_values``).
"""

import contextvars
import functools
import logging
import sqlite3
import time
from contextlib import contextmanager

from flask import Flask, has_request_context, request
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm.attributes import set_committed_value

from .extensions import db

log = logging.getLogger(__name__)

_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: inside ``reading()``: transactions only read
_reading = contextvars.ContextVar("seminar_reading", default=False)
#: inside a use case of a read-only request: its transaction may write (``transaction``)
_writing = contextvars.ContextVar("seminar_writing", default=False)


def _read_only_request() -> bool:
    return has_request_context() and request.method in _READ_ONLY_METHODS


def _begin_statement() -> str:
    if _writing.get():
        return "BEGIN IMMEDIATE"
    if _reading.get() or _read_only_request():
        return "BEGIN"
    return "BEGIN IMMEDIATE"


@contextmanager
def reading():
    """A block of work outside requests that only reads (a worker building a large document):
    on SQLite its transaction begins with a plain BEGIN, as a GET request's does, so it never
    holds the write lock; the transaction is ended (rolled back) when the block ends. Writes
    belong in a use case after the block."""
    token = _reading.set(True)
    try:
        yield
    finally:
        db.session.rollback()
        _reading.reset(token)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        _begin(connection.connection.dbapi_connection, _begin_statement(),
               busy_timeout_ms / 1000)


#: the longest pause between two tries of a BEGIN that SQLite refused at once (seconds)
BEGIN_PAUSE_MAX = 0.2


def _begin(dbapi_connection, statement: str, patience: float) -> None:
    """Run ``statement`` (BEGIN or BEGIN IMMEDIATE). SQLite waits up to the busy timeout for
    the write lock, but in a few cases (a WAL checkpoint or recovery under way in another
    connection) it answers "database is locked" at once; nothing has been done yet in the
    transaction then, so the BEGIN is tried again after a short, growing pause, for as long
    as the busy timeout (``patience`` seconds) would have waited."""
    deadline = time.monotonic() + patience
    pause = 0.01
    while True:
        try:
            dbapi_connection.execute(statement)
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() + pause > deadline:
                raise
            log.warning("SQLite refused %s at once (%s); trying again", statement, error)
            time.sleep(pause)
            pause = min(pause * 2, BEGIN_PAUSE_MAX)


def init_database(app: Flask) -> None:
    """Attach the SQLite listeners to the app's engine (no-op on other databases)."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])


#: largest row id (PostgreSQL ``integer``); a larger number from outside names no row
MAX_ID = 2**31 - 1


def get_by_id(model, value):
    """The ``model`` row whose id is ``value`` (an int or a string of digits that came from
    outside: a link, a code, a form), or None. A number out of the id range names no row
    rather than reaching the database, where PostgreSQL would refuse it with an error."""
    if isinstance(value, str):
        value = int(value) if value.isascii() and value.isdigit() else None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        return None
    return db.session.get(model, value)


def is_postgresql() -> bool:
    """True when the current app runs on PostgreSQL."""
    return db.engine.dialect.name == "postgresql"


#: bulk writes of at least this many rows refresh the planner's statistics (``analyze``)
ANALYZE_AFTER_ROWS = 500


def analyze(*tables: str, rows: int = ANALYZE_AFTER_ROWS) -> None:
    """PostgreSQL: refresh the planner's statistics of ``tables`` after a bulk write of
    ``rows`` rows (an import, a mailing being prepared), so the next queries are planned for
    the table's real size; autovacuum would do it only later. Inside the transaction (its own
    new rows count). SQLite: nothing."""
    if rows < ANALYZE_AFTER_ROWS or not is_postgresql():
        return
    for table in tables:
        db.session.execute(text(f'ANALYZE "{table}"'))


def commit_keeping_values(*objects) -> None:
    """Commit, keeping the loaded column values of ``objects`` instead of expiring them: what
    this transaction wrote is what is now committed, so reading it back (one SELECT per
    object) would only cost time. Every other object of the session expires as usual."""
    kept = []
    for obj in objects:
        state = inspect(obj)
        kept.append((obj, {attr.key: _as_loaded(attr, state.dict[attr.key])
                           for attr in state.mapper.column_attrs if attr.key in state.dict}))
    db.session.commit()
    for obj, values in kept:
        for key, value in values.items():
            set_committed_value(obj, key, value)


#: ``session.info`` key: how many transaction blocks are open
DEPTH_KEY = "transaction_depth"
#: ``session.info`` key: objects whose loaded values the outermost commit keeps
KEEP_KEY = "transaction_keep_values"


@contextmanager
def transaction(*, dry_run: bool = False):
    """One atomic block: the outermost block commits at its end and rolls back (then re-raises)
    on any exception; a block opened inside another joins it and neither commits nor rolls back.
    An exception leaving an inner block therefore rolls back the whole when it leaves the outer
    one. Catching a service error inside an outer block and carrying on keeps what was done.
    ``dry_run``: the outermost block rolls back instead of committing (a preview)."""
    info = db.session.info
    depth = info.get(DEPTH_KEY, 0)
    writing = _start_writing() if depth == 0 else None
    info[DEPTH_KEY] = depth + 1
    try:
        yield
    except BaseException:
        info[DEPTH_KEY] = depth
        if depth == 0:
            _roll_back(info)
        raise
    finally:
        if writing is not None:
            _writing.reset(writing)
    info[DEPTH_KEY] = depth  # back to 0 first: after-commit hooks may start a new transaction
    if depth == 0:
        _end(info, dry_run)


def _start_writing():
    """SQLite, a use case inside a read-only request (an audited download, a page that records
    it was seen): the request's read transaction, begun with a plain BEGIN, is ended, and the
    use case's own transaction begins with BEGIN IMMEDIATE. A read transaction cannot take the
    write lock once another connection has committed since it began: SQLite answers
    "database is locked" at once, without waiting. Objects read before are read again, under
    the lock. Returns the token to reset, or None (nothing to do)."""
    if not _read_only_request() or _writing.get() or db.engine.dialect.name != "sqlite":
        return None
    session = db.session()  # the current Session (the scoped proxy has no in_transaction)
    if session.new or session.dirty or session.deleted:
        return None  # changes made before the use case would be lost: the read goes on
    if session.in_transaction():
        session.rollback()
    return _writing.set(True)


def _end(info: dict, dry_run: bool) -> None:
    """Commit (or roll back for a dry run) the outermost block; roll back if the commit fails."""
    if dry_run:
        _roll_back(info)
        return
    try:
        commit_keeping_values(*info.pop(KEEP_KEY, ()))
    except BaseException:
        _roll_back(info)
        raise


def _roll_back(info: dict) -> None:
    info.pop(KEEP_KEY, None)
    db.session.rollback()


def use_case(function):
    """Run ``function`` as one ``transaction()`` block (joins an enclosing one)."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with transaction():
            return function(*args, **kwargs)
    return wrapper


def keep_values(*objects) -> None:
    """Ask the outermost commit of the current transaction to keep the loaded column values of
    ``objects`` instead of expiring them (see ``commit_keeping_values``)."""
    db.session.info.setdefault(KEEP_KEY, []).extend(objects)


def _as_loaded(attr, value):
    """``value`` as a SELECT would give it back: an enum column set with its plain value
    ("he") reads back as the enum member."""
    enum_class = getattr(attr.columns[0].type, "enum_class", None)
    if enum_class is not None and value is not None and not isinstance(value, enum_class):
        return enum_class(value)
    return value
