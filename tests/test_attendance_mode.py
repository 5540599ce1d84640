"""In person, online or hybrid (issue 16): the event settings, the private join link, how each
delegate attends, the announcement of a new link (services.events.attendance)."""

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.models import (
    AuditEntry,
    Event,
    EventStatus,
    OutboxEmail,
    Registration,
    RegistrationStatus,
    utcnow,
)
from seminar_app.services.accounts import api_tokens
from seminar_app.services.documents.badges import badge_content
from seminar_app.services.errors import ServiceError
from seminar_app.services.events import events as event_service
from seminar_app.services.events.attendance import event_mode, join_link
from seminar_app.services.registration import delegations as delegation_service
from seminar_app.services.registration.registration_input import InvalidInput
from tests.conftest import post_form
from tests.factories import (
    add_registration,
    form_fields,
    logged_in,
    make_registration,
    registration_event,
    service_data,
    visa_fields,
)

URL = "https://meet.example.org/j/secret-room-4711"
NEW_URL = "https://meet.example.org/j/another-room-9000"
NO_VENUE = {"venue_name": "", "venue_address": "", "venue_city": "", "venue_country": ""}


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def hybrid_event(owner, **overrides):
    return registration_event(owner, attendance_mode="hybrid", online_url=URL, **overrides)


def online_event(owner, **overrides):
    return registration_event(owner, attendance_mode="online", online_url=URL,
                              **{**NO_VENUE, **overrides})


def emails_to(address: str) -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == address)
                                   .order_by(OutboxEmail.id)))


def everything(email: OutboxEmail) -> str:
    """Subject, both bodies and the attachments of an email in the outbox."""
    attachments = " ".join(str(item.get("data", "")) for item in email.attachments or [])
    return " ".join((email.subject, email.body_text, email.body_html, attachments))


def get_in(client, url, language):
    client.set_cookie("lang", language)
    return client.get(url)


# --- the link is private ---------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "id"])
def test_public_page_listing_and_calendar_never_show_the_link(client, owner, language):
    hybrid, online = hybrid_event(owner), online_event(owner)
    for event in (hybrid, online):
        for url in (f"/events/{event.slug}", f"/events/{event.slug}/calendar.ics", "/",
                    f"/events/{event.slug}/register"):
            response = get_in(client, url, language)
            assert response.status_code == 200, url
            assert URL not in response.get_data(as_text=True), url
    page = get_in(client, f"/events/{hybrid.slug}", language).get_data(as_text=True)
    expected = {"en": "Hybrid: at Gedung Pancasila and online",
                "id": "Hibrida: di Gedung Pancasila dan secara daring"}[language]
    assert expected in page
    page = get_in(client, f"/events/{online.slug}", language).get_data(as_text=True)
    assert {"en": "The online link is sent to confirmed delegates who attend online.",
            "id": "Tautan daring dikirim kepada delegasi terkonfirmasi yang hadir secara "
                  "daring."}[language] in page
    ics = client.get(f"/events/{online.slug}/calendar.ics").get_data(as_text=True)
    assert "LOCATION:Online" in ics


def test_public_api_has_no_link_and_staff_token_api_has(client, owner):
    event = online_event(owner)
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200 and URL not in schema.get_data(as_text=True)
    anonymous = client.get(f"/api/v1/events/{event.id}")
    assert anonymous.status_code == 401 and URL not in anonymous.get_data(as_text=True)
    secret = api_tokens.create_token(owner, name="Desk", can_write=False)[1]
    staff = client.get(f"/api/v1/events/{event.id}",
                       headers={"Authorization": f"Bearer {secret}"}).get_json()["data"]
    assert staff["online_url"] == URL and staff["attendance_mode"] == "online"


def test_staff_see_the_link_on_their_pages(app, owner):
    event = hybrid_event(owner)
    staff = logged_in(app, owner)
    assert URL in staff.get(f"/manage/events/{event.id}").get_data(as_text=True)
    assert URL in staff.get(f"/manage/events/{event.id}/edit").get_data(as_text=True)


