"""Importing invitees from a CSV or XLSX file: read, check every row, preview, then save.

Steps:
1. ``store_import_file`` reads the file once (so that a file we cannot read is refused at
   once) and keeps its bytes as an ``Upload`` whose name carries a marker
   ``invitee-import:<event id>:<user id>:``. Such uploads are never served (see
   events/uploads_view.py) and only their owner can use them (``get_import_file``).
2. ``analyse`` checks every row with ``services.invitations.invitations.check_invitee_values`` (the
one
   definition of a valid invitee), finds duplicates within the file and addresses already on
   the list. Nothing is saved: this is the preview.
3. ``import_invitees`` analyses again (the list may have changed), inserts the new rows in bulk,
   updates or skips those already on the list, deletes the upload, records one audit entry and
   commits once.

Columns are found by their header, case-insensitive, in English or Indonesian. CSV files may be
UTF-8 (with or without BOM) or Windows-1252, separated by commas, semicolons or tabs. XLSX
files are read with openpyxl (first sheet, values only).
"""

import csv
import hashlib
import io
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

import pycountry
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ...database import analyze, get_by_id, use_case
from ...extensions import db
from ...i18n import country_choices
from ...models import Event, Honorific, Invitee, Upload, utcnow
from ..audit import record_action
from ..errors import Conflict, NotFound, ServiceError
from ..registration.registration_codes import hash_token
from .invitations import _text, check_invitee_values, invitee_token, new_token_salt

log = logging.getLogger(__name__)

#: at most this many data rows in one file
MAX_ROWS = 20_000
#: at most this many columns are read from a row
MAX_COLUMNS = 60
#: at most this many characters are kept from one cell (longer values are refused as too long)
MAX_CELL = 5_000
#: the default size limit of an import file, when IMPORT_MAX_BYTES is not configured
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
#: an XLSX file may not unpack to more than this
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
#: marker at the start of the stored file's name
MARKER = "invitee-import"
#: unused import files are removed after this long
STALE_AFTER = timedelta(days=1)
#: rows inserted per statement
BATCH = 1000

ON_EXISTING = {"skip": _l("Skip them (keep what is on the list)"),
               "update": _l("Update them with the values from the file")}

#: header (normalized) -> invitee field
HEADER_ALIASES = {
    "name": "name", "nama": "name", "full name": "name", "nama lengkap": "name",
    "email": "email", "e-mail": "email", "e mail": "email", "surel": "email",
    "email address": "email", "alamat email": "email", "alamat surel": "email",
    "honorific": "honorific", "title": "honorific", "gelar": "honorific",
    "salutation": "honorific", "sapaan": "honorific",
    "country": "country", "negara": "country",
    "organisation": "organisation", "organization": "organisation", "instansi": "organisation",
    "organisasi": "organisation", "institution": "organisation", "lembaga": "organisation",
    "position": "position", "jabatan": "position",
    "language": "language", "bahasa": "language",
    "group": "group_name", "kelompok": "group_name", "grup": "group_name",
    "note": "note", "catatan": "note",
    "kind": "kind", "type": "kind", "invitee type": "kind", "jenis": "kind", "tipe": "kind",
    "jenis undangan": "kind", "jenis tamu": "kind",
}
FIELD_LABELS = {
    "honorific": _l("Honorific"), "honorific_other": _l("Honorific"), "name": _l("Name"),
    "email": _l("Email"), "country": _l("Country"), "organisation": _l("Organisation"),
    "position": _l("Position"), "language": _l("Language"), "group_name": _l("Group"),
    "note": _l("Note"), "kind": _l("Person or organisation"),
}
_LANGUAGES = {
    "en": "en", "eng": "en", "english": "en", "inggris": "en", "bahasa inggris": "en",
    "id": "id", "ind": "id", "indonesia": "id", "indonesian": "id", "bahasa indonesia": "id",
    "bahasa": "id",
}
_HONORIFICS = {
    "he": Honorific.HE, "h.e.": Honorific.HE, "h.e": Honorific.HE, "his excellency": Honorific.HE,
    "her excellency": Honorific.HE, "yang mulia": Honorific.HE, "ym": Honorific.HE,
    "ym.": Honorific.HE,
    "amb": Honorific.AMB, "amb.": Honorific.AMB, "ambassador": Honorific.AMB,
    "duta besar": Honorific.AMB, "dubes": Honorific.AMB,
    "mr": Honorific.MR, "mr.": Honorific.MR, "bapak": Honorific.MR, "bpk": Honorific.MR,
    "bpk.": Honorific.MR, "pak": Honorific.MR,
    "ms": Honorific.MS, "ms.": Honorific.MS, "mrs": Honorific.MS, "mrs.": Honorific.MS,
    "ibu": Honorific.MS, "bu": Honorific.MS,
    "dr": Honorific.DR, "dr.": Honorific.DR,
    "prof": Honorific.PROF, "prof.": Honorific.PROF, "professor": Honorific.PROF,
}
_XLSX_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",)


