"""Certificates of attendance: who gets one and why not, the codes, the PDF in both languages."""

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from seminar_app.crypto import new_key
from seminar_app.models import CertificateSettings, Honorific, RegistrationStatus, utcnow
from seminar_app.services.documents.certificates import render_certificate_pdf
from seminar_app.services.errors import Conflict, NotFound, ServiceError
from seminar_app.services.registration import certificates as rules
from tests.factories import add_registration
from tests.public_factories import create_event


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def ended_event(owner, **overrides):
    """An event that ended yesterday, with a letter signatory."""
    start = utcnow() - timedelta(days=2)
    values = {"start_at": start, "end_at": start + timedelta(days=1),
              "letter_signatory_name": "Siti Nugraha Maulidiah",
              "letter_signatory_title": "Director of Technical Cooperation"}
    return create_event(owner, **{**values, **overrides})


def turn_on(event, scope="checked_in", **values):
    return rules.update_certificate_settings(event, enabled=True, scope=scope, **values)


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def event(owner):
    event = ended_event(owner, title="Jakarta Forum on South-South Cooperation",
                        translations={"en": {"title": "Jakarta Forum on South-South Cooperation"},
                                      "id": {"title": "Forum Jakarta Kerja Sama Selatan-Selatan"}})
    turn_on(event)
    return event


# --- who gets one ----------------------------------------------------------------------------

def test_refusal_names_each_rule(owner, db):
    event = ended_event(owner)
    registration = add_registration(event, checked_in_at=utcnow())
    assert rules.certificate_refusal(registration) == "disabled"
    turn_on(event)
    assert rules.certificate_refusal(registration) is None
    not_in = add_registration(event)
    assert rules.certificate_refusal(not_in) == "not_checked_in"
    cancelled = add_registration(event, status=RegistrationStatus.CANCELLED,
                                 checked_in_at=utcnow())
    assert rules.certificate_refusal(cancelled) == "not_confirmed"
    erased = add_registration(event, email="erased-99@invalid", checked_in_at=utcnow())
    assert rules.certificate_refusal(erased) == "erased"
    turn_on(event, scope="confirmed")
    assert rules.certificate_refusal(not_in) is None


def test_refusal_before_the_end_except_for_staff(owner, db):
    event = create_event(owner, letter_signatory_name="A. Signatory")  # in 30 days
    turn_on(event)
    registration = add_registration(event, checked_in_at=utcnow())
    assert rules.certificate_refusal(registration) == "not_ended"
    assert rules.certificate_refusal(registration, for_staff=True) is None
    with pytest.raises(Conflict, match="once the event has ended"):
        rules.check_certificate(registration)


def test_settings_refuse_bad_values(owner, db):
    event = ended_event(owner, letter_signatory_name="")
    with pytest.raises(ServiceError) as error:
        rules.update_certificate_settings(event, enabled=True, scope="checked_in")
    assert error.value.field == "signatory_name"
    with pytest.raises(ServiceError) as error:
        rules.update_certificate_settings(event, enabled=False, scope="everyone")
    assert error.value.field == "scope"
    with pytest.raises(ServiceError) as error:
        rules.update_certificate_settings(event, enabled=False, scope="confirmed",
                                          wording_en="x" * 501)
    assert error.value.field == "wording_en"
    assert db.session.get(CertificateSettings, event.id) is None


def test_eligible_clauses_match_the_refusal(event, db):
    people = [add_registration(event, checked_in_at=utcnow()), add_registration(event),
              add_registration(event, status=RegistrationStatus.WAITLISTED,
                               checked_in_at=utcnow()),
              add_registration(event, email="erased-7@invalid", checked_in_at=utcnow())]
    expected = sum(rules.certificate_refusal(person) is None for person in people)
    assert expected == 1
    assert rules.eligible_count(event) == 1


# --- codes -----------------------------------------------------------------------------------

def test_verification_code_verifies_and_forgeries_do_not(event, db):
    registration = add_registration(event, checked_in_at=utcnow())
    code = rules.verification_code(registration)
    verified = rules.verify_certificate(code)
    assert verified.name == registration.full_name and verified.event.id == event.id
    other = add_registration(event, checked_in_at=utcnow())
    number, mac = code.split(".")
    altered = [f"{other.id}.{mac}", f"{number}.{'A' * 16}", code[:-1], code + "x", "",
               "1.../../etc", "٣." + mac, rules.download_token(registration)]
    for value in altered:
        with pytest.raises(NotFound, match="not a valid certificate"):
            rules.verify_certificate(value)


def test_a_cancelled_registration_no_longer_verifies(event, db):
    registration = add_registration(event, checked_in_at=utcnow())
    code = rules.verification_code(registration)
    registration.status = RegistrationStatus.CANCELLED
    db.session.commit()
    with pytest.raises(NotFound):
        rules.verify_certificate(code)


def test_download_token_is_not_the_verification_code(event, db):
    registration = add_registration(event, checked_in_at=utcnow())
    token = rules.download_token(registration)
    assert rules.registration_by_download_token(token).id == registration.id
    with pytest.raises(NotFound):
        rules.registration_by_download_token(rules.verification_code(registration))
    with pytest.raises(NotFound):
        rules.registration_by_download_token(token[:-3] + "abc")