# --- who gets the link -----------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "id"])
def test_confirmed_online_delegate_sees_the_link_and_gets_it_by_email(client, owner, language,
                                                                        smtp_server):
    event = hybrid_event(owner)
    registration, token = make_registration(event, email="online@example.org",
                                            attendance="online", language=language)
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.attendance == "online" and join_link(registration) == URL
    page = get_in(client, f"/r/{token}", language).get_data(as_text=True)
    assert URL in page
    assert {"en": "You attend online.", "id": "Anda hadir secara daring."}[language] in page
    message = smtp_server.wait_for(1)[0]["message"]  # through the outbox and real SMTP
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert URL in text and URL in html
    assert {"en": "Join online (keep this link private):",
            "id": "Ikuti secara daring (jangan bagikan tautan ini):"}[language] in text
    ics = next(message.iter_attachments()).get_payload(decode=True).decode()
    assert URL in ics.replace("\r\n ", "")


def test_online_event_delegate_gets_the_link(client, owner):
    event = online_event(owner)
    registration, token = make_registration(event, email="o@example.org")
    assert registration.attendance == "online"
    assert URL in client.get(f"/r/{token}").get_data(as_text=True)
    assert URL in everything(emails_to("o@example.org")[0])


def test_in_person_delegate_of_a_hybrid_event_does_not_get_the_link(client, owner):
    event = hybrid_event(owner)
    registration, token = make_registration(event, email="here@example.org",
                                            attendance="in_person")
    assert registration.status == RegistrationStatus.CONFIRMED and join_link(registration) == ""
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert URL not in page and "In person" in page
    assert URL not in everything(emails_to("here@example.org")[0])


def test_waitlisted_and_pending_online_delegates_do_not_get_the_link(client, owner):
    full = hybrid_event(owner, capacity=1)
    make_registration(full, email="first@example.org", attendance="in_person")
    waiting, waiting_token = make_registration(full, email="wait@example.org",
                                               attendance="online")
    moderated = hybrid_event(owner, requires_approval=True)
    pending, pending_token = make_registration(moderated, email="pending@example.org",
                                               attendance="online")
    assert waiting.status == RegistrationStatus.WAITLISTED
    assert pending.status == RegistrationStatus.PENDING
    for registration, token in ((waiting, waiting_token), (pending, pending_token)):
        assert join_link(registration) == ""
        assert URL not in client.get(f"/r/{token}").get_data(as_text=True)
        email = emails_to(registration.email)[0]
        assert URL not in everything(email)
        assert "the link is sent once your registration is confirmed" in email.body_text


# --- the registration asks at a hybrid event -------------------------------------------------

@pytest.mark.parametrize(("language", "message"), [
    ("en", "Please choose how you will attend: in person or online."),
    ("id", "Pilih cara Anda hadir: secara langsung atau daring."),
])
def test_hybrid_form_requires_a_choice(client, owner, language, message):
    event = hybrid_event(owner)
    client.set_cookie("lang", language)
    form = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert 'name="attendance"' in form
    response = post_form(client, f"/events/{event.slug}/register",
                         form_fields(email="nochoice@example.org"))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Registration.id).where(
        Registration.email == "nochoice@example.org")) is None
    done = post_form(client, f"/events/{event.slug}/register",
                     form_fields(email="chose@example.org", attendance="online"))
    assert done.status_code == 303
    assert db.session.scalar(select(Registration.attendance).where(
        Registration.email == "chose@example.org")) == "online"


def test_other_events_do_not_ask_and_store_their_mode(client, owner):
    in_person, online = registration_event(owner), online_event(owner)
    assert 'name="attendance"' not in client.get(
        f"/events/{in_person.slug}/register").get_data(as_text=True)
    online_form = client.get(f"/events/{online.slug}/register").get_data(as_text=True)
    assert 'name="attendance"' not in online_form and 'name="needs_visa_letter"' not in online_form
    for event, email in ((in_person, "a@example.org"), (online, "b@example.org")):
        assert post_form(client, f"/events/{event.slug}/register",
                         form_fields(email=email)).status_code == 303
    stored = dict(db.session.execute(select(Registration.email, Registration.attendance)).all())
    assert stored == {"a@example.org": "in_person", "b@example.org": "online"}
    with pytest.raises(InvalidInput) as refused:
        make_registration(in_person, attendance="online")
    assert refused.value.field == "attendance"
    assert refused.value.message == "This event is held in person only."
    db.session.rollback()


@pytest.mark.parametrize(("language", "message"), [
    ("en", "Delegates attending online need no visa invitation letter."),
    ("id", "Delegasi yang hadir secara daring tidak memerlukan surat undangan visa."),
])
def test_online_delegates_need_no_visa_letter(client, owner, language, message):
    event = hybrid_event(owner)
    client.set_cookie("lang", language)
    response = post_form(client, f"/events/{event.slug}/register", {
        **form_fields(email="visa@example.org", attendance="online"), **visa_fields(event)})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert post_form(client, f"/events/{event.slug}/register", {
        **form_fields(email="visa@example.org", attendance="in_person"),
        **visa_fields(event)}).status_code == 303


