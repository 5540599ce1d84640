"""What staff read of travel (issue 17): the arrivals board by day and hour in the event's
zone with heads of delegation first, the departures board, the rooming list with room-block
use per night (over-block flagged, room sharing counted once), the XLSX in English and
Indonesian, the "changed since the last export" marks, the dashboard's travel figures, and
the focal point giving an accredited nominee's travel."""

import io
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.models import Delegation, Hotel, TravelPlan, utcnow
from seminar_app.services.travel import boards, plans
from tests.conftest import post_form
from tests.factories import add_registration, add_team_member, logged_in
from tests.test_nomination_flow import _accredit, add, base, nomination_of, start
from tests.travel_helpers import day, plan_form, travel_event


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def _plan(registration, event, hotel=None, *, arrive, leave=None, share=None, nights=None,
          **extra):
    """Store a plan directly through the service (arrive: a UTC datetime)."""
    values = {"arrival_at": arrive, "arrival_mode": "flight", "arrival_place": "CGK",
              "arrival_number": "GA 1", "arrival_pickup": True,
              "departure_at": leave or arrive + timedelta(days=3),
              "departure_mode": "flight", "departure_place": "CGK",
              "lodging": "hotel" if hotel else "own", "hotel_id": hotel.id if hotel else None,
              "share_with": share or "", **extra}
    if hotel is not None:
        first, last = nights or (day(event, -1), day(event, 2))
        values.update(check_in=first, check_out=last)
    return plans.set_travel_plan(registration, values, by="staff")


def _utc(event, offset_days: int, hour: int, minute: int = 0) -> datetime:
    """``hour`` local time in Jakarta (UTC+7) on the event's day + offset, in UTC."""
    local = datetime.combine(day(event, offset_days), datetime.min.time())
    return (local.replace(hour=hour, minute=minute) - timedelta(hours=7)).replace(tzinfo=UTC)


def test_arrivals_board_groups_by_local_day_and_hour_with_heads_first(owner):
    event, hotel = travel_event(owner)
    delegation = Delegation(event_id=event.id, name="Delegation of Thailand", country="TH",
                            organisation="MFA")
    db.session.add(delegation)
    db.session.commit()
    member = add_registration(event, country="TH", delegation_id=delegation.id)
    head = add_registration(event, country="TH", delegation_id=delegation.id)
    delegation.head_registration_id = head.id
    early = add_registration(event, country="VN")
    late_night = add_registration(event, country="MY")
    db.session.commit()
    _plan(member, event, hotel, arrive=_utc(event, -1, 14, 5))
    _plan(head, event, hotel, arrive=_utc(event, -1, 14, 50))
    _plan(early, event, arrive=_utc(event, -1, 9, 30))
    # 23:30 local on the day before is 16:30 UTC of that day, 00:30 local the next is 17:30
    _plan(late_night, event, arrive=_utc(event, 0, 0, 30))
    board = boards.board(event)
    assert [d.day for d in board.days] == [day(event, -1), day(event, 0)]
    slots = board.days[0].slots
    assert [slot.hour.hour for slot in slots] == [9, 14]
    assert [row.registration_id for row in slots[1].rows] == [head.id, member.id]
    assert slots[1].rows[0].is_head and slots[1].pickups == 2
    assert board.days[1].slots[0].rows[0].local.hour == 0


def test_rooming_list_counts_rooms_per_night_and_flags_the_block(owner):
    event, hotel = travel_event(owner)
    hotel.block_size = 2
    db.session.commit()
    guests = [add_registration(event) for _ in range(4)]
    arrive = _utc(event, -1, 10)
    _plan(guests[0], event, hotel, arrive=arrive)
    _plan(guests[1], event, hotel, arrive=arrive, share=guests[0].email)
    _plan(guests[2], event, hotel, arrive=arrive)
    _plan(guests[3], event, hotel, arrive=arrive, nights=(day(event, -1), day(event, 0)))
    listing = boards.rooming_list(event)
    nights = {night.night: night for night in listing.hotels[0].nights}
    first = nights[day(event, -1)]
    assert (first.guests, first.rooms, first.over) == (4, 3, True)
    second = nights[day(event, 0)]
    assert (second.guests, second.rooms, second.over) == (3, 2, False)
    assert listing.hotels[0].over_block
    assert len(listing.hotels[0].rows) == 4


@pytest.mark.parametrize(("language", "headers", "sheet", "country"), [
    ("en", ["Hotel", "Name", "Reference", "Country"], "Room blocks", "Netherlands"),
    ("id", ["Hotel", "Nama", "Kode referensi", "Negara"], "Blok kamar", "Belanda"),
])
def test_rooming_xlsx_in_the_staff_members_language(app, owner, language, headers, sheet,
                                                    country):
    event, hotel = travel_event(owner)
    guest = add_registration(event, country="NL")
    _plan(guest, event, hotel, arrive=_utc(event, -1, 10))
    browser = logged_in(app, owner)
    browser.set_cookie("lang", language)
    response = post_form(browser, f"/manage/events/{event.id}/travel/rooming.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Hotel Borobudur", sheet]
    rows = list(workbook["Hotel Borobudur"].values)
    assert list(rows[0][:4]) == headers
    assert rows[1][2] == guest.reference
    assert rows[1][3] == country


