"""gunicorn's settings for seminar_app in production (gunicorn reads this file from the
directory it starts in; options on the command line win over it).

    .venv/bin/gunicorn 'seminar_app:create_app()'

Every value can be changed through the environment, so one file serves every machine:

- GUNICORN_BIND (default 127.0.0.1:8000): behind the reverse proxy on the same machine.
- WEB_CONCURRENCY (default 2 x CPU cores + 1): sync worker processes. A request holds its
  worker until it is answered, so the workers are how many requests one machine serves at
  once; PostgreSQL must accept (machines x workers x threads) + workers' pools connections.
- GUNICORN_THREADS (default 1): more than 1 runs threaded workers (gthread), which helps when
  requests wait on the network (SMTP is never in a request: the worker process sends mail).
- GUNICORN_TIMEOUT (default 30 s): a worker silent for longer is killed and replaced; no page
  of the app needs more (large documents are built by the background worker).
- GUNICORN_GRACEFUL_TIMEOUT (default 30 s): on a restart (SIGHUP, a deploy) or a stop
  (SIGTERM) workers finish the requests they hold for up to this long; nothing accepted is lost.
- GUNICORN_MAX_REQUESTS (default 2000, with a random jitter up to 10%): each worker is
  replaced after this many requests, which keeps memory flat; 0 turns it off.
- FORWARDED_ALLOW_IPS (default 127.0.0.1): the proxies trusted for X-Forwarded-* headers.
- GUNICORN_ACCESS_LOG: a path, or "-" for standard output; no access log by default (the
  proxy keeps one).
"""

import multiprocessing
import os


def _number(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = _number("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
threads = _number("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _number("GUNICORN_TIMEOUT", 30)
graceful_timeout = _number("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
max_requests = _number("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
# the workers' heartbeat files in memory, not on a disk that may stall under load
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - gunicorn docs
# every worker builds its own app: database pools and the queue's connections are never
# shared across a fork
preload_app = False


def post_worker_init(worker) -> None:
    """Once the worker has built its app, move everything it holds so far (the app, the
    libraries, SQLAlchemy's mappings) out of the garbage collector's sight: a full collection
    then walks only what requests create, instead of pausing a large page for tens of
    milliseconds (measured in bench/RESULTS.md, "Travel pages")."""
    import gc

    gc.collect()
    gc.freeze()
