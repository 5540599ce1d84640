"""One way to run a use case in a transaction (seminar_app/database.py): the outermost block
commits, inner blocks join it, any exception rolls the whole back; and nothing else in
seminar_app commits."""

import ast
from pathlib import Path

import pytest
from sqlalchemy import event, inspect, select

from seminar_app.database import keep_values, transaction, use_case
from seminar_app.models import AuditEntry, User
from seminar_app.services.accounts.users import set_password, update_profile
from seminar_app.services.errors import ServiceError

APP_DIR = Path(__file__).resolve().parent.parent / "seminar_app"

#: the only ``.commit()`` calls allowed in seminar_app: (file, function) -> why
ALLOWED_COMMITS = {
    ("database.py", "commit_keeping_values"): "the commit of the outermost transaction block",
    ("services/jobs.py", "sweep_outbox"): "the worker's sweeper ends its read transaction "
                                          "before the preparations write in their own session",
}


def _commit_calls() -> list[tuple[str, str, int]]:
    """Every ``<something>.commit()`` call in seminar_app: (file, enclosing function, line)."""
    found = []
    for path in sorted(APP_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "commit"):
                    found.append((path.relative_to(APP_DIR).as_posix(), function.name,
                                  node.lineno))
    # a call inside a nested function is listed under both functions: keep the innermost
    innermost = {}
    for file, name, line in found:
        innermost[(file, line)] = name
    return sorted((file, name, line) for (file, line), name in innermost.items())


def test_commit_calls_only_in_allowed_places():
    calls = _commit_calls()
    misplaced = [call for call in calls if call[:2] not in ALLOWED_COMMITS]
    assert misplaced == [], (
        "commit through seminar_app.database.transaction()/use_case instead: "
        f"{misplaced}")
    assert {call[:2] for call in calls} == set(ALLOWED_COMMITS)  # the list stays current


@pytest.fixture
def user(make_user):
    """An account named "Before" (created, and committed, before ``ends`` counts)."""
    return make_user(name="Before")


@pytest.fixture
def ends(db, user):
    """Count the session's commits and rollbacks from here on."""
    counts = {"commit": 0, "rollback": 0}

    def _commit(_session):
        counts["commit"] += 1

    def _rollback(_session):
        counts["rollback"] += 1

    event.listen(db.session, "after_commit", _commit)
    event.listen(db.session, "after_rollback", _rollback)
    yield counts
    event.remove(db.session, "after_commit", _commit)
    event.remove(db.session, "after_rollback", _rollback)


def _stored_name(db, user_id: int) -> str:
    """The name as committed, read on a connection of its own (the session's read
    transaction, which holds SQLite's lock, is ended first)."""
    db.session.rollback()
    with db.engine.connect() as connection:
        return connection.scalar(select(User.name).where(User.id == user_id))


def test_transaction_outermost_block_commits(db, user, ends):
    user_id = user.id
    with transaction():
        user.name = "After"
    assert ends["commit"] == 1
    assert _stored_name(db, user_id) == "After"


def test_transaction_inner_block_joins_without_committing(db, user, ends):
    user_id = user.id
    with transaction():
        with transaction():
            user.name = "Inner"
        assert ends["commit"] == 0  # the inner block did not commit
        user.language = "id"
    assert ends == {"commit": 1, "rollback": 0}
    assert _stored_name(db, user_id) == "Inner"


def test_transaction_exception_in_inner_block_rolls_back_whole(db, user, ends):
    user_id = user.id
    with pytest.raises(RuntimeError), transaction():
        user.name = "Outer"
        with transaction():
            user.language = "id"
            raise RuntimeError("boom")
    assert ends == {"commit": 0, "rollback": 1}
    assert _stored_name(db, user_id) == "Before"
    assert db.session.info.get("transaction_depth") == 0


def test_transaction_outer_raises_commits_nothing(db, user, ends):
    user_id = user.id
    with pytest.raises(ValueError), transaction():
        with transaction():
            user.name = "Inner done"
        raise ValueError("late failure")
    assert ends["commit"] == 0
    assert _stored_name(db, user_id) == "Before"


def test_transaction_dry_run_rolls_back(db, user, ends):
    user_id = user.id
    with transaction(dry_run=True):
        user.name = "Preview"
    assert ends == {"commit": 0, "rollback": 1}
    assert _stored_name(db, user_id) == "Before"


