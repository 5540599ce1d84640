"""``flask worker`` and ``flask serve``, run for real in child processes."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from seminar_app.worker import worker_command

ROOT = Path(__file__).resolve().parent.parent

CREATE_SCHEMA = (
    "from seminar_app import create_app; from seminar_app.extensions import db\n"
    "app = create_app()\n"
    "with app.app_context(): db.create_all()\n"
)
QUEUE_EMAIL = (
    "from seminar_app import create_app; from seminar_app.extensions import db\n"
    "from seminar_app.services.mail.compose import queue_email\n"
    "app = create_app()\n"
    "with app.app_context():\n"
    "    queue_email(template='test_message_to_staff', recipient='ann@example.org',\n"
    "                context={'user': {'name': 'Ann'}, 'outbox_url': 'http://x/'})\n"
    "    db.session.commit()\n"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(tmp_path, smtp_port) -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("FLASK_", "TEST_", "MAIL_", "TASK_"))}
    env.update({
        "APP_ENV": "development", "INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port), "MAIL_TIMEOUT": "5",
        "PYTHONPATH": str(ROOT),
    })
    return env


def _python(code: str, env: dict) -> None:
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, timeout=60)


def _wait_for_health(port: int, server: subprocess.Popen, timeout=30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "flask serve exited early"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail("flask serve did not answer /healthz in time")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.slow
def test_serve_runs_web_and_worker_and_stops_both(tmp_path, smtp_server):
    env = _environment(tmp_path, smtp_server.port)
    _python(CREATE_SCHEMA, env)
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "seminar_app", "serve", "--port", str(port),
         "--threads", "2"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_health(port, server)
        workers = _children(server.pid)
        assert len(workers) == 1, "serve should start exactly one worker"
        _python(QUEUE_EMAIL, env)  # enqueued on the SQLite queue; the worker sends it
        received = smtp_server.wait_for(1, timeout=30)[0]
        assert received["to"] == ["ann@example.org"]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        log.close()
    assert server.returncode == 0, (tmp_path / "serve.log").read_text()
    deadline = time.monotonic() + 10
    while _alive(workers[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(workers[0]), "the worker outlived flask serve"


def test_worker_refuses_immediate_mode(runner):
    result = runner.invoke(worker_command)
    assert result.exit_code != 0
    assert "TASK_QUEUE_IMMEDIATE" in result.output
