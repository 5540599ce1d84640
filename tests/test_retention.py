"""Retention (services.privacy.retention): the scheduled purge of passport data and the
anonymisation
of registrations, its command and periodic task, the event's settings, and the scrubbing of a
deleted invitee's address."""

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select, text

from seminar_app.extensions import db
from seminar_app.models import (
    AuditEntry,
    DelegationRole,
    Event,
    Invitee,
    OutboxEmail,
    OutboxStatus,
    Registration,
    RegistrationAnswer,
    RegistrationLink,
    RegistrationStatus,
    utcnow,
)
from seminar_app.services.audit import record_action
from seminar_app.services.documents.dashboard import event_dashboard
from seminar_app.services.documents.reports import build_report
from seminar_app.services.errors import ServiceError
from seminar_app.services.invitations import invitations
from seminar_app.services.privacy.retention import (
    add_months,
    check_retention_settings,
    purge_personal_data,
)
from seminar_app.services.registration.registration_codes import new_manage_token
from tests.conftest import post_form
from tests.factories import add_invitee, add_question, add_registration, logged_in
from tests.public_factories import create_event

PASSPORT = {"needs_visa_letter": True, "passport_number": "X9876543", "nationality": "MY",
            "birth_place": "Penang"}


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def ended_event(owner, days_ago: int, **overrides) -> Event:
    """A published event that ended ``days_ago`` days ago."""
    start = utcnow() - timedelta(days=days_ago, hours=9)
    return create_event(owner, start_at=start, registration_opens_at=start - timedelta(days=9),
                        **overrides)


def _outbox(event, recipient, body, **values) -> OutboxEmail:
    row = OutboxEmail(event_id=event.id, template="registration_confirmed_to_delegate",
                      recipient=recipient, recipient_name=values.pop("name", ""),
                      subject=values.pop("subject", "Your registration"), body_text=body,
                      body_html=f"<p>{body}</p>", message_id=f"<{secrets.token_hex(8)}@x>",
                      status=values.pop("status", OutboxStatus.SENT), **values)
    db.session.add(row)
    db.session.commit()
    return row


def populate(event):
    """Registrations of several countries, roles and statuses, one with everything around it:
    passport data, an answer, a personal link, an invitee, emails and audit entries."""
    question = add_question(event, "Which session?")
    main = add_registration(event, email="siti.aminah@example.org", given_name="Siti",
                            family_name="Aminah", phone="+62211234", position="Director",
                            dietary="Halal", country="MY", delegation_role=DelegationRole.HEAD,
                            checked_in_at=event.start_at + timedelta(hours=1),
                            birth_date=datetime(1975, 4, 2).date(), **PASSPORT)
    db.session.add(RegistrationAnswer(registration_id=main.id, question_id=question.id,
                                      value="Morning"))
    new_manage_token(main)
    invitee = add_invitee(event, email="siti.aminah@example.org", name="Siti Aminah")
    invitee.registration_id = main.id
    for country, role, status in (("TH", DelegationRole.DELEGATE, RegistrationStatus.CONFIRMED),
                                  ("TH", DelegationRole.OBSERVER, RegistrationStatus.CONFIRMED),
                                  ("ID", DelegationRole.SPEAKER, RegistrationStatus.CANCELLED),
                                  ("VN", DelegationRole.DELEGATE, RegistrationStatus.WAITLISTED)):
        add_registration(event, country=country, delegation_role=role, status=status)
    add_invitee(event, email="declined@example.org", name="Dewi Declined")
    db.session.commit()
    _outbox(event, main.email, "Dear Siti Aminah, your link: /r/secret", name="Siti Aminah",
            invitee_id=invitee.id, headers={"List-Unsubscribe": "<https://x/u/abc>"})
    other = _outbox(event, "head@example.org",
                    "Members: Siti Aminah <siti.aminah@example.org>")
    record_action("registration.reject", main, user=None, reason="Siti Aminah asked by phone",
                  status="rejected")
    record_action("invitee.create", invitee, user=None, email=invitee.email)
    db.session.commit()
    return main, invitee, other


def _all_text() -> str:
    """Every value of the tables that hold personal data, as one text."""
    chunks = []
    for table in ("registrations", "invitees", "outbox_emails", "audit_entries",
                  "registration_answers"):
        for row in db.session.execute(text(f"SELECT * FROM {table}")):
            chunks.append(" ".join(str(value) for value in row))
    return "\n".join(chunks)


def _figures(app, event) -> tuple:
    with app.test_request_context(), force_locale("en"):
        report = build_report(event, language="en")
        dashboard = event_dashboard(event)
    return (report.registered, report.confirmed, report.checked_in,
            [(line.key, line.confirmed, line.checked_in) for line in report.by_country],
            [(line.key, line.confirmed, line.checked_in) for line in report.by_role],
            [(line.invited, line.sent, line.accepted, line.declined)
             for line in report.invitations],
            dict(dashboard.by_status), dashboard.confirmed_by_country,
            dashboard.confirmed_by_role, dashboard.confirmed_by_organisation_type,
            dashboard.checked_in)


