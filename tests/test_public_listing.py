"""The public list of events: visibility, order, search, filters, pagination, bad input."""

from datetime import timedelta

import pytest
from werkzeug.datastructures import MultiDict

from seminar_app.models import EventStatus, EventType, Visibility, utcnow
from seminar_app.services.events.listing import (
    EventFilters,
    list_events,
    month_choices,
    parse_filters,
)
from tests.public_factories import create_event, utc


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def titles(filters=None, **kwargs):
    return [event.title for event in list_events(filters or EventFilters(), **kwargs).items]


def test_list_events_hides_drafts_unlisted_invitation_only_and_past(owner):
    create_event(owner, title="Public")
    create_event(owner, title="Draft", status=EventStatus.DRAFT)
    create_event(owner, title="Unlisted", visibility=Visibility.UNLISTED)
    create_event(owner, title="Invitation", visibility=Visibility.INVITATION_ONLY)
    create_event(owner, title="Over", start_at=utcnow() - timedelta(days=3),
                 end_at=utcnow() - timedelta(days=2))
    assert titles() == ["Public"]
    assert titles(EventFilters(past=True)) == ["Over"]


def test_list_events_keeps_cancelled_until_they_end(owner):
    create_event(owner, title="Cancelled", status=EventStatus.CANCELLED)
    create_event(owner, title="Cancelled and over", status=EventStatus.CANCELLED,
                 start_at=utcnow() - timedelta(days=3), end_at=utcnow() - timedelta(hours=1))
    assert titles() == ["Cancelled"]


def test_list_events_soonest_first_and_ongoing_included(owner):
    now = utcnow()
    create_event(owner, title="Later", start_at=now + timedelta(days=60))
    create_event(owner, title="Sooner", start_at=now + timedelta(days=5))
    create_event(owner, title="Ongoing", start_at=now - timedelta(hours=2),
                 end_at=now + timedelta(hours=2))
    assert titles() == ["Ongoing", "Sooner", "Later"]


def test_list_events_search_in_title_theme_and_city(owner):
    create_event(owner, title="Forum on trade", theme="Growing together", venue_city="Jakarta")
    create_event(owner, title="Seminar", theme="Exploring potentials", venue_city="Malang")
    assert titles(EventFilters(q="malang")) == ["Seminar"]
    assert titles(EventFilters(q="GROWING")) == ["Forum on trade"]
    assert titles(EventFilters(q="trade")) == ["Forum on trade"]
    assert titles(EventFilters(q="100%_")) == []


def test_list_events_search_finds_the_indonesian_texts_too(owner):
    create_event(owner, title="Forum on trade", theme="Growing together",
                 translations={"en": {"title": "Forum on trade", "theme": "Growing together"},
                               "id": {"title": "Forum Perdagangan",
                                      "theme": "Tumbuh bersama"}})
    create_event(owner, title="Seminar", translations={"en": {"title": "Seminar"}})
    assert titles(EventFilters(q="perdagangan")) == ["Forum on trade"]
    assert titles(EventFilters(q="TUMBUH")) == ["Forum on trade"]
    assert titles(EventFilters(q="title")) == []  # the JSON's keys are not searched


def test_list_events_filter_by_type(owner):
    create_event(owner, title="A forum", event_type=EventType.FORUM)
    create_event(owner, title="A seminar", event_type=EventType.SEMINAR)
    assert titles(EventFilters(event_type=EventType.FORUM)) == ["A forum"]


def test_list_events_month_is_the_local_month_of_each_event(owner):
    now = utc(2030, 1, 1)
    # 31 March 18:00 UTC is already 1 April in Jayapura (UTC+9) but still March in Jakarta.
    create_event(owner, title="Jayapura", timezone="Asia/Jayapura",
                 start_at=utc(2030, 3, 31, 18), end_at=utc(2030, 4, 1, 6))
    create_event(owner, title="Jakarta", timezone="Asia/Jakarta",
                 start_at=utc(2030, 3, 31, 10), end_at=utc(2030, 3, 31, 12))
    assert titles(EventFilters(month=(2030, 4)), now=now) == ["Jayapura"]
    assert titles(EventFilters(month=(2030, 3)), now=now) == ["Jakarta"]
    assert month_choices(now=now) == [(2030, 3), (2030, 4)]


def test_list_events_paginates_twelve_per_page(owner):
    for number in range(14):
        create_event(owner, title=f"E{number:02d}", start_at=utcnow() + timedelta(days=number + 1))
    first = list_events(EventFilters())
    second = list_events(EventFilters(page=2))
    assert len(first.items) == 12 and first.pages == 2 and first.total == 14
    assert [event.title for event in second.items] == ["E12", "E13"]
    assert list_events(EventFilters(page=9)).items == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"month": "2026-13"}, None),
        ({"month": "2026-1x"}, None),
        ({"month": "abcd-01"}, None),
        ({"month": "2026-03"}, (2026, 3)),
    ],
)
def test_parse_filters_month(args, expected):
    assert parse_filters(MultiDict(args)).month == expected


