"""Several machines, one PostgreSQL and one Redis: two gunicorn web processes and two queue
workers, each a separate process on its own port, as two web machines and two worker machines
would run (sharing only the database, Redis, SECRET_KEY and DATA_KEYS).

``cluster()`` starts them (tests/test_several_machines.py uses it too); ``run()`` measures:

- a registration rush split across both web processes never overbooks and loses nothing;
- a mailing sent while both workers run delivers each email exactly once (a real SMTP sink);
- a periodic task enqueued by both workers' schedulers in the same minute runs once;
- rate limits are shared: the limit counts requests to both web processes together.
"""

import logging
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench import common

log = logging.getLogger(__name__)
PG_DATABASE = "bench_machines"
#: Redis databases of the shared queue and the shared rate-limit counters
QUEUE_DB, LIMITS_DB = 12, 13
#: the rate limit the check uses ("lost your link?" requests)
RESEND_LIMIT = 4


@dataclass
class Cluster:
    """What ``cluster()`` started."""

    ports: list[int]
    workdir: Path
    settings: dict
    workers: list[subprocess.Popen] = field(default_factory=list)

    def worker_logs(self) -> list[str]:
        return [(self.workdir / f"worker{index}.log").read_text("utf-8", "replace")
                for index in range(len(self.workers))]


def pg_url(database: str = PG_DATABASE) -> str:
    common.PG_DATABASE, previous = database, common.PG_DATABASE
    try:
        common._ensure_pg_database()
    finally:
        common.PG_DATABASE = previous
    return f"{common.PG_SERVER}/{database}"


def shared_settings(url: str, workdir: Path, smtp_port: int) -> dict:
    """What every process of the installation shares (strings, as in the environment)."""
    return {
        "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(24),
        "DATA_KEYS": "machines:" + secrets.token_urlsafe(32),
        "TASK_QUEUE_URL": f"redis://127.0.0.1:6379/{QUEUE_DB}",
        "RATELIMIT_ENABLED": "true", "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:6379/{LIMITS_DB}",
        "REGISTRATION_RATE_LIMIT": "100000 per minute", "LOGIN_RATE_LIMIT": "1000 per minute",
        "RESEND_LINK_RATE_LIMIT": f"{RESEND_LIMIT} per minute",
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port), "MAIL_USE_TLS": "false",
        "MAIL_USE_SSL": "false", "MAIL_DEFAULT_SENDER": "Forum <forum@example.org>",
        "INSTANCE_PATH": str(workdir), "APP_ENV": "production",
        "SESSION_COOKIE_SECURE": "false", "REQUIRE_TWO_FACTOR": "false",
        "BASE_URL": "http://127.0.0.1:8000",
    }


def flush_redis() -> None:
    import redis

    for number in (QUEUE_DB, LIMITS_DB):
        redis.Redis(host="127.0.0.1", port=6379, db=number).flushdb()


def in_process_app(settings: dict):
    """The installation's app in this process (seeding, counting, enqueueing)."""
    from config import DevelopmentConfig
    from seminar_app import create_app

    return create_app(
        DevelopmentConfig, SQLALCHEMY_DATABASE_URI=settings["DATABASE_URL"],
        SECRET_KEY=settings["SECRET_KEY"], DATA_KEYS=settings["DATA_KEYS"],
        TASK_QUEUE_URL=settings["TASK_QUEUE_URL"], TASK_QUEUE_IMMEDIATE=False,
        RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False, MAIL_SERVER="127.0.0.1",
        MAIL_PORT=int(settings["MAIL_PORT"]), MAIL_USE_TLS=False, MAIL_USE_SSL=False)


