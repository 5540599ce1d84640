"""Staff move the waiting list: "Promote now" on one waiting delegate (their whole waiting
delegation with them) out of order when the one room rule says they fit, a translated 409
naming why not; "Move the waiting list now"; audited, emailed, both languages, rights."""

import pytest
from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.models import AuditEntry, OutboxEmail, RegistrationStatus
from seminar_app.services.errors import Conflict
from seminar_app.services.registration import waitlist
from tests.conftest import post_form
from tests.factories import add_team_member, make_registration, registration_event
from tests.test_waitlist_paths import delegation_of, status_of

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def promote_url(event, registration):
    return f"/manage/events/{event.id}/registrations/{registration.id}/promote"


def waiting_with_room(owner, *, capacity=3, quota=None):
    """An event with one free place made by raising the capacity behind the service's back
    (as if the list had not moved): two waiting delegates, the second promotable."""
    event = registration_event(owner, capacity=1, country_quota=quota)
    make_registration(event, country="TH")
    first, _ = make_registration(event, country="MY")
    second, _ = make_registration(event, country="VN")
    event.capacity = capacity
    db.session.commit()
    return event, first, second


# --- the service -----------------------------------------------------------------------------

def test_staff_promote_a_waiting_delegate_out_of_order(owner):
    event, first, second = waiting_with_room(owner, capacity=2)
    promoted = waitlist.promote_registration(second, owner)
    assert [r.id for r in promoted] == [second.id]
    assert status_of(second) == CONFIRMED and status_of(first) == WAITLISTED
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "registration.promote", AuditEntry.object_id == second.id))
    assert entry.user_id == owner.id and entry.details["out_of_order"] is True
    assert db.session.scalar(select(OutboxEmail).where(
        OutboxEmail.template == "registration_promoted_to_delegate",
        OutboxEmail.recipient == second.email)) is not None


def test_promoting_into_a_full_event_is_refused_with_the_reason(owner):
    event = registration_event(owner, capacity=1)
    make_registration(event)
    waiting, _ = make_registration(event)
    with pytest.raises(Conflict) as refused:
        waitlist.promote_registration(waiting, owner)
    assert "The event is full: 1 of 1 places are taken" in refused.value.message
    assert status_of(waiting) == WAITLISTED


def test_promoting_beyond_the_country_quota_names_the_country(owner):
    event = registration_event(owner, capacity=10, country_quota=1)
    make_registration(event, country="MY")
    waiting, _ = make_registration(event, country="MY")
    with pytest.raises(Conflict) as refused:
        waitlist.promote_registration(waiting, owner)
    assert "The quota for Malaysia is reached (at most 1 per country)" in refused.value.message


def test_promoting_one_member_promotes_the_whole_waiting_delegation(owner):
    event = registration_event(owner, capacity=1)
    make_registration(event)
    group = delegation_of(event, 3)
    assert {r.status for r in group} == {WAITLISTED}
    with pytest.raises(Conflict) as refused:
        waitlist.promote_registration(group[1], owner)
    assert "This delegation (3 waiting members) cannot be promoted" in refused.value.message
    event.capacity = 4
    db.session.commit()
    promoted = waitlist.promote_registration(group[1], owner)
    assert sorted(r.id for r in promoted) == sorted(r.id for r in group)
    assert {status_of(r) for r in group} == {CONFIRMED}


def test_only_a_waiting_registration_can_be_promoted(owner):
    event = registration_event(owner, capacity=5)
    confirmed, _ = make_registration(event)
    with pytest.raises(Conflict):
        waitlist.promote_registration(confirmed, owner)


def test_move_the_waiting_list_now_promotes_in_order(owner):
    event, first, second = waiting_with_room(owner, capacity=2)
    promoted = waitlist.move_waiting_list(event, owner)
    assert [r.id for r in promoted] == [first.id]
    assert status_of(second) == WAITLISTED
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "event.waitlist_moved")).details == {"promoted": 1}


# --- the pages -------------------------------------------------------------------------------

def test_promote_from_the_registration_page(client, auth, owner):
    event, _first, second = waiting_with_room(owner, capacity=2)
    auth.login(owner)
    page = client.get(f"/manage/events/{event.id}/registrations/{second.id}").get_data(
        as_text=True)
    assert "Position 2 on the waiting list." in page and "Promote now" in page
    response = post_form(client, promote_url(event, second), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "moved up from the waiting list and was emailed" in page
    assert status_of(second) == CONFIRMED


def test_promote_from_the_list_returns_to_the_list(client, auth, owner):
    event, _first, second = waiting_with_room(owner, capacity=2)
    auth.login(owner)
    list_url = f"/manage/events/{event.id}/registrations?status=waitlisted"
    page = client.get(list_url).get_data(as_text=True)
    assert page.count("data-waitlist-promote") == 2 and "Move the waiting list now" in page
    response = post_form(client, promote_url(event, second), {"next": list_url})
    assert response.status_code == 302 and response.headers["Location"].endswith(list_url)


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "This delegate cannot be promoted. The event is full"),
    ("id", "Delegasi ini tidak dapat dinaikkan. Acara sudah penuh"),
])
def test_a_refusal_is_a_translated_409(client, auth, owner, lang, expected):
    event = registration_event(owner, capacity=1)
    make_registration(event)
    waiting, _ = make_registration(event)
    auth.login(owner)
    client.set_cookie("lang", lang)
    response = post_form(client, promote_url(event, waiting))
    assert response.status_code == 409
    assert expected in response.get_data(as_text=True)
    assert status_of(waiting) == WAITLISTED


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "1 delegate moved up from the waiting list."),
    ("id", "1 delegasi naik dari daftar tunggu."),
])
def test_move_now_from_the_list(client, auth, owner, lang, expected):
    event, first, _second = waiting_with_room(owner, capacity=2)
    auth.login(owner)
    client.set_cookie("lang", lang)
    response = post_form(client, f"/manage/events/{event.id}/waitlist/move",
                         follow_redirects=True)
    assert response.status_code == 200 and expected in response.get_data(as_text=True)
    assert status_of(first) == CONFIRMED
    response = post_form(client, f"/manage/events/{event.id}/waitlist/move",
                         follow_redirects=True)
    assert ("Nobody moved up" if lang == "en" else "Tidak ada yang naik") in \
        response.get_data(as_text=True)


def test_pages_check_who_is_asking(client, auth, app, owner, make_user):
    event, _first, second = waiting_with_room(owner, capacity=2)
    assert post_form(client, promote_url(event, second)).status_code == 302  # to the login
    viewer = make_user("staff")
    add_team_member(event, viewer, can_checkin=True)
    auth.login(viewer)
    assert post_form(client, promote_url(event, second)).status_code == 403
    assert post_form(client, f"/manage/events/{event.id}/waitlist/move").status_code == 403
    page = client.get(f"/manage/events/{event.id}/registrations").get_data(as_text=True)
    assert "data-waitlist-promote" not in page
    other = registration_event(owner)
    auth.logout()
    auth.login(owner)
    assert post_form(client, promote_url(other, second)).status_code == 404
    assert status_of(second) == WAITLISTED
