"""What the benchmarks share: fresh databases, a gunicorn server, HTTP clients, RESULTS.md."""

import http.client
import logging
import os
import platform
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
PG_SERVER = "postgresql+psycopg://root@127.0.0.1:5432"
#: BENCH_PG_DATABASE: another database, so that two benchmarks can run side by side
PG_DATABASE = os.environ.get("BENCH_PG_DATABASE", "bench")
#: a Redis database of its own for the benchmarks' queue (emptied after each run)
REDIS_QUEUE = "redis://127.0.0.1:6379/14"
PASSWORD = "bench-password-2026-long"  # noqa: S105 - a throw-away benchmark account
CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --- databases -------------------------------------------------------------------------------

def database_url(kind: str, workdir: Path) -> str:
    """A fresh, empty database of ``kind`` ("sqlite" or "postgresql") and its URL."""
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}"
    _ensure_pg_database()
    return f"{PG_SERVER}/{PG_DATABASE}"


def _ensure_pg_database() -> None:
    exists = subprocess.run(  # noqa: S603
        ["psql", "-h", "127.0.0.1", "-d", "test", "-tAc",  # noqa: S607
         f"select 1 from pg_database where datname = '{PG_DATABASE}'"],
        capture_output=True, text=True, check=True).stdout.strip()
    if exists != "1":
        subprocess.run(["psql", "-h", "127.0.0.1", "-d", "test", "-c",  # noqa: S603, S607
                        f"create database {PG_DATABASE}"], check=True, capture_output=True)


def make_app(url: str):
    """The app bound to ``url`` (in this process), for set-up and counting queries."""
    from config import DevelopmentConfig
    from seminar_app import create_app

    return create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=False,
                      SESSION_COOKIE_SECURE=False, MAIL_SERVER="")


def reset_schema(app) -> None:
    """Drop every table of the app's database and create the current schema."""
    from sqlalchemy import text

    from seminar_app.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("drop schema public cascade"))
                connection.execute(text("create schema public"))
        else:
            db.drop_all()
        db.create_all()


def create_organizer_and_event(app, *, capacity: int, slug: str):
    """An organizer account and a published public event; returns (email, event id, slug)."""
    from seminar_app.models import UserRole
    from seminar_app.services.accounts import users
    from seminar_app.services.events import events

    email = f"organizer-{slug}@example.org"
    start = (datetime.now(UTC) + timedelta(days=30)).replace(tzinfo=None, microsecond=0)
    data = {
        "title": f"Benchmark seminar {slug}", "slug": slug, "event_type": "seminar",
        "description": "A **benchmark**.", "timezone": "Asia/Jakarta", "start_at": start,
        "end_at": start + timedelta(hours=8), "venue_name": "Gedung Pancasila",
        "venue_city": "Jakarta", "venue_country": "ID", "languages": "en,id",
        "capacity": capacity, "visibility": "public",
        "registration_opens_at": start - timedelta(days=40),
    }
    with app.app_context():
        owner = users.find_user_by_email(email) or users.create_user(
            email=email, name="Bench Organizer", password=PASSWORD, role=UserRole.ORGANIZER)
        event = events.create_event(owner=owner, data=data)
        events.publish_event(event)
        return email, event.id, event.slug


# --- gunicorn --------------------------------------------------------------------------------

def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def queue_url(kind: str) -> str:
    """The task queue a production of ``kind`` would use: the SQLite file next to an SQLite
    database; with PostgreSQL a shared queue, Redis when it answers (the README's production
    example), else PostgreSQL itself."""
    if kind == "sqlite":
        return ""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return REDIS_QUEUE
    except OSError:
        return f"{PG_SERVER}/{PG_DATABASE}"


def clear_queue(url: str) -> None:
    """Drop what a benchmark left in a Redis queue (no worker consumed it)."""
    if url.startswith("redis://"):
        import redis

        redis.Redis.from_url(url).flushdb()


