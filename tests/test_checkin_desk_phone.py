"""The check-in desk on a phone (issue 14): device language, early warning, arrived, code field."""

import re
from datetime import timedelta

import pytest

from seminar_app.models import utcnow
from tests.factories import add_registration, add_team_member, logged_in
from tests.public_factories import create_event

HTMX = {"HX-Request": "true"}


@pytest.fixture
def organizer(make_user):
    return make_user("organizer")


@pytest.fixture
def event(organizer):
    return create_event(organizer, timezone="Asia/Makassar")


def _desk(event) -> str:
    return f"/manage/events/{event.id}/checkin"


@pytest.mark.parametrize("device, heading", [("id", "Pindai tanda pengenal"),
                                             ("en", "Scan a badge")])
def test_desk_follows_the_device_language_when_the_account_has_none(app, make_user, event,
                                                                    device, heading):
    user = make_user("staff", language="")
    add_team_member(event, user, can_checkin=True)
    client = logged_in(app, user)  # logging in forgets any language cookie of the account
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = device
    body = client.get(_desk(event)).get_data(as_text=True)
    assert f'<html lang="{device}">' in body and heading in body


def test_desk_keeps_the_account_language_over_the_device(app, make_user, event):
    user = make_user("staff", language="en")
    add_team_member(event, user, can_checkin=True)
    client = logged_in(app, user)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "id"
    assert "Scan a badge" in client.get(_desk(event)).get_data(as_text=True)


@pytest.mark.parametrize("language, text", [
    ("en", "The event starts on"), ("id", "Acara dimulai pada")])
def test_desk_warns_before_the_first_day(app, organizer, event, language, text):
    client = logged_in(app, organizer)
    client.set_cookie("lang", language)
    body = client.get(_desk(event)).get_data(as_text=True)
    notice = re.search(r"data-early-notice>([^<]*)<", body)
    assert notice and text in notice.group(1)


def test_desk_no_warning_on_the_event_day(app, organizer):
    today = create_event(organizer, start_at=utcnow() - timedelta(minutes=5),
                         timezone="Asia/Jakarta")
    body = logged_in(app, organizer).get(_desk(today)).get_data(as_text=True)
    assert "data-early-notice" not in body


def test_desk_search_disables_check_in_for_who_arrived(app, organizer, event):
    arrived = add_registration(event, family_name="Sutanto", checked_in_at=utcnow())
    waiting = add_registration(event, family_name="Sutanto")
    client = logged_in(app, organizer)
    body = client.get(f"{_desk(event)}/search?q=Sutanto", headers=HTMX).get_data(as_text=True)
    items = dict(re.findall(r'data-registration="(\d+)">(.*?)</li>', body, re.S))
    assert re.search(r"<button[^>]*disabled", items[str(arrived.id)])
    assert not re.search(r"<button[^>]*disabled", items[str(waiting.id)])
    assert "Check in" in items[str(waiting.id)]


def test_desk_code_field_takes_the_whole_width_on_a_phone(app, organizer, event):
    body = logged_in(app, organizer).get(_desk(event)).get_data(as_text=True)
    row = re.search(r'<div class="([^"]*)" data-code-row>(.*?)</div>', body, re.S)
    assert "flex-column" in row.group(1) and "flex-sm-row" in row.group(1)
    assert "input-group" not in row.group(2) and 'name="code"' in row.group(2)
