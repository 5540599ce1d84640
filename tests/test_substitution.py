"""Substitution keeps the seat: another person takes over a registration (same row, same
status, same place), old links and badge stop working, both people are emailed, audited;
staff replace directly, delegates ask and staff approve or refuse; under a rush a waiting
delegate never takes a substituted seat (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import (
    AuditEntry,
    Invitee,
    Registration,
    RegistrationLink,
    RegistrationStatus,
    SubstitutionRequest,
    SubstitutionStatus,
    utcnow,
)
from seminar_app.services.errors import Conflict, NotFound, ServiceError
from seminar_app.services.registration import checkin, substitution
from seminar_app.services.registration import registrations as service
from seminar_app.services.registration.registration_codes import hash_token
from tests.conftest import PASSWORD, post_form
from tests.factories import (
    add_question,
    add_team_member,
    form_fields,
    make_registration,
    registration_event,
    service_data,
    visa_fields,
)
from tests.test_concurrency import (  # noqa: F401
    Browser,
    _no_rate_limits,
    live_server,
    release_database,
    stored,
)

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def new_person(**overrides) -> dict:
    """What a staff member or a delegate gives for the new person (service data)."""
    data = service_data(honorific="ms", given_name="Siti", family_name="Rahayu",
                        email="siti@example.org", organisation="Embassy of Indonesia",
                        position="Counsellor", delegation_role="delegate", language="id",
                        dietary="Vegetarian")
    data.update(overrides)
    return data


def substitute_form(**overrides) -> dict:
    """What the browser sends on the substitution form (no CSRF token)."""
    fields = form_fields(given_name="Siti", family_name="Rahayu", email="siti@example.org",
                         honorific="ms", delegation_role="delegate", language="id",
                         phone="+62 21 3441508", organisation="Embassy of Indonesia")
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def visa_values(event) -> dict:
    """Valid passport values for the services (dates as dates)."""
    values = {**visa_fields(event), "needs_visa_letter": True}
    for name in ("birth_date", "passport_expiry"):
        values[name] = date.fromisoformat(values[name])
    return values


def full_event(owner, *, capacity=2, waiting=2):
    """A full event with a waiting list: (event, [(registration, token)] confirmed,
    [registration] waiting)."""
    event = registration_event(owner, capacity=capacity)
    confirmed = [make_registration(event, email=f"c{i}@example.org") for i in range(capacity)]
    waiting_list = [make_registration(event, email=f"w{i}@example.org")[0]
                    for i in range(waiting)]
    assert all(r.status == WAITLISTED for r in waiting_list)
    return event, confirmed, waiting_list


def audit(registration, action="registration.substituted"):
    return db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.object_id == registration.id)).all()


# --- the service -----------------------------------------------------------------------------

def test_substitution_keeps_the_row_status_and_place(owner):
    event, confirmed, waiting_list = full_event(owner)
    (registration, old_token), _other = confirmed
    registration = db.session.get(Registration, registration.id)
    old_reference, old_badge, row_id = (registration.reference, registration.badge_code,
                                        registration.id)
    confirmed_at = registration.confirmed_at

    _reg, token = substitution.substitute(registration, new_person(), actor=owner)

    db.session.expire_all()
    registration = db.session.get(Registration, row_id)
    assert registration.status == CONFIRMED and registration.confirmed_at == confirmed_at
    assert (registration.given_name, registration.family_name, registration.email) == (
        "Siti", "Rahayu", "siti@example.org")
    assert registration.position == "Counsellor" and registration.language == "id"
    assert registration.dietary == "Vegetarian" and registration.country == "ID"
    assert registration.reference != old_reference and registration.badge_code != old_badge
    assert [w.status for w in waiting_list] == [WAITLISTED, WAITLISTED]
    for waiting in waiting_list:
        db.session.refresh(waiting)
        assert waiting.status == WAITLISTED  # nobody moved up: the place was never free
    assert db.session.scalar(select(func.count(Registration.id)).where(
        Registration.event_id == event.id, Registration.status == CONFIRMED)) == 2
    # one personal link: the new person's
    hashes = db.session.scalars(select(RegistrationLink.token_hash).where(
        RegistrationLink.registration_id == row_id)).all()
    assert hashes == [hash_token(token)]
    with pytest.raises(NotFound):
        service.get_registration_by_token(old_token)
    assert service.get_registration_by_token(token).id == row_id


def test_old_person_data_does_not_survive_on_the_row(owner):
    event = registration_event(owner)
    question = add_question(event, "Hotel?")
    registration, _token = service.register(
        event, data=service_data(email="old@example.org", given_name="Ahmad",
                                 family_name="Old", position="Minister",
                                 phone="+62 21 3441508", dietary="Halal",
                                 accessibility="Wheelchair", **visa_values(event)),
        answers={question.id: "Hotel Indonesia"})
    assert registration.passport_number == "B1234567"
    substitution.substitute(registration, new_person(phone="", dietary=""), actor=owner)
    db.session.expire_all()
    registration = db.session.get(Registration, registration.id)
    values = {column: getattr(registration, column) for column in (
        "given_name", "family_name", "email", "position", "phone", "dietary", "accessibility",
        "passport_number", "nationality", "birth_place", "birth_date", "passport_expiry")}
    assert values == {"given_name": "Siti", "family_name": "Rahayu",
                      "email": "siti@example.org", "position": "Counsellor", "phone": "",
                      "dietary": "", "accessibility": "", "passport_number": "",
                      "nationality": "", "birth_place": "", "birth_date": None,
                      "passport_expiry": None}
    assert registration.needs_visa_letter is False and registration.answers == []
    row = " ".join(str(v) for v in values.values())
    for trace in ("Ahmad", "old@example.org", "Minister", "Halal", "Wheelchair", "B1234567"):
        assert trace not in row


def test_substitute_with_a_visa_letter_keeps_the_new_passport(owner):
    event = registration_event(owner)
    registration, _token = make_registration(event, email="old@example.org")
    substitution.substitute(registration, new_person(**visa_values(event)),
                            actor=owner)
    db.session.expire_all()
    registration = db.session.get(Registration, registration.id)
    assert registration.needs_visa_letter and registration.passport_number == "B1234567"
    assert registration.nationality == "MY"


def test_audit_names_who_replaced_whom_and_who_did_it(owner):
    event = registration_event(owner)
    registration, _token = make_registration(event, email="old@example.org",
                                             given_name="Ahmad", family_name="Old")
    old_reference = registration.reference
    substitution.substitute(registration, new_person(), actor=owner)
    [entry] = audit(registration)
    assert entry.user_id == owner.id
    assert entry.details["old_name"] == "Ahmad Old"
    assert entry.details["old_email"] == "old@example.org"
    assert entry.details["new_name"] == "Siti Rahayu"
    assert entry.details["new_email"] == "siti@example.org"
    assert entry.details["old_reference"] == old_reference
    assert entry.details["source"] == "staff"


def test_a_head_substitutes_without_a_staff_account(owner):
    event = registration_event(owner)
    registration, _token = make_registration(event, email="member@example.org")
    substitution.substitute(registration, new_person(), actor=None,
                            source=substitution.SubstitutionSource.HEAD,
                            by="Retno Marsudi <head@example.org>")
    [entry] = audit(registration)
    assert entry.user_id is None and entry.details["source"] == "head"
    assert entry.details["by"] == "Retno Marsudi <head@example.org>"


def test_old_badge_code_and_reference_are_refused_at_check_in(owner):
    event = registration_event(owner)
    registration, _token = make_registration(event, email="old@example.org")
    old_badge, old_reference = registration.badge_code, registration.reference
    substitution.substitute(registration, new_person(), actor=owner)
    for code in (old_badge, old_reference):
        with pytest.raises(NotFound):
            checkin.check_in(event, badge_code=code, user=owner)
    db.session.expire_all()
    registration = db.session.get(Registration, registration.id)
    result = checkin.check_in(event, badge_code=registration.badge_code, user=owner)
    assert result.registration.email == "siti@example.org"


@pytest.mark.parametrize("change, field", [
    ({"email": "c1@example.org"}, "email"),     # already registered for the event
    ({"email": "old@example.org"}, "email"),    # the current delegate's own address
    ({"email": "not-an-address"}, "email"),
    ({"given_name": ""}, "given_name"),
    ({"given_name": "<script>"}, "given_name"),
    ({"honorific": "king"}, "honorific"),
    ({"phone": "12"}, "phone"),
])
def test_bad_new_person_is_refused_and_nothing_changes(owner, change, field):
    event = registration_event(owner)
    make_registration(event, email="c1@example.org")
    registration, token = make_registration(event, email="old@example.org")
    with pytest.raises(ServiceError) as caught:
        substitution.substitute(registration, new_person(**change), actor=owner)
    assert caught.value.field == field and caught.value.message
    db.session.expire_all()
    assert service.get_registration_by_token(token).email == "old@example.org"
    assert audit(registration) == []


def test_an_email_with_a_cancelled_registration_is_refused_too(owner):
    event = registration_event(owner)
    gone, _token = make_registration(event, email="gone@example.org")
    service.cancel_registration(gone)
    registration, _token = make_registration(event, email="old@example.org")
    with pytest.raises(service.AlreadyRegistered):
        substitution.substitute(registration, new_person(email="gone@example.org"),
                                actor=owner)


def test_cancelled_checked_in_or_past_registrations_are_not_substituted(owner):
    event = registration_event(owner)
    cancelled, _t = make_registration(event, email="a@example.org")
    service.cancel_registration(cancelled)
    arrived, _t = make_registration(event, email="b@example.org")
    checkin.check_in(event, badge_code=arrived.badge_code, user=owner)
    for registration in (cancelled, arrived):
        with pytest.raises(Conflict):
            substitution.substitute(registration, new_person(), actor=owner)
    later, _t = make_registration(event, email="c@example.org")
    event.end_at = utcnow() - timedelta(hours=1)
    event.start_at = utcnow() - timedelta(hours=5)
    db.session.commit()
    with pytest.raises(Conflict):
        substitution.substitute(later, new_person(), actor=owner)


def test_waitlisted_registration_keeps_its_place_in_line(owner):
    event, _confirmed, waiting_list = full_event(owner, capacity=1, waiting=3)
    second = waiting_list[1]
    waitlisted_at = second.waitlisted_at
    substitution.substitute(second, new_person(), actor=owner)
    db.session.expire_all()
    second = db.session.get(Registration, second.id)
    assert second.status == WAITLISTED and second.waitlisted_at == waitlisted_at
    from seminar_app.services.registration.waitlist import waitlist_position
    assert waitlist_position(second) == 2


def test_an_invitation_to_the_replaced_person_no_longer_holds_the_registration(owner):
    from seminar_app.services.invitations import rsvp
    from tests.factories import add_invitee

    event = registration_event(owner)
    invitee = add_invitee(event, email="invited@example.org", country="ID")
    acceptance = rsvp.accept_invitation(invitee, data=service_data(
        email="invited@example.org"))
    registration = acceptance.registration
    substitution.substitute(registration, new_person(), actor=owner)
    db.session.expire_all()
    assert db.session.get(Invitee, invitee.id).registration_id is None


# --- emails through the real SMTP server -----------------------------------------------------

def test_both_people_are_emailed_in_their_language(owner, smtp_server, client):
    event = registration_event(owner, title="Jakarta Forum")
    registration, _token = make_registration(event, email="old@example.org", language="en",
                                             given_name="Ahmad", family_name="Old")
    smtp_server.wait_for(1)  # the old person's confirmation
    smtp_server.messages.clear()
    _reg, token = substitution.substitute(registration, new_person(language="id"), actor=owner)
    received = {item["to"][0]: item["message"] for item in smtp_server.wait_for(2)}
    new, old = received["siti@example.org"], received["old@example.org"]
    new_text = new.get_body(("plain",)).get_content()
    old_text = old.get_body(("plain",)).get_content()
    assert f"/r/{token}" in new_text
    assert '<html lang="id">' in new.get_body(("html",)).get_content()
    db.session.expire_all()
    registration = db.session.get(Registration, registration.id)
    assert registration.reference in new_text
    assert old["Subject"] == "You have been replaced for Jakarta Forum"
    assert "Siti Rahayu" in old_text and "/r/" not in old_text
    assert "Ahmad" in old_text and registration.reference not in old_text
    # the link in the new person's email opens their page
    assert client.get(f"/r/{token}").status_code == 200


# --- staff views -----------------------------------------------------------------------------

def _staff_url(event, registration, tail="/substitute"):
    return f"/manage/events/{event.id}/registrations/{registration.id}{tail}"


def test_staff_replace_a_person_from_the_registration_page(client, auth, owner):
    event, confirmed, waiting_list = full_event(owner)
    (registration, old_token), _other = confirmed
    auth.login(owner)
    response = client.get(_staff_url(event, registration))
    assert response.status_code == 200 and "Replace" in response.get_data(as_text=True)
    response = post_form(client, _staff_url(event, registration), substitute_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(_staff_url(event, registration, "")).get_data(as_text=True)
    assert "Siti" in page and "Replaced by another person" in page
    assert client.get(f"/r/{old_token}").status_code == 404
    rows = stored(event)
    assert rows["siti@example.org"][0] == CONFIRMED
    assert "c0@example.org" not in rows
    assert [rows[f"w{i}@example.org"][0] for i in range(2)] == [WAITLISTED] * 2


def test_staff_form_bad_input_in_both_languages(client, auth, owner):
    event = registration_event(owner)
    make_registration(event, email="taken@example.org")
    registration, _token = make_registration(event, email="old@example.org")
    auth.login(owner)
    response = post_form(client, _staff_url(event, registration),
                         substitute_form(email="taken@example.org"))
    assert response.status_code == 409
    assert "already has a registration" in response.get_data(as_text=True)
    response = post_form(client, _staff_url(event, registration),
                         substitute_form(given_name="", consent=None))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "This field is required." in body
    client.set_cookie("lang", "id")
    response = post_form(client, _staff_url(event, registration),
                         substitute_form(email="taken@example.org"))
    assert response.status_code == 409
    assert "already has a registration" not in response.get_data(as_text=True)
    assert 'lang="id"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).email == "old@example.org"


def test_staff_pages_check_who_is_asking(client, auth, app, owner, make_user):
    event = registration_event(owner)
    registration, _token = make_registration(event, email="old@example.org")
    url = _staff_url(event, registration)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    viewer = make_user("organizer")
    add_team_member(event, viewer, can_checkin=True)
    auth.login(viewer)
    assert client.get(url).status_code == 403
    assert post_form(client, url, substitute_form()).status_code == 403
    assert client.get(f"/manage/events/{event.id}/substitutions").status_code == 403


# --- a delegate asks; staff approve or refuse ------------------------------------------------

def test_delegate_request_waits_for_approval(client, auth, owner, smtp_server):
    event, confirmed, waiting_list = full_event(owner)
    (registration, token), _other = confirmed
    smtp_server.messages.clear()
    assert client.get(f"/r/{token}/substitute").status_code == 200
    response = post_form(client, f"/r/{token}/substitute", substitute_form())
    assert response.status_code == 303
    # nothing changed yet: the delegate's link still works, the details are theirs
    db.session.expire_all()
    assert service.get_registration_by_token(token).email == "c0@example.org"
    request = db.session.scalar(select(SubstitutionRequest))
    assert request.status == SubstitutionStatus.PENDING and request.data["email"] == \
        "siti@example.org"
    # stored encrypted
    raw = db.session.execute(db.text("SELECT data FROM substitution_requests")).scalar()
    assert "siti" not in raw and raw.startswith("v1:")
    # the organizers are told
    organizer_mail = smtp_server.wait_for(1)[0]
    assert organizer_mail["to"] == [owner.email]
    auth.login(owner)
    listing = client.get(f"/manage/events/{event.id}/substitutions").get_data(as_text=True)
    assert "Siti Rahayu" in listing
    smtp_server.messages.clear()
    response = post_form(client,
                         f"/manage/events/{event.id}/registrations/{request.registration_id}"
                         "/substitution/approve", {"request_id": request.id})
    assert response.status_code == 302
    db.session.expire_all()
    request = db.session.get(SubstitutionRequest, request.id)
    assert request.status == SubstitutionStatus.APPROVED and request.data is None
    assert request.decided_by_id == owner.id
    assert client.get(f"/r/{token}").status_code == 404
    rows = stored(event)
    assert rows["siti@example.org"][0] == CONFIRMED
    assert [rows[f"w{i}@example.org"][0] for i in range(2)] == [WAITLISTED] * 2
    recipients = {item["to"][0] for item in smtp_server.wait_for(2)}
    assert recipients == {"siti@example.org", "c0@example.org"}
    [entry] = audit(db.session.get(Registration, registration.id))
    assert entry.details["source"] == "delegate_request"
    assert entry.details["old_email"] == "c0@example.org"


def test_refusal_emails_the_requester_and_changes_nothing(client, auth, owner, smtp_server):
    event = registration_event(owner)
    registration, token = make_registration(event, email="old@example.org", language="en")
    post_form(client, f"/r/{token}/substitute", substitute_form())
    request = db.session.scalar(select(SubstitutionRequest))
    auth.login(owner)
    smtp_server.wait_for(2)  # confirmation + the organizer's notice
    smtp_server.messages.clear()
    url = (f"/manage/events/{event.id}/registrations/{request.registration_id}"
           "/substitution/refuse")
    response = post_form(client, url, {"reason": "Please send a note verbale first.",
                                       "request_id": request.id})
    assert response.status_code == 302
    [mail] = smtp_server.wait_for(1)
    assert mail["to"] == ["old@example.org"]
    assert "Please send a note verbale first." in mail["message"].get_body(
        ("plain",)).get_content()
    db.session.expire_all()
    request = db.session.get(SubstitutionRequest, request.id)
    assert request.status == SubstitutionStatus.REFUSED and request.data is None
    assert service.get_registration_by_token(token).email == "old@example.org"
    # deciding twice is a clear conflict, not a 500
    again = post_form(client, f"/manage/events/{event.id}/registrations/{request.registration_id}"
                      "/substitution/approve", {"request_id": request.id})
    assert again.status_code == 409


def test_delegate_request_bad_input_in_both_languages(client, owner):
    event = registration_event(owner)
    make_registration(event, email="taken@example.org")
    _registration, token = make_registration(event, email="old@example.org")
    response = post_form(client, f"/r/{token}/substitute",
                         substitute_form(email="taken@example.org"))
    assert response.status_code == 409
    english = response.get_data(as_text=True)
    assert "already has a registration" in english
    client.set_cookie("lang", "id")
    response = post_form(client, f"/r/{token}/substitute", substitute_form(email="bad"))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'lang="id"' in body and "Enter a valid email address." not in body
    assert db.session.scalar(select(func.count(SubstitutionRequest.id))) == 0


def test_approval_rechecks_the_email(client, auth, owner):
    event = registration_event(owner)
    _registration, token = make_registration(event, email="old@example.org")
    post_form(client, f"/r/{token}/substitute", substitute_form())
    request = db.session.scalar(select(SubstitutionRequest))
    make_registration(event, email="siti@example.org")  # registered meanwhile
    auth.login(owner)
    response = post_form(client,
                         f"/manage/events/{event.id}/registrations/{request.registration_id}"
                         "/substitution/approve", {"request_id": request.id})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(SubstitutionRequest, request.id).status == SubstitutionStatus.PENDING


def test_unknown_or_other_registrations_request_is_404(client, auth, owner):
    event = registration_event(owner)
    registration, token = make_registration(event, email="old@example.org")
    other, _token = make_registration(event, email="other@example.org")
    post_form(client, f"/r/{token}/substitute", substitute_form())
    request = db.session.scalar(select(SubstitutionRequest))
    auth.login(owner)
    base = f"/manage/events/{event.id}/registrations"
    assert post_form(client, f"{base}/{registration.id}/substitution/approve",
                     {"request_id": 999}).status_code == 404
    assert post_form(client, f"{base}/{other.id}/substitution/approve",
                     {"request_id": request.id}).status_code == 404
    response = post_form(client, f"{base}/{registration.id}/substitution/approve", {})
    assert response.status_code == 422 and "The form expired" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SubstitutionRequest, request.id).status == SubstitutionStatus.PENDING


def test_asking_again_replaces_the_request_and_a_stale_decision_is_refused(client, auth, owner):
    event = registration_event(owner)
    registration, token = make_registration(event, email="old@example.org")
    post_form(client, f"/r/{token}/substitute", substitute_form())
    first = db.session.scalar(select(SubstitutionRequest))
    page = client.get(f"/r/{token}/substitute").get_data(as_text=True)
    assert "data-substitution-pending" in page and "Siti Rahayu" in page
    post_form(client, f"/r/{token}/substitute",
              substitute_form(given_name="Dewi", email="dewi@example.org"))
    auth.login(owner)
    url = f"/manage/events/{event.id}/registrations/{registration.id}/substitution/approve"
    assert post_form(client, url, {"request_id": first.id}).status_code == 409
    db.session.expire_all()
    assert service.get_registration_by_token(token).email == "old@example.org"
    latest = substitution.pending_request(db.session.get(Registration, registration.id))
    assert latest.id != first.id and latest.data["email"] == "dewi@example.org"
    assert db.session.get(SubstitutionRequest, first.id).data is None
    assert post_form(client, url, {"request_id": latest.id}).status_code == 302
    assert stored(event)["dewi@example.org"][0] == CONFIRMED


# --- concurrency -----------------------------------------------------------------------------

def test_substitutions_during_a_rush_never_free_a_seat(live_server, owner):  # noqa: F811
    """A full event (capacity 6) with a waiting list: 3 substitutions by staff, 2
    cancellations and 20 new registrations at once. Exactly the two cancelled places go to
    the first two waiting delegates; the substituted seats stay with their new people; never
    more than 6 confirmed."""
    event, confirmed, waiting_list = full_event(owner, capacity=6, waiting=4)
    staff = [Browser(live_server) for _ in range(3)]
    owner_email = owner.email
    release_database()
    for browser in staff:
        token = browser.csrf_token("/manage/login")
        status, _body, _headers = browser.request(
            "/manage/login", {"email": owner_email, "password": PASSWORD, "csrf_token": token})
        assert status in (302, 303)
    substituted = [_staff_url(event, reg) for reg, _token in confirmed[:3]]
    cancelled_tokens = [token for _reg, token in confirmed[3:5]]
    register_path = f"/events/{event.slug}/register"
    jobs = []
    for number, (browser, path) in enumerate(zip(staff, substituted, strict=True)):
        jobs.append((browser, path, substitute_form(email=f"sub{number}@example.org",
                                                    phone="")))
    for token in cancelled_tokens:
        jobs.append((Browser(live_server), f"/r/{token}/cancel", {}))
    for number in range(20):
        jobs.append((Browser(live_server), register_path,
                     form_fields(email=f"rush{number}@example.org")))
    barrier = threading.Barrier(len(jobs), timeout=60)
    release_database()  # the server needs SQLite's write lock

    def run(job):
        browser, path, payload = job
        csrf = browser.csrf_token(path)
        barrier.wait()
        return browser.request(path, {**payload, "csrf_token": csrf})[0]

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        codes = list(pool.map(run, jobs))
    assert not [code for code in codes if code >= 500], codes
    assert codes[:3] == [302] * 3 and codes[3:5] == [200, 200], codes
    rows = stored(event)
    statuses = [status for status, _country in rows.values()]
    assert statuses.count(CONFIRMED) == 6
    for number in range(3):
        assert rows[f"sub{number}@example.org"][0] == CONFIRMED
    # only the two cancelled places moved the waiting list, in order
    assert [rows[f"w{i}@example.org"][0] for i in range(4)] == [CONFIRMED] * 2 + [WAITLISTED] * 2
    assert all(rows[f"rush{n}@example.org"][0] == WAITLISTED for n in range(20))
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "registration.promote",
        AuditEntry.event_id == event.id)) == 2


# --- the pieces for the pages other helpers own (included by the lead) -----------------------

def test_include_templates_render(app, client, owner):
    from flask import render_template_string

    from seminar_app.services.registration.registration_labels import ROLE_LABELS

    event = registration_event(owner)
    registration, token = make_registration(event, email="old@example.org")
    post_form(client, f"/r/{token}/substitute", substitute_form())
    with app.test_request_context("/"):
        card = render_template_string(
            '{% include "participants/substitution_card.html" %}', registration=registration,
            event=event, can_manage=True, display_name=lambda r: r.full_name,
            ROLE_LABELS=ROLE_LABELS)
        notice = render_template_string(
            '{% include "participants/substitution_notice.html" %}', event=event,
            can_manage=True)
        link = render_template_string('{% include "registration/substitution_link.html" %}',
                                      registration=registration, token=token)
    assert "data-substitution-request" in card and "Siti Rahayu" in card
    assert "data-substitute" in card
    assert 'data-substitutions-waiting="1"' in notice
    assert f"/r/{token}/substitute" in link
