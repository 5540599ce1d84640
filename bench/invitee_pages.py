"""The invitee list, its status filter and the funnel at 20,000 invitees (issue 19).

An event gets N invitees and one invitation mailing whose emails are stored directly (a third
sent, a third waiting, a third failed, one in six of those refused with a 5xx), then gunicorn
serves the app and one logged-in client measures p95 of the invitation page (list and funnel)
and the list filtered by status. On PostgreSQL it measures twice: first without planner
statistics (autovacuum off for the run, no ANALYZE: a list imported minutes ago), then after
ANALYZE. The target is p95 < 100 ms in both.
"""

import logging
import secrets

from sqlalchemy import text

from bench import common
from bench.page_latency import measure_latency

log = logging.getLogger(__name__)
CHUNK = 2000


def seed_invitees(app, event_id: int, count: int) -> None:
    """``count`` invitees of the event and an invitation email to each, stored directly."""
    from seminar_app.extensions import db
    from seminar_app.models import (
        Invitee,
        Mailing,
        MailingKind,
        OutboxEmail,
        OutboxStatus,
        utcnow,
    )
    from seminar_app.services.invitations.mail_state import refresh_mail_state

    now = utcnow()
    states = (OutboxStatus.SENT, OutboxStatus.QUEUED, OutboxStatus.FAILED)
    with app.app_context():
        mailing = Mailing(event_id=event_id, kind=MailingKind.INVITATION,
                          audience={"audience": "all"}, content={}, prepared_at=now,
                          send_key=secrets.token_urlsafe(16), recipient_count=count)
        db.session.add(mailing)
        db.session.commit()
        for start in range(0, count, CHUNK):
            numbers = range(start, min(count, start + CHUNK))
            ids = db.session.scalars(Invitee.__table__.insert().returning(Invitee.id), [
                dict(event_id=event_id, email=f"invitee{n}@example.org", name=f"Invitee {n}",
                     language=("en", "id")[n % 2], country=("ID", "MY", "TH", "VN")[n % 4],
                     group_name=("ASEAN", "Africa", "")[n % 3], token_salt=secrets.token_hex(8),
                     token_hash=secrets.token_hex(32), response="pending",
                     created_at=now, updated_at=now) for n in numbers]).all()
            db.session.execute(OutboxEmail.__table__.insert(), [
                dict(template="mailing_invitation_to_invitee",
                     recipient=f"invitee{n}@example.org",
                     recipient_name="", subject="Invitation", body_text="x", body_html="",
                     headers={}, attachments=[], message_id=f"<{n}.{secrets.token_hex(6)}@b>",
                     status=states[n % 3], attempts=1, language="en", event_id=event_id,
                     mailing_id=mailing.id, invitee_id=invitee_id, created_at=now,
                     last_error="550 No such user" if n % 6 == 2 else "")
                for n, invitee_id in zip(numbers, ids, strict=True)])
            refresh_mail_state(invitee_ids=ids)
            db.session.commit()


def _pages(event_id: int) -> dict[str, str]:
    base = f"/manage/events/{event_id}/invitations"
    return {"invitation page (list + funnel)": base,
            "list filtered: sent": f"{base}?status=sent",
            "list filtered: bounced": f"{base}?status=bounced"}


def _set_autovacuum(app, enabled: bool) -> None:
    from seminar_app.extensions import db

    with app.app_context():
        for table in ("invitees", "outbox_emails", "mailings"):
            db.session.execute(text(f"ALTER TABLE {table} SET (autovacuum_enabled = "
                                    f"{'true' if enabled else 'false'})"))
        db.session.commit()


def run(kind: str, *, invitees: int = 20000, requests: int = 100) -> dict:
    """Run the invitee page benchmark on ``kind`` and write its section of RESULTS.md."""
    with common.workdir() as workdir:
        url = common.database_url(kind, workdir)
        app = common.make_app(url)
        common.reset_schema(app)
        if kind == "postgresql":
            _set_autovacuum(app, False)
        email, event_id, _slug = common.create_organizer_and_event(app, capacity=100,
                                                                   slug="invited")
        seed_invitees(app, event_id, invitees)
        rounds = {}
        with common.gunicorn(url, workdir) as (port, _process):
            label = "without planner statistics" if kind == "postgresql" else "SQLite"
            rounds[label] = measure_latency(port, email, _pages(event_id), requests)
            if kind == "postgresql":
                with app.app_context():
                    from seminar_app.extensions import db
                    db.session.execute(text("ANALYZE"))
                    db.session.commit()
                rounds["after ANALYZE"] = measure_latency(port, email, _pages(event_id),
                                                          requests)
        if kind == "postgresql":
            _set_autovacuum(app, True)
        with app.app_context():
            from seminar_app.extensions import db
            db.engine.dispose()
    lines = [f"- database: {kind}; gunicorn -w 2 --threads 4; one logged-in client, "
             f"{requests} sequential GETs per page; {invitees} invitees with an invitation "
             "email each (sent, waiting, failed, refused)"]
    for label, latency in rounds.items():
        for name, numbers in latency.items():
            verdict = "met" if numbers["p95"] < 100 and not numbers["errors"] else "NOT met"
            lines.append(f"- {label}, {name}: p50 {numbers['p50']:.0f} ms, p95 "
                         f"**{numbers['p95']:.0f} ms** ({numbers['errors']} errors) - target "
                         f"p95 < 100 ms: {verdict}")
    common.write_section(f"Invitee pages ({kind})", lines)
    return rounds
