"""The invitation funnel never grows from one step to the next, and an answer recorded with a
date shows that date, not an invented time (issue 14)."""

import re
import secrets
from datetime import date, timedelta

import pytest

from seminar_app.extensions import db
from seminar_app.models import (
    Invitee,
    Mailing,
    MailingKind,
    OutboxStatus,
    ResponseChannel,
    utcnow,
)
from seminar_app.services.invitations import invitations, rsvp
from seminar_app.services.invitations.invitation_status import funnel, invitee_progress
from seminar_app.services.mail.compose import RenderedEmail, insert_outbox_rows, outbox_row
from tests.conftest import post_form
from tests.factories import add_invitee, add_registration, logged_in, registration_event


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def event(owner):
    return registration_event(owner, timezone="Asia/Jakarta")


def _sent_invitation(event, invitee):
    mailing = Mailing(event_id=event.id, kind=MailingKind.INVITATION, audience={},
                      content={}, send_key=secrets.token_urlsafe(24), prepared_at=utcnow())
    db.session.add(mailing)
    db.session.flush()
    row = outbox_row(template="mailing_invitation_to_invitee", recipient=invitee.email,
                     rendered=RenderedEmail(subject="Invitation", text="x", html="x"),
                     event_id=event.id, mailing_id=mailing.id, invitee_id=invitee.id)
    row.update(status=OutboxStatus.SENT, sent_at=utcnow())
    insert_outbox_rows([row])
    db.session.commit()


def _record(invitee, response="accepted", day=date(2026, 1, 5)):
    invitations.record_offline_response(invitee, response=response,
                                        channel=ResponseChannel.NOTE_VERBALE, answered_on=day)


def _monotonic(numbers) -> bool:
    counts = [count for _key, _label, count in numbers.steps()]
    return all(later <= earlier for earlier, later in zip(counts, counts[1:], strict=False))


def test_funnel_answers_without_sent_invitation_never_exceed_sent(app, event):
    """The report: "Invitation sent 0 → Responded 16"."""
    people = [add_invitee(event) for _ in range(16)]
    for index, invitee in enumerate(people):
        _record(invitee, "accepted" if index % 2 else "declined")
    numbers = funnel(event)
    assert _monotonic(numbers)
    assert (numbers.invited, numbers.sent, numbers.responded) == (16, 16, 16)
    assert numbers.answered_without_email == 16


def test_funnel_mixed_paths_stay_monotonic(app, event):
    emailed = [add_invitee(event) for _ in range(4)]
    for invitee in emailed:
        _sent_invitation(event, invitee)
    rsvp.decline_invitation(emailed[0])                 # emailed, then answered
    linked = add_invitee(event)                         # registered, never emailed
    registration = add_registration(event, email="linked@example.org")
    invitations.link_registration(linked, registration.reference)
    registration.checked_in_at = utcnow()
    _record(add_invitee(event), "declined")             # answered by letter, never emailed
    add_invitee(event)                                  # nothing yet
    numbers = funnel(event)
    assert _monotonic(numbers)
    assert (numbers.invited, numbers.sent, numbers.responded, numbers.registered,
            numbers.checked_in) == (7, 6, 3, 1, 1)
    assert numbers.answered_without_email == 2


def test_invitee_list_shows_answers_without_an_emailed_invitation(app, owner, event):
    for invitee in [add_invitee(event) for _ in range(3)]:
        _record(invitee)
    html = logged_in(app, owner).get(f"/manage/events/{event.id}/invitations") \
        .get_data(as_text=True)
    steps = re.search(r"data-funnel>(.*?)</p>", html, re.S).group(1)
    assert " ".join(re.sub(r"<[^>]+>", " ", steps).split()) == \
        "Invited: 3 → Invitation sent: 3 → Responded: 3 → Registered: 0 → Checked in: 0"
    assert "Including 3 invitees who answered without an emailed invitation." in html


# --- a recorded answer has a date, not a time ------------------------------------------------

