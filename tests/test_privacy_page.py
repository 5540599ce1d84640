"""An event's public privacy page (events.privacy_view), in both languages, and its link from
the consent of the registration forms."""

import pytest

from seminar_app.extensions import db
from seminar_app.models import CoHost, EventStatus
from seminar_app.services.invitations.invitations import invitee_token
from tests.factories import add_invitee, registration_event


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    event = registration_event(owner, contact_name="Protocol Desk",
                               contact_email="protocol@kemlu.example",
                               passport_retention_days=14, anonymise_after_months=6)
    db.session.add(CoHost(event_id=event.id, name="Ministry of Foreign Affairs", role="Host"))
    db.session.commit()
    return event


def test_privacy_page_names_controller_contact_and_retention(client, event):
    response = client.get(f"/events/{event.slug}/privacy")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "responsible for your personal data: Ministry of Foreign Affairs." in page
    assert "mailto:protocol@kemlu.example" in page and "Protocol Desk" in page
    assert "Passport data is deleted 14 days after the event ends" in page
    assert "Registrations are anonymised 6 months after the event ends" in page
    assert "passport data is seen only by the event" in page
    assert "Ask to erase my data" in page


def test_privacy_page_in_indonesian(client, event):
    client.set_cookie("lang", "id")
    page = client.get(f"/events/{event.slug}/privacy").get_data(as_text=True)
    assert "Privasi: bagaimana acara ini mengelola data pribadi Anda" in page
    assert "Data paspor dihapus 14 hari setelah acara berakhir" in page
    assert "Pendaftaran dianonimkan 6 bulan setelah acara berakhir" in page


def test_privacy_page_says_when_registrations_are_kept(client, event):
    event.anonymise_after_months = None
    event.passport_retention_days = 1
    db.session.commit()
    page = client.get(f"/events/{event.slug}/privacy").get_data(as_text=True)
    assert "Passport data is deleted 1 day after the event ends" in page
    assert "Registrations are kept after the event, until the organizers erase them" in page


def test_privacy_page_of_a_draft_is_not_found(client, event):
    event.status = EventStatus.DRAFT
    db.session.commit()
    assert client.get(f"/events/{event.slug}/privacy").status_code == 404
    assert client.get("/events/no-such-event/privacy").status_code == 404


def test_registration_forms_link_the_privacy_page_from_the_consent(client, event):
    link = f'href="/events/{event.slug}/privacy"'
    assert link in client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert link in client.get(f"/events/{event.slug}/register/delegation").get_data(as_text=True)
    invitee = add_invitee(event)
    page = client.get(f"/i/{invitee_token(invitee)}/register")
    assert page.status_code == 200 and link in page.get_data(as_text=True)
