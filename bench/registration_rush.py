"""Registration rush: many browsers submit valid registrations at once through gunicorn.

Each client (bench.loadgen, one asyncio loop) has its own cookie jar and keep-alive connection;
per registration it starts as a new visitor (no cookies), GETs the form (for the CSRF token) and
POSTs it. The same clients then hit /healthz as often, so the
ratio shows how far registration is from the cheapest request of the same app in the same run.

No queue worker runs during the rush: the confirmation emails wait in the queue, as they would
behind a busy or stopped worker. Once the web server has stopped, one ``flask worker`` (the
Huey consumer, as in production) is started against an aiosmtpd sink in its own process, and
its catch-up is measured: the time until every confirmation email has reached the sink, and
the worker's CPU per email (which now includes rendering it: services.notifications).

Then the same rush runs "all in" on a second event: one queue worker runs on the same machine
from the start, rendering and sending while the web workers register (a one-machine
installation); its registrations/s, latency, CPU split and the time from the end of the rush
to the last email are reported too.
"""

import logging
import os
import secrets
import time

from sqlalchemy import func, select

from bench import common, loadgen

log = logging.getLogger(__name__)


def _letters(number: int) -> str:
    """``number`` written with letters only (names refuse digits)."""
    word = ""
    while True:
        number, digit = divmod(number, 26)
        word = chr(ord("a") + digit) + word
        if not number:
            return word.capitalize()


def _form(number: int, token: str) -> dict:
    return {
        "csrf_token": token, "honorific": "he", "honorific_other": "", "given_name": "Retno",
        "family_name": f"Marsudi {_letters(number)}", "email": f"rush{number}@example.org",
        "country": "ID", "organisation": "Ministry of Foreign Affairs",
        "position": "Director", "delegation_role": "head", "phone": "+62 21 3441508",
        "language": "en", "dietary": "", "accessibility": "", "consent": "y",
    }


def _register(slug: str):
    async def one(client, number):
        client.cookies.clear()  # each registration is another delegate's browser
        status, text = await client.request("GET", f"/events/{slug}/register")
        match = common.CSRF_PATTERN.search(text)
        if status != 200 or match is None:
            log.warning("registration %s: no form (HTTP %s)", number, status)
            return False, None
        started = time.perf_counter()
        status, _ = await client.request("POST", f"/events/{slug}/register",
                                         _form(number, match.group(1)))
        seconds = time.perf_counter() - started
        if status != 303:
            log.warning("registration %s: HTTP %s", number, status)
        return status == 303, seconds
    return one


async def _healthz(client, _number):
    started = time.perf_counter()
    status, _ = await client.request("GET", "/healthz")
    return status == 200, time.perf_counter() - started


def _confirmed(app, event_id: int) -> tuple[int, int]:
    from seminar_app.extensions import db
    from seminar_app.models import Event, Registration, RegistrationStatus

    with app.app_context():
        confirmed = db.session.scalar(select(func.count()).select_from(Registration).where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.CONFIRMED))
        return confirmed, db.session.get(Event, event_id).capacity


def run(kind: str, *, clients: int = 50, requests: int = 2000, workers: int = 3,
        threads: int = 1) -> dict:
    """Run the rush on database ``kind`` and write its section of RESULTS.md."""
    with common.workdir() as workdir:
        url = common.database_url(kind, workdir)
        app = common.make_app(url)
        common.reset_schema(app)
        _email, event_id, slug = common.create_organizer_and_event(
            app, capacity=requests * 10, slug="rush")
        queue = common.queue_url(kind)
        common.clear_queue(queue)
        # the web server and the worker of one installation share their keys
        keys = {"SECRET_KEY": secrets.token_hex(24),
                "DATA_KEYS": "bench:" + secrets.token_urlsafe(32)}
        with common.gunicorn(url, workdir, workers=workers, threads=threads,
                             queue=queue, env_overrides=keys) as (port, process):
            meter = common.CpuMeter(process.pid)
            meter.start()
            rush = loadgen.run_clients(port, clients, requests, _register(slug))
            meter.stop()
            health_meter = common.CpuMeter(process.pid)
            health_meter.start()
            health = loadgen.run_clients(port, clients, requests, _healthz)
            health_meter.stop()
            rss = common.worker_rss_mib(process.pid)
        base_url = f"http://127.0.0.1:{port}"
        catch_up = _catch_up(url, workdir, queue, base_url, keys, expected=rush["ok"])
        common.clear_queue(queue)
        catch_up["outbox"] = _outbox_counts(app, event_id)
        confirmed, capacity = _confirmed(app, event_id)
        all_in = _all_in(app, url, workdir, queue, keys, clients=clients, requests=requests,
                         workers=workers, threads=threads)
        common.clear_queue(queue)
        with app.app_context():
            from seminar_app.extensions import db
            db.engine.dispose()
    worker_class = "sync" if threads == 1 else "gthread"
    server = (f"gunicorn -w {workers} --threads {threads} ({worker_class}); queue: "
              f"{queue.split(':')[0] if queue else 'SQLite file'}")
    return _report(kind, server, clients, requests, rush, health, rss, confirmed, capacity,
                   meter.used, health_meter.used, catch_up, all_in)


