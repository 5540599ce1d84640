"""The participant list page: search, filters, sort, pages, summary, escaping, query count."""

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event as sa_event

from seminar_app.models import DelegationRole, RegistrationStatus
from seminar_app.services.registration.participant_list import (
    ParticipantFilters,
    participant_summary,
)
from tests.factories import add_registration, add_team_member, logged_in
from tests.public_factories import create_event

ROW = re.compile(r'registrations/(\d+)">')


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return create_event(owner, capacity=10, country_quota=2)


def _ids(response) -> list[int]:
    assert response.status_code == 200
    return [int(i) for i in ROW.findall(response.get_data(as_text=True))]


def _list(client, event, query=""):
    return client.get(f"/manage/events/{event.id}/registrations{query}")


def test_registrations_search_matches_name_email_organisation_reference(app, event, owner):
    siti = add_registration(event, given_name="Siti", family_name="Nugraha")
    juan = add_registration(event, organisation="Embajada de México", email="juan@sre.gob.mx")
    other = add_registration(event)
    client = logged_in(app, owner)
    assert _ids(_list(client, event, "?q=nugraha")) == [siti.id]
    assert _ids(_list(client, event, "?q=Siti+Nugraha")) == [siti.id]
    assert _ids(_list(client, event, "?q=embajada")) == [juan.id]
    assert _ids(_list(client, event, "?q=sre.gob")) == [juan.id]
    assert _ids(_list(client, event, f"?q={other.reference}")) == [other.id]
    assert _ids(_list(client, event, "?q=%25")) == []  # a literal %, not a wildcard


def test_registrations_filter_by_status_country_and_role(app, event, owner):
    head = add_registration(event, country="MY", delegation_role=DelegationRole.HEAD)
    waiting = add_registration(event, country="MY", status=RegistrationStatus.WAITLISTED)
    add_registration(event, country="TH")
    client = logged_in(app, owner)
    assert _ids(_list(client, event, "?country=MY&order=asc")) == [head.id, waiting.id]
    assert _ids(_list(client, event, "?status=waitlisted")) == [waiting.id]
    assert _ids(_list(client, event, "?role=head")) == [head.id]
    assert len(_ids(_list(client, event, "?status=bogus&country=ZZ&role=king"))) == 3


def test_registrations_sort_by_whitelisted_keys(app, event, owner):
    b = add_registration(event, family_name="Bakti", country="TH",
                         status=RegistrationStatus.CANCELLED)
    a = add_registration(event, family_name="anwar", country="DE")
    c = add_registration(event, family_name="Chandra", country="AU",
                         status=RegistrationStatus.PENDING)
    client = logged_in(app, owner)
    assert _ids(_list(client, event)) == [c.id, a.id, b.id]  # newest first by default
    assert _ids(_list(client, event, "?sort=name")) == [a.id, b.id, c.id]
    assert _ids(_list(client, event, "?sort=name&order=desc")) == [c.id, b.id, a.id]
    # Australia, Germany, Thailand in English; Australia, Jerman, Thailand in Indonesian
    assert _ids(_list(client, event, "?sort=country")) == [c.id, a.id, b.id]
    assert _ids(_list(client, event, "?sort=status")) == [c.id, a.id, b.id]


@pytest.mark.parametrize("query", [
    "?sort=password", "?sort=id;DROP TABLE registrations", "?sort=name&order=sideways",
    "?page=-3", "?page=abc", "?page=99999", "?q=" + "x" * 5000, "?country=%00",
])
def test_registrations_bogus_arguments_never_fail(app, event, owner, query):
    add_registration(event)
    assert _list(logged_in(app, owner), event, query).status_code == 200


def test_registrations_paginate_fifty_per_page(app, event, owner):
    for _ in range(55):
        add_registration(event)
    client = logged_in(app, owner)
    first, second = _ids(_list(client, event)), _ids(_list(client, event, "?page=2"))
    assert (len(first), len(second)) == (50, 5)
    assert not set(first) & set(second)
    assert len(_ids(_list(client, event, "?per_page=500"))) == 50


@contextmanager
def count_queries(db):
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", record)


def test_registrations_query_count_does_not_grow_with_rows(app, db, owner, make_user):
    small, large = create_event(owner), create_event(owner)
    for index in range(5):
        add_registration(small, country=["ID", "MY", "TH"][index % 3])
    for index in range(50):
        add_registration(large, country=["ID", "MY", "TH", "DE", "FR"][index % 5],
                         checked_in_at=small.start_at)
    viewer = make_user("staff")
    add_team_member(small, viewer, can_checkin=True)
    add_team_member(large, viewer, can_checkin=True)
    client = logged_in(app, viewer)
    counts = []
    for current in (small, large):
        db.session.expire_all()
        with count_queries(db) as statements:
            assert _list(client, current).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_registrations_escape_hostile_names(app, event, owner):
    add_registration(event, given_name="<script>alert('x')</script>",
                     family_name='"><img src=x onerror=alert(1)>',
                     organisation="<b>Ministry</b>", country="ID")
    page = _list(logged_in(app, owner), event).get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>Ministry" not in page
    assert "&lt;script&gt;" in page


def test_registrations_summary_counts_and_chart(app, event, owner):
    for country in ("ID", "ID", "MY"):
        add_registration(event, country=country)
    add_registration(event, country="ID", status=RegistrationStatus.WAITLISTED)
    add_registration(event, status=RegistrationStatus.PENDING)
    summary = participant_summary(event)
    assert (summary.confirmed, summary.waiting, summary.free, summary.total) == (3, 1, 7, 5)
    assert summary.confirmed_by_country == [("ID", 2), ("MY", 1)]
    page = _list(logged_in(app, owner), event).get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in page
    assert "Indonesia" in page and "Quota use by country" in page
    assert "2 of 2" in page  # Indonesia is at its quota


def test_registrations_page_in_indonesian(app, event, owner):
    add_registration(event, country="DE")
    client = logged_in(app, owner)
    client.set_cookie("lang", "id")
    page = _list(client, event).get_data(as_text=True)
    assert '<html lang="id"' in page and "Jerman" in page


def test_registrations_bulk_controls_only_for_managers(app, event, make_user):
    add_registration(event)
    viewer = make_user("staff")
    add_team_member(event, viewer, can_invite=True)
    page = _list(logged_in(app, viewer), event).get_data(as_text=True)
    assert 'name="ids"' not in page and "Add a participant" not in page


def test_participant_filters_query_args_round_trip():
    filters = ParticipantFilters.from_args({"q": " Budi ", "status": "pending", "country": "id",
                                            "role": "head", "sort": "name", "order": "desc"})
    assert filters.query_args() == {"q": "Budi", "status": "pending", "country": "ID",
                                    "role": "head", "sort": "name", "order": "desc"}
    assert ParticipantFilters.from_args(filters.query_args()) == filters