def test_exports_mark_what_changed_afterwards(app, owner):
    event, hotel = travel_event(owner)
    first, second = add_registration(event), add_registration(event)
    _plan(first, event, hotel, arrive=_utc(event, -1, 10))
    browser = logged_in(app, owner)
    page = browser.get(f"/manage/events/{event.id}/travel/arrivals").get_data(as_text=True)
    assert page.count("data-changed") == 1
    assert post_form(browser, f"/manage/events/{event.id}/travel/arrivals/exported"
                     ).status_code == 303
    assert post_form(browser, f"/manage/events/{event.id}/travel/rooming.xlsx"
                     ).status_code == 200
    page = browser.get(f"/manage/events/{event.id}/travel/arrivals").get_data(as_text=True)
    assert "data-changed" not in page
    _plan(second, event, hotel, arrive=_utc(event, -1, 11))
    page = browser.get(f"/manage/events/{event.id}/travel/arrivals").get_data(as_text=True)
    assert page.count("data-changed") == 1 and f'data-board-row="{second.reference}" class' \
        in page
    rooming = browser.get(f"/manage/events/{event.id}/travel/rooming").get_data(as_text=True)
    assert rooming.count("data-changed") == 1


def test_required_travel_shows_staff_who_is_missing(app, owner):
    event, _hotel = travel_event(owner, "required")
    missing = add_registration(event, given_name="Tanpa", family_name="Data")
    page = logged_in(app, owner).get(f"/manage/events/{event.id}/travel/arrivals")
    assert "data-travel-missing" in page.get_data(as_text=True)
    assert missing.reference in page.get_data(as_text=True)
    browser = logged_in(app, owner)
    browser.set_cookie("lang", "id")
    page = browser.get(f"/manage/events/{event.id}/travel/arrivals").get_data(as_text=True)
    assert "1 delegasi belum memberikan data kedatangan." in page


@pytest.mark.parametrize(("language", "heading"), [("en", "Arrivals per day"),
                                                   ("id", "Kedatangan per hari")])
def test_dashboard_counts_arrivals_per_day_and_hotel_use(app, owner, language, heading):
    event, hotel = travel_event(owner)
    for hour in (9, 15):
        _plan(add_registration(event), event, hotel, arrive=_utc(event, -1, hour))
    _plan(add_registration(event), event, arrive=_utc(event, 0, 8))
    figures = boards.travel_figures(event)
    assert figures.arrivals_by_day == [(day(event, -1), 2, 2), (day(event, 0), 1, 1)]
    assert figures.hotels == [("Hotel Borobudur", 2, 2, 5)] and figures.own == 1
    browser = logged_in(app, owner)
    browser.set_cookie("lang", language)
    page = browser.get(f"/manage/events/{event.id}/dashboard").get_data(as_text=True)
    assert "data-travel-dashboard" in page and heading in page


def test_boards_print_without_navigation(app, owner):
    event, _hotel = travel_event(owner)
    page = logged_in(app, owner).get(f"/manage/events/{event.id}/travel/arrivals")
    text = page.get_data(as_text=True)
    assert "css/travel.css" in text and 'class="no-print"' in text and "data-print-page" in text


def test_hotels_are_managed_by_organizers(app, owner):
    event, hotel = travel_event(owner)
    browser = logged_in(app, owner)
    response = post_form(browser, f"/manage/events/{event.id}/travel/hotels", {
        "name": "Hotel Indonesia", "address": "Jl. M.H. Thamrin", "block_size": "20",
        "block_from": day(event, -2).isoformat(), "block_to": day(event, -3).isoformat()})
    assert response.status_code == 422
    assert "The block must end after its first night." in response.get_data(as_text=True)
    response = post_form(browser, f"/manage/events/{event.id}/travel/hotels", {
        "name": "Hotel Indonesia", "address": "Jl. M.H. Thamrin", "block_size": "20",
        "block_from": day(event, -2).isoformat(), "block_to": day(event, 3).isoformat()})
    assert response.status_code == 303
    assert db.session.scalar(select(Hotel).where(Hotel.name == "Hotel Indonesia")) is not None
    response = post_form(browser, f"/manage/events/{event.id}/travel", {
        "mode": "required", "change_cutoff_at": f"{day(event, -5).isoformat()}T17:00"})
    assert response.status_code == 303
    settings = boards.travel_settings(event)
    assert settings.mode == "required"
    assert settings.change_cutoff_at.hour == 10  # 17:00 in Jakarta
    post_form(browser, f"/manage/events/{event.id}/travel/hotels/{hotel.id}/delete")
    assert db.session.get(Hotel, hotel.id) is None