@contextmanager
def cluster(settings: dict, workdir: Path, *, web: int = 2, workers: int = 2):
    """Start ``web`` gunicorn processes (one sync worker each) and ``workers`` queue workers
    with ``settings``; yields a Cluster; stops them all."""
    with ExitStack() as stack:
        ports = []
        for index in range(web):
            port, _process = stack.enter_context(common.gunicorn(
                settings["DATABASE_URL"], workdir, workers=1, threads=1,
                queue=settings["TASK_QUEUE_URL"], env_overrides=settings,
                log_name=f"web{index}.log"))
            ports.append(port)
        started = Cluster(ports, workdir, settings)
        env = dict(os.environ, **settings)
        for index in range(workers):
            logfile = stack.enter_context(open(workdir / f"worker{index}.log", "ab"))
            process = subprocess.Popen(  # noqa: S603 - our own module
                [sys.executable, "-m", "flask", "--app", "seminar_app", "worker",
                 "--workers", "2"], cwd=common.ROOT, env=env, stdout=logfile, stderr=logfile)
            stack.callback(_stop, process)
            started.workers.append(process)
        _wait_for_log(started, "worker started")
        yield started


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def _wait_for_log(started: Cluster, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(text in content for content in started.worker_logs()):
            return
        time.sleep(0.2)
    raise RuntimeError(f"the workers did not log {text!r}: {started.worker_logs()}")


def rush(ports: list[int], slug: str, count: int, *, threads: int = 10) -> list[int]:
    """``count`` registrations posted by ``threads`` browsers, alternating between the web
    processes (GET the form on one, POST it to the other); the HTTP statuses of the POSTs."""
    from bench.registration_rush import _form

    numbers = iter(range(count))
    lock, statuses = threading.Lock(), []

    def browser() -> None:
        while True:
            with lock:
                number = next(numbers, None)
            if number is None:
                return
            getter = common.Client(ports[number % len(ports)])
            poster = common.Client(ports[(number + 1) % len(ports)])
            token = getter.csrf_token(f"/events/{slug}/register")
            poster.cookies = dict(getter.cookies)
            status, _ = poster.request("POST", f"/events/{slug}/register", _form(number, token))
            getter.close()
            poster.close()
            with lock:
                statuses.append(status)

    workers = [threading.Thread(target=browser) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return statuses


def registration_counts(app, event_id: int) -> Counter:
    from sqlalchemy import select

    from seminar_app.extensions import db
    from seminar_app.models import Registration

    with app.app_context():
        counts = Counter(status.value for status in db.session.scalars(
            select(Registration.status).where(Registration.event_id == event_id)))
        db.session.remove()
    return counts


def seed_invitees(app, event_id: int, count: int) -> None:
    from bench.mailing import _seed_invitees

    _seed_invitees(app, event_id, count)


def send_mailing(port: int, email: str, event_id: int, count: int) -> int:
    """Start an invitation mailing to every invitee through web process ``port``; the status."""
    client = common.Client(port)
    client.login(email)
    path = f"/manage/events/{event_id}/invitations/mailings/new?kind=invitation"
    token = client.csrf_token(path)
    status, _ = client.request("POST", path, {
        "csrf_token": token, "audience": "all", "group": "", "send_key": secrets.token_urlsafe(24),
        "confirmed": "1", "expected": str(count)})
    client.close()
    return status


def enqueue_periodic_twice(app, name: str = "sweep_outbox") -> None:
    """What both workers' schedulers do at the top of a minute: each enqueues the periodic
    task once."""
    with app.app_context():
        task = app.extensions["huey_tasks"][name]
        task()
        task()


def periodic_runs(started: Cluster, name: str = "sweep_outbox") -> tuple[list[int], int]:
    """(the slots in which periodic task ``name`` ran, how many times a worker skipped it),
    from the workers' logs."""
    logs = "".join(started.worker_logs())
    slots = [int(slot) for slot in re.findall(rf"periodic task {name} runs \(slot (\d+)\)", logs)]
    skips = len(re.findall(rf"periodic task {name} of slot \d+ runs on another worker", logs))
    return slots, skips


def resend_statuses(ports: list[int], slug: str, attempts: int) -> list[int]:
    """``attempts`` "lost your link?" requests, alternating between the web processes."""
    statuses = []
    for number in range(attempts):
        client = common.Client(ports[number % len(ports)])
        token = client.csrf_token(f"/events/{slug}/register")
        status, _ = client.request("POST", f"/events/{slug}/register/resend",
                                   {"csrf_token": token, "email": f"nobody{number}@example.org"})
        statuses.append(status)
        client.close()
    return statuses


@contextmanager
def smtp_sink():
    """A real SMTP server (aiosmtpd) on loopback; yields (port, Counter of recipients)."""
    from aiosmtpd.controller import Controller

    received, lock = Counter(), threading.Lock()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            with lock:
                received.update(address.lower() for address in envelope.rcpt_tos)
            return "250 Message accepted"

    port = common.free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def wait_until(predicate, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def run(*, registrations: int = 600, capacity: int = 250, invitees: int = 2000) -> dict:
    """The benchmark: writes the "Several machines" section of RESULTS.md."""
    flush_redis()
    with common.workdir() as workdir, smtp_sink() as (smtp_port, received):
        url = pg_url()
        settings = shared_settings(url, workdir, smtp_port)
        app = in_process_app(settings)
        common.reset_schema(app)
        email, event_id, slug = common.create_organizer_and_event(
            app, capacity=capacity, slug="machines")
        seed_invitees(app, event_id, invitees)
        with cluster(settings, workdir) as started:
            began = time.perf_counter()
            statuses = rush(started.ports, slug, registrations, threads=20)
            rush_seconds = time.perf_counter() - began
            counts = registration_counts(app, event_id)
            began = time.perf_counter()
            mailing_status = send_mailing(started.ports[0], email, event_id, invitees)
            delivered = wait_until(lambda: sum(
                1 for address in received if address.startswith("invitee")) >= invitees,
                timeout=600)
            mail_seconds = time.perf_counter() - began
            time.sleep(3)  # duplicates, if any, would arrive now
            invitee_counts = [number for address, number in received.items()
                              if address.startswith("invitee")]
            enqueue_periodic_twice(app)
            wait_until(lambda: periodic_runs(started)[1] >= 1, timeout=30)
            slots, skips = periodic_runs(started)
            runs = max(Counter(slots).values())
            limits = resend_statuses(started.ports, slug, RESEND_LIMIT + 4)
        with app.app_context():
            from seminar_app.extensions import db
            db.engine.dispose()
    flush_redis()
    confirmed, total = counts.get("confirmed", 0), sum(counts.values())
    posted = sum(1 for status in statuses if status == 303)
    lines = [
        "- two gunicorn processes (-w 1, sync) on two ports, two `flask worker` processes "
        "(2 threads each), one PostgreSQL, one Redis (queue and rate-limit counters), an "
        "aiosmtpd sink; every browser GETs the form from one web process and POSTs it to the "
        "other",
        f"- registration rush: {registrations} registrations by 20 browsers in "
        f"{rush_seconds:.1f} s: {posted} answered 303, {total} stored ({registrations - total} "
        f"lost), **{confirmed} confirmed for {capacity} places** "
        f"({'never overbooked' if confirmed <= capacity else 'OVERBOOKED'}), "
        f"{counts.get('waitlisted', 0)} on the waiting list",
        f"- mailing of {invitees} invitations while both workers run: request HTTP "
        f"{mailing_status}; {len(invitee_counts)} invitees received it in {mail_seconds:.1f} s; "
        f"**{sum(1 for n in invitee_counts if n > 1)} received it twice** "
        f"({'all delivered' if delivered else 'NOT all delivered'})",
        f"- a periodic task enqueued by both workers' schedulers in one minute: ran at most "
        f"**{runs}** time(s) per minute ({len(slots)} minute(s) seen, skipped {skips} time(s))",
        f"- rate limit of {RESEND_LIMIT} per minute on \"lost your link?\", requests "
        f"alternating between the web processes: statuses {limits} (shared counters: the "
        f"{RESEND_LIMIT + 1}th request is refused whichever process gets it)",
    ]
    common.write_section("Several machines (postgresql + redis)", lines)
    return {"counts": counts, "invitee_counts": invitee_counts, "runs": runs, "skips": skips,
            "limits": limits}
