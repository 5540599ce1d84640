"""Page latency with many registrations: the public event page and the participant list.

An event gets N registrations inserted directly (fast, in chunks); gunicorn serves the app and
one client measures p95 of both pages. In-process, SQL statements per page are counted for an
event with 50 and one with N registrations: the count must not grow with the registrations.
"""

import logging
import time
from datetime import timedelta

from sqlalchemy import event as sa_event

from bench import common

log = logging.getLogger(__name__)
CHUNK = 1000
#: the page-latency target every page benchmark reports against
TARGET_P95_MS = 100


def seed_registrations(app, event_id: int, count: int) -> None:
    """Store ``count`` confirmed registrations of the event directly, in chunks."""
    from seminar_app.extensions import db
    from seminar_app.models import (
        DelegationRole,
        Honorific,
        Registration,
        RegistrationStatus,
        utcnow,
    )

    now = utcnow()
    with app.app_context():
        for start in range(0, count, CHUNK):
            rows = [Registration(
                event_id=event_id, reference=f"E{event_id:03d}-{number:06d}",
                status=RegistrationStatus.CONFIRMED, honorific=Honorific.MS,
                given_name="Delegate", family_name=f"Family {number}",
                email=f"p{number}@example.org", country=("ID", "MY", "TH", "VN")[number % 4],
                organisation="Ministry of Foreign Affairs",
                delegation_role=DelegationRole.DELEGATE, consent_at=now,
                badge_code=f"B{event_id:03d}X{number:08d}", confirmed_at=now,
                created_at=now + timedelta(seconds=number),
            ) for number in range(start, min(count, start + CHUNK))]
            db.session.add_all(rows)
            db.session.commit()


def _pages(event_id: int, slug: str) -> dict[str, str]:
    return {"public event page": f"/events/{slug}",
            "participant list": f"/manage/events/{event_id}/registrations"}


def measure_latency(port: int, email: str, pages: dict[str, str], requests: int) -> dict:
    """p50/p95 (ms) of ``requests`` sequential GETs of each page by one logged-in client."""
    client = common.Client(port)
    client.login(email)
    results = {}
    for name, path in pages.items():
        latencies, errors = [], 0
        for _ in range(requests):
            started = time.perf_counter()
            status, _ = client.request("GET", path)
            latencies.append(time.perf_counter() - started)
            errors += status != 200
        results[name] = {"p50": common.percentile(latencies, 0.5) * 1000,
                         "p95": common.percentile(latencies, 0.95) * 1000, "errors": errors}
    client.close()
    return results


def count_queries(app, email: str, pages: dict[str, str]) -> dict[str, int]:
    """SQL statements run by one GET of each page, in-process (Flask test client)."""
    from seminar_app.extensions import db

    statements: list[str] = []

    def listener(_conn, _cursor, statement, *_args):
        statements.append(statement)

    client = app.test_client()
    with app.app_context():
        engine = db.engine
    login = client.get("/manage/login").get_data(as_text=True)
    token = common.CSRF_PATTERN.search(login).group(1)
    client.post("/manage/login", data={"csrf_token": token, "email": email,
                                       "password": common.PASSWORD})
    counts = {}
    for name, path in pages.items():
        client.get(path)  # warm caches once, as a running server would be
        sa_event.listen(engine, "before_cursor_execute", listener)
        statements.clear()
        status = client.get(path).status_code
        sa_event.remove(engine, "before_cursor_execute", listener)
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status}")
        counts[name] = len(statements)
    return counts


def run(kind: str, *, registrations: int = 5000, requests: int = 200) -> dict:
    """Run the page benchmark on database ``kind`` and write its section of RESULTS.md."""
    with common.workdir() as workdir:
        url = common.database_url(kind, workdir)
        app = common.make_app(url)
        common.reset_schema(app)
        email, small_id, small_slug = common.create_organizer_and_event(
            app, capacity=100, slug="small")
        _email, big_id, big_slug = common.create_organizer_and_event(
            app, capacity=registrations * 2, slug="big")
        seed_registrations(app, small_id, 50)
        seed_registrations(app, big_id, registrations)
        with app.app_context():
            from seminar_app.extensions import db
            from seminar_app.models import Event
            db.session.get(Event, big_id).owner_id = db.session.get(Event, small_id).owner_id
            db.session.commit()
        small_pages, big_pages = _pages(small_id, small_slug), _pages(big_id, big_slug)
        queries = {50: count_queries(app, email, small_pages),
                   registrations: count_queries(app, email, big_pages)}
        with common.gunicorn(url, workdir) as (port, process):
            latency = measure_latency(port, email, big_pages, requests)
            rss = common.worker_rss_mib(process.pid)
        with app.app_context():
            db.engine.dispose()
    return _report(kind, registrations, requests, latency, queries, rss)


def verdict(numbers: dict) -> str:
    """The " - target p95 < 100 ms: met" (or NOT met) that ends a page's line."""
    met = numbers["p95"] < TARGET_P95_MS and not numbers["errors"]
    return f" - target p95 < {TARGET_P95_MS} ms: {'met' if met else 'NOT met'}"


def _report(kind, registrations, requests, latency, queries, rss) -> dict:
    lines = [f"- database: {kind}; gunicorn -w 2 --threads 4; one logged-in client, "
             f"{requests} sequential GETs per page; event with {registrations} registrations"]
    for name, numbers in latency.items():
        lines.append(f"- {name}: p50 {numbers['p50']:.0f} ms, p95 **{numbers['p95']:.0f} ms**"
                     f" ({numbers['errors']} errors){verdict(numbers)}")
    small, big = sorted(queries)
    for name in queries[small]:
        grows = "does not grow" if queries[big][name] <= queries[small][name] else "GROWS"
        lines.append(f"- SQL queries, {name}: {queries[small][name]} with {small} "
                     f"registrations, {queries[big][name]} with {big} ({grows})")
    lines.append(f"- worker RSS after the run (MiB): {', '.join(f'{s:.0f}' for s in rss)}")
    common.write_section(f"Page latency ({kind})", lines)
    return {"latency": latency, "queries": queries}
