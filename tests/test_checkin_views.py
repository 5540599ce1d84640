"""The check-in desk pages: who may use them, htmx fragments and whole pages, refusals."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import AuditEntry, Registration, RegistrationStatus, utcnow
from tests.conftest import AuthActions, csrf_token, post_form
from tests.factories import add_registration, add_team_member
from tests.public_factories import create_event

HTMX = {"HX-Request": "true"}
MAKASSAR = ZoneInfo("Asia/Makassar")


@pytest.fixture
def organizer(make_user):
    return make_user("organizer")


@pytest.fixture
def event(organizer):
    return create_event(organizer, timezone="Asia/Makassar")


@pytest.fixture
def desk_user(make_user, event):
    """A staff account on the event's team with only the check-in right."""
    user = make_user("staff", name="Desk Officer")
    add_team_member(event, user, can_checkin=True)
    return user


def _url(event, tail=""):
    return f"/manage/events/{event.id}/checkin{tail}"


def _stored(registration):
    db.session.expire_all()
    return db.session.get(Registration, registration.id)


# --- access ----------------------------------------------------------------------------------

def test_desk_anonymous_is_sent_to_login(client, event):
    for tail in ("", "/count", "/search?q=a"):
        response = client.get(_url(event, tail))
        assert response.status_code == 302
        assert "/manage/login" in response.headers["Location"]


def test_desk_refuses_staff_outside_the_team_and_view_only_members(app, event, make_user):
    outsider, viewer = make_user("staff"), make_user("staff")
    add_team_member(event, viewer, can_invite=True)
    registration = add_registration(event)
    for user in (outsider, viewer):
        client = app.test_client()
        AuthActions(client).login(user)
        for tail in ("", "/count", "/search?q=delegate"):
            assert client.get(_url(event, tail)).status_code == 403
        for tail in ("/scan", f"/registrations/{registration.id}",
                     f"/registrations/{registration.id}/undo"):
            response = post_form(client, _url(event, tail), {"code": registration.badge_code})
            assert response.status_code == 403
    assert _stored(registration).checked_in_at is None


def test_desk_opens_for_checkin_staff(client, auth, event, desk_user):
    auth.login(desk_user)

    response = client.get(_url(event))

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="checkin-counter"' in body and 'hx-trigger="every 5s' in body
    assert 'name="code"' in body and 'name="q"' in body
    assert "js/checkin.js" in body and "<script>" not in body
    assert f'href="{_url(event)}"' in body  # the Check-in tab


def test_undo_refused_to_checkin_staff(client, auth, event, desk_user):
    registration = add_registration(event)
    auth.login(desk_user)
    post_form(client, _url(event, f"/registrations/{registration.id}"))

    response = post_form(client, _url(event, f"/registrations/{registration.id}/undo"))

    assert response.status_code == 403
    assert _stored(registration).checked_in_at is not None


# --- checking in -----------------------------------------------------------------------------

def test_scan_htmx_answers_with_the_result_panel_and_a_trigger(client, auth, event, desk_user):
    registration = add_registration(event, given_name="Siti", family_name="Rahmawati")
    auth.login(desk_user)

    response = post_form(client, _url(event, "/scan"), {"code": registration.badge_code},
                         headers=HTMX)

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert 'data-outcome="success"' in body and "Siti Rahmawati" in body
    assert "Indonesia" in body and "Delegate" in body
    assert response.headers["HX-Trigger"] == "checkin-changed"
    assert "Undo" not in body  # check-in staff cannot undo
    stored = _stored(registration)
    assert stored.checked_in_at is not None and stored.checked_in_by_id == desk_user.id


def test_scan_without_htmx_renders_the_whole_page(client, auth, event, desk_user):
    registration = add_registration(event)
    auth.login(desk_user)

    response = post_form(client, _url(event, "/scan"), {"code": registration.badge_code})

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" in body and 'data-outcome="success"' in body
    assert 'data-arrived>1<' in body


def _check_in_at_local(event, registration, user, hour, minute):
    local_now = utcnow().astimezone(MAKASSAR)
    moment = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    registration.checked_in_at = moment
    registration.checked_in_by_id = user.id
    db.session.commit()


@pytest.mark.parametrize(("lang", "clock"), [("en", "09:12"), ("id", "09.12")])
def test_scan_again_says_already_checked_in_at_local_time(
        client, auth, event, desk_user, organizer, lang, clock):
    registration = add_registration(event)
    _check_in_at_local(event, registration, organizer, 9, 12)
    auth.login(desk_user)
    client.set_cookie("lang", lang)  # after the login, which sets the account's language

    response = post_form(client, _url(event, "/scan"), {"code": registration.badge_code})

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in body
    assert 'data-outcome="already"' in body
    assert f"{clock} WITA" in body  # Asia/Makassar, not UTC (01:12)
    assert organizer.name in body
    expected = {"en": f"Already checked in at {clock} WITA by {organizer.name}.",
                "id": f"Sudah registrasi ulang pada pukul {clock} WITA oleh {organizer.name}."}
    assert expected[lang] in body
    assert "HX-Trigger" not in response.headers


def test_already_checked_in_on_an_earlier_day_shows_the_date(client, auth, event, desk_user):
    registration = add_registration(event)
    registration.checked_in_at = utcnow() - timedelta(days=2)
    db.session.commit()
    auth.login(desk_user)

    response = post_form(client, _url(event, "/scan"), {"code": registration.badge_code},
                         headers=HTMX)

    day = format_date((utcnow() - timedelta(days=2)).astimezone(MAKASSAR).date(), "medium",
                      locale="en_GB")
    assert day in response.get_data(as_text=True)


