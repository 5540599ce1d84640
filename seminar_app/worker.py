"""``flask worker`` and ``flask serve``.

``flask --app seminar_app worker [--workers N]`` runs the Huey consumer in the main thread
(thread workers, periodic tasks on): it sends the outbox and runs the sweeper every minute.

``flask --app seminar_app serve [--host H] [--port P] [--threads T] [--no-worker]`` starts
one worker as a child process (``python -m flask --app seminar_app worker``) and serves the
app with waitress in this process; on exit (Ctrl+C, SIGTERM) it stops the child too. This is
what ``make run`` calls. In production run gunicorn and ``flask worker`` separately instead.
"""

import logging
import os
import signal
import subprocess
import sys
import threading

import click
from flask import current_app

log = logging.getLogger(__name__)

#: seconds a stopping worker gets to finish the message it is sending
WORKER_STOP_TIMEOUT = 30


def _log_to_stderr() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s [%(name)s] %(message)s")


@click.command("worker")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker threads (default: WORKER_THREADS, 2).")
def worker_command(workers):
    """Run the background worker: sends queued emails, retries, sweeps (Ctrl+C stops)."""
    _log_to_stderr()
    app = current_app._get_current_object()
    huey = app.extensions["huey"]
    if huey.immediate:
        raise click.UsageError("TASK_QUEUE_IMMEDIATE is on: tasks run in the web process.")
    consumer = huey.create_consumer(
        workers=workers or int(app.config.get("WORKER_THREADS") or 2),
        periodic=True, worker_type="thread", max_delay=2.0,
        shutdown_timeout=WORKER_STOP_TIMEOUT,
    )
    log.info("worker started (%s)", type(huey).__name__)
    consumer.run()


def _default_port() -> int:
    return int(os.environ.get("PORT") or 5000)


def _start_worker() -> subprocess.Popen:
    command = [sys.executable, "-m", "flask", "--app", "seminar_app", "worker"]
    # A session of its own: Ctrl+C reaches only us, and we stop the worker gracefully once.
    child = subprocess.Popen(command, start_new_session=True)  # noqa: S603 - our own module
    log.info("started the worker (pid %d)", child.pid)
    threading.Thread(target=_watch_worker, args=(child,), daemon=True).start()
    return child


def _watch_worker(child: subprocess.Popen) -> None:
    code = child.wait()
    if code not in (0, -signal.SIGINT, -signal.SIGTERM):
        log.error("the worker (pid %d) stopped with code %s: emails wait until it runs again",
                  child.pid, code)


def _stop_worker(child: subprocess.Popen | None) -> None:
    """Ask the worker to finish gracefully (SIGINT), then insist."""
    if child is None or child.poll() is not None:
        return
    child.send_signal(signal.SIGINT)
    try:
        child.wait(timeout=WORKER_STOP_TIMEOUT + 5)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    log.info("the worker stopped")


def _remember_served_url(app, host: str, port: int) -> None:
    """Links in emails follow the served address when BASE_URL is unset (the worker too)."""
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104 - a comparison
    if ":" in shown:
        shown = f"[{shown}]"
    url = f"http://{shown}:{port}"
    app.config["SERVED_URL"] = url
    os.environ["SEMINAR_SERVED_URL"] = url  # inherited by the worker started below


def _exit_on_sigterm(signum, frame):
    raise SystemExit(0)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=_default_port, help="Port (default: $PORT or 5000).")
@click.option("--threads", type=click.IntRange(min=1), default=8, show_default=True,
              help="Waitress request threads.")
@click.option("--no-worker", is_flag=True, help="Do not start a background worker.")
def serve_command(host, port, threads, no_worker):
    """Serve the app with waitress, together with a background worker."""
    from waitress import serve

    _log_to_stderr()
    app = current_app._get_current_object()
    _remember_served_url(app, host, port)
    start_worker = not no_worker and not app.extensions["huey"].immediate
    child = _start_worker() if start_worker else None
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        log.info("serving on http://%s:%d", host, port)
        serve(app, host=host, port=port, threads=threads)
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        _stop_worker(child)
