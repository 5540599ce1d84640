"""Delegates with a single name (common in Indonesia and Myanmar) register truthfully: the
family name is optional everywhere, and lists, badges and letters order and address them by
that one name."""

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.models import Registration
from seminar_app.services.documents.letters import render_visa_letter_pdf
from seminar_app.services.registration.participant_list import (
    ParticipantFilters,
    registrations_query,
)
from tests.conftest import post_form
from tests.factories import form_fields, make_registration, registration_event, visa_fields


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def test_public_form_accepts_a_single_name(client, owner):
    event = registration_event(owner)
    response = post_form(client, f"/events/{event.slug}/register",
                         form_fields(given_name="Sukarno", family_name=""))
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]
    registration = db.session.scalar(select(Registration))
    assert registration.full_name == "Sukarno" and registration.family_name == ""


def test_form_explains_the_single_name_path(client, owner):
    event = registration_event(owner)
    html = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert "single name" in html
    client.set_cookie("lang", "id")
    html = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert "satu nama" in html


def test_service_accepts_a_single_name(owner):
    event = registration_event(owner)
    registration, _token = make_registration(event, given_name="Thant", family_name="")
    assert registration.family_name == ""


def test_name_order_sorts_a_single_name_among_family_names(owner):
    event = registration_event(owner)
    for given, family in (("Budi", "Zulkarnain"), ("Min", ""), ("Ana", "Abdullah")):
        make_registration(event, given_name=given, family_name=family)
    filters = ParticipantFilters(sort="name", descending=False)
    names = [r.full_name for r in db.session.scalars(registrations_query(event, filters))]
    assert names == ["Ana Abdullah", "Min", "Budi Zulkarnain"]


def test_visa_letter_greets_a_single_name(owner):
    event = registration_event(owner)
    data = {**visa_fields(event), "needs_visa_letter": True,
            "birth_date": event.start_at.date() - timedelta(days=365 * 40),
            "passport_expiry": (event.end_at + timedelta(days=400)).date()}
    registration, _token = make_registration(event, given_name="Sukarno", family_name="",
                                             honorific="mr", **data)
    event.letter_signatory_name = "Retno Marsudi"
    db.session.commit()
    text = PdfReader(io.BytesIO(render_visa_letter_pdf(registration, language="en"))) \
        .pages[0].extract_text()
    assert "Dear Mr. Sukarno," in " ".join(text.split())
