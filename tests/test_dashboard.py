"""The event dashboard and the cross-event dashboard: numbers, time zones, languages, access,
escaping and a constant number of queries."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale

from seminar_app.extensions import db
from seminar_app.models import (
    DelegationRole,
    InvitationResponse,
    OrganisationType,
    RegistrationStatus,
    utcnow,
)
from seminar_app.services.documents.charts import (
    column_chart_svg,
    format_number,
    ranked_bar_chart_svg,
)
from seminar_app.services.documents.dashboard import (
    OTHERS,
    event_dashboard,
    overview,
    top_with_others,
)
from tests.factories import add_invitee, add_registration, add_team_member, logged_in
from tests.public_factories import create_event
from tests.test_participants_list import count_queries


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    """Two days in Jakarta (UTC+7): 10 March 2027 09:00 to 11 March 17:00 local time."""
    return create_event(owner, timezone="Asia/Jakarta", start_at=utc(2027, 3, 10, 2),
                        end_at=utc(2027, 3, 11, 10))


def _page(client, event, query=""):
    return client.get(f"/manage/events/{event.id}/dashboard{query}")


# --- the numbers -----------------------------------------------------------------------------

def test_registrations_over_time_are_counted_per_day_in_the_event_zone(event):
    # 16:59 UTC is 23:59 in Jakarta (1 March); 17:00 UTC is already 2 March there
    add_registration(event, created_at=utc(2027, 3, 1, 16, 59))
    add_registration(event, created_at=utc(2027, 3, 1, 17, 0))
    add_registration(event, created_at=utc(2027, 3, 1, 23, 0), status=RegistrationStatus.PENDING)
    add_registration(event, created_at=utc(2027, 3, 4, 1, 0),
                     status=RegistrationStatus.CANCELLED)
    days = event_dashboard(event).registrations_by_day
    assert [(d.day, d.count, d.total) for d in days] == [
        (date(2027, 3, 1), 1, 1), (date(2027, 3, 2), 2, 3), (date(2027, 3, 3), 0, 3),
        (date(2027, 3, 4), 1, 4)]


def test_the_same_moments_fall_on_other_days_in_another_zone(owner):
    papua = create_event(owner, timezone="Asia/Jayapura", start_at=utc(2027, 3, 10, 0),
                         end_at=utc(2027, 3, 10, 8))
    add_registration(papua, created_at=utc(2027, 3, 1, 14, 59))  # 23:59 WIT
    add_registration(papua, created_at=utc(2027, 3, 1, 15, 0))  # 00:00 WIT, 2 March
    days = event_dashboard(papua).registrations_by_day
    assert [(d.day, d.count) for d in days] == [(date(2027, 3, 1), 1), (date(2027, 3, 2), 1)]


def test_checkin_rate_by_day_of_the_event(event):
    first_day_late = utc(2027, 3, 10, 16, 59)  # 23:59 on 10 March in Jakarta
    second_day = utc(2027, 3, 10, 17, 0)  # 00:00 on 11 March
    add_registration(event, checked_in_at=utc(2027, 3, 10, 2, 30))
    add_registration(event, checked_in_at=first_day_late)
    add_registration(event, checked_in_at=second_day)
    add_registration(event)  # confirmed, never came
    add_registration(event, status=RegistrationStatus.CANCELLED, checked_in_at=second_day)
    data = event_dashboard(event)
    assert data.confirmed == 4 and data.checked_in == 3
    assert [(d.day, d.arrivals, d.total_checked_in) for d in data.checkin_by_day] == [
        (date(2027, 3, 10), 2, 2), (date(2027, 3, 11), 1, 3)]
    assert [d.rate for d in data.checkin_by_day] == [0.5, 0.25]
    assert data.checkin_rate == 0.75


def test_checkin_days_include_early_arrivals_and_empty_event_days(event):
    add_registration(event, checked_in_at=utc(2027, 3, 9, 10))  # the evening before
    days = event_dashboard(event).checkin_by_day
    assert [(d.day, d.arrivals) for d in days] == [
        (date(2027, 3, 9), 1), (date(2027, 3, 10), 0), (date(2027, 3, 11), 0)]


def test_delegates_by_country_role_and_organisation_type_are_confirmed_ones(event):
    add_registration(event, country="ID", delegation_role=DelegationRole.HEAD,
                     organisation_type=OrganisationType.MINISTRY)
    add_registration(event, country="ID", organisation_type=OrganisationType.MINISTRY)
    add_registration(event, country="MY", organisation_type=OrganisationType.EMBASSY)
    add_registration(event, country="TH", status=RegistrationStatus.WAITLISTED,
                     organisation_type=OrganisationType.MEDIA)
    add_registration(event, country="DE", status=RegistrationStatus.PENDING)
    data = event_dashboard(event)
    assert data.confirmed_by_country == [("ID", 2), ("MY", 1)]
    assert data.confirmed_by_role == [(DelegationRole.HEAD, 1), (DelegationRole.DELEGATE, 2)]
    assert data.confirmed_by_organisation_type == [
        (OrganisationType.MINISTRY, 2), (OrganisationType.EMBASSY, 1)]
    assert data.by_status[RegistrationStatus.WAITLISTED] == 1 and data.total == 5


def test_top_countries_then_others():
    items = [(f"C{i}", 100 - i) for i in range(20)]
    ranked = top_with_others(items, top=3)
    assert ranked == [("C0", 100), ("C1", 99), ("C2", 98), (OTHERS, sum(range(81, 98)))]
    assert top_with_others(items[:4], top=3) == items[:4]  # one "other" is shown by name


def test_funnel_and_response_rate(event):
    invitees = [add_invitee(event) for _ in range(4)]
    invitees[0].response = InvitationResponse.ACCEPTED
    invitees[1].response = InvitationResponse.DECLINED
    db.session.commit()
    data = event_dashboard(event)
    assert (data.invitations.invited, data.invitations.responded) == (4, 2)
    assert data.response_rate == 0.5


# --- the page --------------------------------------------------------------------------------

def test_dashboard_page_shows_every_chart_with_its_table(app, event, owner):
    add_registration(event, country="ID", created_at=utc(2027, 3, 1, 3),
                     checked_in_at=utc(2027, 3, 10, 3))
    add_registration(event, country="MY", created_at=utc(2027, 3, 2, 3),
                     organisation_type=OrganisationType.ACADEMIA)
    add_registration(event, country="TH", created_at=utc(2027, 3, 2, 4))
    add_invitee(event)
    page = _page(logged_in(app, owner), event).get_data(as_text=True)
    assert page.count('role="img"') == 6
    assert page.count('<table class="visually-hidden">') == 6
    for text in ("Registrations over time", "Confirmed delegates by country", "By role",
                 "By type of organisation", "Invitation funnel", "Check-in rate by day",
                 "University or research institute", "Malaysia", "Invitation sent"):
        assert text in page, text
    assert "33.3%" in page  # 1 of 3 confirmed delegates checked in
    assert f'href="/manage/events/{event.id}/dashboard/report.pdf?lang=id"' in page
    assert 'aria-current="page">Dashboard</a>' in page
    assert 'css/print.css" media="print"' in page


def test_dashboard_of_an_empty_event(app, event, owner):
    page = _page(logged_in(app, owner), event).get_data(as_text=True)
    assert "No data yet." in page and "No invitees yet." in page
    assert "No confirmed delegates yet." in page


def test_dashboard_in_indonesian_formats_numbers_and_names(app, event, owner):
    add_registration(event, country="DE")
    add_registration(event, country="ID", checked_in_at=utc(2027, 3, 10, 3))
    add_registration(event, country="ID", checked_in_at=utc(2027, 3, 10, 3))
    client = logged_in(app, owner)
    client.set_cookie("lang", "id")
    page = _page(client, event).get_data(as_text=True)
    assert '<html lang="id"' in page and "Jerman" in page
    assert "66,7%" in page and "66.7%" not in page
    english = _page(logged_in(app, owner), event).get_data(as_text=True)
    assert "Germany" in english and "Jerman" not in english and "66.7%" in english


def test_numbers_are_written_per_language(app):
    with app.test_request_context():
        with force_locale("en"):
            assert (format_number(1234567), format_number(2 / 3, percent=True)) == (
                "1,234,567", "66.7%")
        with force_locale("id"):
            assert (format_number(1234567), format_number(2 / 3, percent=True)) == (
                "1.234.567", "66,7%")


def test_charts_escape_hostile_labels(app):
    hostile = "<script>alert(1)</script>"
    with app.test_request_context():
        for chart in (ranked_bar_chart_svg([(hostile, 3)], title=hostile, label_header="a",
                                           value_header="b"),
                      column_chart_svg([(hostile, 3)], title=hostile, label_header="a",
                                       value_header="b", extra=[(hostile, [hostile])])):
            assert "<script>" not in str(chart)
            assert "&lt;script&gt;" in str(chart)


def test_dashboard_escapes_the_event_title(app, owner):
    hostile = create_event(owner, title='<img src=x onerror="alert(1)">')
    add_registration(hostile)
    client = logged_in(app, owner)
    for url in (f"/manage/events/{hostile.id}/dashboard", "/manage/dashboard"):
        page = client.get(url).get_data(as_text=True)
        assert "<img src=x" not in page and "&lt;img src=x" in page


# --- access ----------------------------------------------------------------------------------

def test_dashboard_access(app, client, event, make_user):
    assert _page(client, event).status_code == 302  # anonymous -> login
    stranger = make_user("staff")
    other = create_event(stranger)
    add_team_member(other, stranger, can_manage=True)
    assert _page(logged_in(app, stranger), event).status_code == 403
    viewer = make_user("staff")
    add_team_member(event, viewer)  # on the team, with no right but looking
    assert _page(logged_in(app, viewer), event).status_code == 200
    assert client.get("/manage/events/999999/dashboard").status_code in (302, 404)


def test_overview_lists_only_the_events_one_may_see(app, event, owner, make_user):
    mine_past = create_event(owner, title="Past Forum", start_at=utcnow() - timedelta(days=40),
                             end_at=utcnow() - timedelta(days=39))
    someone = make_user("organizer")
    hidden = create_event(someone, title="Somebody Else's Seminar")
    add_registration(hidden, country="FR")
    add_registration(event, country="ID", checked_in_at=utc(2027, 3, 10, 3))
    add_registration(event, country="MY")
    add_registration(mine_past, country="ID")
    add_registration(mine_past, country="BR", status=RegistrationStatus.WAITLISTED)
    invitee = add_invitee(event)
    invitee.response = InvitationResponse.DECLINED
    add_invitee(event)
    db.session.commit()

    data = overview(owner)
    assert [line.event.id for line in data.upcoming] == [event.id]
    assert [line.event.id for line in data.past] == [mine_past.id]
    line = data.upcoming[0]
    assert (line.confirmed, line.countries, line.checkin_rate, line.response_rate) == (
        2, 2, 0.5, 0.5)
    assert data.totals.total == 4 and data.totals.confirmed == 3
    assert data.countries == 2  # ID and MY confirmed; BR waits; FR is someone else's

    page = logged_in(app, owner).get("/manage/dashboard").get_data(as_text=True)
    assert "Past Forum" in page and event.title in page
    assert "Somebody Else" not in page
    assert "Upcoming and current events" in page and "Past events" in page
    admin = overview(make_user("admin"))
    assert admin.events == 3 and admin.countries == 3


def test_overview_needs_a_login_and_shows_nothing_to_staff_without_events(app, client,
                                                                          make_user):
    assert client.get("/manage/dashboard").status_code == 302
    page = logged_in(app, make_user("staff")).get("/manage/dashboard")
    assert page.status_code == 200
    assert "You are not on the team of any event yet." in page.get_data(as_text=True)


# --- queries ---------------------------------------------------------------------------------

def _seed(event, number: int) -> None:
    countries = ["ID", "MY", "TH", "DE", "FR", "BR", "JP"]
    for index in range(number):
        add_registration(event, country=countries[index % len(countries)],
                         delegation_role=list(DelegationRole)[index % 5],
                         organisation_type=list(OrganisationType)[index % 9],
                         created_at=utc(2027, 2, 1 + index % 20, 5),
                         checked_in_at=utc(2027, 3, 10, 3) if index % 2 else None)
        if index % 3 == 0:
            add_invitee(event)


def test_query_count_does_not_grow_with_registrations(app, owner, make_user):
    small, large = create_event(owner), create_event(owner)
    _seed(small, 3)
    _seed(large, 40)
    viewer = make_user("staff")
    add_team_member(small, viewer)
    add_team_member(large, viewer)
    client = logged_in(app, viewer)
    counts = []
    for current in (small, large):
        db.session.expire_all()
        with count_queries(db) as statements:
            assert _page(client, current).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_overview_query_count_does_not_grow_with_events(app, make_user):
    user = make_user("organizer")
    client = logged_in(app, user)
    counts = []
    for events in (1, 6):
        for _ in range(events):
            _seed(create_event(user), 3)
        db.session.expire_all()
        with count_queries(db) as statements:
            assert client.get("/manage/dashboard").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_the_dashboard_tab_and_menu_link(app, event, owner):
    page = logged_in(app, owner).get(f"/manage/events/{event.id}").get_data(as_text=True)
    assert re.search(rf'href="/manage/events/{event.id}/dashboard"\s*>Dashboard', page)
    assert 'href="/manage/dashboard">Dashboard</a>' in page