def test_check_in_by_id_from_search_keeps_the_results(client, auth, event, desk_user):
    registration = add_registration(event, given_name="Ahmad", family_name="Fauzi")
    auth.login(desk_user)

    response = post_form(client, _url(event, f"/registrations/{registration.id}"),
                         {"q": "fauzi"})

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-outcome="success"' in body
    assert f'data-registration="{registration.id}"' in body and "Arrived at" in body
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "registration.check_in")) == 1


def test_check_in_not_confirmed_is_refused_with_its_status(client, auth, event, desk_user):
    waiting = add_registration(event, status=RegistrationStatus.WAITLISTED)
    cancelled = add_registration(event, status=RegistrationStatus.CANCELLED)
    auth.login(desk_user)

    by_code = post_form(client, _url(event, "/scan"), {"code": waiting.badge_code}, headers=HTMX)
    by_id = post_form(client, _url(event, f"/registrations/{cancelled.id}"))

    assert by_code.status_code == 409 and "waiting list" in by_code.get_data(as_text=True)
    assert by_id.status_code == 409 and "cancelled" in by_id.get_data(as_text=True)
    assert _stored(waiting).checked_in_at is None and _stored(cancelled).checked_in_at is None


def test_codes_and_ids_of_another_event_are_not_found(client, auth, event, desk_user, organizer):
    other = add_registration(create_event(organizer), given_name="Secret", family_name="Person")
    auth.login(desk_user)

    by_code = post_form(client, _url(event, "/scan"), {"code": other.badge_code})
    by_id = post_form(client, _url(event, f"/registrations/{other.id}"), headers=HTMX)
    search = client.get(_url(event, "/search?q=secret"), headers=HTMX)

    for response in (by_code, by_id):
        assert response.status_code == 404
        assert "Secret" not in response.get_data(as_text=True)
    assert "Secret" not in search.get_data(as_text=True)
    assert _stored(other).checked_in_at is None


@pytest.mark.parametrize(("code", "status"), [
    ("", 422),
    ("   ", 422),
    ("<script>alert(1)</script>", 422),
    ("A" * 65, 422),
    ("AB\x00\x07CD", 404),
    ("NOSUCHCODE234567", 404),
])
def test_scan_bad_input_is_refused_clearly(client, auth, event, desk_user, code, status):
    add_registration(event)
    auth.login(desk_user)

    response = post_form(client, _url(event, "/scan"), {"code": code}, headers=HTMX)

    body = response.get_data(as_text=True)
    assert response.status_code == status
    assert 'data-outcome="error"' in body
    assert "<script>alert" not in body


def test_scan_five_megabyte_code_is_refused(client, auth, event, desk_user):
    auth.login(desk_user)

    response = post_form(client, _url(event, "/scan"), {"code": "A" * (5 * 1024 * 1024)})

    assert 400 <= response.status_code < 500


def test_scan_without_csrf_token_is_refused(client, auth, event, desk_user):
    registration = add_registration(event)
    auth.login(desk_user)

    response = client.post(_url(event, "/scan"), data={"code": registration.badge_code})

    assert response.status_code == 400
    assert _stored(registration).checked_in_at is None


# --- search, count, undo ---------------------------------------------------------------------

def test_search_htmx_returns_tap_targets(client, auth, event, desk_user):
    siti = add_registration(event, given_name="Siti", family_name="Rahmawati")
    add_registration(event, given_name="Budi", family_name="Santoso")
    auth.login(desk_user)

    fragment = client.get(_url(event, "/search?q=rahma"), headers=HTMX)
    page = client.get(_url(event, "/search?q=rahma"))

    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert f'data-registration="{siti.id}"' in body and "Santoso" not in body
    assert f'action="{_url(event, f"/registrations/{siti.id}")}"' in body
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    assert "Rahmawati" in page.get_data(as_text=True)


def test_search_too_long_is_refused(client, auth, event, desk_user):
    auth.login(desk_user)

    response = client.get(_url(event, "/search"), query_string={"q": "x" * 101})

    assert response.status_code == 422


def test_count_fragment_shows_arrivals_of_confirmed(client, auth, event, desk_user, organizer):
    arrived = add_registration(event)
    add_registration(event)
    add_registration(event, status=RegistrationStatus.PENDING)
    _check_in_at_local(event, arrived, organizer, 9, 0)
    auth.login(desk_user)

    response = client.get(_url(event, "/count"), headers=HTMX)

    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert "data-arrived>1<" in body and "data-expected>2<" in body


def test_undo_by_organizer(client, auth, event, organizer):
    registration = add_registration(event)
    auth.login(organizer)
    post_form(client, _url(event, "/scan"), {"code": registration.badge_code})

    fragment = post_form(client, _url(event, f"/registrations/{registration.id}/undo"),
                         headers=HTMX)
    assert fragment.status_code == 200 and 'data-outcome="undone"' in fragment.get_data(
        as_text=True)
    assert fragment.headers["HX-Trigger"] == "checkin-changed"
    assert _stored(registration).checked_in_at is None

    post_form(client, _url(event, "/scan"), {"code": registration.badge_code})
    page = post_form(client, _url(event, f"/registrations/{registration.id}/undo"))
    assert page.status_code == 302 and page.headers["Location"].endswith(_url(event))
    assert _stored(registration).checked_in_at is None
    again = post_form(client, _url(event, f"/registrations/{registration.id}/undo"), headers=HTMX)
    assert again.status_code == 409


def test_undo_of_another_events_registration_is_not_found(client, auth, event, organizer):
    other = add_registration(create_event(organizer))
    auth.login(organizer)

    response = client.post(_url(event, f"/registrations/{other.id}/undo"),
                           data={"csrf_token": csrf_token(client)})

    assert response.status_code == 404