def test_delegation_members_attend_as_the_head_unless_they_choose(owner):
    event = hybrid_event(owner)
    head = service_data(email="head@example.org", delegation_role="head", honorific="he",
                        attendance="online")
    members = [{"honorific": "mr", "given_name": "Ayu", "email": "m1@example.org"},
               {"honorific": "ms", "given_name": "Sri", "email": "m2@example.org",
                "attendance": "in_person"}]
    delegation_service.register_delegation(event, head, members)
    stored = dict(db.session.execute(select(Registration.email, Registration.attendance)).all())
    assert stored == {"head@example.org": "online", "m1@example.org": "online",
                      "m2@example.org": "in_person"}


# --- the API ---------------------------------------------------------------------------------

def test_api_accepts_and_validates_attendance(client, owner):
    event, in_person = hybrid_event(owner), registration_event(owner)
    secret = api_tokens.create_token(owner, name="Website", can_write=True)[1]
    headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "id"}
    body = {"honorific": "mr", "given_name": "Budi", "family_name": "Santoso",
            "country": "ID", "organisation": "Kemlu", "delegation_role": "delegate"}

    def post(target, **extra):
        return client.post(f"/api/v1/events/{target.id}/registrations", headers=headers,
                           json={**body, **extra})

    created = post(event, email="api1@example.org", attendance="online")
    assert created.status_code == 201 and created.get_json()["data"]["attendance"] == "online"
    missing = post(event, email="api2@example.org")
    assert missing.status_code == 422
    assert missing.get_json()["error"]["fields"] == {
        "attendance": "Pilih cara Anda hadir: secara langsung atau daring."}
    assert post(event, email="api3@example.org", attendance="remote").status_code in (400, 422)
    wrong = post(in_person, email="api4@example.org", attendance="online")
    assert wrong.status_code == 422
    assert wrong.get_json()["error"]["fields"] == {
        "attendance": "Acara ini hanya diselenggarakan secara langsung."}
    plain = post(in_person, email="api5@example.org")
    assert plain.status_code == 201 and plain.get_json()["data"]["attendance"] == "in_person"
    assert URL not in plain.get_data(as_text=True)


# --- the event settings ----------------------------------------------------------------------

def event_form(event: Event | None = None, **overrides) -> dict:
    """The event form as a browser sends it."""
    zone = ZoneInfo("Asia/Jakarta")
    start = event.start_at if event else (utcnow() + timedelta(days=40)).replace(
        hour=2, minute=0, second=0, microsecond=0)
    end = event.end_at if event else start + timedelta(hours=8)
    local = "%Y-%m-%dT%H:%M"
    data = {
        "title": event.title if event else "Hybrid Forum", "slug": event.slug if event else "",
        "event_type": "forum", "theme": "", "description": "", "timezone": "Asia/Jakarta",
        "start_at": start.astimezone(zone).strftime(local),
        "end_at": end.astimezone(zone).strftime(local),
        "venue_name": "Gedung Pancasila", "venue_address": "", "venue_city": "Jakarta",
        "venue_country": "ID", "online_url": "", "languages": ["en", "id"], "capacity": "",
        "registration_opens_at": "", "registration_closes_at": "", "visibility": "public",
        "contact_name": "", "contact_email": "", "contact_phone": "",
        "attendance_mode": "in_person", "nomination_deadline": "", "promotion_confirm_days": "",
    }
    data.update(overrides)
    return data


def test_online_event_without_venue_validates_and_in_person_without_venue_is_refused(app,
                                                                                      owner):
    staff = logged_in(app, owner)
    online = post_form(staff, "/manage/events/new", event_form(
        attendance_mode="online", online_url=URL, **NO_VENUE))
    assert online.status_code == 302
    assert db.session.scalar(select(Event.attendance_mode)) == "online"
    refused = post_form(staff, "/manage/events/new", event_form(
        title="Nowhere", attendance_mode="in_person", online_url=URL, venue_name="",
        venue_city=""))
    assert refused.status_code == 302  # an in-person event with only a link: stored online
    assert db.session.scalar(select(Event.attendance_mode).where(Event.title == "Nowhere")) \
        == "online"
    staff.set_cookie("lang", "id")
    no_venue = post_form(staff, "/manage/events/new", event_form(
        title="Nothing", attendance_mode="hybrid", online_url=URL, **NO_VENUE))
    assert no_venue.status_code == 422
    assert "Acara tatap muka atau hibrida memerlukan tempat acara" in no_venue.get_data(
        as_text=True)
    no_link = post_form(staff, "/manage/events/new", event_form(
        title="Nothing", attendance_mode="online", **NO_VENUE))
    assert no_link.status_code == 422
    assert "Acara daring atau hibrida memerlukan tautan daringnya." in no_link.get_data(
        as_text=True)
    nothing = post_form(staff, "/manage/events/new", event_form(
        title="Nothing", attendance_mode="in_person", **NO_VENUE))
    assert nothing.status_code == 422
    assert db.session.scalar(select(Event.id).where(Event.title == "Nothing")) is None