def _worker_environment(url: str, workdir, queue: str, base_url: str, keys: dict,
                        smtp_port: int) -> dict:
    """The environment of the installation's queue worker, sending to the sink on
    ``smtp_port``."""
    env = common.app_environment(url, workdir, queue=queue, base_url=base_url)
    env.update(keys, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port),
               MAIL_USE_TLS="false", MAIL_USE_SSL="false")
    return env


def _all_in(app, url: str, workdir, queue: str, keys: dict, *, clients: int, requests: int,
            workers: int, threads: int, timeout: float = 900) -> dict:
    """The same rush on a second event with one queue worker running on the same machine
    from the start (everything on the same CPUs): registrations/s, latency, the CPU of the web
    workers and of the queue worker during the rush, and how long after the rush the last
    confirmation email reached the sink."""
    _email, event_id, slug = common.create_organizer_and_event(
        app, capacity=requests * 10, slug="rush-all-in")
    with (common.smtp_sink() as (smtp_port, counter),
          common.gunicorn(url, workdir, workers=workers, threads=threads, queue=queue,
                          env_overrides=keys, log_name="gunicorn-all-in.log") as (port, process)):
        env = _worker_environment(url, workdir, queue, f"http://127.0.0.1:{port}", keys,
                                  smtp_port)
        with common.queue_worker(env, workdir, log_name="worker-all-in.log") as worker:
            time.sleep(3)  # the worker's start-up is not the rush's
            meter = common.CpuMeter(process.pid)
            worker_start = common.process_cpu_seconds(worker.pid)
            meter.start()
            rush = loadgen.run_clients(port, clients, requests, _register(slug))
            meter.stop()
            ended = time.perf_counter()
            worker_rush = common.process_cpu_seconds(worker.pid) - worker_start
            during = counter.value
            while counter.value < rush["ok"] and time.perf_counter() < ended + timeout:
                if worker.poll() is not None:
                    raise RuntimeError("the worker stopped; see worker-all-in.log")
                time.sleep(0.002)
            after = time.perf_counter() - ended
            worker_total = common.process_cpu_seconds(worker.pid) - worker_start
            delivered = counter.value
    confirmed, _capacity = _confirmed(app, event_id)
    return {"rush": rush, "cpu": meter.used, "worker_rush_cpu": worker_rush,
            "worker_cpu": worker_total, "during": during, "delivered": delivered,
            "after": after, "confirmed": confirmed}


def _catch_up(url: str, workdir, queue: str, base_url: str, keys: dict, *, expected: int,
              timeout: float = 900) -> dict:
    """Start one queue worker after the rush and time how long it takes to deliver the
    ``expected`` confirmation emails to an SMTP sink; its CPU from the first email to the
    last."""
    with common.smtp_sink() as (smtp_port, counter):
        env = _worker_environment(url, workdir, queue, base_url, keys, smtp_port)
        started = time.perf_counter()
        first = None
        with common.queue_worker(env, workdir) as worker:
            deadline = started + timeout
            while counter.value < expected and time.perf_counter() < deadline:
                if worker.poll() is not None:
                    raise RuntimeError("the worker stopped; see worker.log")
                if first is None and counter.value:
                    first = (time.perf_counter(), common.process_cpu_seconds(worker.pid),
                             counter.value)
                time.sleep(0.002)
            finished = time.perf_counter()
            cpu = common.process_cpu_seconds(worker.pid)
            delivered = counter.value
            threads = env.get("WORKER_THREADS") or "2"
    first = first or (finished, cpu, delivered)
    return {"expected": expected, "delivered": delivered, "seconds": finished - started,
            "flowing_seconds": finished - first[0], "flowing_emails": delivered - first[2],
            "flowing_cpu": cpu - first[1], "cpu": cpu, "threads": threads}


def _outbox_counts(app, event_id: int) -> dict:
    from seminar_app.extensions import db
    from seminar_app.models import OutboxEmail

    with app.app_context():
        rows = db.session.execute(
            select(OutboxEmail.status, func.count()).where(OutboxEmail.event_id == event_id)
            .group_by(OutboxEmail.status)).all()
        return {getattr(status, "value", status): count for status, count in rows}


