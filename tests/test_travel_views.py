"""Travel and accommodation through personal links and staff pages (issue 17), in English and
Indonesian: the delegate, the head of a delegation for a member and the focal point for an
accredited nominee give arrival, departure and hotel until the cut-off; bad input is refused
next to its field with a 4xx and nothing stored; staff edit any plan at any time."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import AuditEntry, TravelPlan, utcnow
from seminar_app.services.registration import delegations as delegation_service
from seminar_app.services.registration import registrations as registration_service
from tests.conftest import post_form
from tests.factories import add_team_member, logged_in, make_registration, service_data
from tests.travel_helpers import day, plan_form, travel_event


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def _plans() -> int:
    return db.session.scalar(select(func.count()).select_from(TravelPlan))


def _speak(client, language):
    client.set_cookie("lang", language)


def test_personal_page_asks_prominently_when_required(client, owner):
    event, _hotel = travel_event(owner, "required")
    _registration, token = make_registration(event)
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert "data-travel-required" in page and f"/r/{token}/travel" in page
    _speak(client, "id")
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert "Perjalanan dan akomodasi" in page


def test_personal_page_says_nothing_when_travel_is_off(client, owner):
    event, _hotel = travel_event(owner, "off")
    _registration, token = make_registration(event)
    assert "data-travel-section" not in client.get(f"/r/{token}").get_data(as_text=True)
    assert client.get(f"/r/{token}/travel").status_code == 404


@pytest.mark.parametrize("language", ["en", "id"])
def test_delegate_gives_travel_through_the_personal_link(client, owner, language):
    event, hotel = travel_event(owner)
    registration, token = make_registration(event)
    _speak(client, language)
    assert client.get(f"/r/{token}/travel").status_code == 200
    response = post_form(client, f"/r/{token}/travel", plan_form(event, hotel))
    assert response.status_code == 303
    plan = db.session.scalar(select(TravelPlan))
    assert plan.registration_id == registration.id
    assert plan.arrival_place == "CGK" and plan.arrival_pickup and plan.hotel_id == hotel.id
    # 14:35 in Jakarta (UTC+7) is 07:35 UTC
    assert (plan.arrival_at.hour, plan.arrival_at.minute) == (7, 35)
    assert plan.arrival_at.date() == day(event, -1)
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert "GA 881" in page and "Hotel Borobudur" in page
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "travel.plan_changed")).details["by"] == "delegate"


BAD = [
    ({"departure_date": "2020-01-01"}, "departure_date",
     "The departure must be after the arrival.", "Keberangkatan harus setelah kedatangan."),
    ({"arrival_place": "QQQ"}, "arrival_place", "QQQ is not a known IATA airport code",
     "QQQ bukan kode bandara IATA yang dikenal"),
    ({"share_with": "nobody@example.org"}, "share_with",
     "Nobody taking part in this event has this email address or reference.",
     "Tidak ada peserta acara ini dengan alamat email atau nomor referensi tersebut."),
    ({"check_out": "2020-01-01"}, "check_out",
     "The check-out date must be after the check-in date.",
     "Tanggal check-out harus setelah tanggal check-in."),
]


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize(("change", "field", "english", "indonesian"), BAD)
def test_bad_travel_is_refused_next_to_its_field(client, owner, language, change, field,
                                                 english, indonesian):
    event, hotel = travel_event(owner)
    _registration, token = make_registration(event)
    _speak(client, language)
    response = post_form(client, f"/r/{token}/travel", plan_form(event, hotel, **change))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert (english if language == "en" else indonesian) in page
    assert f'id="{field}"' in page and 'aria-invalid="true"' in page
    assert _plans() == 0


@pytest.mark.parametrize("language", ["en", "id"])
def test_sharing_a_room_with_oneself_is_refused(client, owner, language):
    event, hotel = travel_event(owner)
    registration, token = make_registration(event)
    _speak(client, language)
    response = post_form(client, f"/r/{token}/travel",
                         plan_form(event, hotel, share_with=registration.reference))
    assert response.status_code == 422
    assert ("cannot share a room with themselves" if language == "en"
            else "tidak dapat berbagi kamar dengan dirinya sendiri") in response.get_data(
        as_text=True)
    assert _plans() == 0


def test_room_sharing_names_a_delegate_by_email_or_reference(client, owner):
    event, hotel = travel_event(owner)
    other, _other_token = make_registration(event)
    _registration, token = make_registration(event)
    response = post_form(client, f"/r/{token}/travel",
                         plan_form(event, hotel, share_with=other.email.upper()))
    assert response.status_code == 303
    assert db.session.scalar(select(TravelPlan)).share_with_id == other.id


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_hotel_of_another_event_is_refused(client, owner, language):
    event, hotel = travel_event(owner)
    _other_event, other_hotel = travel_event(owner)
    _registration, token = make_registration(event)
    _speak(client, language)
    response = post_form(client, f"/r/{token}/travel",
                         plan_form(event, hotel, hotel_id=str(other_hotel.id)))
    assert response.status_code == 422
    assert _plans() == 0


@pytest.mark.parametrize("language", ["en", "id"])
def test_changes_after_the_cut_off_are_refused(client, owner, language):
    event, hotel = travel_event(owner, cutoff=utcnow() - timedelta(hours=1))
    _registration, token = make_registration(event)
    _speak(client, language)
    page = client.get(f"/r/{token}/travel").get_data(as_text=True)
    assert "data-travel-closed" in page and "data-travel-form" not in page
    response = post_form(client, f"/r/{token}/travel", plan_form(event, hotel))
    assert response.status_code == 409
    assert ("until the cut-off" if language == "en" else "batas waktu") in response.get_data(
        as_text=True)
    assert _plans() == 0


def test_head_gives_a_members_travel_and_a_member_cannot(client, owner):
    event, hotel = travel_event(owner)
    head = service_data(email="head@example.org", delegation_role="head", country="TH")
    members = [{"honorific": "mr", "given_name": "Anggota", "family_name": "Satu",
                "email": "m1@example.org", "delegation_role": "delegate", "position": ""}]
    delegation, tokens = delegation_service.register_delegation(event, head, members)
    head_token = tokens[delegation.head_registration_id]
    member = next(r for r in delegation_service.delegation_members(delegation)
                  if r.id != delegation.head_registration_id)
    page = client.get(f"/r/{head_token}").get_data(as_text=True)
    assert f"/r/{head_token}/delegation/members/{member.id}/travel" in page
    response = post_form(client, f"/r/{head_token}/delegation/members/{member.id}/travel",
                         plan_form(event, hotel))
    assert response.status_code == 303
    assert db.session.scalar(select(TravelPlan)).registration_id == member.id
    member_token = tokens[member.id]
    denied = post_form(client, f"/r/{member_token}/delegation/members/"
                               f"{delegation.head_registration_id}/travel",
                       plan_form(event, hotel))
    assert denied.status_code == 403


def test_staff_edit_any_plan_after_the_cut_off(owner, app, make_user):
    event, hotel = travel_event(owner, cutoff=utcnow() - timedelta(hours=1))
    registration, _token = make_registration(event)
    staff = logged_in(app, owner)
    url = f"/manage/events/{event.id}/registrations/{registration.id}/travel"
    assert staff.get(url).status_code == 200
    response = post_form(staff, url, plan_form(event, hotel, arrival_pickup=None))
    assert response.status_code == 303
    assert db.session.scalar(select(TravelPlan)).arrival_pickup is False
    viewer = make_user("staff")
    add_team_member(event, viewer)
    assert logged_in(app, viewer).get(url).status_code == 403


@pytest.mark.parametrize("path", ["travel", "travel/arrivals", "travel/departures",
                                  "travel/rooming"])
def test_staff_pages_refuse_anonymous_and_strangers(client, app, owner, make_user, path):
    event, _hotel = travel_event(owner)
    url = f"/manage/events/{event.id}/{path}"
    assert client.get(url).status_code == 302
    stranger = logged_in(app, make_user("organizer"))
    assert stranger.get(url).status_code == 403
    assert logged_in(app, owner).get(url).status_code == 200


def test_viewer_sees_boards_but_not_settings(app, owner, make_user):
    event, _hotel = travel_event(owner)
    viewer = make_user("staff")
    add_team_member(event, viewer)
    browser = logged_in(app, viewer)
    assert browser.get(f"/manage/events/{event.id}/travel/arrivals").status_code == 200
    assert browser.get(f"/manage/events/{event.id}/travel").status_code == 403


def test_registration_is_not_blocked_when_travel_is_required(client, owner):
    event, _hotel = travel_event(owner, "required")
    registration, _token = registration_service.register(event, data=service_data())
    assert registration.id is not None


@pytest.mark.parametrize("change", [{"arrival_date": "0001-01-01"},
                                    {"check_in": "9999-12-31"},
                                    {"arrival_date": None},
                                    {"arrival_time": "25:99"},
                                    {"hotel_id": "not-a-number"},
                                    {"arrival_mode": "boat"}])
def test_hostile_travel_input_is_a_4xx_never_a_500(client, owner, change):
    event, hotel = travel_event(owner)
    _registration, token = make_registration(event)
    response = post_form(client, f"/r/{token}/travel", plan_form(event, hotel, **change))
    assert response.status_code == 422
    assert _plans() == 0


def test_a_cut_off_in_year_one_is_refused(app, owner):
    event, _hotel = travel_event(owner)
    browser = logged_in(app, owner)
    response = post_form(browser, f"/manage/events/{event.id}/travel",
                         {"mode": "optional", "change_cutoff_at": "0001-01-01T00:00"})
    assert response.status_code == 422
