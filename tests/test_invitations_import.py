"""Importing invitees from CSV and XLSX: parsing, preview, confirmation, limits, hostile files."""

import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import AuditEntry, Honorific, Invitee, Upload
from seminar_app.services.errors import ServiceError
from seminar_app.services.invitations import invitee_import
from seminar_app.services.invitations.invitations import get_invitee_by_token, invitee_token
from tests.conftest import post_form
from tests.factories import add_invitee, logged_in, registration_event


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def event(owner):
    return registration_event(owner)


@pytest.fixture
def staff(app, owner):
    return logged_in(app, owner)


def base(event) -> str:
    return f"/manage/events/{event.id}/invitations/import"


def count_invitees() -> int:
    return db.session.scalar(select(func.count(Invitee.id)))


def upload(client, event, data: bytes, filename="list.csv"):
    return post_form(client, base(event), {"file": (io.BytesIO(data), filename)},
                     content_type="multipart/form-data")


def preview_of(client, event, data: bytes, filename="list.csv"):
    """Upload and follow to the preview; (upload id, preview HTML)."""
    response = upload(client, event, data, filename)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    file_id = int(re.search(r"file=(\d+)", response.headers["Location"]).group(1))
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    return file_id, page.get_data(as_text=True)


def confirm(client, event, file_id, **fields):
    return post_form(client, f"{base(event)}/confirm",
                     {"file": str(file_id), "on_existing": "skip", **fields})


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


CSV = (
    "Nama;Surel;Gelar;Negara;Instansi;Jabatan;Bahasa;Kelompok;Shoe size\n"
    "Retno Marsudi;retno@kemlu.go.id;H.E.;Indonesia;Kemlu;Menteri;Indonesia;Ministers;40\n"
    "Somchai Jaidee;somchai@mfa.go.th;Dr.;Thailand;MFA;Director;English;ASEAN;42\n"
    "Nguyen Van A;nguyen@mofa.gov.vn;Hon.;VN;MOFA;;en;ASEAN;\n"
    "Bad Email;not-an-email;;;;;;;\n"
    ";noname@example.org;;;;;;;\n"
    "Nowhere Man;nowhere@example.org;;Atlantis;;;;;\n"
    "Retno Again;RETNO@kemlu.go.id;;;;;;;\n"
)


# --- parsing ---------------------------------------------------------------------------------

def test_parse_csv_with_indonesian_headers_semicolons_and_bom(app):
    parsed = invitee_import.parse_file(b"\xef\xbb\xbf" + CSV.encode("utf-8"))
    assert parsed.columns == ["name", "email", "honorific", "country", "organisation",
                              "position", "language", "group_name"]
    assert parsed.ignored == ["Shoe size"]
    assert len(parsed.rows) == 7
    assert parsed.rows[0] == (2, {"name": "Retno Marsudi", "email": "retno@kemlu.go.id",
                                  "honorific": "H.E.", "country": "Indonesia",
                                  "organisation": "Kemlu", "position": "Menteri",
                                  "language": "Indonesia", "group_name": "Ministers"})


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_parse_csv_delimiters(app, delimiter):
    text = delimiter.join(["E-mail", "NAME", "country"]) + "\n" + delimiter.join(
        ["a@example.org", "Ann, Lee", "Malaysia"]) + "\n"
    if delimiter == ",":
        text = text.replace("Ann, Lee", '"Ann, Lee"')
    parsed = invitee_import.parse_file(text.encode())
    assert parsed.rows == [(2, {"email": "a@example.org", "name": "Ann, Lee",
                                "country": "Malaysia"})]


def test_parse_csv_falls_back_to_cp1252(app):
    data = "name,email\nJosé Ramos-Horta,jose@example.org\n".encode("cp1252")
    assert invitee_import.parse_file(data).rows[0][1]["name"] == "José Ramos-Horta"


def test_parse_xlsx_first_sheet(app):
    data = xlsx([["Name", "Email", "Country", "Language"],
                 ["Ann Lee", "ann@example.org", "MY", "en"],
                 [None, None, None, None],
                 ["Budi", "budi@example.org", 360, "id"]])
    parsed = invitee_import.parse_file(data)
    assert [row for _line, row in parsed.rows] == [
        {"name": "Ann Lee", "email": "ann@example.org", "country": "MY", "language": "en"},
        {"name": "Budi", "email": "budi@example.org", "country": "360", "language": "id"}]
    assert [line for line, _row in parsed.rows] == [2, 4]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"name,country\nAnn,MY\n", "column"),
    (b"name,email\n", "no rows"),
    (b"PK\x03\x04garbage", "Excel file could not be read"),
    (b"\n\n\n", "no rows"),
])
def test_parse_refuses_unusable_files(app, data, message):
    with pytest.raises(ServiceError) as caught:
        invitee_import.parse_file(data)
    assert message in caught.value.message