class ImportFileError(ServiceError):
    """The file cannot be imported at all (unreadable, no name or email column, too big)."""

    status_code = 422


# --- reading ---------------------------------------------------------------------------------

@dataclass
class ParsedFile:
    """The rows of a file: (line number, {field: raw text}); the columns found and ignored."""

    rows: list[tuple[int, dict[str, str]]]
    columns: list[str]
    ignored: list[str]


def _normalize_header(value) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).strip().casefold()
    text = re.sub(r"[\s_]+", " ", text)
    return text.strip(" *:")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)[:MAX_CELL]


def max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _too_large() -> ImportFileError:
    limit = max_bytes()
    return ImportFileError(_("The file is too large: at most %(size)s MB.",
                             size=f"{limit / (1024 * 1024):g}"), field="file")


def is_xlsx(data: bytes) -> bool:
    """True when ``data`` looks like an XLSX file (a ZIP archive)."""
    return data[:4] == b"PK\x03\x04"


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise ImportFileError(_("The file could not be read. Please save it as CSV (UTF-8) or "
                                "as an Excel workbook (.xlsx)."), field="file") from error


def _delimiter(text: str) -> str:
    """The delimiter of the header line: the most frequent of comma, semicolon and tab."""
    first = next(iter(text.splitlines()), "")
    counts = {delimiter: first.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda key: counts[key])
    return best if counts[best] else ","


