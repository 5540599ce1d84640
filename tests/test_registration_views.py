"""The public registration pages and the delegate's personal link."""

import re

import pytest
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import (
    EventStatus,
    QuestionKind,
    Registration,
    RegistrationAnswer,
    RegistrationLink,
    RegistrationStatus,
    Visibility,
)
from seminar_app.services.registration import registrations as service
from tests.conftest import post_form
from tests.factories import (
    add_question,
    form_fields,
    make_registration,
    past,
    registration_event,
    visa_fields,
)


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return registration_event(owner, capacity=2)


def register(client, event, **overrides):
    return post_form(client, f"/events/{event.slug}/register", form_fields(**overrides))


def count():
    return db.session.scalar(select(func.count(Registration.id)))


def test_register_form_shows_fields(client, event):
    response = client.get(f"/events/{event.slug}/register")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for attribute in ('autocomplete="given-name"', 'autocomplete="family-name"',
                      'autocomplete="email"', 'autocomplete="tel"', 'inputmode="tel"',
                      'autocomplete="organization"', 'autocomplete="country"',
                      "<legend", 'name="consent"', "js/registration.js",
                      f"/events/{event.slug}/register/resend"):
        assert attribute in html
    assert '<option value="ID">Indonesia</option>' in html


def test_register_form_in_indonesian(client, event):
    client.set_cookie("lang", "id")
    html = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert '<html lang="id">' in html
    assert 'selected value="id"' in html or 'value="id" selected' in html


def test_register_confirms_and_redirects_to_personal_page(client, event):
    response = register(client, event, given_name="Пётр", family_name="Иванов-Ли")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert re.search(r"/r/[A-Za-z0-9_-]{40,}$", location)
    registration = db.session.scalar(select(Registration))
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.given_name == "Пётр" and registration.phone == "+62213441508"
    page = client.get(location)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "your registration is confirmed" in html
    assert registration.reference in html and "badge.pdf" in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    again = client.get(location).get_data(as_text=True)
    assert "your registration is confirmed" not in again  # the message is shown once


def test_register_names_in_other_scripts(client, event):
    for given, family in (("محمد", "العلي"), ("สมชาย", "ใจดี"), ("O'Brien", "St. John")):
        assert register(client, event, given_name=given, family_name=family).status_code == 303


def test_register_waitlisted_with_position(client, owner):
    event = registration_event(owner, capacity=1)
    register(client, event)
    response = register(client, event)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "on the waiting list (position 1)" in page
    assert "badge.pdf" not in page
    assert "Leave the waiting list" in page and "Cancel my registration" not in page


def test_register_pending_when_moderated(client, owner):
    event = registration_event(owner, requires_approval=True)
    response = register(client, event)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "waiting for approval" in page
    assert db.session.scalar(select(Registration)).status == RegistrationStatus.PENDING


def test_register_with_visa_and_questions(client, event):
    text = add_question(event, "Arrival flight", required=True, position=1)
    choice = add_question(event, "Session", QuestionKind.CHOICE, choices=["A", "B"], position=2)
    yes_no = add_question(event, "Vegetarian?", QuestionKind.YES_NO, position=3)
    form_page = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert form_page.index("Arrival flight") < form_page.index("Session")
    fields = form_fields(**visa_fields(event), **{f"q_{text.id}": "GA 123",
                         f"q_{choice.id}": "B", f"q_{yes_no.id}": "yes"})
    response = post_form(client, f"/events/{event.slug}/register", fields)
    assert response.status_code == 303
    registration = db.session.scalar(select(Registration))
    assert registration.needs_visa_letter and registration.passport_number == "B1234567"
    answers = {a.question_id: a.value for a in db.session.scalars(select(RegistrationAnswer))}
    assert answers == {text.id: "GA 123", choice.id: "B", yes_no.id: "yes"}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "GA 123" in page and "Vegetarian?" in page


def test_register_required_question_missing(client, event):
    question = add_question(event, "Arrival flight", required=True)
    response = register(client, event)
    assert response.status_code == 422 and count() == 0
    assert f'id="q_{question.id}-error"' in response.get_data(as_text=True)