def test_focal_point_gives_an_accredited_nominees_travel(client, owner):
    event, hotel = travel_event(owner, nomination_deadline=utcnow() + timedelta(days=10))
    from tests.factories import add_invitee
    mission = add_invitee(event, kind="organisation", name="Anong", email="focal@th.org",
                          country="TH", organisation="Royal Thai Embassy", language="en")
    start(client, mission)
    add(client, mission)
    member = nomination_of(mission).members[0]
    registration = _accredit(member, event)
    page = client.get(f"{base(mission)}/nominate").get_data(as_text=True)
    url = f"{base(mission)}/nominate/members/{member.id}/travel"
    assert url in page
    response = post_form(client, url, plan_form(event, hotel))
    assert response.status_code == 303
    plan = db.session.scalar(select(TravelPlan))
    assert plan.registration_id == registration.id
    assert client.get(f"{base(mission)}/nominate/members/999999/travel").status_code == 404


def test_a_viewer_cannot_change_settings_or_hotels(app, owner, make_user):
    event, hotel = travel_event(owner)
    viewer = make_user("staff")
    add_team_member(event, viewer)
    browser = logged_in(app, viewer)
    assert post_form(browser, f"/manage/events/{event.id}/travel",
                     {"mode": "off"}).status_code == 403
    assert post_form(browser, f"/manage/events/{event.id}/travel/hotels/{hotel.id}/delete"
                     ).status_code == 403


@pytest.mark.parametrize(("language", "all_days"), [("en", "All days"), ("id", "Semua hari")])
def test_the_board_opens_on_one_day_and_shows_all_on_request(app, owner, language, all_days):
    event, _hotel = travel_event(owner)
    first, second = add_registration(event), add_registration(event)
    _plan(first, event, arrive=_utc(event, -1, 10))
    _plan(second, event, arrive=_utc(event, 0, 8))
    browser = logged_in(app, owner)
    browser.set_cookie("lang", language)
    url = f"/manage/events/{event.id}/travel/arrivals"
    page = browser.get(url).get_data(as_text=True)
    assert "data-board-days" in page and all_days in page
    assert f'data-board-row="{first.reference}"' in page
    assert f'data-board-row="{second.reference}"' not in page
    page = browser.get(f"{url}?day={day(event, 0).isoformat()}").get_data(as_text=True)
    assert f'data-board-row="{second.reference}"' in page
    assert f'data-board-row="{first.reference}"' not in page
    page = browser.get(f"{url}?day=all").get_data(as_text=True)
    assert first.reference in page and second.reference in page
    assert browser.get(f"{url}?day=2026-99-99").status_code == 200


@pytest.mark.parametrize(("language", "all_hotels"), [("en", "All hotels"),
                                                      ("id", "Semua hotel")])
def test_the_rooming_list_opens_on_one_hotel(app, owner, language, all_hotels):
    event, hotel = travel_event(owner)
    other = Hotel(event_id=event.id, name="Hotel Indonesia", block_size=1,
                  block_from=hotel.block_from, block_to=hotel.block_to)
    db.session.add(other)
    db.session.commit()
    first, second = add_registration(event), add_registration(event)
    _plan(first, event, hotel, arrive=_utc(event, -1, 10))
    _plan(second, event, other, arrive=_utc(event, -1, 10))
    browser = logged_in(app, owner)
    browser.set_cookie("lang", language)
    url = f"/manage/events/{event.id}/travel/rooming"
    page = browser.get(url).get_data(as_text=True)
    assert all_hotels in page
    shown = [ref for ref in (first.reference, second.reference)
             if f'data-rooming-row="{ref}"' in page]
    assert len(shown) == 1
    page = browser.get(f"{url}?hotel={other.id}").get_data(as_text=True)
    assert f'data-rooming-row="{second.reference}"' in page
    page = browser.get(f"{url}?hotel=all").get_data(as_text=True)
    assert first.reference in page and second.reference in page
    assert browser.get(f"{url}?hotel=abc").status_code == 200


def test_board_days_fall_on_the_local_midnight_of_a_quarter_hour_zone(owner):
    """Kathmandu is UTC+5:45: 18:14 UTC is 23:59 there, 18:15 UTC already the next day. The
    days are counted in SQL by quarter of an hour, then put in the zone."""
    event, _hotel = travel_event(owner)
    event.timezone = "Asia/Kathmandu"
    db.session.commit()
    evening = datetime.combine(day(event, -1), datetime.min.time()).replace(tzinfo=UTC)
    before, after, later = (add_registration(event) for _ in range(3))
    _plan(before, event, arrive=evening.replace(hour=18, minute=14, second=59))
    _plan(after, event, arrive=evening.replace(hour=18, minute=15))
    _plan(later, event, arrive=evening.replace(hour=23, minute=59))
    assert boards.board_days(event) == [(day(event, -1), 1), (day(event, 0), 2)]
    assert [(d.day, d.count) for d in boards.board(event).days] == [(day(event, -1), 1),
                                                                       (day(event, 0), 2)]
