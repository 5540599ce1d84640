"""Participant lists as CSV and XLSX files, for protocol lists, badges desks and caterers.

Rows follow the list page's filters and order. Headers, countries, forms of address, roles and
statuses are written in the language asked for. Passport columns are added only for callers
allowed to see them (the view decides: Permission.MANAGE). Both formats are safe against
spreadsheet formula injection: in CSV every cell is quoted (a separator inside a cell never
splits it), a cell starting with ``= + - @``, a tab or a carriage return is prefixed with a
single quote, and so is every such character that follows a separator, quote or line break
(spaces between allowed) inside the cell (``MFA;=1+1`` becomes ``MFA;'=1+1``: Indonesian
Excel splits at ``;``); in XLSX every text is written as a string cell (write_string), so no
formula is ever created; dates and times are date cells (the time in the event's zone, its name
in the cell's number format), so that spreadsheets sort and filter them as dates. CSV is
streamed; XLSX is built in memory with row data spooled to a
temporary file (xlsxwriter's constant_memory mode).
"""

import csv
import io
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import NamedTuple
from zoneinfo import ZoneInfo

import xlsxwriter
from babel import Locale
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...i18n import country_name, local_datetime, zone_abbreviation
from ...models import Event, ExtraQuestion, QuestionKind, Registration
from ..events.attendance import attendance_label
from ..events.content_language import choice_label, localized_text
from ..registration.participant_list import ParticipantFilters, registrations_query
from ..registration.questions import event_questions
from ..registration.registration_labels import (
    ROLE_LABELS,
    STATUS_LABELS,
    honorific_text,
    organisation_type_label,
)

log = logging.getLogger(__name__)

#: characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: a trigger after a separator (comma, semicolon, tab), a quote or a line break, spaces
#: allowed between: a spreadsheet that splits the cell there would start a formula
_INNER_TRIGGER = re.compile(r'([;,\t\r\n"] *)(?=[=+\-@\t\r])')
EXPORT_LANGUAGES = ("en", "id")
BATCH_SIZE = 500
DATETIME_PATTERN = "yyyy-MM-dd HH:mm"
YES_NO = {True: _l("Yes"), False: _l("No")}


@dataclass(frozen=True)
class Column:
    """One column of the export: its header and how to read a registration's value."""

    header: object
    value: Callable[[Registration, dict], str]
    width: int = 18


def neutralize_formula(value: str) -> str:
    """``value`` with a quote before every place a spreadsheet could start a formula."""
    value = _INNER_TRIGGER.sub(r"\1'", value)
    return "'" + value if value.lstrip(" ").startswith(FORMULA_TRIGGERS) else value


class LocalMoment(NamedTuple):
    """A time in the event's zone: CSV writes ``text``, XLSX a date cell of ``local``."""

    local: datetime
    text: str
    zone_name: str


def _language_name(code: str, language: str) -> str:
    """The name of the language ``code`` in ``language`` ("Inggris" for en in Indonesian)."""
    try:
        return Locale.parse(code).get_language_name(language) or code
    except (ValueError, TypeError):
        return code


def cell_text(value) -> str:
    """The text of an export value (a date as YYYY-MM-DD, a LocalMoment as its text)."""
    if isinstance(value, LocalMoment):
        return value.text
    if isinstance(value, date):
        return value.isoformat()
    return value


def _answer_text(question: ExtraQuestion, value: str, language: str) -> str:
    if question.kind == QuestionKind.YES_NO and value in ("yes", "no"):
        return str(YES_NO[value == "yes"])
    if question.kind == QuestionKind.CHOICE and value:
        return choice_label(question, value, language)
    return value


def _question_column(question: ExtraQuestion, language: str) -> Column:
    """The question (header) and its options (answers) in the export's language."""
    return Column(localized_text(question, "label", language),
                  lambda r, answers: _answer_text(question, answers.get(question.id, ""),
                                                  language), 24)


