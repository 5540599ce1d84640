"""One registration: detail page, privacy, edit, add on behalf, decisions and bulk actions."""

from datetime import date, timedelta

import pytest

from seminar_app.extensions import db
from seminar_app.models import (
    AuditEntry,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    utcnow,
)
from seminar_app.services.registration import registrations as registration_service
from tests.conftest import post_form
from tests.factories import (
    add_registration,
    add_team_member,
    form_fields,
    logged_in,
    service_data,
)
from tests.public_factories import create_event


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return create_event(owner, capacity=2)


def _get(registration_id) -> Registration:
    return db.session.get(Registration, registration_id, populate_existing=True)


def _url(event, registration, action=""):
    return f"/manage/events/{event.id}/registrations/{registration.id}{action}"


def _register(event, **overrides):
    registration, _token = registration_service.register(event, data=service_data(**overrides))
    return registration


def _visa_registration(event):
    return add_registration(event, needs_visa_letter=True, passport_number="X9988776",
                            nationality="MY", birth_date=date(1970, 5, 1),
                            birth_place="Ipoh", passport_expiry=date(2036, 1, 1))


# --- the detail page -------------------------------------------------------------------------

def test_registration_show_lists_fields_answers_and_history(app, event, owner):
    registration = _register(event, given_name="Retno", dietary="<script>halal</script>")
    page = logged_in(app, owner).get(_url(event, registration)).get_data(as_text=True)
    assert "Retno" in page and registration.reference in page
    assert "&lt;script&gt;halal" in page and "<script>halal" not in page
    assert "Registered" in page  # the history shows registration.create


def test_registration_show_passport_only_for_organizers(app, event, owner, make_user):
    registration = _visa_registration(event)
    viewer, manager = make_user("staff"), make_user("staff")
    add_team_member(event, viewer, can_checkin=True, can_invite=True)
    add_team_member(event, manager, can_manage=True)
    for user, visible in ((viewer, False), (manager, True), (owner, True)):
        page = logged_in(app, user).get(_url(event, registration)).get_data(as_text=True)
        assert ("X9988776" in page) is visible, user
        assert ("Ipoh" in page) is visible, user


def test_registration_show_escapes_hostile_names(app, event, owner):
    registration = add_registration(event, given_name="<script>x()</script>",
                                    family_name="<svg onload=alert(1)>")
    page = logged_in(app, owner).get(_url(event, registration)).get_data(as_text=True)
    assert "<script>x()" not in page and "<svg onload" not in page


def test_registration_of_another_event_is_not_found(app, event, owner):
    other = create_event(owner)
    foreign = add_registration(other)
    client = logged_in(app, owner)
    for action in ("", "/edit"):
        assert client.get(_url(event, foreign, action)).status_code == 404
    for action in ("/cancel", "/approve", "/reject"):
        assert post_form(client, _url(event, foreign, action)).status_code == 404
    assert _get(foreign.id).status == RegistrationStatus.CONFIRMED


def test_registration_pages_refuse_outsiders_and_viewers(app, event, make_user):
    registration = add_registration(event)
    viewer = make_user("staff")
    add_team_member(event, viewer, can_checkin=True)
    outsider = logged_in(app, make_user("staff"))
    assert outsider.get(_url(event, registration)).status_code == 403
    client = logged_in(app, viewer)
    assert client.get(_url(event, registration)).status_code == 200
    assert client.get(_url(event, registration, "/edit")).status_code == 403
    assert post_form(client, _url(event, registration, "/cancel")).status_code == 403


# --- adding and editing ----------------------------------------------------------------------

def test_registration_create_on_behalf_while_registration_is_closed(app, owner, smtp_server):
    event = create_event(owner, registration_closes_at=utcnow() - timedelta(hours=1),
                         registration_opens_at=utcnow() - timedelta(days=3),
                         requires_approval=True)
    client = logged_in(app, owner)
    url = f"/manage/events/{event.id}/registrations/new"
    assert client.get(url).status_code == 200
    response = post_form(client, url, form_fields(email="staff.added@example.org"))
    assert response.status_code == 302, response.get_data(as_text=True)
    registration = Registration.query.filter_by(email="staff.added@example.org").one()
    assert registration.source == RegistrationSource.STAFF
    assert registration.status == RegistrationStatus.CONFIRMED  # staff additions skip approval
    entry = AuditEntry.query.filter_by(action="registration.create").one()
    assert entry.user_id == owner.id


def test_registration_create_refuses_a_taken_email_by_the_field(app, event, owner):
    _register(event, email="taken@example.org")
    response = post_form(logged_in(app, owner), f"/manage/events/{event.id}/registrations/new",
                         form_fields(email="taken@example.org"))
    assert response.status_code == 409
    assert 'id="email-error"' in response.get_data(as_text=True)


def test_registration_create_refuses_bad_input_with_422(app, event, owner):
    response = post_form(logged_in(app, owner), f"/manage/events/{event.id}/registrations/new",
                         form_fields(given_name="<script>", country="XX", status="confirmed",
                                     event_id="999"))
    assert response.status_code == 422
    assert Registration.query.count() == 0