def test_service_refuses_an_in_person_event_without_venue(owner):
    start = utcnow() + timedelta(days=3)
    data = {"title": "API event", "start_at": start, "end_at": start + timedelta(hours=2),
            "attendance_mode": "in_person", **NO_VENUE}
    with pytest.raises(ServiceError) as refused:
        event_service.create_event(owner=owner, data=data)
    assert refused.value.field == "venue_name"
    db.session.rollback()


def test_an_older_in_person_event_with_only_a_link_still_validates(client, owner):
    event = registration_event(owner, online_url=URL, **NO_VENUE)  # attendance_mode default
    assert event.attendance_mode == "in_person" and event_mode(event).value == "online"
    secret = api_tokens.create_token(owner, name="Website", can_write=True)[1]
    changed = client.patch(f"/api/v1/events/{event.id}", json={"capacity": 40},
                           headers={"Authorization": f"Bearer {secret}"})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["data"]["attendance_mode"] == "online"
    registration, _token = make_registration(event)
    assert registration.attendance == "online" and join_link(registration) == URL


def test_nomination_deadline_and_promotion_days(app, owner, client):
    staff = logged_in(app, owner)
    base = event_form()
    late = post_form(staff, "/manage/events/new", {**base, "nomination_deadline": base["end_at"]})
    assert late.status_code == 422
    assert "The nomination deadline must be before the event ends." in late.get_data(
        as_text=True)
    too_many = post_form(staff, "/manage/events/new", {**base, "promotion_confirm_days": "31"})
    assert too_many.status_code == 422
    assert "Enter a number of days from 1 to 30, or leave empty." in too_many.get_data(
        as_text=True)
    deadline_local = base["start_at"]
    saved = post_form(staff, "/manage/events/new", {
        **base, "nomination_deadline": deadline_local, "promotion_confirm_days": "3"})
    assert saved.status_code == 302
    event = db.session.scalar(select(Event))
    assert event.promotion_confirm_days == 3
    assert event.nomination_deadline == event.start_at  # local time read in the event's zone
    edit = staff.get(f"/manage/events/{event.id}/edit").get_data(as_text=True)
    assert f'value="{deadline_local}"' in edit
    secret = api_tokens.create_token(owner, name="Website", can_write=True)[1]
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.patch(f"/api/v1/events/{event.id}", json={"promotion_confirm_days": 0},
                        headers=headers).status_code in (400, 422)
    ok = client.patch(f"/api/v1/events/{event.id}", json={"promotion_confirm_days": 30,
                                                         "nomination_deadline": None},
                      headers=headers)
    assert ok.status_code == 200
    assert ok.get_json()["data"]["promotion_confirm_days"] == 30
    assert ok.get_json()["data"]["nomination_deadline"] is None


# --- a new link is announced -----------------------------------------------------------------

