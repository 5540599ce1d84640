"""Indonesian texts (issue 14): co-host roles, the letter's title, export languages, date cells."""

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from seminar_app.extensions import db
from seminar_app.models import CoHost, Honorific
from seminar_app.services.documents.letters import render_visa_letter_pdf
from seminar_app.services.events.cohost_roles import cohost_role_label
from tests.factories import add_registration, logged_in
from tests.public_factories import create_event
from tests.test_exports import read_csv


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return create_event(owner, title="Jakarta Forum", translations={
        "en": {"title": "Jakarta Forum"}, "id": {"title": "Forum Jakarta"}},
        letter_signatory_name="Siti Nugraha Maulidiah")


@pytest.mark.parametrize("lang, host, co_host", [("en", "Host", "Co-host"),
                                                 ("id", "Tuan rumah", "Tuan rumah bersama")])
def test_event_page_shows_cohost_roles_in_the_reader_language(client, event, lang, host,
                                                              co_host):
    event.cohosts.extend([CoHost(name="Kementerian Luar Negeri", role="Host", position=0),
                          CoHost(name="Universitas Hasanuddin", role="co-host", position=1),
                          CoHost(name="Embassy", role="With thanks to", position=2)])
    db.session.commit()
    client.set_cookie("lang", lang)
    body = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert f"data-cohost-role>{host}</div>" in body
    assert f"data-cohost-role>{co_host}</div>" in body
    assert "data-cohost-role>With thanks to</div>" in body  # typed text stays as typed


def test_cohost_role_label_keeps_unknown_roles(app):
    with app.test_request_context():
        assert cohost_role_label("  Supported   by ") == "Supported by"
        assert cohost_role_label("Sponsor emas") == "Sponsor emas"
        assert cohost_role_label(None) == ""


def _letter_text(registration, language) -> str:
    pdf = render_visa_letter_pdf(registration, language=language, today=date(2026, 1, 15))
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("language, title, other", [("id", "Forum Jakarta", "Jakarta Forum"),
                                                    ("en", "Jakarta Forum", "Forum Jakarta")])
def test_visa_letter_uses_the_title_in_the_letter_language(event, language, title, other):
    registration = add_registration(
        event, needs_visa_letter=True, honorific=Honorific.MR, passport_number="AE1234567",
        nationality="GR", birth_date=date(1980, 7, 14), birth_place="Thessaloniki",
        passport_expiry=date(2032, 1, 9))
    text = _letter_text(registration, language)
    assert title in text and other not in text


@pytest.mark.parametrize("lang, english, indonesian", [("id", "Inggris", "Indonesia"),
                                                       ("en", "English", "Indonesian")])
def test_export_language_column_in_the_export_language(app, event, owner, lang, english,
                                                       indonesian):
    add_registration(event, given_name="Ana", language="en")
    add_registration(event, given_name="Budi", language="id")
    client = logged_in(app, owner)
    rows = read_csv(client.get(f"/manage/events/{event.id}/export.csv?lang={lang}&sort=created"
                               "&order=asc"))
    column = rows[0].index("Bahasa" if lang == "id" else "Language")
    assert {row[2]: row[column] for row in rows[1:]} == {"Ana": english, "Budi": indonesian}


def test_export_xlsx_writes_dates_as_date_cells(app, event, owner):
    add_registration(event, needs_visa_letter=True, passport_number="C01X00T47",
                     nationality="DE", birth_date=date(1970, 1, 2),
                     passport_expiry=date(2035, 1, 1))
    client = logged_in(app, owner)
    for lang in ("en", "id"):
        data = client.get(f"/manage/events/{event.id}/export.xlsx?lang={lang}").get_data()
        sheet = load_workbook(io.BytesIO(data)).active
        header = [cell.value for cell in sheet[1]]
        row = {header[i]: cell for i, cell in enumerate(sheet[2])}
        birth = row["Date of birth" if lang == "en" else "Tanggal lahir"]
        assert birth.value == datetime(1970, 1, 2) and birth.number_format == "yyyy-mm-dd"
        registered = row["Registered at" if lang == "en" else "Waktu pendaftaran"]
        assert isinstance(registered.value, datetime) and "WIB" in registered.number_format
    csv_rows = read_csv(client.get(f"/manage/events/{event.id}/export.csv?lang=en"))
    csv_row = dict(zip(csv_rows[0], csv_rows[1], strict=True))
    assert csv_row["Date of birth"] == "1970-01-02" and csv_row["Registered at"].endswith("WIB")