def export_columns(event: Event, *, language: str, with_passport: bool,
                   questions: list[ExtraQuestion]) -> list[Column]:
    """The columns of an export of ``event``, passport data only when ``with_passport``."""
    zone = event.timezone

    def when(value):
        if not value:
            return ""
        local = value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        return LocalMoment(local, local_datetime(value, zone, DATETIME_PATTERN),
                           zone_abbreviation(value, zone))

    columns = [
        Column(_l("Reference"), lambda r, a: r.reference, 12),
        Column(_l("Honorific"), lambda r, a: honorific_text(r), 10),
        Column(_l("Given name"), lambda r, a: r.given_name),
        Column(_l("Family name"), lambda r, a: r.family_name),
        Column(_l("Country"), lambda r, a: country_name(r.country, language), 22),
        Column(_l("Organisation"), lambda r, a: r.organisation, 30),
        Column(_l("Position"), lambda r, a: r.position, 24),
        Column(_l("Type of organisation"),
               lambda r, a: organisation_type_label(r.organisation_type), 22),
        Column(_l("Role"), lambda r, a: str(ROLE_LABELS[r.delegation_role])),
        Column(_l("Delegation"), lambda r, a: r.delegation.name if r.delegation else "", 26),
        Column(_l("Email"), lambda r, a: r.email, 28),
        Column(_l("Phone"), lambda r, a: r.phone, 16),
        Column(_l("Language"), lambda r, a: _language_name(r.language, language), 14),
        Column(_l("Status"), lambda r, a: str(STATUS_LABELS[r.status]), 14),
        Column(_l("Attendance"), lambda r, a: attendance_label(r), 12),  # in person / online
        Column(_l("Registered at"), lambda r, a: when(r.created_at), 20),
        Column(_l("Checked in at"), lambda r, a: when(r.checked_in_at), 20),
        Column(_l("Dietary needs"), lambda r, a: r.dietary, 24),
        Column(_l("Accessibility needs"), lambda r, a: r.accessibility, 24),
        Column(_l("Visa letter"), lambda r, a: str(YES_NO[bool(r.needs_visa_letter)]), 10),
    ]
    if with_passport:
        columns += [
            Column(_l("Passport number"), lambda r, a: r.passport_number),
            Column(_l("Nationality"), lambda r, a: country_name(r.nationality, language), 22),
            Column(_l("Date of birth"), lambda r, a: r.birth_date, 12),
            Column(_l("Place of birth"), lambda r, a: r.birth_place),
            Column(_l("Passport expiry"), lambda r, a: r.passport_expiry, 12),
        ]
    return columns + [_question_column(q, language) for q in questions]


def export_rows(event: Event, filters: ParticipantFilters, *, language: str,
                with_passport: bool) -> Iterator[list[str]]:
    """The header row, then one row per matching registration, read in batches."""
    language = language if language in EXPORT_LANGUAGES else "en"
    with force_locale(language):
        columns = export_columns(event, language=language, with_passport=with_passport,
                                 questions=event_questions(event))
        yield [str(column.header) for column in columns]
        query = (registrations_query(event, filters, language=language)
                 .options(selectinload(Registration.answers),
                          selectinload(Registration.delegation))
                 .execution_options(yield_per=BATCH_SIZE))
        for registration in db.session.scalars(query):
            answers = {answer.question_id: answer.value for answer in registration.answers}
            yield [column.value(registration, answers) or "" for column in columns]


def column_widths(event: Event, *, with_passport: bool) -> list[int]:
    """Column widths (in characters) for the XLSX sheet, in export column order."""
    columns = export_columns(event, language="en", with_passport=with_passport,
                             questions=event_questions(event))
    return [column.width for column in columns]


class _Echo:
    """A file-like object whose write() hands the line back (for streaming csv.writer)."""

    def write(self, value: str) -> str:
        return value


def csv_stream(rows: Iterable[list[str]]) -> Iterator[str]:
    """The rows as CSV text chunks: a UTF-8 BOM first (for Excel), every cell quoted and guarded."""
    writer = csv.writer(_Echo(), lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    yield "\ufeff"
    for row in rows:
        yield writer.writerow([neutralize_formula(cell_text(value)) for value in row])


def xlsx_bytes(rows: Iterable[list], *, widths: list[int], sheet_name: str) -> bytes:
    """The rows as an XLSX workbook: bold frozen header, autofilter, string and date cells."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True,
                                            "strings_to_formulas": False,
                                            "strings_to_urls": False,
                                            "strings_to_numbers": False})
    sheet = workbook.add_worksheet(sheet_name[:31] or "Sheet1")
    bold = workbook.add_format({"bold": True, "bg_color": "#E9ECEF", "bottom": 1})
    last_row, columns, date_formats = -1, 0, {}
    for last_row, row in enumerate(rows):
        columns = max(columns, len(row))
        for col, value in enumerate(row):
            if last_row and isinstance(value, (date, LocalMoment)):
                moment, pattern = _date_cell(value)
                if pattern not in date_formats:
                    date_formats[pattern] = workbook.add_format({"num_format": pattern})
                sheet.write_datetime(last_row, col, moment, date_formats[pattern])
            else:
                sheet.write_string(last_row, col, value, bold if last_row == 0 else None)
    for col in range(columns):
        sheet.set_column(col, col, widths[col] if col < len(widths) else 18)
    sheet.freeze_panes(1, 0)
    if columns:
        sheet.autofilter(0, 0, max(last_row, 0), columns - 1)
    workbook.close()
    return output.getvalue()


def _date_cell(value) -> tuple[datetime, str]:
    """A date cell's value and number format; a LocalMoment shows its zone after the time."""
    if isinstance(value, LocalMoment):
        return value.local, f'yyyy-mm-dd hh:mm "{value.zone_name.replace(chr(34), "")}"'
    return datetime.combine(value, time()), "yyyy-mm-dd"


def export_filename(event: Event, extension: str, *, today: date) -> str:
    """A safe attachment name: the event's slug, the date, the extension."""
    stem = "".join(ch for ch in event.slug if ch.isascii() and (ch.isalnum() or ch == "-"))
    return f"{stem or 'event'}-participants-{today.isoformat()}.{extension}"