@pytest.mark.parametrize("overrides, field, message", [
    ({"given_name": "<script>alert(1)</script>"}, "given_name", "angle brackets"),
    ({"family_name": "Smith3"}, "family_name", "letters, spaces"),
    ({"email": "not-an-email"}, "email", "valid email"),
    ({"country": "XX"}, "country", "Choose a country"),
    ({"phone": "12345", "country": "ID"}, "phone", "Enter a valid phone number for Indonesia"),
    ({"consent": None}, "consent", "consent"),
    ({"honorific": "other"}, "honorific_other", "form of address"),
    ({"honorific": "king"}, "honorific", "form of address"),
    ({"delegation_role": "spy"}, "delegation_role", "role"),
    ({"organisation": "x" * 201}, "organisation", "at most 200"),
    ({"needs_visa_letter": "y"}, "passport_number", "required"),
])
def test_register_bad_input_is_refused(client, event, overrides, field, message):
    response = register(client, event, **overrides)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error"[^>]*>(.*?)</div>\s*</div>', html, re.S)
    assert error and message in error.group(1)
    assert count() == 0


def test_register_phone_error_in_indonesian_page(client, event):
    client.set_cookie("lang", "id")
    response = register(client, event, phone="12345")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and '<html lang="id">' in html
    assert "Enter a valid phone number" not in html  # translated
    assert "+62 21" in html  # the example number


def test_register_passport_expiring_before_the_event_ends(client, event):
    visa = visa_fields(event) | {"passport_expiry": event.start_at.date().isoformat(),
                                 "birth_date": "2999-01-01"}
    html = register(client, event, **visa).get_data(as_text=True)
    assert "valid after the end of the event" in html and "check the date of birth" in html
    assert count() == 0


def test_register_forged_hidden_fields_are_ignored(client, owner, event):
    other = registration_event(owner)
    response = register(client, event, status="confirmed", event_id=str(other.id),
                        source="staff", reference="AAAA-AAAA", badge_code="X" * 16)
    assert response.status_code == 303
    registration = db.session.scalar(select(Registration))
    assert registration.event_id == event.id and registration.source.value == "online"
    assert registration.reference != "AAAA-AAAA" and registration.badge_code != "X" * 16


def test_register_forged_status_cannot_skip_moderation(client, owner):
    event = registration_event(owner, requires_approval=True)
    register(client, event, status="confirmed")
    assert db.session.scalar(select(Registration)).status == RegistrationStatus.PENDING


def test_register_huge_field_is_refused(client, event):
    response = register(client, event, given_name="A" * (5 * 1024 * 1024))
    assert response.status_code in (413, 422)
    assert count() == 0


def test_register_duplicate_gets_neutral_answer_and_new_link(client, event):
    register(client, event, email="twice@example.org")
    first_hashes = set(db.session.scalars(select(RegistrationLink.token_hash)))
    response = register(client, event, email="Twice@example.org")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "If a registration exists for this email, we have sent its personal link again" in html
    db.session.expire_all()
    hashes = set(db.session.scalars(select(RegistrationLink.token_hash)))
    # the new link replaces the old one
    assert count() == 1 and len(hashes) == 1 and hashes.isdisjoint(first_hashes)


def test_resend_link_gives_the_same_answer_for_unknown_email(client, event):
    response = post_form(client, f"/events/{event.slug}/register/resend",
                         {"email": "nobody@example.org"})
    assert response.status_code == 200
    assert "If a registration exists for this email" in response.get_data(as_text=True)