def test_printed_codes_keep_verifying_when_the_secret_key_changes(app, owner, db, monkeypatch):
    """The codes are signed with the event's own key (stored encrypted under DATA_KEYS), so a
    SECRET_KEY changed after a leak does not make genuine certificates look forged."""
    monkeypatch.setitem(app.config, "DATA_KEYS", new_key("t1"))  # as production requires
    event = ended_event(owner)
    turn_on(event)
    registration = add_registration(event, checked_in_at=utcnow())
    code, token = rules.verification_code(registration), rules.download_token(registration)
    key = db.session.get(CertificateSettings, event.id).code_key
    assert key and len(key) >= 40
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret-key-after-a-leak-0123456789")
    db.session.expire_all()  # read the key from the database again
    assert rules.verify_certificate(code).name == registration.full_name
    assert rules.registration_by_download_token(token).id == registration.id


def test_events_have_keys_of_their_own(owner, db):
    """A code of one event says nothing about another's: their keys differ."""
    first, second = ended_event(owner), ended_event(owner)
    turn_on(first)
    turn_on(second)
    keys = {db.session.get(CertificateSettings, e.id).code_key for e in (first, second)}
    assert len(keys) == 2


def test_an_event_set_up_before_event_keys_keeps_its_secret_key_codes(app, event, db,
                                                                       monkeypatch):
    """Certificates printed before events had keys of their own keep verifying (while
    SECRET_KEY is the same): such an event's codes are still signed with it."""
    settings = db.session.get(CertificateSettings, event.id)
    settings.code_key = None
    db.session.commit()
    registration = add_registration(event, checked_in_at=utcnow())
    code = rules.verification_code(registration)
    assert rules.verify_certificate(code).name == registration.full_name
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret-key-after-a-leak-0123456789")
    with pytest.raises(NotFound):
        rules.verify_certificate(code)


# --- the PDF ---------------------------------------------------------------------------------

def test_pdf_in_english_names_delegate_event_dates_place_signatory(event, db, app):
    registration = add_registration(event, checked_in_at=utcnow(), honorific=Honorific.HE,
                                    given_name="Retno", family_name="Marsudi", language="en",
                                    position="Minister", email="retno@example.org")
    text = pdf_text(render_certificate_pdf(registration))
    assert "CERTIFICATE OF ATTENDANCE" in text
    assert "H.E. Retno Marsudi" in text
    assert "Jakarta Forum on South-South Cooperation" in text
    assert "Gedung Pancasila, Jakarta, Indonesia" in text
    assert event.start_at.astimezone().strftime("%Y") in text
    assert "Siti Nugraha Maulidiah" in text and "Director of Technical Cooperation" in text
    assert f"/v/{rules.verification_code(registration)}" in text
    assert "Minister" not in text and "retno@example.org" not in text


def test_pdf_in_the_delegates_language_indonesian(event, db):
    turn_on(event, wording_id="atas partisipasi aktifnya", signatory_name="Budi Santoso",
            signatory_title="Kepala Pusat")
    registration = add_registration(event, checked_in_at=utcnow(), language="id",
                                    given_name="Siti", family_name="Rahayu")
    text = pdf_text(render_certificate_pdf(registration))
    assert "SERTIFIKAT KEHADIRAN" in text
    assert "Forum Jakarta Kerja Sama Selatan-Selatan" in text
    assert "atas partisipasi aktifnya" in text
    assert "Budi Santoso" in text and "Kepala Pusat" in text
    assert "Siti Nugraha" not in text  # the page's own signatory replaces the letters' one
    english = pdf_text(render_certificate_pdf(registration, language="en"))
    assert "CERTIFICATE OF ATTENDANCE" in english


def test_pdf_renders_names_in_other_scripts(event, db):
    registration = add_registration(event, checked_in_at=utcnow(), given_name="Ἀλέξανδρος",
                                    family_name="Παπαδόπουλος")
    data = render_certificate_pdf(registration)
    assert data.startswith(b"%PDF")
    assert "Παπαδόπουλος" in pdf_text(data)
    arabic = add_registration(event, checked_in_at=utcnow(), given_name="عبد الله",
                              family_name="الحسن")
    assert render_certificate_pdf(arabic).startswith(b"%PDF")


def test_pdf_stays_on_one_page_with_letterhead_and_long_texts(owner, db):
    from PIL import Image

    from seminar_app.services.events.uploads import create_image_upload

    out = io.BytesIO()
    Image.new("RGB", (1600, 400), "#1f4e99").save(out, "PNG")
    event = ended_event(owner, title="The Third High-Level Forum of Ministers on South-South "
                                      "and Triangular Cooperation for Sustainable Development")
    event.letterhead = create_image_upload(data=out.getvalue(), filename="head.png",
                                           field="letterhead", max_side=2000)
    db.session.commit()
    turn_on(event, scope="confirmed", wording_en="in recognition of " + "active " * 30)
    registration = add_registration(event, given_name="Maria Fernanda Alejandra Guadalupe",
                                    family_name="de los Santos Villanueva Castellanos")
    reader = PdfReader(io.BytesIO(render_certificate_pdf(registration)))
    assert len(reader.pages) == 1
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape


def test_a_cancelled_event_issues_none(event, db):
    from seminar_app.models import EventStatus

    registration = add_registration(event, checked_in_at=utcnow())
    code = rules.verification_code(registration)
    event.status = EventStatus.CANCELLED
    db.session.commit()
    assert rules.certificate_refusal(registration) == "event_cancelled"
    assert rules.certificates_open(event) == "event_cancelled"
    with pytest.raises(NotFound):
        rules.verify_certificate(code)