def app_environment(url: str, workdir: Path, *, queue: str = "", base_url: str) -> dict:
    """The environment of one process of a benchmark's installation (web or worker); the
    processes of one installation must share SECRET_KEY and DATA_KEYS (``env_overrides``)."""
    return dict(os.environ, DATABASE_URL=url, SECRET_KEY=secrets.token_hex(24),
                DATA_KEYS="bench:" + secrets.token_urlsafe(32),
                RATELIMIT_ENABLED="false", INSTANCE_PATH=str(workdir), APP_ENV="production",
                SESSION_COOKIE_SECURE="false", MAIL_SERVER="", TASK_QUEUE_URL=queue,
                BASE_URL=base_url, REQUIRE_TWO_FACTOR="false")


@contextmanager
def gunicorn(url: str, workdir: Path, *, workers: int = 2, threads: int = 4,
             extra: tuple = (), queue: str = "", env_overrides: dict | None = None,
             log_name: str = ""):
    """Run the app under gunicorn against ``url``; yields (port, master process).
    ``extra``: more command-line options (BENCH_GUNICORN_OPTIONS adds its own too);
    ``env_overrides``:
    settings over the defaults below (several processes of one installation share their
    SECRET_KEY and DATA_KEYS)."""
    port = free_port()
    env = app_environment(url, workdir, queue=queue, base_url=f"http://127.0.0.1:{port}")
    env.update(env_overrides or {})
    # --max-requests 0: gunicorn.conf.py replaces a worker after 2,000 requests; one replaced
    # mid-run would pause requests and take its CPU count with it
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", str(workers), "--threads",
               str(threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
               "--max-requests", "0", *extra,
               *os.environ.get("BENCH_GUNICORN_OPTIONS", "").split(), "seminar_app:create_app()"]
    with open(workdir / (log_name or "gunicorn.log"), "ab") as logfile:
        process = subprocess.Popen(command, cwd=ROOT, env=env,  # noqa: S603
                                   stdout=logfile, stderr=logfile)
    try:
        _wait_healthy(port, process)
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def queue_worker(env: dict, workdir: Path, *, log_name: str = "worker.log"):
    """Run ``flask worker`` (the Huey consumer) with ``env``; yields its process. Stopped
    gracefully (SIGINT) at the end."""
    command = [str(ROOT / ".venv" / "bin" / "python"), "-m", "flask", "--app", "seminar_app",
               "worker"]
    with open(workdir / log_name, "ab") as logfile:
        process = subprocess.Popen(command, cwd=ROOT, env=env,  # noqa: S603
                                   stdout=logfile, stderr=logfile)
    try:
        yield process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _count_messages(port, counter, ready):  # runs in a child process
    import asyncio

    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            with counter.get_lock():
                counter.value += len(envelope.rcpt_tos)
            return "250 Message accepted"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    asyncio.run(asyncio.sleep(10**6))


@contextmanager
def smtp_sink():
    """An aiosmtpd server in its own process that only counts what it receives; yields
    (port, counter) where ``counter.value`` is the number of recipients so far."""
    import multiprocessing

    port = free_port()
    counter, ready = multiprocessing.Value("i", 0), multiprocessing.Event()
    sink = multiprocessing.Process(target=_count_messages, args=(port, counter, ready),
                                   daemon=True)
    sink.start()
    if not ready.wait(30):
        sink.kill()
        raise RuntimeError("the SMTP sink did not start")
    try:
        yield port, counter
    finally:
        sink.kill()


