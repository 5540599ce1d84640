"""The queue really works on each backend TASK_QUEUE_URL can name: SQLite, Redis, PostgreSQL.

Redis and PostgreSQL are used when they answer on loopback (CI and this project's machines);
a laptop without them skips those cases with the reason.
"""

import os
import socket

import pytest
from huey import PostgresHuey, RedisHuey, SqliteHuey

from seminar_app.services.tasks import build_huey


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        return url
    return "postgresql+psycopg://root@127.0.0.1:5432/test"


BACKENDS = [
    pytest.param("sqlite", SqliteHuey, id="sqlite"),
    pytest.param(
        "redis://127.0.0.1:6379/15",
        RedisHuey,
        id="redis",
        marks=pytest.mark.skipif(not _answers(6379), reason="no Redis on 127.0.0.1:6379"),
    ),
    pytest.param(
        "postgres",
        PostgresHuey,
        id="postgresql",
        marks=pytest.mark.skipif(not _answers(5432), reason="no PostgreSQL on 127.0.0.1:5432"),
    ),
]


@pytest.mark.parametrize("backend, huey_class", BACKENDS)
def test_build_huey_round_trip(tmp_path, backend, huey_class):
    url = {"sqlite": "", "postgres": _postgres_url()}.get(backend, backend)
    queue = build_huey({"TASK_QUEUE_URL": url, "TASK_QUEUE_PATH": str(tmp_path / "q.sqlite3")})
    assert isinstance(queue, huey_class)
    queue.flush()
    seen = []

    @queue.task()
    def remember(value):
        seen.append(value)

    remember("Jakarta")
    remember("Makassar")
    assert queue.pending_count() == 2
    while (task := queue.dequeue()) is not None:
        queue.execute(task)
    assert seen == ["Jakarta", "Makassar"]
    assert queue.pending_count() == 0
    queue.flush()