def test_changing_the_link_emails_exactly_the_confirmed_online_delegates(app, owner):
    event = hybrid_event(owner, capacity=3)
    online_en, _t = make_registration(event, email="en@example.org", attendance="online")
    online_id, _t = make_registration(event, email="id@example.org", attendance="online",
                                      language="id")
    make_registration(event, email="here@example.org", attendance="in_person")
    make_registration(event, email="waiting@example.org", attendance="online")  # full: waits
    add_registration(event, email="gone@example.org", attendance="online",
                     status=RegistrationStatus.CANCELLED)
    before = db.session.scalar(select(db.func.count(OutboxEmail.id)))
    staff = logged_in(app, owner)
    response = post_form(staff, f"/manage/events/{event.id}/edit", event_form(
        event, attendance_mode="hybrid", online_url=NEW_URL, capacity="3"),
        follow_redirects=True)
    assert response.status_code == 200
    assert "The new online link was emailed to 2 delegates attending online." in \
        response.get_data(as_text=True)
    told = list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.id > before)))
    assert sorted(email.recipient for email in told) == ["en@example.org", "id@example.org"]
    by_address = {email.recipient: email for email in told}
    assert by_address["en@example.org"].subject.startswith("New online link for")
    assert by_address["id@example.org"].subject.startswith("Tautan daring baru untuk")
    for email in told:
        assert NEW_URL in email.body_text and NEW_URL in email.body_html
        assert URL not in email.body_text
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "event.join_link_change"))
    assert entry is not None
    # saving again without a change tells nobody
    again = post_form(staff, f"/manage/events/{event.id}/edit", event_form(
        event, attendance_mode="hybrid", online_url=NEW_URL, capacity="3"))
    assert again.status_code == 302
    assert db.session.scalar(select(db.func.count(OutboxEmail.id))) == before + 2


def test_changing_the_link_through_the_api_tells_them_too(client, owner, smtp_server):
    event = online_event(owner)
    make_registration(event, email="o1@example.org")
    smtp_server.wait_for(1)
    secret = api_tokens.create_token(owner, name="Website", can_write=True)[1]
    response = client.patch(f"/api/v1/events/{event.id}", json={"online_url": NEW_URL},
                            headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    message = smtp_server.wait_for(2)[1]["message"]
    assert message["To"].endswith("o1@example.org>") or "o1@example.org" in message["To"]
    assert NEW_URL in message.get_body(("plain",)).get_content()


def test_a_draft_event_tells_nobody(owner):
    event = hybrid_event(owner)
    make_registration(event, email="x@example.org", attendance="online")
    event.status = EventStatus.DRAFT
    db.session.commit()
    data = {key: getattr(event, key) for key in ("title", "start_at", "end_at", "venue_name",
                                                 "attendance_mode")}
    _event, told = event_service.change_event_details(event, data={**data, "online_url": NEW_URL})
    assert told == 0 and len(emails_to("x@example.org")) == 1


# --- staff lists, exports, dashboard, badges -------------------------------------------------

def test_participant_list_export_and_dashboard_show_attendance(app, owner):
    event = hybrid_event(owner)
    make_registration(event, email="on@example.org", attendance="online",
                      given_name="Onlineperson")
    make_registration(event, email="off@example.org", attendance="in_person",
                      given_name="Roomperson")
    staff = logged_in(app, owner)
    base = f"/manage/events/{event.id}/registrations"
    listed = staff.get(f"{base}?attendance=online").get_data(as_text=True)
    assert "Onlineperson" in listed and "Roomperson" not in listed
    assert 'id="filter-attendance"' in listed and "data-attendance-online" in listed
    listed = staff.get(f"{base}?attendance=in_person").get_data(as_text=True)
    assert "Roomperson" in listed and "Onlineperson" not in listed
    export = staff.get(f"/manage/events/{event.id}/export.csv?lang=id")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    column = rows[0].index("Kehadiran")
    assert sorted(row[column] for row in rows[1:]) == ["Daring", "Secara langsung"]
    dashboard = staff.get(f"/manage/events/{event.id}/dashboard").get_data(as_text=True)
    assert "Confirmed in person" in dashboard and "Confirmed online" in dashboard
    online = db.session.scalar(select(Registration).where(
        Registration.email == "on@example.org"))
    with app.test_request_context():
        assert badge_content(online, language="en").role_label.endswith("· Online")


def test_every_registration_form_asks_at_a_hybrid_event(app, client, owner):
    event = hybrid_event(owner)
    delegation = client.get(f"/events/{event.slug}/register/delegation")
    assert delegation.status_code == 200
    page = delegation.get_data(as_text=True)
    assert 'name="attendance"' in page and "members-0-attendance" in page
    staff = logged_in(app, owner)
    form = staff.get(f"/manage/events/{event.id}/registrations/new")
    assert form.status_code == 200 and 'name="attendance"' in form.get_data(as_text=True)
    _registration, token = make_registration(event, email="edit@example.org",
                                             attendance="in_person")
    edit = client.get(f"/r/{token}/edit").get_data(as_text=True)
    assert 'name="attendance"' in edit
    changed = post_form(client, f"/r/{token}/edit",
                        form_fields(attendance="online", consent=None, email=None))
    assert changed.status_code == 303
    assert db.session.scalar(select(Registration.attendance).where(
        Registration.email == "edit@example.org")) == "online"