def test_parse_filters_ignores_nonsense():
    query = "  a   b  " + "x" * 300
    filters = parse_filters(MultiDict({"type": "party", "page": "-1", "q": query}))
    assert filters.event_type is None
    assert filters.page == 1
    assert filters.q.startswith("a b") and len(filters.q) == 100


def test_index_shows_cards_with_badges_and_local_dates(client, owner):
    create_event(owner, title="Open forum", event_type=EventType.FORUM,
                 start_at=utc(2099, 3, 17, 2), end_at=utc(2099, 3, 18, 9))
    create_event(owner, title="Called off", status=EventStatus.CANCELLED,
                 start_at=utc(2099, 4, 1, 2), end_at=utc(2099, 4, 1, 9),
                 timezone="Asia/Makassar", venue_city="Makassar")
    create_event(owner, title="Secret", visibility=Visibility.UNLISTED)
    html = client.get("/").get_data(as_text=True).replace("\u2009", " ")
    assert "Open forum" in html and "Called off" in html and "Secret" not in html
    assert "Registration open" in html
    assert "Cancelled" in html
    assert "17–18 Mar 2099 · WIB" in html
    assert "WITA" in html
    assert "Jakarta, Indonesia" in html
    assert html.index("Open forum") < html.index("Called off")


def test_index_empty_state(client):
    response = client.get("/events/")
    assert response.status_code == 200
    assert "There are no upcoming events at the moment." in response.get_data(as_text=True)


def test_index_filters_from_the_query_string(client, owner):
    create_event(owner, title="Makassar workshop", event_type=EventType.WORKSHOP,
                 venue_city="Makassar")
    create_event(owner, title="Jakarta forum", event_type=EventType.FORUM)
    html = client.get("/?q=makassar").get_data(as_text=True)
    assert "Makassar workshop" in html and "Jakarta forum" not in html
    html = client.get("/?type=forum").get_data(as_text=True)
    assert "Jakarta forum" in html and "Makassar workshop" not in html
    html = client.get("/?q=nothing-like-this").get_data(as_text=True)
    assert "No events match your search." in html


def test_index_past_toggle(client, owner):
    create_event(owner, title="Last year", start_at=utcnow() - timedelta(days=400),
                 end_at=utcnow() - timedelta(days=399))
    create_event(owner, title="Next month")
    upcoming = client.get("/").get_data(as_text=True)
    past = client.get("/?when=past").get_data(as_text=True)
    assert "Next month" in upcoming and "Last year" not in upcoming
    assert "Last year" in past and "Next month" not in past


def test_index_month_select_offers_the_months_of_upcoming_events(client, owner):
    create_event(owner, start_at=utc(2099, 3, 17, 2), end_at=utc(2099, 3, 17, 9))
    html = client.get("/").get_data(as_text=True)
    assert '<option value="2099-03"' in html
    assert "March 2099" in html


@pytest.mark.parametrize(
    "query",
    ["?month=2026-13", "?month=9999999-99", "?type=party", "?page=abc", "?page=-1",
     "?page=99999999999999999999", "?when=future", "?q=%00%27%22<script>", "?month=&type=&q="],
)
def test_index_bad_filter_values_never_fail(client, owner, query):
    create_event(owner, title="Still listed")
    response = client.get("/" + query)
    assert response.status_code in (200, 400)
    assert "<script>" not in response.get_data(as_text=True)


def test_index_paginates_with_filters_kept(client, owner):
    for number in range(13):
        create_event(owner, title=f"Forum {number:02d}", event_type=EventType.FORUM,
                     start_at=utcnow() + timedelta(days=number + 1))
    html = client.get("/?type=forum").get_data(as_text=True)
    assert "Forum 11" in html and "Forum 12" not in html
    assert "page=2" in html and "type=forum" in html
    page_two = client.get("/?type=forum&page=2").get_data(as_text=True)
    assert "Forum 12" in page_two and "Forum 00" not in page_two


def test_index_in_indonesian(client, owner):
    create_event(owner, start_at=utc(2099, 3, 17, 2), end_at=utc(2099, 3, 18, 9))
    client.set_cookie("lang", "id")
    html = client.get("/").get_data(as_text=True).replace("\u2009", " ")
    assert '<html lang="id">' in html
    assert "17–18 Mar 2099 · WIB" in html
    assert "Maret 2099" in html


def test_parse_filters_drops_control_characters():
    assert parse_filters(MultiDict({"q": "Ja\x00kar\x1bta"})).q == "Jakarta"