def _csv_rows(data: bytes):
    text = _decode(data).replace("\x00", "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        for row in reader:
            yield [_cell(value) for value in row[:MAX_COLUMNS]]
    except csv.Error as error:
        raise ImportFileError(_("The file could not be read as CSV: %(error)s", error=str(error)),
                              field="file") from error


def _xlsx_rows(data: bytes):
    from openpyxl import load_workbook

    unreadable = ImportFileError(_("The Excel file could not be read. Please check that it is an "
                                   ".xlsx workbook, or save it as CSV."), field="file")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise _too_large()
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportFileError:
        raise
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds on broken files
        log.info("unreadable xlsx: %r", error)
        raise unreadable from error
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            yield [_cell(value) for value in row]
    except ImportFileError:
        raise
    except Exception as error:  # noqa: BLE001
        log.info("broken xlsx sheet: %r", error)
        raise unreadable from error
    finally:
        workbook.close()


def parse_file(data: bytes) -> ParsedFile:
    """The rows of a CSV or XLSX file, keyed by invitee field; ImportFileError if unusable."""
    if not data:
        raise ImportFileError(_("The file is empty."), field="file")
    if len(data) > max_bytes():
        raise _too_large()
    rows_iter = _xlsx_rows(data) if is_xlsx(data) else _csv_rows(data)
    header = None
    for header_row in rows_iter:
        if any(value.strip() for value in header_row):
            header = header_row
            break
    if header is None:
        raise ImportFileError(_("The file has no rows."), field="file")
    columns: dict[int, str] = {}
    ignored = []
    for index, title in enumerate(header):
        key = HEADER_ALIASES.get(_normalize_header(title))
        if key and key not in columns.values():
            columns[index] = key
        elif title.strip():
            ignored.append(_text(title)[:60])
    missing = [key for key in ("name", "email") if key not in columns.values()]
    if missing:
        raise ImportFileError(_("The file needs a column \"name\" (or \"nama\") and a column "
                                "\"email\" (or \"surel\") in its first row."), field="file")
    rows = []
    line = 1
    for values in rows_iter:
        line += 1
        if not any(value.strip() for value in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(_("The file has more than %(max)d rows. Please split it.",
                                    max=MAX_ROWS), field="file")
        rows.append((line, {key: values[index] if index < len(values) else ""
                            for index, key in columns.items()}))
    if not rows:
        raise ImportFileError(_("The file has a header but no rows of invitees."), field="file")
    return ParsedFile(rows=rows, columns=list(columns.values()), ignored=ignored)


# --- understanding values --------------------------------------------------------------------

def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(text.casefold().replace(".", " ").replace(",", " ").split())


@lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    index = {}
    for language in ("en", "id"):
        for code, name in country_choices(language):
            index[_plain(name)] = code
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                index.setdefault(_plain(value), country.alpha_2)
        index[country.alpha_3.casefold()] = country.alpha_2
        index[country.alpha_2.casefold()] = country.alpha_2
    index.update({"uk": "GB", "usa": "US", "korea selatan": "KR", "south korea": "KR",
                  "amerika serikat": "US", "timor leste": "TL", "vietnam": "VN"})
    return index


def country_code(value: str) -> str | None:
    """The ISO code for a code or a country name in English or Indonesian; None if unknown."""
    text = _text(value)
    if not text:
        return ""
    return _country_index().get(_plain(text)) or _country_index().get(text.casefold())


def _row_data(raw: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """The row as ``check_invitee_values`` takes it, and the errors found while reading it."""
    data, errors = dict(raw), {}
    honorific = _text(raw.get("honorific"))
    data["honorific"], data["honorific_other"] = None, ""
    if honorific:
        known = _HONORIFICS.get(honorific.casefold()) or _HONORIFICS.get(
            honorific.casefold().rstrip("."))
        if known:
            data["honorific"] = known.value
        else:
            data["honorific"], data["honorific_other"] = Honorific.OTHER.value, honorific
    country = raw.get("country")
    if country is not None:
        code = country_code(country)
        if code is None:
            errors["country"] = _("Unknown country: %(value)s", value=_text(country)[:60])
            data["country"] = ""
        else:
            data["country"] = code
    language = _text(raw.get("language"))
    if language:
        data["language"] = _LANGUAGES.get(_plain(language), language)
    return data, errors


# --- the preview -----------------------------------------------------------------------------

@dataclass
class ImportRow:
    """One row of the file, checked."""

    line: int
    values: dict
    #: field -> message; a row with errors is not imported
    errors: dict[str, str] = field(default_factory=dict)
    #: the id of the invitee with the same email, when already on the list
    existing_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportAnalysis:
    """Every row of the file, checked against the rules and the event's list."""

    rows: list[ImportRow]
    columns: list[str]
    ignored: list[str]

    @property
    def valid_new(self) -> int:
        return sum(1 for row in self.rows if row.ok and row.existing_id is None)

    @property
    def valid_existing(self) -> int:
        return sum(1 for row in self.rows if row.ok and row.existing_id is not None)

    @property
    def invalid(self) -> int:
        return sum(1 for row in self.rows if not row.ok)


def analyse(event: Event, parsed: ParsedFile, *, group_name: str = "") -> ImportAnalysis:
    """Check every row (nothing is saved): values, duplicates in the file, already invited."""
    existing = dict(db.session.execute(
        select(Invitee.email, Invitee.id).where(Invitee.event_id == event.id)).all())
    seen: dict[str, int] = {}
    rows = []
    group_name = _text(group_name)
    for line, raw in parsed.rows:
        data, errors = _row_data(raw)
        if group_name:
            data["group_name"] = group_name
        values, value_errors = check_invitee_values(data)
        errors = {**value_errors, **errors}
        row = ImportRow(line=line, values=values, errors=errors)
        email = values.get("email") or ""
        if "email" not in errors and email:
            if email in seen:
                errors["email"] = _("This email address is already in the file (row %(line)d).",
                                    line=seen[email])
            else:
                seen[email] = line
                row.existing_id = existing.get(email)
        rows.append(row)
    return ImportAnalysis(rows=rows, columns=parsed.columns, ignored=parsed.ignored)


# --- keeping the file between preview and confirmation ---------------------------------------

def _marker(event: Event, user) -> str:
    return f"{MARKER}:{event.id}:{user.id}:"


@use_case
def store_import_file(event: Event, data: bytes, filename: str, *, actor) -> Upload:
    """Check that ``data`` can be read, keep it for the preview and commit; the Upload."""
    parse_file(data)
    _purge_stale_files()
    name = "".join(ch for ch in (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
                   if ch.isprintable())
    upload = Upload(
        data=data, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        content_type=_XLSX_TYPES[0] if is_xlsx(data) else "text/csv",
        filename=(_marker(event, actor) + name)[:255],
    )
    db.session.add(upload)
    return upload


def _purge_stale_files() -> None:
    db.session.execute(delete(Upload).where(Upload.filename.like(f"{MARKER}:%"),
                                            Upload.created_at < utcnow() - STALE_AFTER))


def get_import_file(event: Event, upload_id, *, actor) -> Upload:
    """The import file ``upload_id`` that ``actor`` uploaded for ``event``; NotFound otherwise."""
    upload = get_by_id(Upload, upload_id) if isinstance(upload_id, int) else None
    if upload is None or not upload.filename.startswith(_marker(event, actor)):
        raise NotFound(_("This file is no longer available: it was imported, discarded or has "
                         "expired. Please upload it again."), field="file")
    return upload


def import_filename(upload: Upload) -> str:
    """The name the file had on the uploader's machine."""
    return upload.filename.split(":", 3)[-1]


@use_case
def discard_import_file(upload: Upload) -> None:
    """Forget an import file without importing it."""
    db.session.delete(upload)


# --- importing -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    skipped: int
    invalid: int


@use_case
def import_invitees(event: Event, upload: Upload, *, on_existing: str = "skip",
                    group_name: str = "", actor=None) -> ImportResult:
    """Import the valid rows of ``upload`` in bulk, delete the file, commit once."""
    if on_existing not in ON_EXISTING:
        raise ServiceError(_("Choose what to do with invitees already on the list."),
                           field="on_existing")
    analysis = analyse(event, parse_file(upload.data), group_name=group_name)
    updatable = set(analysis.columns) | ({"group_name"} if _text(group_name) else set())
    if "honorific" in updatable:
        updatable.add("honorific_other")
    now = utcnow()
    actor_id = getattr(actor, "id", None)
    new_rows, changes, skipped = [], [], 0
    for row in analysis.rows:
        if not row.ok:
            continue
        if row.existing_id is None:
            values = dict(row.values, event_id=event.id, created_by_id=actor_id,
                          created_at=now, updated_at=now, token_salt=new_token_salt())
            values["token_hash"] = hash_token(invitee_token(_Salted(values["token_salt"])))
            new_rows.append(values)
        elif on_existing == "update":
            changes.append({"id": row.existing_id, "updated_at": now,
                            **{key: row.values[key] for key in updatable}})
        else:
            skipped += 1
    try:
        for start in range(0, len(new_rows), BATCH):
            db.session.execute(insert(Invitee), new_rows[start:start + BATCH])
        for start in range(0, len(changes), BATCH):
            db.session.execute(update(Invitee), changes[start:start + BATCH])
        db.session.flush()
    except IntegrityError as error:  # the use case rolls back
        log.info("import refused by a constraint: %s", error.orig)
        raise Conflict(_("The invitation list changed while importing. Please check the preview "
                         "and import again."), field="file") from error
    result = ImportResult(created=len(new_rows), updated=len(changes), skipped=skipped,
                          invalid=analysis.invalid)
    record_action("invitee.import", event, user=actor, filename=import_filename(upload),
                  created=result.created, updated=result.updated, skipped=result.skipped,
                  invalid=result.invalid, on_existing=on_existing, group_name=_text(group_name))
    db.session.delete(upload)
    analyze("invitees", rows=len(new_rows) + len(changes))
    return result  # the commit expires every loaded invitee (the bulk statements bypassed them)


@dataclass(frozen=True)
class _Salted:
    """What ``invitee_token`` needs of an invitee: its salt."""

    token_salt: str
