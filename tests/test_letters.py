"""Visa invitation letters: content, languages, letterhead, and who gets one."""

import hashlib
import io
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader

from seminar_app.extensions import db
from seminar_app.models import Honorific, RegistrationStatus, Upload
from seminar_app.services.documents.letters import check_visa_letter, render_visa_letter_pdf
from seminar_app.services.errors import Conflict
from tests.factories import add_registration
from tests.public_factories import create_event, utc


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def event(make_user):
    return create_event(make_user("organizer"), title="Jakarta Forum",
                        start_at=utc(2026, 3, 17, 2), end_at=utc(2026, 3, 18, 10),
                        letter_signatory_name="Siti Nugraha Maulidiah",
                        letter_signatory_title="Director of Technical Cooperation")


def _visa_registration(event, **overrides):
    values = {"needs_visa_letter": True, "honorific": Honorific.DR, "given_name": "Ελένη",
              "family_name": "Παπαδοπούλου", "country": "GR", "position": "Counsellor",
              "passport_number": "AE1234567", "nationality": "GR",
              "birth_date": date(1980, 7, 14), "birth_place": "Thessaloniki",
              "passport_expiry": date(2032, 1, 9)}
    return add_registration(event, **{**values, **overrides})


def test_render_visa_letter_pdf_names_the_event_the_delegate_and_the_passport(event):
    registration = _visa_registration(event)
    pdf = render_visa_letter_pdf(registration, language="en", today=date(2026, 1, 15))
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    for expected in ("Visa invitation letter — Jakarta Forum", "15 January 2026",
                     registration.reference, "Dr. Ελένη Παπαδοπούλου", "Counsellor", "Greece",
                     "AE1234567", "14 July 1980", "Thessaloniki", "9 January 2032",
                     "17 March 2026 – 18 March 2026", "Gedung Pancasila, Jakarta, Indonesia",
                     "Siti Nugraha Maulidiah", "Director of Technical Cooperation", "Page 1"):
        assert expected in text, expected
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1


def test_render_visa_letter_pdf_in_indonesian_formats_dates_in_indonesian(event):
    registration = _visa_registration(event)
    text = _text(render_visa_letter_pdf(registration, language="id", today=date(2026, 1, 15)))
    assert "15 Januari 2026" in text
    assert "17 Maret 2026" in text
    assert "Yunani" in text  # Greece


def test_render_visa_letter_pdf_addresses_an_excellency(event):
    registration = _visa_registration(event, honorific=Honorific.HE)
    assert "Your Excellency," in _text(render_visa_letter_pdf(registration, language="en"))


def test_render_visa_letter_pdf_prints_the_letterhead(event):
    image = io.BytesIO()
    Image.new("RGB", (1600, 200), "#8e1b1b").save(image, "PNG")
    data = image.getvalue()
    event.letterhead = Upload(data=data, content_type="image/png", size=len(data),
                              sha256=hashlib.sha256(data).hexdigest())
    db.session.commit()
    with_head = render_visa_letter_pdf(_visa_registration(event), language="en")
    assert b"/Subtype /Image" in with_head


def test_check_visa_letter_refuses_a_delegate_who_did_not_ask(event):
    registration = add_registration(event, needs_visa_letter=False)
    with pytest.raises(Conflict, match="did not ask"):
        check_visa_letter(registration)


@pytest.mark.parametrize("status", [RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED,
                                    RegistrationStatus.CANCELLED])
def test_check_visa_letter_refuses_registrations_that_are_not_confirmed(event, status):
    registration = _visa_registration(event, status=status)
    with pytest.raises(Conflict, match="confirmed"):
        render_visa_letter_pdf(registration, language="en")


def test_check_visa_letter_asks_for_a_signatory_first(event):
    event.letter_signatory_name = ""
    db.session.commit()
    with pytest.raises(Conflict, match="signatory"):
        check_visa_letter(_visa_registration(event))