def test_use_case_joins_an_enclosing_use_case(db, user, ends):
    user_id = user.id

    @use_case
    def rename(target, name):
        """Rename ``target``."""
        target.name = name
        return ends["commit"]

    @use_case
    def rename_twice(target):
        return rename(target, "One") + rename(target, "Two")

    assert rename.__name__ == "rename" and rename.__doc__ == "Rename ``target``."
    assert rename_twice(user) == 0  # neither inner call committed
    assert ends["commit"] == 1
    assert _stored_name(db, user_id) == "Two"


def test_use_case_composed_services_fail_together(db, user):
    user_id = user.id
    with pytest.raises(ServiceError), transaction():
        update_profile(user, name="Changed", language="id")
        set_password(user, password="short")  # too short: refused
    assert _stored_name(db, user_id) == "Before"
    assert db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "user.update_profile")) is None


def test_keep_values_outermost_commit_keeps_loaded_values(db, make_user):
    kept, other = make_user(name="Kept"), make_user(name="Other")
    kept_id = kept.id
    kept.name, other.name = "Kept 2", "Other 2"
    with transaction(), transaction():
        keep_values(kept)
    assert "name" not in inspect(kept).expired_attributes
    assert "name" in inspect(other).expired_attributes
    assert kept.name == "Kept 2"
    assert _stored_name(db, kept_id) == "Kept 2"
    assert db.session.info.get("transaction_keep_values") is None


def _sqlite_pair(tmp_path):
    """Two connections to one SQLite file that answer "database is locked" at once (no busy
    timeout), as SQLite does during a checkpoint or recovery in another connection."""
    import sqlite3
    path = tmp_path / "begin.db"
    first, second = (sqlite3.connect(path, timeout=0, isolation_level=None,
                                     check_same_thread=False) for _ in range(2))
    first.execute("PRAGMA journal_mode = WAL")
    first.execute("CREATE TABLE t (x)")
    return first, second


def test_begin_refused_at_once_is_tried_again_until_the_lock_is_free(tmp_path):
    import threading

    from seminar_app.database import _begin
    holder, waiter = _sqlite_pair(tmp_path)
    holder.execute("BEGIN IMMEDIATE")
    threading.Timer(0.3, holder.execute, ("COMMIT",)).start()
    _begin(waiter, "BEGIN IMMEDIATE", patience=5)
    waiter.execute("INSERT INTO t VALUES (1)")
    waiter.execute("COMMIT")
    assert holder.execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_begin_gives_up_after_the_busy_timeout(tmp_path):
    import sqlite3
    import time

    from seminar_app.database import _begin
    holder, waiter = _sqlite_pair(tmp_path)
    holder.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _begin(waiter, "BEGIN IMMEDIATE", patience=0.3)
    assert 0.1 < time.monotonic() - started < 2


def test_a_use_case_of_a_read_only_request_writes_after_another_connection_committed(
        app, db, make_user):
    """An audited download (GET) on SQLite: its read transaction has begun and read, another
    connection commits a write (a registration arriving), then the use case writes its audit
    entry. A read transaction cannot take the write lock then ("database is locked" at once,
    whatever the busy timeout); the use case begins its own, with BEGIN IMMEDIATE."""
    from sqlalchemy import func, update

    from seminar_app.services.audit import record_action

    if db.engine.dialect.name != "sqlite":
        pytest.skip("the upgrade of a read transaction is SQLite's own problem")
    user = make_user(name="Reader")
    with app.test_request_context("/manage/letter", method="GET"):
        assert db.session.get(User, user.id).name == "Reader"  # the GET's read has begun
        with db.engine.connect() as other:
            other.execute(update(User).where(User.id == user.id).values(name="Changed"))
            other.commit()

        @use_case
        def audited_read(reader):
            record_action("nomination.letter_read", reader, user=reader)
            return reader.name

        assert audited_read(db.session.get(User, user.id)) == "Changed"  # read under the lock
        with app.test_request_context("/manage/letter", method="GET"):
            assert db.session.scalar(select(func.count(AuditEntry.id)).where(
                AuditEntry.action == "nomination.letter_read")) == 1
