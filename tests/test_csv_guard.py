"""Formula injection in exports: guarded wherever a spreadsheet could start a formula."""

import csv
import io
import zipfile

import pytest

from seminar_app.services.documents.exports import csv_stream, neutralize_formula
from tests.factories import add_registration, logged_in
from tests.public_factories import create_event

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: values that become a formula once a spreadsheet splits the cell at a separator
SPLIT_PAYLOADS = ["MFA;=1+1", "MFA,=1+1", "MFA\t@SUM(A1)", "MFA\n-2+3", 'MFA"+1+1',
                  "Kemlu; =1", "A;;=cmd|' /C calc'!A0"]


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return create_event(owner, slug="guarded-forum")


def _cells_split_by(text: str, separator: str) -> list[str]:
    """Every cell a naive spreadsheet import would make, splitting lines at ``separator``."""
    return [cell.strip('"') for line in text.replace("\r", "\n").split("\n")
            for cell in line.split(separator)]


@pytest.mark.parametrize("payload", SPLIT_PAYLOADS)
def test_neutralize_formula_guards_after_a_separator(payload):
    guarded = neutralize_formula(payload)
    for separator in (";", ",", "\t", "\n", '"'):
        for part in guarded.split(separator)[1:]:
            assert not part.lstrip().startswith(TRIGGERS[:4]), (payload, guarded)
    assert guarded.replace("'", "") == payload.replace("'", "")  # only quotes were added


def test_neutralize_formula_keeps_plain_text_and_guards_phone_numbers():
    assert neutralize_formula("Asia - Pacific, Jakarta") == "Asia - Pacific, Jakarta"
    assert neutralize_formula("Budi Santoso") == "Budi Santoso"
    assert neutralize_formula("+62 21 3441508") == "'+62 21 3441508"
    assert neutralize_formula("\t=1") == "'\t'=1"
    assert neutralize_formula(" =1") == "' =1"
    assert neutralize_formula("Jakarta; -6.2") == "Jakarta; '-6.2"


def test_csv_stream_quotes_every_cell():
    text = "".join(csv_stream([["Name", "Phone"], ["Budi", ""], ["MFA;=1+1", "+62 21"]]))
    assert text == ('\ufeff"Name","Phone"\r\n"Budi",""\r\n'
                    '"MFA;\'=1+1","\'+62 21"\r\n')


def test_export_csv_split_at_semicolons_has_no_formula(app, event, owner):
    for index, payload in enumerate(SPLIT_PAYLOADS):
        add_registration(event, organisation=payload, position=payload, phone="+62 812 3456",
                         email=f"split{index}@example.org")
    response = logged_in(app, owner).get(f"/manage/events/{event.id}/export.csv?lang=id")
    assert response.status_code == 200
    text = response.get_data(as_text=True).lstrip("\ufeff")
    for separator in (";", ",", "\t"):
        for cell in _cells_split_by(text, separator):
            assert not cell.lstrip().startswith(TRIGGERS[:4]), cell
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    organisations = {row[header.index("Instansi")] for row in rows[1:]}
    assert organisations == {neutralize_formula(payload) for payload in SPLIT_PAYLOADS}
    assert {row[header.index("Telepon")] for row in rows[1:]} == {"'+62 812 3456"}


def test_export_xlsx_writes_split_payloads_as_strings(app, event, owner):
    add_registration(event, organisation="MFA;=1+1", position="=HYPERLINK(\"http://x\")")
    data = logged_in(app, owner).get(f"/manage/events/{event.id}/export.xlsx?lang=en").get_data()
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    assert '<is><t>MFA;=1+1</t></is>' in sheet  # an inline string cell, as typed
    assert "<t>=HYPERLINK(" in sheet