def test_parse_refuses_too_many_rows(app, monkeypatch):
    monkeypatch.setattr(invitee_import, "MAX_ROWS", 5)
    data = "name,email\n" + "".join(f"P{i},p{i}@example.org\n" for i in range(6))
    with pytest.raises(ServiceError) as caught:
        invitee_import.parse_file(data.encode())
    assert "more than 5 rows" in caught.value.message


@pytest.mark.parametrize(("value", "code"), [
    ("ID", "ID"), ("idn", "ID"), ("Indonesia", "ID"), ("Thailand", "TH"),
    ("Thailand", "TH"), ("Jerman", "DE"), ("Germany", "DE"), ("Amerika Serikat", "US"),
    ("côte d'ivoire", "CI"), ("", ""), ("Atlantis", None),
])
def test_country_codes_from_codes_and_names_in_both_languages(app, value, code):
    assert invitee_import.country_code(value) == code


# --- preview and confirmation ----------------------------------------------------------------

def test_preview_shows_every_row_and_its_problems_and_saves_nothing(staff, event):
    add_invitee(event, email="somchai@mfa.go.th", name="Somchai Old")
    file_id, html = preview_of(staff, event, CSV.encode())
    assert count_invitees() == 1
    assert "New: 2" in html
    assert "Already on the list: 1" in html
    assert "With problems (left out): 4" in html
    assert "Enter a valid email address." in html
    assert "This field is required." in html
    assert "Unknown country: Atlantis" in html
    assert "already in the file (row 2)" in html
    assert "Columns ignored: Shoe size" in html
    only = staff.get(f"{base(event)}/preview?file={file_id}&show=problems").get_data(
        as_text=True)
    assert "Atlantis" in only and "Retno Marsudi" not in only


def test_confirm_imports_valid_rows_and_skips_existing(staff, event, owner):
    existing = add_invitee(event, email="somchai@mfa.go.th", name="Somchai Old")
    file_id, _html = preview_of(staff, event, CSV.encode())
    response = confirm(staff, event, file_id)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/manage/events/{event.id}/invitations")
    assert count_invitees() == 3
    retno = db.session.scalar(select(Invitee).where(Invitee.email == "retno@kemlu.go.id"))
    assert (retno.honorific, retno.country, retno.language, retno.group_name) == (
        Honorific.HE, "ID", "id", "Ministers")
    assert retno.created_by_id == owner.id
    # every imported invitee has a working personal link
    assert get_invitee_by_token(invitee_token(retno)).id == retno.id
    nguyen = db.session.scalar(select(Invitee).where(Invitee.email == "nguyen@mofa.gov.vn"))
    assert (nguyen.honorific, nguyen.honorific_other) == (Honorific.OTHER, "Hon.")
    db.session.refresh(existing)
    assert existing.name == "Somchai Old"
    # the file is gone, one audit entry tells the story
    assert db.session.get(Upload, file_id) is None
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "invitee.import"))
    assert audit.details["created"] == 2 and audit.details["skipped"] == 1
    assert audit.details["invalid"] == 4
    # confirming again: the file is no longer there
    again = confirm(staff, event, file_id)
    assert again.status_code == 303 and again.headers["Location"].endswith("/import")
    assert count_invitees() == 3


def test_confirm_can_update_existing_and_set_a_group(staff, event):
    existing = add_invitee(event, email="somchai@mfa.go.th", name="Somchai Old",
                           position="Old position", note="keep me")
    file_id, _html = preview_of(staff, event, CSV.encode())
    response = confirm(staff, event, file_id, on_existing="update", group_name="Forum 2026")
    assert response.status_code == 303
    db.session.refresh(existing)
    assert (existing.name, existing.position, existing.group_name) == (
        "Somchai Jaidee", "Director", "Forum 2026")
    assert existing.note == "keep me"  # no note column: not touched
    groups = set(db.session.scalars(select(Invitee.group_name)))
    assert groups == {"Forum 2026"}