def test_record_offline_response_stores_the_date(app, event):
    invitee = add_invitee(event)
    _record(invitee, day=date(2026, 1, 5))
    stored = db.session.get(Invitee, invitee.id)
    assert stored.answered_on == date(2026, 1, 5)
    progress = invitee_progress(stored)
    assert progress.answered_on == date(2026, 1, 5) and progress.answer_is_date_only


def test_invitee_show_recorded_answer_has_no_time(app, owner, event):
    invitee = add_invitee(event)
    client = logged_in(app, owner)
    day = date.today() - timedelta(days=3)
    response = post_form(client, f"/manage/events/{event.id}/invitations/{invitee.id}/response",
                         {"answer-response": "declined", "answer-channel": "letter",
                          "answer-answered_on": day.isoformat()})
    assert response.status_code == 303
    html = client.get(f"/manage/events/{event.id}/invitations/{invitee.id}") \
        .get_data(as_text=True)
    cell = re.search(r'<td data-answered-on="([^"]+)">([^<]*)</td>', html)
    assert cell and cell.group(1) == day.isoformat()
    assert str(day.year) in cell.group(2)
    assert not re.search(r"\d{1,2}[:.]\d{2}", cell.group(2)) and "WIB" not in cell.group(2)
    listing = client.get(f"/manage/events/{event.id}/invitations").get_data(as_text=True)
    status_time = re.search(r'Declined</span><div class="[^"]*">([^<]*)</div>', listing)
    assert status_time and str(day.year) in status_time.group(1)
    assert not re.search(r"\d{1,2}[:.]\d{2}", status_time.group(1))


def test_invitee_show_online_answer_keeps_its_time(app, owner, event):
    invitee = add_invitee(event)
    rsvp.decline_invitation(invitee)
    progress = invitee_progress(db.session.get(Invitee, invitee.id))
    assert progress.answered_on is None and not progress.answer_is_date_only
    html = logged_in(app, owner).get(f"/manage/events/{event.id}/invitations/{invitee.id}") \
        .get_data(as_text=True)
    assert "data-answered-on" not in html
    assert "WIB" in html


def _insert(conn, table: str, **values) -> None:
    """A row of ``table`` with dummy values for every other required column (raw SQL)."""
    from sqlalchemy import text

    dummies = {"INTEGER": 1, "BOOLEAN": 0, "JSON": "{}", "DATE": "2026-01-05",
               "DATETIME": "2026-01-05 00:00:00.000000"}
    for _cid, name, kind, notnull, default, pk in conn.execute(
            text(f"PRAGMA table_info({table})")).all():
        if notnull and default is None and not pk and name not in values:
            values[name] = dummies.get(kind.split("(")[0].upper(), f"x-{table}-{name}")
    columns = ", ".join(values)
    conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES "
                      f"({', '.join(':' + key for key in values)})"), values)


def test_migration_e14mail00001_keeps_recorded_answers_and_adds_their_date(tmp_path):
    """Answers recorded before as noon of the event's zone get that day; others stay as they
    were (online answers, answers at another time)."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from config import TestingConfig
    from seminar_app import create_app

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/m.db",
                     TASK_QUEUE_PATH=str(tmp_path / "q.sqlite3"))
    with app.app_context():
        upgrade(revision="e13reten0001")
        with db.engine.begin() as conn:
            _insert(conn, "users", id=1)
            _insert(conn, "events", id=1, timezone="Asia/Makassar",
                    start_at="2026-02-01 00:00:00.000000", end_at="2026-02-02 00:00:00.000000")
            for number, (moment, channel) in enumerate([
                    ("2026-01-05 04:00:00.000000", "note_verbale"),  # 12:00 WITA
                    ("2026-01-05 04:00:00.000000", "online"),
                    ("2026-01-05 04:13:00.000000", "letter")], start=1):
                _insert(conn, "invitees", id=number, event_id=1, email=f"{number}@x.org",
                        token_hash=f"h{number}", responded_at=moment,
                        response_channel=channel, response="accepted")
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, answered_on, responded_at FROM invitees "
                                     "ORDER BY id")).all()
        db.engine.dispose()
    assert [(row[0], row[1]) for row in rows] == [(1, "2026-01-05"), (2, None), (3, None)]
    assert rows[0][2].startswith("2026-01-05 04:00:00")
