"""The invitation page's numbers: the funnel and status counts of one query, the filters'
choices, and the list's total read from the counts when only the status is filtered."""

import re

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import InvitationResponse, Invitee, Mailing, MailingKind, OutboxStatus
from seminar_app.services.invitations.invitation_status import (
    STATUS_ORDER,
    InviteeFilters,
    InviteeStatus,
    invitation_numbers,
    invitees_page,
    invitees_query,
    list_choices,
)
from seminar_app.services.invitations.mail_state import refresh_mail_state
from tests.factories import add_invitee, logged_in, registration_event
from tests.test_invitations_status import email


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def event(owner):
    return registration_event(owner)


def _people(event, count=57):
    """``count`` invitees in several statuses, countries and groups."""
    mailing = Mailing(event_id=event.id, kind=MailingKind.INVITATION, send_key="numbers")
    db.session.add(mailing)
    db.session.commit()
    people = []
    for number in range(count):
        person = add_invitee(event, country=("ID", "MY", "", "TH")[number % 4],
                             group_name=("ASEAN", "Africa", "", "asia")[number % 4])
        people.append(person)
        if number % 3 == 0:
            email(person, mailing, OutboxStatus.SENT)
        elif number % 3 == 1:
            email(person, mailing, OutboxStatus.FAILED, error="451 later")
    for person in people[:5]:
        person.response = InvitationResponse.DECLINED
    db.session.commit()
    refresh_mail_state(invitee_ids=[person.id for person in people])
    db.session.commit()
    return people


def _counted(event, filters) -> int:
    return db.session.scalar(select(func.count()).select_from(
        invitees_query(event, filters).order_by(None).subquery()))


def test_status_counts_and_totals_agree_with_the_filtered_list(event):
    _people(event)
    add_invitee(registration_event(event.owner))  # another event's invitee counts nowhere
    numbers = invitation_numbers(event)
    assert set(numbers.counts) == set(STATUS_ORDER)
    assert numbers.funnel.invited == sum(numbers.counts.values()) == 57
    assert numbers.counts[InviteeStatus.DECLINED] == 5
    assert numbers.counts[InviteeStatus.SENT] > 0 and numbers.counts[InviteeStatus.FAILED] > 0
    for status in (None, *STATUS_ORDER):
        filters = InviteeFilters(status=status)
        assert filters.total_from(numbers.counts) == _counted(event, filters)
    for other in (InviteeFilters(q="Number1"), InviteeFilters(country="ID"),
                  InviteeFilters(group="ASEAN", status=InviteeStatus.SENT)):
        assert other.total_from(numbers.counts) is None


def test_list_choices_are_the_countries_and_groups_in_use(event):
    _people(event, count=8)
    add_invitee(registration_event(event.owner), country="FR", group_name="Europe")
    countries, groups = list_choices(event)
    assert countries == ["ID", "MY", "TH"]
    assert groups == ["Africa", "ASEAN", "asia"]  # sorted without regard to case


def _statements(app, client, url) -> tuple[str, list[str]]:
    seen = []

    def record(*args):
        seen.append(args[2])

    sa_event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return response.get_data(as_text=True), seen


def _shown_total(html: str) -> int:
    return int(re.search(r"(\d+) invitees?</p>", html).group(1))


def test_the_page_shows_the_totals_without_counting_the_list_again(app, owner, event):
    _people(event)
    staff = logged_in(app, owner)
    base = f"/manage/events/{event.id}/invitations"
    html, statements = _statements(app, staff, base)
    assert _shown_total(html) == 57 and "Page 1 of 2" in html
    assert not [s for s in statements if "count(*)" in s]
    html, statements = _statements(app, staff, f"{base}?status=declined")
    assert _shown_total(html) == 5 and "Page 1 of" not in html
    assert not [s for s in statements if "count(*)" in s]
    html, _statements_seen = _statements(app, staff, f"{base}?status=declined&page=2")
    assert "Page 2 of" not in html  # one page only: an empty second page, no pager
    html, statements = _statements(app, staff, f"{base}?country=ID")
    expected = db.session.scalar(select(func.count(Invitee.id)).where(
        Invitee.event_id == event.id, Invitee.country == "ID"))
    assert _shown_total(html) == expected and [s for s in statements if "count(*)" in s]


def test_a_page_holds_the_invitees_in_name_order(event):
    people = _people(event, count=23)
    filters = InviteeFilters()
    expected = [person.id for person in sorted(people, key=lambda p: (p.name.lower(), p.id))]
    first = invitees_page(event, filters, page=1, per_page=10)
    second = invitees_page(event, filters, page=3, per_page=10, total=23)
    assert [invitee.id for invitee in first.items] == expected[:10] and first.total == 23
    assert [invitee.id for invitee in second.items] == expected[20:] and second.pages == 3
    assert invitees_page(event, filters, page=4, per_page=10).items == []
