"""Big documents as background jobs, at 2,000 and 10,000 delegates.

For each size an event gets its confirmed delegates stored directly (names in four scripts, as
bench/checkin_list.py seeds them). Measured: the request that asks for the A4 badge sheets (it
only starts a job and redirects: it must stay far under 2 s), then the worker's build of that
job in a fresh process of its own (as a worker machine runs it): its time and the growth of its
peak RSS over what the process held before the build (``_peak_rss_mib``), and the size of the
file and its chunks. The post-event report PDF is measured the same way.

Run: ``python -m bench documents`` (``--db sqlite`` or ``postgresql``).
"""

import json
import logging
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench import checkin_list, common

log = logging.getLogger(__name__)
SIZES = (2000, 10000)
DOCUMENTS = (("badges (A4 sheets)", "badges.pdf?layout=a4&lang=en"),
             ("post-event report PDF", "dashboard/report.pdf?lang=en"))


def _app(url: str, workdir: Path):
    from config import DevelopmentConfig
    from seminar_app import create_app

    return create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=False,
                      SESSION_COOKIE_SECURE=False, MAIL_SERVER="",
                      TASK_QUEUE_PATH=str(workdir / "tasks.sqlite3"))


def _rss_mib() -> float:
    """This process's resident memory now (Linux /proc), in MiB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / (1024 * 1024)


def _reset_peak_rss() -> None:
    """Make the peak RSS (VmHWM) this process's RSS now, so the peak read after the build is
    the build's own (Linux 4.0+; where /proc/self/clear_refs is not writable the peak since
    the process started is read instead)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        log.warning("cannot reset the peak RSS: it includes the process's start")


def _peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM), in MiB.

    Not ``resource.getrusage(RUSAGE_SELF).ru_maxrss``: Linux carries over into it the peak of
    the process that started this one (subprocess execs from the benchmark's own process,
    which seeded the delegates and holds the app), so it was at least the benchmark's peak:
    the +48 MiB once shown for 2,000 badges (and for the report) was mostly the benchmark's
    memory, not the build's (about +22 MiB then)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


def worker_main(url: str, workdir: str, job_id: int) -> None:
    """In a fresh process: build job ``job_id`` as the worker does; print the figures as JSON."""
    from seminar_app.extensions import db
    from seminar_app.models import DocumentJob
    from seminar_app.services.documents import document_jobs
    from seminar_app.services.documents.pdf_fonts import register_fonts

    app = _app(url, Path(workdir))
    with app.app_context():
        db.session.execute(db.text("select 1"))  # connect before measuring
        db.session.commit()
        register_fonts()  # loaded once per worker process, not per document
        before = _rss_mib()
        _reset_peak_rss()
        started = time.perf_counter()
        done = document_jobs.build_document_job(job_id)
        seconds = time.perf_counter() - started
        peak = _peak_rss_mib()
        job = db.session.get(DocumentJob, job_id)
        chunks = db.session.scalar(db.select(db.func.count()).select_from(
            db.metadata.tables["document_chunks"]).where(
            db.metadata.tables["document_chunks"].c.job_id == job_id))
        print(json.dumps({"done": done, "seconds": seconds, "rss_growth": peak - before,
                          "size": job.size, "chunks": chunks, "error": job.error}))


def _login(client, email: str) -> None:
    page = client.get("/manage/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/manage/login", data={"csrf_token": token, "email": email,
                                                "password": common.PASSWORD})
    assert answer.status_code == 302, answer.status_code


def _measure(app, url: str, workdir: Path, email: str, event_id: int) -> dict:
    from seminar_app.extensions import db

    results = {}
    with app.test_client() as client:
        _login(client, email)
        for name, path in DOCUMENTS:
            started = time.perf_counter()
            response = client.get(f"/manage/events/{event_id}/{path}")
            request_ms = (time.perf_counter() - started) * 1000
            assert response.status_code == 303, (path, response.status_code)
            job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
            with app.app_context():
                db.engine.dispose()  # the worker process writes next: no connection held here
            output = subprocess.run(  # noqa: S603
                [sys.executable, "-m", "bench.documents", "worker", url, str(workdir),
                 str(job_id)], capture_output=True, text=True, check=True, cwd=common.ROOT)
            figures = json.loads(output.stdout.strip().splitlines()[-1])
            assert figures["done"], figures
            figures["request_ms"] = request_ms
            results[name] = figures
    return results


def run(kind: str) -> dict:
    """Run the documents benchmark on ``kind`` and write its section of RESULTS.md."""
    results = {}
    with common.workdir() as workdir:
        url = common.database_url(kind, workdir)
        app = _app(url, workdir)
        common.reset_schema(app)
        for size in SIZES:
            email, event_id, _slug = common.create_organizer_and_event(
                app, capacity=size * 2, slug=f"docs{size}")
            checkin_list.seed(app, event_id, size)
            results[size] = _measure(app, url, workdir, email, event_id)
        with app.app_context():
            from seminar_app.extensions import db
            db.engine.dispose()
    lines = [f"- database: {kind}; the request runs in-process (test client, organizer's "
             "session); the worker's build runs in a fresh process (fonts loaded), its memory is "
             "the growth of its peak RSS during the build (VmHWM, reset just before it); "
             "DOCUMENT_JOB_THRESHOLD 300; before this change these documents were built in the "
             "request (badges 4.4 s / 21.7 s, report 1.6 s / 7.4 s at 2,000 / 10,000 delegates)"]
    for size, documents in results.items():
        for name, figures in documents.items():
            held = "met" if figures["request_ms"] < 2000 else "NOT met"
            lines.append(
                f"- {size:,} delegates, {name}: request **{figures['request_ms']:.0f} ms** "
                f"(starts the job; under 2 s: {held}); worker build "
                f"**{figures['seconds']:.1f} s**, peak RSS +{figures['rss_growth']:.0f} MiB; "
                f"file {figures['size'] / (1024 * 1024):.1f} MB in {figures['chunks']} "
                "chunk(s)")
    common.write_section(f"Documents as background jobs ({kind})", lines)
    return results


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "worker":
        logging.basicConfig(level=logging.WARNING)
        worker_main(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        print("usage: python -m bench documents", file=sys.stderr)
        sys.exit(2)
