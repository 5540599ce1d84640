"""A periodic task runs once per slot however many workers consume the queue: each worker's
consumer enqueues it at the same minute, and only the first to claim the slot in the queue's
shared storage runs it (services.tasks.claim_periodic_run). Checked with two queue instances
on one real storage, as two machines would have: the SQLite file, and Redis when it answers."""

import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from huey import RedisHuey, SqliteHuey

from seminar_app.services.tasks import claim_periodic_run


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def _two_machines(kind: str, tmp_path):
    name = f"seminar-test-{uuid.uuid4().hex[:8]}"
    if kind == "sqlite":
        path = str(tmp_path / "queue.db")
        return [SqliteHuey(name, filename=path, results=False) for _ in range(2)]
    if not _redis_answers():
        pytest.skip("Redis does not answer on 127.0.0.1:6379")
    return [RedisHuey(name, url="redis://127.0.0.1:6379/0", results=False) for _ in range(2)]


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_one_worker_claims_each_slot(kind, tmp_path):
    machines = _two_machines(kind, tmp_path)
    period = timedelta(minutes=1)
    minute = datetime(2026, 12, 5, 9, 0, 20, tzinfo=UTC)
    claims, start = [], threading.Barrier(8)

    def worker(index: int, moment: datetime) -> None:
        start.wait()
        if claim_periodic_run(machines[index % 2], "sweep_outbox", moment, period):
            claims.append(index)

    for moment in (minute, minute + timedelta(seconds=30)):  # the same slot twice
        threads = [threading.Thread(target=worker, args=(index, moment)) for index in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(claims) == 1
    # the next minute is a new slot: claimed once again; another task has its own slots
    assert claim_periodic_run(machines[1], "sweep_outbox", minute + period, period)
    assert not claim_periodic_run(machines[0], "sweep_outbox", minute + period, period)
    assert claim_periodic_run(machines[0], "expire_promotions", minute + period, period)
    # the claim of the slot before is dropped: the storage does not grow
    slot = int(minute.timestamp() // 60)
    assert machines[0].get(f"periodic:sweep_outbox:{slot}", peek=True) is None
    assert machines[0].get(f"periodic:sweep_outbox:{slot + 1}", peek=True) == "1"
    for machine in machines:
        machine.storage.flush_results()