def _wait_healthy(port: int, process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited; see gunicorn.log in the work directory")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def _children(master_pid: int) -> list[str]:
    return Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()


class CpuMeter:
    """CPU seconds spent between ``start()`` and ``stop()``: by gunicorn's workers, by this
    process (the load generator) and by the whole machine (the rest: the database, the
    kernel)."""

    def __init__(self, master_pid: int):
        self.master_pid = master_pid
        self.used: dict[str, float] = {}

    def _sample(self) -> dict[str, float]:
        tick = os.sysconf("SC_CLK_TCK")
        workers = 0.0
        for pid in _children(self.master_pid):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            workers += (int(fields[11]) + int(fields[12])) / tick
        cpu = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        busy = (sum(cpu) - cpu[3] - cpu[4]) / tick  # all but idle and iowait
        return {"workers": workers, "load generator": time.process_time(), "machine": busy}

    def start(self) -> None:
        self._start = self._sample()

    def stop(self) -> None:
        end = self._sample()
        self.used = {key: end[key] - self._start[key] for key in end}
        # never below 0: the machine's counters and the processes' tick at different moments
        self.used["other (database, kernel)"] = max(
            0.0, self.used["machine"] - self.used["workers"] - self.used["load generator"])


def worker_rss_mib(master_pid: int) -> list[float]:
    """VmRSS of each gunicorn worker (children of the master), in MiB."""
    sizes = []
    for pid in _children(master_pid):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


# --- HTTP ------------------------------------------------------------------------------------

class Client:
    """One browser: a keep-alive connection and its own cookie jar."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection = None

    def request(self, method: str, path: str, form: dict | None = None):
        """Send a request; returns (status, body text). Reconnects once if the server closed."""
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                return self._send(method, path, form)
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _send(self, method: str, path: str, form: dict | None):
        headers = {"Connection": "keep-alive"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        reply = self.connection.getresponse()
        text = reply.read().decode("utf-8", "replace")
        for cookie in reply.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if reply.getheader("Connection", "").lower() == "close":
            self.connection.close()
            self.connection = None
        return reply.status, text

    def csrf_token(self, path: str) -> str:
        """GET ``path`` and return the CSRF token of its form."""
        status, text = self.request("GET", path)
        match = CSRF_PATTERN.search(text)
        if status != 200 or match is None:
            raise RuntimeError(f"no form at {path} (HTTP {status})")
        return match.group(1)

    def login(self, email: str, password: str = PASSWORD) -> None:
        """Log in through the staff login form."""
        token = self.csrf_token("/manage/login")
        status, _ = self.request("POST", "/manage/login",
                                 {"csrf_token": token, "email": email, "password": password})
        if status != 302:
            raise RuntimeError(f"login failed (HTTP {status})")

    def close(self) -> None:
        """Close the connection."""
        if self.connection is not None:
            self.connection.close()


# --- numbers and RESULTS.md ------------------------------------------------------------------

def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` percentile (nearest rank) of ``values``; 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def machine() -> str:
    """This machine in one line: CPUs, Python, OS."""
    return (f"{os.cpu_count()} CPUs (nproc), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def write_section(title: str, lines: list[str]) -> None:
    """Replace (or append) the ``## title`` section of RESULTS.md with ``lines``."""
    text = RESULTS.read_text() if RESULTS.exists() else (
        "# Benchmark results\n\nWritten by `make bench` (python -m bench); "
        "each section is overwritten by the next run of its benchmark.\n")
    parts = re.split(r"(?m)^(?=## )", text)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = "\n".join([f"## {title}", "", f"- date: {stamp}", f"- machine: {machine()}",
                         *lines]) + "\n\n"
    kept = [part for part in parts if not part.startswith(f"## {title}\n")]
    for index, part in enumerate(parts):
        if part.startswith(f"## {title}\n"):
            kept.insert(index, section)
            break
    else:
        kept.append(section)
    RESULTS.write_text("".join(part.rstrip("\n") + "\n\n" for part in kept).rstrip("\n") + "\n")
    print(section, file=sys.stderr)


@contextmanager
def workdir():
    """A temporary directory for one benchmark run (database file, queue, logs)."""
    with tempfile.TemporaryDirectory(prefix="seminar-bench-") as path:
        yield Path(path)
