"""Import preview counts, the downloadable templates and the problem text contrast (issue 14)."""

import csv
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from seminar_app.services.invitations import invitee_import
from seminar_app.services.invitations.import_template import COLUMNS, import_template
from tests.factories import add_invitee, logged_in, registration_event
from tests.test_invitations_import import preview_of

STATIC = Path(__file__).resolve().parent.parent / "static"
FIELDS = {key for key, _en, _id in COLUMNS}


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def event(owner):
    return registration_event(owner)


@pytest.mark.parametrize("lang, button, already, refused", [
    ("en", "Add 2 new invitees", "1 is already invited", "1 row is refused"),
    ("id", "Tambahkan 2 undangan baru", "1 sudah diundang", "1 baris ditolak"),
])
def test_import_preview_counts_new_already_invited_and_refused(app, owner, event, lang, button,
                                                               already, refused):
    add_invitee(event, email="known@example.org")
    client = logged_in(app, owner)
    client.set_cookie("lang", lang)
    data = (b"name,email\nKnown Person,known@example.org\nNew One,one@example.org\n"
            b"New Two,two@example.org\nBroken,not-an-address\n")
    _file_id, body = preview_of(client, event, data)
    button_html = re.search(r"<button[^>]*data-import-button[^>]*>([^<]*)</button>", body)
    assert button_html and button_html.group(1).strip() == button
    counts = re.search(r"data-import-counts>(.*?)</p>", body, re.S).group(1)
    assert already in counts and refused in counts
    assert "valid rows" not in body and "baris yang valid" not in body


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_import_template_downloads_and_imports_as_it_is(app, owner, event, lang, kind):
    client = logged_in(app, owner)
    client.set_cookie("lang", lang)
    upload_page = client.get(f"/manage/events/{event.id}/invitations/import")
    url = f"/manage/events/{event.id}/invitations/import/template.{kind}"
    assert f'href="{url}"' in upload_page.get_data(as_text=True)
    response = client.get(url)
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = response.data
    if kind == "csv":
        header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        data += b"Siti Rahma,siti@example.org,,ID,,,,,\r\n"
    else:
        workbook = load_workbook(io.BytesIO(data))
        header = [cell.value for cell in workbook.active[1]]
        workbook.active.append(["Siti Rahma", "siti@example.org"])
        out = io.BytesIO()
        workbook.save(out)
        data = out.getvalue()
    assert ("nama" in header) == (lang == "id") and ("name" in header) == (lang == "en")
    parsed = invitee_import.parse_file(data)
    assert set(parsed.columns) == FIELDS and not parsed.ignored
    assert parsed.rows[0][1]["email"] == "siti@example.org"


def test_import_template_unknown_format_is_404(app, owner, event):
    client = logged_in(app, owner)
    assert client.get(f"/manage/events/{event.id}/invitations/import/template.pdf"
                      ).status_code == 404


def test_import_template_needs_invite_rights(app, make_user, event):
    stranger = logged_in(app, make_user("organizer"))
    url = f"/manage/events/{event.id}/invitations/import/template.csv"
    assert stranger.get(url).status_code == 403


def test_import_template_function_refuses_unknown_kind():
    with pytest.raises(ValueError):
        import_template("pdf", "en")


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _bootstrap_variable(name: str) -> str:
    css = next(STATIC.glob("vendor/bootstrap-*/bootstrap.min.css")).read_text()
    return re.search(rf"{name}:(#[0-9a-fA-F]{{6}})", css).group(1)


def test_import_problem_text_meets_wcag_aa_on_problem_rows(app, owner, event):
    client = logged_in(app, owner)
    _file_id, body = preview_of(client, event, b"name,email\nBroken,not-an-address\n")
    assert 'class="list-unstyled mb-0 import-problem"' in body and "table-danger" in body
    rule = re.search(r"\.import-problem\s*\{[^}]*color:\s*var\((--[\w-]+)\)",
                     (STATIC / "css" / "app.css").read_text())
    text = _bootstrap_variable(rule.group(1))
    row = _bootstrap_variable("--bs-danger-bg-subtle")  # .table-danger's background
    light, dark = sorted((_luminance(text), _luminance(row)), reverse=True)
    assert (light + 0.05) / (dark + 0.05) >= 4.5