# --- passports -------------------------------------------------------------------------------

def test_purge_personal_data_clears_passports_after_the_retention_days(owner):
    old = ended_event(owner, 40)
    recent = ended_event(owner, 10)
    cleared = add_registration(old, birth_date=datetime(1980, 1, 1).date(), **PASSPORT)
    kept = add_registration(recent, **PASSPORT)

    results = purge_personal_data()

    assert [(counts.event_id, counts.passports, counts.registrations) for counts in results] \
        == [(old.id, 1, 0)]
    db.session.expire_all()
    cleared, kept = db.session.get(Registration, cleared.id), db.session.get(Registration,
                                                                             kept.id)
    assert (cleared.passport_number, cleared.nationality, cleared.birth_place,
            cleared.birth_date, cleared.passport_expiry) == ("", "", "", None, None)
    assert cleared.needs_visa_letter is True and cleared.given_name.startswith("Delegate")
    assert kept.passport_number == "X9876543"


def test_purge_personal_data_follows_the_events_own_passport_delay(owner):
    event = ended_event(owner, 10, passport_retention_days=5)
    registration = add_registration(event, **PASSPORT)
    purge_personal_data()
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).passport_number == ""


# --- anonymisation ---------------------------------------------------------------------------

def test_purge_personal_data_anonymises_registrations_after_the_months(owner):
    event = ended_event(owner, 800)
    main, invitee, other = populate(event)
    main_id, invitee_id, other_id = main.id, invitee.id, other.id

    [counts] = purge_personal_data()

    assert (counts.passports, counts.registrations, counts.invitees) == (1, 5, 2)
    assert counts.emails == 2 and counts.audit_entries >= 2
    db.session.expire_all()
    main = db.session.get(Registration, main_id)
    assert main.email == f"erased-{main_id}@invalid"
    assert (main.given_name, main.family_name, main.phone, main.position, main.dietary,
            main.organisation) == ("—", "", "", "", "", "")
    assert (main.country, main.delegation_role, main.status) == \
        ("MY", DelegationRole.HEAD, RegistrationStatus.CONFIRMED)
    assert main.checked_in_at is not None and main.needs_visa_letter is True
    assert db.session.scalar(select(RegistrationAnswer.id)) is None
    assert db.session.scalar(select(RegistrationLink.id)) is None
    invitee = db.session.get(Invitee, invitee_id)
    assert (invitee.name, invitee.email, invitee.group_name) == \
        ("—", f"erased-invitee-{invitee_id}@invalid", "ASEAN")
    own = db.session.scalar(select(OutboxEmail).where(OutboxEmail.invitee_id == invitee_id))
    assert own.recipient.startswith("erased-") and own.body_text == own.body_html == ""
    assert own.headers == {} and own.status == OutboxStatus.SENT
    assert db.session.get(OutboxEmail, other_id).body_text == "Members: [erased] <[erased]>"
    reject = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "registration.reject"))
    assert reject.details == {"status": "rejected"}
    everything = _all_text()
    for trace in ("siti.aminah@example.org", "Siti Aminah", "Aminah", "/r/secret",
                  "declined@example.org", "Dewi Declined", "Halal", "+62211234"):
        assert trace not in everything, trace


def test_purge_personal_data_keeps_report_and_dashboard_figures(app, owner):
    event = ended_event(owner, 800)
    populate(event)
    before = _figures(app, event)
    purge_personal_data()
    db.session.expire_all()
    assert _figures(app, event) == before


def test_purge_personal_data_is_idempotent(owner):
    event = ended_event(owner, 800)
    populate(event)
    assert sum(counts.total for counts in purge_personal_data()) > 0
    entries = db.session.scalar(select(db.func.count(AuditEntry.id)))

    again = purge_personal_data()

    assert [counts.total for counts in again] == [0]
    assert db.session.scalar(select(db.func.count(AuditEntry.id))) == entries


def test_purge_personal_data_dry_run_changes_nothing(owner):
    event = ended_event(owner, 800)
    main, _invitee, _other = populate(event)
    [counts] = purge_personal_data(dry_run=True)
    assert counts.registrations == 5 and counts.passports == 1
    db.session.expire_all()
    assert db.session.get(Registration, main.id).email == "siti.aminah@example.org"
    assert db.session.get(Registration, main.id).passport_number == "X9876543"
    assert purge_personal_data(dry_run=True)[0].registrations == 5


def test_purge_personal_data_never_anonymises_when_months_is_empty(owner):
    event = ended_event(owner, 800, anonymise_after_months=None)
    registration = add_registration(event, **PASSPORT)
    [counts] = purge_personal_data()
    assert (counts.passports, counts.registrations) == (1, 0)
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).email.endswith("@example.org")


