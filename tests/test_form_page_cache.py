"""The registration form kept rendered for anonymous visitors (seminar_app.page_cache), and the
registration that locks its event only to decide (services.registration.registrations.register)."""

from datetime import date, timedelta

import pytest
from flask import template_rendered
from sqlalchemy import func, inspect, select

from seminar_app.extensions import db
from seminar_app.models import (
    AuditEntry,
    OutboxEmail,
    QuestionKind,
    Registration,
    RegistrationStatus,
)
from seminar_app.services.registration import questions as question_service
from seminar_app.services.registration import registrations as service
from tests.conftest import CSRF_META
from tests.factories import add_registration, form_fields, registration_event

FORM = "registration/registration_create.html"


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return registration_event(owner, capacity=5)


@pytest.fixture
def renders(app):
    """The names of the templates rendered while the test runs."""
    names = []

    def record(sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    yield names
    template_rendered.disconnect(record, app)


def token_of(response) -> str:
    return CSRF_META.search(response.get_data(as_text=True)).group(1)


def test_visitors_share_the_page_but_not_the_token(app, event, renders):
    first, second = app.test_client(), app.test_client()
    page_one = first.get(f"/events/{event.slug}/register")
    page_two = second.get(f"/events/{event.slug}/register")
    assert page_one.status_code == page_two.status_code == 200
    assert renders.count(FORM) == 1  # the second visitor got the stored page
    token_one, token_two = token_of(page_one), token_of(page_two)
    assert token_one != token_two
    html = page_two.get_data(as_text=True)
    # the form's hidden field and the resend form carry the visitor's own token too
    assert html.count(token_two) == 3 and token_one not in html and "\x00" not in html
    # each token works for its own visitor only
    for client, token in ((first, token_one), (second, token_two)):
        response = client.post(f"/events/{event.slug}/register",
                               data={**form_fields(), "csrf_token": token})
        assert response.status_code == 303
    stolen = app.test_client()
    stolen.get(f"/events/{event.slug}/register")
    refused = stolen.post(f"/events/{event.slug}/register",
                          data={**form_fields(), "csrf_token": token_one})
    assert refused.status_code == 400
    assert db.session.scalar(select(func.count(Registration.id))) == 2


def test_each_language_has_its_page(app, event):
    english, indonesian = app.test_client(), app.test_client()
    indonesian.set_cookie("lang", "id")
    assert "Fields marked with * are required." in english.get(
        f"/events/{event.slug}/register").get_data(as_text=True)
    html = indonesian.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert '<html lang="id">' in html and "Fields marked with * are required." not in html


def test_messages_and_staff_pages_are_never_stored(app, event, owner, auth, renders):
    visitor = app.test_client()
    visitor.get(f"/events/{event.slug}/register")
    with visitor.session_transaction() as session:
        session["_flashes"] = [("info", "A message for this visitor only")]
    shown = visitor.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert "A message for this visitor only" in shown
    other = app.test_client().get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert "A message for this visitor only" not in other
    auth.login(owner)
    staff = auth.client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert "Log out" in staff
    anonymous = app.test_client().get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert "Log out" not in anonymous and "Staff login" in anonymous
    # a query string is rendered afresh as well
    renders.clear()
    app.test_client().get(f"/events/{event.slug}/register?from=newsletter")
    assert renders.count(FORM) == 1


def test_a_change_of_the_form_shows_at_once(app, event, owner, renders):
    app.test_client().get(f"/events/{event.slug}/register")
    question_service.add_question(event, label="Arriving from which city?",
                                  kind=QuestionKind.TEXT, actor=owner)
    html = app.test_client().get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert "Arriving from which city?" in html
    event.title = "A renamed seminar"
    db.session.commit()
    html = app.test_client().get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert "A renamed seminar" in html
    assert renders.count(FORM) == 3


def test_a_closed_registration_is_never_answered_from_the_page(app, event):
    app.test_client().get(f"/events/{event.slug}/register")
    event.capacity = None
    event.registration_closes_at = event.registration_opens_at
    db.session.commit()
    assert app.test_client().get(f"/events/{event.slug}/register").status_code == 403


def test_the_cache_can_be_turned_off(app, event, renders, monkeypatch):
    monkeypatch.setitem(app.config, "FORM_PAGE_CACHE_SECONDS", 0)
    for _ in range(2):
        assert app.test_client().get(f"/events/{event.slug}/register").status_code == 200
    assert renders.count(FORM) == 2


# --- deciding under the lock -----------------------------------------------------------------

def test_full_at_the_decision_the_delegate_waits_with_one_email(event):
    for _ in range(event.capacity):
        add_registration(event, status=RegistrationStatus.CONFIRMED)
    registration, _token = service.register(event, data=form_fields(email="late@example.org"))
    assert registration.status == RegistrationStatus.WAITLISTED
    assert registration.waitlisted_at is not None
    emails = db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.recipient == "late@example.org")).all()
    assert [email.template for email in emails] == ["registration_waitlisted_to_delegate"]
    assert "Your position on the waiting list: 1." in emails[0].body_text
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "registration.create", AuditEntry.object_id == registration.id))
    assert entry.details["status"] == "waitlisted"


def test_room_at_the_decision_confirms_with_the_calendar(event):
    registration, _token = service.register(event, data=form_fields(email="early@example.org"))
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == RegistrationStatus.CONFIRMED
    email = db.session.scalar(select(OutboxEmail).where(
        OutboxEmail.recipient == "early@example.org"))
    assert email.template == "registration_confirmed_to_delegate"
    assert [item["content_type"] for item in email.attachments] == ["text/calendar"]


def test_the_registration_kept_after_the_commit_reads_as_loaded(event):
    """register() keeps the registration's values instead of reading them back: they must be
    exactly what a SELECT gives (enum members, aware datetimes, dates)."""
    data = form_fields(email="kept@example.org", needs_visa_letter=True,
                       passport_number="B1234567", nationality="ID",
                       birth_date=date(1980, 5, 17), birth_place="Bandung",
                       passport_expiry=date.today() + timedelta(days=3650))
    registration, _token = service.register(event, data=data)
    kept = {attr.key: getattr(registration, attr.key)
            for attr in inspect(Registration).column_attrs}
    db.session.expire_all()
    loaded = db.session.get(Registration, registration.id)
    for key, value in kept.items():
        fresh = getattr(loaded, key)
        assert (value, type(value)) == (fresh, type(fresh)), key
