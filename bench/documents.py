"""Big documents as background jobs, at 2,000 and 10,000 delegates.

For each size an event gets its confirmed delegates stored directly (names in four scripts, as
bench/checkin_list.py seeds them) and their travel (bench/travel_pages.py). Measured for each
document of ``DOCUMENTS`` (badges, report PDF and XLSX, participant XLSX, rooming list XLSX,
arrivals board PDF): the request that asks for it (it only starts a job and redirects: it must
stay far under 2 s), then the worker's build of that job in a fresh process of its own (as a
worker machine runs it): its time and the growth of its peak RSS over what the process held
before the build (``_peak_rss_mib``), and the size of the file and its chunks. The pages still
served in the request (``PAGES``) are timed once warm. Each line says what the same document
cost in the request before it became a job.

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

from bench import checkin_list, common, travel_pages

log = logging.getLogger(__name__)
SIZES = (2000, 10000)
#: (name, method, path under /manage/events/<id>/, what it cost in the request before it
#: became a job: seconds at 2,000 / 10,000 delegates, or None for a document new since)
DOCUMENTS = (
    ("badges (A4 sheets)", "GET", "badges.pdf?layout=a4&lang=en", (4.4, 21.7)),
    ("badges (one per page)", "GET", "badges.pdf?layout=single&lang=en", (4.7, 23.1)),
    ("post-event report PDF", "GET", "dashboard/report.pdf?lang=en", (1.6, 7.4)),
    ("post-event report XLSX", "GET", "dashboard/report.xlsx?lang=en", (0.2, 1.0)),
    ("participant list XLSX", "GET", "export.xlsx?lang=en", (0.4, 2.1)),
    ("rooming list XLSX", "POST", "travel/rooming.xlsx", None),
    ("arrivals board PDF (all days)", "GET", "travel/arrivals.pdf", None),
)
#: pages served in the request at every size: (name, path, seconds before at 2,000 / 10,000)
PAGES = (("documents page (visa letters, paginated)", "documents", (0.06, 0.27)),)


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


def _csrf(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _measure_pages(app, email: str, event_id: int) -> dict:
    """Time (ms) and size (KB) of the pages still served in the request."""
    results = {}
    with app.test_client() as client:
        _login(client, email)
        for name, path, _before in PAGES:
            client.get(f"/manage/events/{event_id}/{path}")  # warm
            started = time.perf_counter()
            response = client.get(f"/manage/events/{event_id}/{path}")
            results[name] = {"request_ms": (time.perf_counter() - started) * 1000,
                             "kb": len(response.data) / 1024}
            assert response.status_code == 200, (path, response.status_code)
    return results


def _measure(app, url: str, workdir: Path, email: str, event_id: int) -> dict:
    from seminar_app.extensions import db

    results = {}
    with app.test_client() as client:
        _login(client, email)
        for name, method, path, _before in DOCUMENTS:
            form = ({"csrf_token": _csrf(client, f"/manage/events/{event_id}/travel/rooming")}
                    if method == "POST" else None)
            started = time.perf_counter()
            response = client.open(f"/manage/events/{event_id}/{path}", method=method,
                                   data=form)
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
            travel_pages.seed_travel(app, event_id)
            results[size] = {**_measure(app, url, workdir, email, event_id),
                             **_measure_pages(app, email, event_id)}
        with app.app_context():
            from seminar_app.extensions import db
            db.engine.dispose()
    lines = [f"- database: {kind}; the request runs in-process (test client, organizer's "
             "session); the worker's build runs in a fresh process (fonts loaded), its memory is "
             "the growth of its peak RSS during the build (VmHWM, reset just before it); "
             "DOCUMENT_JOB_THRESHOLD 300; every delegate with travel (half in two hotels); "
             "\"before\": the same document built in the request, as it was before it became a "
             "job (issue 19's measurement)"]
    before = {name: seconds for name, *_rest, seconds in DOCUMENTS + PAGES}
    held_longest = 0.0
    for size, documents in results.items():
        index = SIZES.index(size)
        for name, figures in documents.items():
            held_longest = max(held_longest, figures["request_ms"])
            was = (f"before {before[name][index]:.2f} s in the request; " if before[name]
                   else "")
            if "seconds" not in figures:  # a page served in the request
                lines.append(f"- {size:,} delegates, {name}: {was}now **"
                             f"{figures['request_ms']:.0f} ms**, {figures['kb']:.0f} KB")
                continue
            lines.append(
                f"- {size:,} delegates, {name}: {was}request now **"
                f"{figures['request_ms']:.0f} ms** (starts the job); worker build "
                f"**{figures['seconds']:.1f} s**, peak RSS +{figures['rss_growth']:.0f} MiB; "
                f"file {figures['size'] / (1024 * 1024):.1f} MB in {figures['chunks']} "
                "chunk(s)")
    verdict = "met" if held_longest < 2000 else "NOT met"
    lines.append(f"- longest request of the measured set: {held_longest:.0f} ms (no request "
                 f"holds a web worker for more than 2 s: {verdict}); badge build at 10,000 "
                 "within +60 MiB: "
                 + ("met" if results[SIZES[-1]]["badges (A4 sheets)"]["rss_growth"] <= 60
                    else "NOT met"))
    common.write_section(f"Documents as background jobs ({kind})", lines)
    return results


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "worker":
        logging.basicConfig(level=logging.WARNING)
        worker_main(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        print("usage: python -m bench documents", file=sys.stderr)
        sys.exit(2)