def test_confirm_refuses_bad_options(staff, event):
    file_id, _html = preview_of(staff, event, CSV.encode())
    response = confirm(staff, event, file_id, on_existing="overwrite-all")
    assert response.status_code == 422
    response = confirm(staff, event, file_id, group_name="<script>")
    assert response.status_code == 422
    assert count_invitees() == 0


def test_an_import_file_belongs_to_its_uploader_and_event(app, staff, event, owner, make_user):
    file_id, _html = preview_of(staff, event, CSV.encode())
    other_event = registration_event(owner)
    response = confirm(staff, other_event, file_id)
    assert response.status_code == 303 and count_invitees() == 0
    colleague = make_user("admin")
    response = confirm(logged_in(app, colleague), event, file_id)
    assert response.status_code == 303 and count_invitees() == 0
    assert logged_in(app, colleague).get(
        f"{base(event)}/preview?file={file_id}").status_code == 303
    # and it is never served as an upload
    assert staff.get(f"/uploads/{file_id}").status_code == 404
    assert db.session.get(Upload, file_id) is not None


def test_discard_forgets_the_file(staff, event):
    file_id, _html = preview_of(staff, event, CSV.encode())
    response = post_form(staff, f"{base(event)}/discard", {"file": str(file_id)})
    assert response.status_code == 303
    assert db.session.get(Upload, file_id) is None
    assert count_invitees() == 0


def test_upload_refuses_unusable_files_with_a_message(staff, event):
    response = upload(staff, event, b"name;country\nAnn;MY\n")
    assert response.status_code == 422
    assert "needs a column" in response.get_data(as_text=True)
    response = post_form(staff, base(event), {}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(Upload.id))) == 0


def test_upload_size_limit(app, staff, event, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1000)
    response = upload(staff, event, b"name,email\n" + b"A,a@example.org\n" * 200)
    assert response.status_code == 422
    assert "too large" in response.get_data(as_text=True)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)
    response = upload(staff, event, b"name,email\n" + b"A,a@example.org\n" * 300)
    assert response.status_code == 413


def test_xlsx_import_end_to_end(staff, event):
    data = xlsx([["Title", "Name", "E-mail", "Country", "Organization"],
                 ["Prof.", "Ann Lee", "ann@example.org", "Malaysia", "UM"],
                 ["Mr", "Budi Santoso", "budi@example.org", "Indonesia", "UGM"]])
    file_id, html = preview_of(staff, event, data, "list.xlsx")
    assert "New: 2" in html
    assert confirm(staff, event, file_id).status_code == 303
    assert set(db.session.scalars(select(Invitee.country))) == {"MY", "ID"}


def test_ten_thousand_rows_import_in_bulk(staff, event):
    rows = "".join(f"Person {i},person{i}@example.org,ID,Group {i % 7}\n" for i in range(10_000))
    file_id, html = preview_of(staff, event, ("name,email,country,group\n" + rows).encode())
    assert "New: 10000" in html
    response = confirm(staff, event, file_id)
    assert response.status_code == 303
    assert count_invitees() == 10_000
    hashes = db.session.scalar(select(func.count(func.distinct(Invitee.token_hash))))
    assert hashes == 10_000
    page = staff.get(f"/manage/events/{event.id}/invitations?page=200")
    assert page.status_code == 200


def test_import_pages_need_the_invite_permission(app, event, make_user):
    outsider = logged_in(app, make_user())
    assert outsider.get(base(event)).status_code == 403
    assert upload(outsider, event, CSV.encode()).status_code == 403
    assert db.session.scalar(select(func.count(Upload.id))) == 0


# --- hostile input ---------------------------------------------------------------------------

@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=2000).map(lambda text: ("name,email,country,gelar\n" + text).encode(
        "utf-8", "surrogatepass")),
    st.lists(st.lists(st.text(max_size=60), min_size=0, max_size=6), max_size=20).map(
        lambda rows: "\n".join(";".join(row) for row in [["nama", "surel", "negara"], *rows])
        .encode("utf-8", "surrogatepass")),
))
def test_parser_never_fails_on_hostile_files(app, event, data):
    try:
        parsed = invitee_import.parse_file(data)
    except ServiceError:
        return
    analysis = invitee_import.analyse(event, parsed)
    assert len(analysis.rows) == len(parsed.rows)
    for row in analysis.rows:
        if row.ok:
            assert "\x00" not in row.values["name"] and row.values["email"]


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=3000))
def test_upload_never_fails_on_hostile_files(staff, event, data):
    response = upload(staff, event, data)
    assert response.status_code in (303, 422)
    assert count_invitees() == 0