def test_registration_edit_changes_details_not_email(app, event, owner):
    registration = _register(event, given_name="Budi")
    client = logged_in(app, owner)
    assert client.get(_url(event, registration, "/edit")).status_code == 200
    fields = form_fields(given_name="Bambang", email="forged@example.org")
    fields.pop("consent")
    response = post_form(client, _url(event, registration, "/edit"), fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    stored = _get(registration.id)
    assert stored.given_name == "Bambang" and stored.email == registration.email
    assert AuditEntry.query.filter_by(action="registration.update").one().user_id == owner.id


# --- decisions -------------------------------------------------------------------------------

def test_registration_approve_and_reject(app, owner):
    event = create_event(owner, requires_approval=True, capacity=5)
    first, second = _register(event), _register(event)
    assert first.status == RegistrationStatus.PENDING
    client = logged_in(app, owner)
    assert post_form(client, _url(event, first, "/approve")).status_code == 302
    response = post_form(client, _url(event, second, "/reject"),
                         {"reject-reason": "The delegation is complete."})
    assert response.status_code == 302
    assert _get(first.id).status == RegistrationStatus.CONFIRMED
    rejected = _get(second.id)
    assert (rejected.status, rejected.decision_reason) == (
        RegistrationStatus.REJECTED, "The delegation is complete.")
    again = post_form(client, _url(event, first, "/approve"))
    assert again.status_code == 409  # only pending registrations can be approved


def test_registration_reject_refuses_a_too_long_reason(app, owner):
    event = create_event(owner, requires_approval=True)
    registration = _register(event)
    response = post_form(logged_in(app, owner), _url(event, registration, "/reject"),
                         {"reject-reason": "x" * 2001})
    assert response.status_code == 422
    assert _get(registration.id).status == RegistrationStatus.PENDING


def test_registration_cancel_promotes_the_waiting_list(app, event, owner):
    first, _second = _register(event), _register(event)
    waiting = _register(event)
    assert waiting.status == RegistrationStatus.WAITLISTED
    response = post_form(logged_in(app, owner), _url(event, first, "/cancel"),
                         {"cancel-reason": "Replaced by the ambassador."}, follow_redirects=True)
    assert response.status_code == 200
    assert "moved up from the waiting list" in response.get_data(as_text=True)
    assert _get(first.id).status == RegistrationStatus.CANCELLED
    assert _get(waiting.id).status == RegistrationStatus.CONFIRMED
    history = logged_in(app, owner).get(_url(event, first)).get_data(as_text=True)
    assert "Replaced by the ambassador." in history


# --- bulk actions ----------------------------------------------------------------------------

def test_registrations_bulk_approve_only_this_events_ids(app, owner):
    event = create_event(owner, requires_approval=True, capacity=10)
    other = create_event(owner, requires_approval=True)
    mine = [_register(event) for _ in range(3)]
    foreign = _register(other)
    client = logged_in(app, owner)
    response = post_form(client, f"/manage/events/{event.id}/registrations/bulk?status=pending",
                         {"action": "approve",
                          "ids": [str(r.id) for r in mine[:2]] + [str(foreign.id), "abc"]})
    assert response.status_code == 302
    assert "status=pending" in response.headers["Location"]
    statuses = {r.id: _get(r.id).status for r in [*mine, foreign]}
    assert statuses == {mine[0].id: RegistrationStatus.CONFIRMED,
                        mine[1].id: RegistrationStatus.CONFIRMED,
                        mine[2].id: RegistrationStatus.PENDING,
                        foreign.id: RegistrationStatus.PENDING}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 registrations approved." in page


def test_registrations_bulk_cancel_and_reject(app, event, owner):
    confirmed = [_register(event), _register(event)]
    waiting = _register(event)
    client = logged_in(app, owner)
    url = f"/manage/events/{event.id}/registrations/bulk"
    post_form(client, url, {"action": "reject", "ids": [str(waiting.id), str(confirmed[0].id)],
                            "reason": "Sorry"})
    assert _get(waiting.id).status == RegistrationStatus.REJECTED
    assert _get(confirmed[0].id).status == RegistrationStatus.CONFIRMED
    post_form(client, url, {"action": "cancel", "ids": [str(r.id) for r in confirmed]})
    assert {_get(r.id).status for r in confirmed} == {
        RegistrationStatus.CANCELLED}


def test_registrations_bulk_refuses_bad_requests(app, event, owner, make_user):
    registration = _register(event)
    client = logged_in(app, owner)
    url = f"/manage/events/{event.id}/registrations/bulk"
    assert post_form(client, url, {"action": "approve"}).status_code == 422
    assert post_form(client, url, {"action": "delete", "ids": [str(registration.id)]}) \
        .status_code == 422
    viewer = make_user("staff")
    add_team_member(event, viewer, can_checkin=True)
    response = post_form(logged_in(app, viewer), url,
                         {"action": "cancel", "ids": [str(registration.id)]})
    assert response.status_code == 403
    assert _get(registration.id).status == RegistrationStatus.CONFIRMED
