"""Travel pages at scale (issue 17): the arrivals board (as it opens, on one day, and every
day at once), the departures board, the rooming list (one hotel as it opens, every hotel) of an
event with 2,000 delegates who all gave their travel; the requests for the whole documents
(rooming list XLSX, every day of the arrivals board as PDF), which from DOCUMENT_JOB_THRESHOLD
travellers on only start a job, and the worker's build of those jobs (in-process).

The event gets N confirmed registrations (bench.page_latency.seed_registrations), delegations
of four with a head, one travel plan each (arrivals spread over three days, half of them in
one of two hotels, sharing rooms in pairs) inserted directly; gunicorn serves the app and one
logged-in client measures p50/p95 of each page. In-process, SQL statements per page are
counted for an event with 50 delegates and the one with N: the count must not grow.
"""

import logging
import time
from datetime import UTC, datetime, timedelta

from bench import common, page_latency

log = logging.getLogger(__name__)


def seed_travel(app, event_id: int) -> None:
    """Travel on, two hotels, delegations of four and a plan for every registration."""
    from seminar_app.extensions import db
    from seminar_app.models import (
        Delegation,
        Event,
        Hotel,
        Registration,
        TravelPlan,
        TravelSettings,
    )

    with app.app_context():
        event = db.session.get(Event, event_id)
        first_night = event.start_at.date() - timedelta(days=2)
        db.session.add(TravelSettings(event_id=event_id, mode="required"))
        hotels = [Hotel(event_id=event_id, name=name, address="Jakarta", block_size=300,
                        block_from=first_night, block_to=first_night + timedelta(days=5))
                  for name in ("Hotel Borobudur", "Hotel Indonesia")]
        db.session.add_all(hotels)
        people = list(db.session.scalars(db.select(Registration).where(
            Registration.event_id == event_id).order_by(Registration.id)))
        for start in range(0, len(people), 4):
            delegation = Delegation(event_id=event_id, name=f"Delegation {start}",
                                    country=people[start].country, organisation="MFA",
                                    head_registration_id=people[start].id)
            db.session.add(delegation)
            db.session.flush()
            for person in people[start:start + 4]:
                person.delegation_id = delegation.id
        landing = datetime.combine(first_night, datetime.min.time(), tzinfo=UTC)
        for number, person in enumerate(people):
            hotel = hotels[number % 4 // 2] if number % 2 == 0 else None
            db.session.add(TravelPlan(
                registration_id=person.id, event_id=event_id,
                arrival_at=landing + timedelta(minutes=(37 * number) % (3 * 24 * 60)),
                arrival_mode="flight", arrival_number=f"GA {number % 900}",
                arrival_place=("CGK", "DPS", "SUB")[number % 3], arrival_pickup=number % 3 == 0,
                departure_at=landing + timedelta(days=5, minutes=number),
                departure_mode="flight", departure_place="CGK",
                lodging="hotel" if hotel else "own", hotel_id=hotel.id if hotel else None,
                check_in=first_night if hotel else None,
                check_out=first_night + timedelta(days=4) if hotel else None,
                share_with_id=people[number - 4].id if hotel and number % 8 >= 4 else None))
        db.session.commit()


def _pages(event_id: int) -> dict[str, str]:
    base = f"/manage/events/{event_id}/travel"
    return {"arrivals board (one day, as it opens)": f"{base}/arrivals",
            "arrivals board (all days, ?day=all: offers the PDF)": f"{base}/arrivals?day=all",
            "departures board (one day)": f"{base}/departures",
            "rooming list (one hotel, as it opens)": f"{base}/rooming",
            "rooming list (all hotels, ?hotel=all)": f"{base}/rooming?hotel=all"}


def measure_documents(port: int, email: str, event_id: int, requests: int) -> dict:
    """p50/p95 (ms) of the requests for the whole travel documents: the rooming list XLSX (a
    POST with the page's CSRF token) and every day of the arrivals board as PDF. A 200 (built
    at once) or a 303 (to the page of the job that builds it) is a success."""
    client = common.Client(port)
    client.login(email)
    base = f"/manage/events/{event_id}/travel"
    token = client.csrf_token(f"{base}/rooming")
    asks = {"rooming list XLSX (request)": ("POST", f"{base}/rooming.xlsx", {"csrf_token": token}),
            "arrivals board PDF, all days (request)": ("GET", f"{base}/arrivals.pdf", None)}
    results = {}
    for name, (method, path, form) in asks.items():
        latencies, errors = [], 0
        for _ in range(requests):
            started = time.perf_counter()
            status, _ = client.request(method, path, form)
            latencies.append(time.perf_counter() - started)
            errors += status not in (200, 303)
        results[name] = {"p50": common.percentile(latencies, 0.5) * 1000,
                         "p95": common.percentile(latencies, 0.95) * 1000, "errors": errors}
    client.close()
    return results


def measure_builds(app, event_id: int) -> dict[str, float]:
    """Seconds the worker takes to build each whole travel document of the event (in-process,
    one job each, as ``build_document_job`` runs it)."""
    from seminar_app.extensions import db
    from seminar_app.models import DocumentKind, Event
    from seminar_app.services.documents import document_jobs
    from seminar_app.services.documents.pdf_fonts import register_fonts
    from seminar_app.services.travel import documents as travel_documents

    seconds = {}
    with app.app_context(), app.test_request_context():
        register_fonts()  # a worker loads them once, not per document
        event = db.session.get(Event, event_id)
        owner = event.owner
        for name, kind, params in (
                ("rooming list XLSX", DocumentKind.ROOMING_XLSX,
                 {"language": "en", "changed_since": None}),
                ("arrivals board PDF, all days", DocumentKind.ARRIVALS_PDF, {"language": "en"}),
                ("departures board PDF, all days", DocumentKind.DEPARTURES_PDF,
                 {"language": "en"})):
            job = document_jobs.start_document_job(
                event, kind, {**params, "bench": time.time()}, user=owner,
                total=travel_documents.size(event, kind))
            job_id = job.id
            started = time.perf_counter()
            assert document_jobs.build_document_job(job_id), name
            seconds[name] = time.perf_counter() - started
    return seconds


def run(kind: str, *, delegates: int = 2000, requests: int = 50, write: bool = True) -> dict:
    """Run the travel page benchmark on database ``kind``; with ``write``, its section of
    RESULTS.md is replaced."""
    with common.workdir() as workdir:
        url = common.database_url(kind, workdir)
        app = common.make_app(url)
        common.reset_schema(app)
        email, small_id, _slug = common.create_organizer_and_event(
            app, capacity=100, slug="travel-small")
        _email, big_id, _slug = common.create_organizer_and_event(
            app, capacity=delegates * 2, slug="travel-big")
        for event_id, count in ((small_id, 50), (big_id, delegates)):
            page_latency.seed_registrations(app, event_id, count)
            seed_travel(app, event_id)
        with app.app_context():  # one organizer owns both events
            from seminar_app.extensions import db
            from seminar_app.models import Event
            db.session.get(Event, big_id).owner_id = db.session.get(Event, small_id).owner_id
            db.session.commit()
        queries = {50: page_latency.count_queries(app, email, _pages(small_id)),
                   delegates: page_latency.count_queries(app, email, _pages(big_id))}
        with common.gunicorn(url, workdir) as (port, _process):
            latency = page_latency.measure_latency(port, email, _pages(big_id), requests)
            latency.update(measure_documents(port, email, big_id, max(requests // 5, 5)))
        builds = measure_builds(app, big_id)
        with app.app_context():
            db.engine.dispose()
    lines = [f"- database: {kind}; gunicorn -w 2 --threads 4; one logged-in client; event "
             f"with {delegates} delegates, all with travel (two hotels, delegations of four)"]
    for name, numbers in latency.items():
        lines.append(f"- {name}: p50 {numbers['p50']:.0f} ms, p95 **{numbers['p95']:.0f} ms**"
                     f" ({numbers['errors']} errors){page_latency.verdict(numbers)}")
    for name, seconds in builds.items():
        lines.append(f"- worker's build of the {name} job: {seconds * 1000:.0f} ms")
    for name in queries[50]:
        grows = "does not grow" if queries[delegates][name] <= queries[50][name] else "GROWS"
        lines.append(f"- SQL queries, {name}: {queries[50][name]} with 50 delegates, "
                     f"{queries[delegates][name]} with {delegates} ({grows})")
    if write:
        common.write_section(f"Travel pages ({kind})", lines)
    else:
        print("\n".join(lines))
    return {"latency": latency, "queries": queries, "builds": builds}