def test_resend_link_is_rate_limited(client, event):
    codes = [post_form(client, f"/events/{event.slug}/register/resend",
                       {"email": "x@example.org"}).status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[-1] == 429


def test_register_invitation_only_is_refused(client, owner):
    event = registration_event(owner, visibility=Visibility.INVITATION_ONLY)
    for response in (client.get(f"/events/{event.slug}/register"), register(client, event)):
        assert response.status_code == 403
        assert "Registration for this event is by invitation only" in response.get_data(
            as_text=True)
    assert count() == 0


@pytest.mark.parametrize("overrides, code", [
    ({"status": EventStatus.DRAFT}, 404),
    ({"status": EventStatus.CANCELLED}, 410),
    ({"registration_closes_at": past()}, 403),
])
def test_register_when_not_open(client, owner, overrides, code):
    event = registration_event(owner, **overrides)
    assert client.get(f"/events/{event.slug}/register").status_code == code
    assert register(client, event).status_code == code
    assert count() == 0


def test_register_unknown_event_is_404(client):
    assert client.get("/events/nope/register").status_code == 404


# --- the personal link -----------------------------------------------------------------------

def test_manage_link_tampered_is_404(client, event):
    _, token = make_registration(event)
    for bad in (token[:-2] + "zz", "short", "a" * 300):
        response = client.get(f"/r/{bad}")
        assert response.status_code == 404
        assert "This link is not valid" in response.get_data(as_text=True)
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert client.get(f"/r/{token[:-2]}zz/edit").status_code == 404
    assert post_form(client, f"/r/{token[:-2]}zz/cancel").status_code == 404


def test_manage_link_get_never_changes_anything(client, event):
    registration, token = make_registration(event)
    links = lambda r: sorted(link.token_hash for link in r.links)  # noqa: E731
    before = (registration.status, registration.updated_at, links(registration))
    for path in ("", "/edit", "/cancel"):
        assert client.get(f"/r/{token}{path}").status_code == 200
    db.session.expire_all()
    registration = db.session.get(Registration, registration.id)
    assert (registration.status, registration.updated_at, links(registration)) == before


def test_manage_link_edit(client, event):
    registration, token = make_registration(event, email="keep@example.org")
    page = client.get(f"/r/{token}/edit").get_data(as_text=True)
    assert 'value="Budi"' in page and "keep@example.org" in page and 'name="email"' not in page
    fields = form_fields(given_name="Ayu", email="changed@example.org", country="MY",
                         phone="+60 3-2161 2121", consent=None)
    response = post_form(client, f"/r/{token}/edit", fields)
    assert response.status_code == 303
    db.session.expire_all()
    registration = db.session.get(Registration, registration.id)
    assert registration.given_name == "Ayu" and registration.email == "keep@example.org"
    assert registration.country == "MY" and registration.phone == "+60321612121"


def test_manage_link_edit_bad_input(client, event):
    registration, token = make_registration(event)
    response = post_form(client, f"/r/{token}/edit", form_fields(given_name="<b>x</b>"))
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).given_name == "Budi"


def test_manage_link_cancel_promotes_waitlist(client, owner):
    event = registration_event(owner, capacity=1)
    registration, token = make_registration(event)
    waiting, _ = make_registration(event)
    page = client.get(f"/r/{token}/cancel").get_data(as_text=True)
    assert "Yes, cancel my registration" in page
    response = post_form(client, f"/r/{token}/cancel")
    done = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Registration cancelled" in done and "Register again" in done
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == RegistrationStatus.CANCELLED
    assert db.session.get(Registration, waiting.id).status == RegistrationStatus.CONFIRMED
    # the link of a cancelled registration no longer opens anything
    gone = client.get(f"/r/{token}")
    assert gone.status_code == 410 and "no longer works" in gone.get_data(as_text=True)
    assert post_form(client, f"/r/{token}/cancel").status_code == 410


def test_manage_link_lookups_are_rate_limited(client, event):
    codes = {client.get("/r/" + "x" * 43).status_code for _ in range(65)}
    assert codes == {404, 429}


def test_manage_link_page_in_indonesian(client, event):
    _, token = make_registration(event)
    client.set_cookie("lang", "id")
    html = client.get(f"/r/{token}").get_data(as_text=True)
    assert '<html lang="id">' in html


def test_waitlist_position_on_personal_page(client, owner):
    event = registration_event(owner, capacity=0)
    make_registration(event)
    registration, token = make_registration(event)
    assert service.waitlist_position(registration) == 2
    assert "position 2 on the waiting list" in client.get(f"/r/{token}").get_data(as_text=True)


def test_refused_form_keeps_the_chosen_country_selected(client, event):
    response = register(client, event, country="TH", given_name="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    country_select = re.search(r'<select[^>]*name="country".*?</select>', html, re.S).group(0)
    assert '<option value="TH" selected>' in country_select
    assert country_select.count(" selected") == 1
    # the options are kept per list; another visitor's choice is not carried over
    again = register(client, event, country="MY", given_name="").get_data(as_text=True)
    select_again = re.search(r'<select[^>]*name="country".*?</select>', again, re.S).group(0)
    assert '<option value="MY" selected>' in select_again and select_again.count(" selected") == 1
