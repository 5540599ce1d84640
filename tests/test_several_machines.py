"""Several machines sharing one PostgreSQL and one Redis, proven with real processes: two
gunicorn web processes on two ports and two queue workers (bench/machines.py starts them; the
benchmark runs the same with larger numbers). Runs in the PostgreSQL pass of the suite when
Redis answers too."""

import os
import socket
import time
from contextlib import ExitStack

import pytest

from bench import common, machines
from seminar_app.extensions import limiter

pytestmark = pytest.mark.slow


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def installation(tmp_path):
    if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("runs in the PostgreSQL pass of the suite (make test-pg)")
    if not (_answers(5432) and _answers(6379)):
        pytest.skip("needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379")
    machines.flush_redis()
    database = f"{machines.PG_DATABASE}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    # Flask-Limiter keeps its settings on the one extension object, not per app: the second
    # app built here (rate limits off) would switch them off for every later test of this
    # process (the two-factor rate-limit tests then failed in the PostgreSQL pass).
    limiter_state = dict(vars(limiter))
    with ExitStack() as restore:
        restore.callback(lambda: (vars(limiter).clear(), vars(limiter).update(limiter_state)))
        yield from _installation(database, tmp_path)
    machines.flush_redis()


def _installation(database: str, tmp_path):
    with machines.smtp_sink() as (smtp_port, received):
        settings = machines.shared_settings(machines.pg_url(database), tmp_path, smtp_port)
        app = machines.in_process_app(settings)
        common.reset_schema(app)
        email, event_id, slug = common.create_organizer_and_event(app, capacity=8,
                                                                  slug="two-machines")
        machines.seed_invitees(app, event_id, 30)
        with machines.cluster(settings, tmp_path) as started:
            yield {"app": app, "cluster": started, "email": email, "event_id": event_id,
                   "slug": slug, "received": received}
        with app.app_context():
            from seminar_app.extensions import db
            db.engine.dispose()


def test_two_web_processes_and_two_workers_share_one_installation(installation):
    started, app = installation["cluster"], installation["app"]
    received = installation["received"]

    # a rush split across both web processes: 8 places, 24 delegates, none lost
    statuses = machines.rush(started.ports, installation["slug"], 24, threads=8)
    assert statuses == [303] * 24
    counts = machines.registration_counts(app, installation["event_id"])
    assert counts == {"confirmed": 8, "waitlisted": 16}
    # their confirmations went out through the workers, once each
    assert machines.wait_until(lambda: sum(
        1 for address in received if address.startswith("rush")) == 24, timeout=60)

    # a mailing sent while both workers run: each invitee gets it exactly once
    assert machines.send_mailing(started.ports[1], installation["email"],
                                 installation["event_id"], 30) == 303
    assert machines.wait_until(lambda: sum(
        1 for address in received if address.startswith("invitee")) == 30, timeout=60)
    time.sleep(2)  # a duplicate would arrive now
    assert all(number == 1 for number in received.values()), received

    # a periodic task enqueued by both workers' schedulers in one minute runs once (their
    # own schedulers may add a minute or two meanwhile: each slot still runs once)
    machines.enqueue_periodic_twice(app)
    assert machines.wait_until(lambda: machines.periodic_runs(started)[1] >= 1, timeout=30)
    slots, skips = machines.periodic_runs(started)
    assert slots and len(slots) == len(set(slots)) and skips >= 1

    # the rate limit counts both web processes' requests together
    limits = machines.resend_statuses(started.ports, installation["slug"],
                                      machines.RESEND_LIMIT + 2)
    assert limits == [200] * machines.RESEND_LIMIT + [429, 429]