def test_purge_personal_data_waits_for_the_anonymisation_date(owner):
    event = ended_event(owner, 300)  # 24 months have not passed
    registration = add_registration(event)
    later = add_months(event.end_at, 24) + timedelta(minutes=1)
    assert purge_personal_data()[0].registrations == 0
    assert purge_personal_data(now=later)[0].registrations == 1
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).given_name == "—"


def test_add_months_clamps_to_the_end_of_the_month():
    moment = datetime(2025, 1, 31, 10, tzinfo=UTC)
    assert add_months(moment, 1) == datetime(2025, 2, 28, 10, tzinfo=UTC)
    assert add_months(moment, 24) == datetime(2027, 1, 31, 10, tzinfo=UTC)


# --- the command and the schedule ------------------------------------------------------------

def test_data_purge_command_prints_counts_and_dry_run_keeps_data(runner, owner):
    event = ended_event(owner, 800)
    main, _invitee, _other = populate(event)

    result = runner.invoke(args=["data", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"{event.slug} (event {event.id}): would change 1 passport(s), 5 registration(s)" \
        in result.output and "dry run" in result.output
    db.session.expire_all()
    assert db.session.get(Registration, main.id).email == "siti.aminah@example.org"

    result = runner.invoke(args=["data", "purge"])
    assert result.exit_code == 0 and "changed 1 passport(s)" in result.output
    result = runner.invoke(args=["data", "purge"])
    assert "0 row(s) changed" in result.output


def test_purge_periodic_task_runs_daily_at_three_utc_and_purges(app, owner):
    task = app.extensions["huey_tasks"]["purge_personal_data"]
    periodic = task.task_class()
    assert periodic.validate_datetime(datetime(2026, 5, 1, 3, 0))
    assert not periodic.validate_datetime(datetime(2026, 5, 1, 4, 0))
    registration = add_registration(ended_event(owner, 40), **PASSPORT)
    task.call_local()
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).passport_number == ""


# --- the event's settings --------------------------------------------------------------------

@pytest.mark.parametrize("values, field", [
    ({"passport_retention_days": -1}, "passport_retention_days"),
    ({"passport_retention_days": 99999}, "passport_retention_days"),
    ({"anonymise_after_months": 0}, "anonymise_after_months"),
])
def test_check_retention_settings_refuses_out_of_range(values, field):
    with pytest.raises(ServiceError) as caught:
        check_retention_settings(values)
    assert caught.value.field == field


def test_check_retention_settings_defaults_an_empty_passport_delay():
    values = {"passport_retention_days": None, "anonymise_after_months": None}
    check_retention_settings(values)
    assert values == {"passport_retention_days": 30, "anonymise_after_months": None}


def _edit_form(event, **overrides) -> dict:
    year = utcnow().year + 1
    data = {"title": event.title, "event_type": "seminar", "timezone": "Asia/Jakarta",
            "start_at": f"{year}-03-17T09:00", "end_at": f"{year}-03-18T17:00",
            "venue_name": "Gedung Pancasila", "languages": ["en"], "visibility": "public",
            "passport_retention_days": "7", "anonymise_after_months": ""}
    data.update(overrides)
    return data


def test_event_edit_form_saves_the_retention_settings(app, owner):
    event = create_event(owner)
    client = logged_in(app, owner)
    page = client.get(f"/manage/events/{event.id}/edit").get_data(as_text=True)
    assert 'name="passport_retention_days"' in page and 'value="30"' in page
    response = post_form(client, f"/manage/events/{event.id}/edit", _edit_form(event))
    assert response.status_code == 302
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert (event.passport_retention_days, event.anonymise_after_months) == (7, None)


def test_event_edit_form_refuses_a_negative_delay_next_to_the_field(app, owner):
    event = create_event(owner)
    client = logged_in(app, owner)
    client.set_cookie("lang", "id")
    response = post_form(client, f"/manage/events/{event.id}/edit",
                         _edit_form(event, passport_retention_days="-3"))
    assert response.status_code == 422
    assert "Masukkan angka dari 0 sampai 3650." in response.get_data(as_text=True)


# --- a deleted invitee -----------------------------------------------------------------------

def test_delete_invitee_scrubs_its_address_from_audit_and_outbox(owner):
    event = create_event(owner)
    invitee = add_invitee(event, email="gone@example.org", name="Gone Person")
    row = _outbox(event, "gone@example.org", "Dear Gone Person, your link /i/abc",
                  invitee_id=invitee.id)
    untouched = _outbox(event, "someone@example.org", "Dear Someone")

    invitations.delete_invitee(invitee)

    everything = _all_text()
    assert "gone@example.org" not in everything and "Gone Person" not in everything
    db.session.expire_all()
    assert db.session.get(OutboxEmail, row.id).subject == "Your registration"
    assert db.session.get(OutboxEmail, untouched.id).body_text == "Dear Someone"
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "invitee.create" in actions and "invitee.delete" in actions
