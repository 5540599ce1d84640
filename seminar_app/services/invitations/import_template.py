"""The invitee import template: an empty CSV or XLSX file with the columns the import reads.

Rules: the headers are in the language the staff member reads the page in (English or
Indonesian); both are headers that ``services.invitations.invitee_import`` recognises, so a
filled-in
template imports as it is. The template holds no example rows (nobody is imported by mistake).
The CSV starts with a UTF-8 byte order mark so that Excel opens it with the right encoding.
"""

import csv
import io

import xlsxwriter

#: (field, English header, Indonesian header), in the order of the columns
COLUMNS = (
    ("name", "name", "nama"),
    ("email", "email", "alamat email"),
    ("honorific", "honorific", "gelar"),
    ("country", "country", "negara"),
    ("organisation", "organisation", "instansi"),
    ("position", "position", "jabatan"),
    ("language", "language", "bahasa"),
    ("group_name", "group", "kelompok"),
    ("note", "note", "catatan"),
    #: person or organisation (organisasi); empty: a person
    ("kind", "type", "jenis"),
)
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def template_headers(language: str) -> list[str]:
    """The header row of the template in ``language`` ("id" Indonesian, else English)."""
    return [indonesian if language == "id" else english for _key, english, indonesian in COLUMNS]


def import_template(kind: str, language: str) -> bytes:
    """The template file of ``kind`` ("csv" or "xlsx") with headers in ``language``."""
    headers = template_headers(language)
    if kind == "csv":
        text = io.StringIO(newline="")
        csv.writer(text).writerow(headers)
        return ("\ufeff" + text.getvalue()).encode("utf-8")
    if kind != "xlsx":
        raise ValueError(f"unknown template format: {kind!r}")
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = workbook.add_worksheet("Invitees" if language != "id" else "Undangan")
    bold = workbook.add_format({"bold": True})
    for column, header in enumerate(headers):
        sheet.write_string(0, column, header, bold)
        sheet.set_column(column, column, 24)
    sheet.freeze_panes(1, 0)
    workbook.close()
    return output.getvalue()