def _report(kind, server, clients, requests, rush, health, rss, confirmed, capacity,
            cpu, health_cpu, catch_up, all_in) -> dict:
    reg_rate = rush["ok"] / rush["seconds"]
    health_rate = health["ok"] / health["seconds"]
    lat = [common.percentile(rush["latencies"], f) * 1000 for f in (0.5, 0.95, 0.99)]
    hlat = [common.percentile(health["latencies"], f) * 1000 for f in (0.5, 0.95, 0.99)]
    target = ("met" if reg_rate >= 250 and lat[1] < 250 and not rush["errors"]
              and confirmed == rush["ok"] else "NOT met")
    lines = [
        f"- database: {kind}; {server}; {clients} clients, "
        f"{requests} registrations (each = GET form + POST)",
        f"- registrations/s: **{reg_rate:.1f}** ({rush['ok']} ok, {rush['errors']} errors, "
        f"{rush['seconds']:.1f} s)",
        f"- POST latency ms: p50 {lat[0]:.0f}, p95 **{lat[1]:.0f}**, p99 {lat[2]:.0f}",
        f"- /healthz/s: {health_rate:.1f} ({health['errors']} errors); latency ms p50 "
        f"{hlat[0]:.0f}, p95 {hlat[1]:.0f}, p99 {hlat[2]:.0f}",
        f"- ratio registrations/s ÷ healthz/s: {reg_rate / health_rate:.3f}",
        f"- database check: confirmed {confirmed} == successful responses {rush['ok']}: "
        f"{'yes' if confirmed == rush['ok'] else 'NO'}; overbooked: "
        f"{'NO' if confirmed <= capacity else 'YES'} (capacity {capacity})",
        f"- worker RSS after the run (MiB): {', '.join(f'{size:.0f}' for size in rss)}",
        "- CPU per registration (ms): " + ", ".join(
            f"{name} {seconds * 1000 / max(rush['ok'], 1):.1f}" for name, seconds in cpu.items()
            if name != "machine")
        + f"; machine {cpu['machine'] * 1000 / max(rush['ok'], 1):.1f} "
        f"of the {(os.cpu_count() or 1) * 1000 / max(rush['ok'] / rush['seconds'], 1e-9):.1f} "
        "ms of CPU the run had per registration",
        f"- CPU per /healthz request (ms), for comparison: machine "
        f"{health_cpu['machine'] * 1000 / max(health['ok'], 1):.2f} (workers "
        f"{health_cpu['workers'] * 1000 / max(health['ok'], 1):.2f})",
    ]
    flowing = catch_up["flowing_emails"]
    worker_ms = catch_up["flowing_cpu"] * 1000 / max(flowing, 1)
    web_ms = cpu["workers"] * 1000 / max(rush["ok"], 1)
    outbox = ", ".join(f"{status} {count}" for status, count in sorted(catch_up["outbox"].items()))
    lines += [
        f"- queue worker: not running during the rush; one `flask worker` "
        f"({catch_up['threads']} threads) started after it, sending to an aiosmtpd sink: "
        f"**{catch_up['delivered']} of {catch_up['expected']}** confirmation emails delivered "
        f"**{catch_up['seconds']:.1f} s** after its start ({catch_up['flowing_seconds']:.1f} s "
        f"from the first email to the last: "
        f"{flowing / max(catch_up['flowing_seconds'], 1e-9):.0f} emails/s); outbox after: "
        f"{outbox}",
        f"- CPU per registration (ms), queue worker after the rush (rendering and sending the "
        f"email, from the first email to the last): **{worker_ms:.1f}**; web workers during "
        f"the rush + queue worker: {web_ms + worker_ms:.1f}",
    ]
    lines += _all_in_lines(all_in)
    if kind == "postgresql":
        lines.append(f"- target (250 reg/s with the worker elsewhere, p95 < 250 ms, none lost): "
                     f"{target}")
    common.write_section(f"Registration rush ({kind})", lines)
    return {"reg_rate": reg_rate, "p95_ms": lat[1], "errors": rush["errors"]}


def _all_in_lines(all_in: dict) -> list[str]:
    rush = all_in["rush"]
    ok = max(rush["ok"], 1)
    lat = [common.percentile(rush["latencies"], f) * 1000 for f in (0.5, 0.95)]
    cpu = all_in["cpu"]
    return [
        f"- all in (one queue worker running on the same CPUs during the rush, a second "
        f"event): registrations/s **{rush['ok'] / rush['seconds']:.1f}** ({rush['ok']} ok, "
        f"{rush['errors']} errors, {all_in['confirmed']} confirmed); POST latency ms p50 "
        f"{lat[0]:.0f}, p95 **{lat[1]:.0f}**; confirmation emails delivered during the rush "
        f"{all_in['during']}, all {all_in['delivered']} of {rush['ok']} "
        f"**{all_in['after']:.1f} s** after it",
        f"- all in, CPU per registration (ms): web workers {cpu['workers'] * 1000 / ok:.1f}, "
        f"queue worker {all_in['worker_rush_cpu'] * 1000 / ok:.1f} during the rush "
        f"({all_in['worker_cpu'] * 1000 / ok:.1f} until the last email), machine "
        f"{cpu['machine'] * 1000 / ok:.1f} during the rush",
    ]
