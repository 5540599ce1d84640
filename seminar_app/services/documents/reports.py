"""The post-event report of one event, as PDF (reportlab) and XLSX (xlsxwriter).

Four parts: the event (title, dates, venue, co-hosts, headline numbers); attendance by country
and by role (confirmed delegates and, of them, those checked in); the delegations; the
invitation response rates (invited, sent, accepted, declined, no answer; in all and by group);
and the feedback survey's results (services.documents.survey_report), when there is a survey.

Until the application has a delegation model, a delegation is the confirmed delegates of one
country: heads of delegation first, then in protocol order (H.E., Amb., Prof., Dr., then every
other form of address), then by family and given name. Countries follow their names in the
report's language.

Counting rules are those of services.documents.dashboard. Everything is read in a fixed number of
queries. Text written by delegates is escaped in the PDF and written to the XLSX as string
cells only (never a formula, whatever the first character), like the participant exports.
"""

import functools
import io
import logging
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

import xlsxwriter
from babel.dates import format_date
from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from sqlalchemy import case, func, select

from ...extensions import db
from ...i18n import country_name, formatting_locale
from ...models import (
    DelegationRole,
    Event,
    Honorific,
    InvitationResponse,
    Invitee,
    Registration,
    RegistrationStatus,
    utcnow,
)
from ..registration.registration_labels import (
    display_name,
    honorific_text,
    organisation_type_label,
    role_label,
)
from ..surveys.results import survey_results
from . import survey_report
from .charts import format_number
from .pdf_canvas import PageCompressingCanvas
from .pdf_fonts import BOLD, REGULAR, draw_runs, paragraph_markup, register_fonts, text_runs

log = logging.getLogger(__name__)

REPORT_LANGUAGES = ("en", "id")
#: protocol order of the forms of address; any other comes after these
HONORIFIC_RANK = {Honorific.HE: 0, Honorific.AMB: 1, Honorific.PROF: 2, Honorific.DR: 3}
OTHER_RANK = 4
MARGIN = 18 * mm
#: the lowest a row of a table can be: one line of a cell (leading 10.5) and its padding (3 + 3)
MIN_ROW_HEIGHT = 16.5
INK = colors.HexColor("#212529")
GREY = colors.HexColor("#5b6570")
HEADER_FILL = colors.HexColor("#e9ecef")


# --- the numbers -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Attendance:
    """One line of an attendance table: confirmed delegates and how many came."""

    key: str
    label: str
    confirmed: int
    checked_in: int

    @property
    def rate(self) -> float:
        return self.checked_in / self.confirmed if self.confirmed else 0.0


@dataclass(frozen=True)
class Member:
    """A delegate as listed in their delegation."""

    honorific: str
    name: str
    display_name: str
    position: str
    organisation: str
    organisation_type: str
    role: str
    is_head: bool
    checked_in: bool


@dataclass(frozen=True)
class Delegation:
    """The confirmed delegates of one country, in protocol order."""

    country: str
    name: str
    members: list[Member]

    @property
    def heads(self) -> list[Member]:
        return [member for member in self.members if member.is_head]


@dataclass(frozen=True)
class InvitationLine:
    """Invitation answers of one group of invitees (or of all of them)."""

    label: str
    invited: int
    sent: int
    accepted: int
    declined: int

    @property
    def no_answer(self) -> int:
        return self.invited - self.accepted - self.declined

    @property
    def response_rate(self) -> float:
        return (self.accepted + self.declined) / self.invited if self.invited else 0.0


@dataclass
class Report:
    """Everything in the report, with its texts already in the report's language."""

    event: Event
    language: str
    dates: str
    venue: str
    cohosts: list[str]
    registered: int
    confirmed: int
    checked_in: int
    by_country: list[Attendance]
    by_role: list[Attendance]
    delegations: list[Delegation]
    invitations: list[InvitationLine]
    generated_on: date

    @property
    def countries(self) -> int:
        return len(self.by_country)


def report_language(requested: str | None, fallback: str) -> str:
    """``requested`` when the report exists in it, else ``fallback`` (else English)."""
    if requested in REPORT_LANGUAGES:
        return requested
    return fallback if fallback in REPORT_LANGUAGES else "en"


def protocol_key(registration: Registration) -> tuple:
    """Heads of delegation first, then H.E., Amb., Prof., Dr., others; then by name."""
    return (registration.delegation_role != DelegationRole.HEAD,
            HONORIFIC_RANK.get(registration.honorific, OTHER_RANK),
            registration.sort_name.casefold(), registration.given_name.casefold(),
            registration.id)


def _event_dates(event: Event, language: str) -> str:
    zone = ZoneInfo(event.timezone)
    locale = formatting_locale(language)
    start, end = event.start_at.astimezone(zone).date(), event.end_at.astimezone(zone).date()
    if start == end:
        return format_date(start, "long", locale=locale)
    first, last = (format_date(day, "long", locale=locale) for day in (start, end))
    return f"{first} – {last}"


def _venue(event: Event, language: str) -> str:
    parts = [event.venue_name, event.venue_city, country_name(event.venue_country, language)]
    text = ", ".join(part for part in parts if part)
    if event.online_url:
        text = f"{text} · {_('Online')}" if text else _("Online")
    return text


def _attendance(event: Event, language: str) -> tuple[list[Attendance], list[Attendance]]:
    checked = func.count(case((Registration.checked_in_at.is_not(None), 1)))
    rows = db.session.execute(
        select(Registration.country, Registration.delegation_role,
               func.count(Registration.id), checked)
        .where(Registration.event_id == event.id,
               Registration.status == RegistrationStatus.CONFIRMED)
        .group_by(Registration.country, Registration.delegation_role)
    ).all()
    countries: dict[str, list[int]] = {}
    roles: dict[str, list[int]] = {}
    for country, role, count, arrived in rows:
        for table, key in ((countries, country), (roles, DelegationRole(role).value)):
            pair = table.setdefault(key, [0, 0])
            pair[0] += count
            pair[1] += arrived
    by_country = sorted(
        (Attendance(code, country_name(code, language), *pair)
         for code, pair in countries.items()),
        key=lambda line: (-line.confirmed, line.label.casefold()))
    by_role = [Attendance(role.value, role_label(role), *roles[role.value])
               for role in DelegationRole if role.value in roles]
    return by_country, by_role


class _Person(NamedTuple):
    """What the report reads of a confirmed delegate: a few columns, not the registration
    (10,000 registrations loaded whole held some 40 MiB in the worker and decrypted passport
    data the report never shows)."""

    id: int
    country: str
    honorific: Honorific
    honorific_other: str
    given_name: str
    family_name: str
    position: str
    organisation: str
    organisation_type: str
    delegation_role: DelegationRole
    checked_in_at: datetime | None

    # the registration's own rules, on these columns (display_name and protocol_key ask them)
    full_name = Registration.full_name
    sort_name = property(Registration.__dict__["sort_name"].fget)


def _delegations(event: Event, language: str) -> list[Delegation]:
    people = db.session.execute(
        select(*(getattr(Registration, name) for name in _Person._fields))
        .where(Registration.event_id == event.id,
               Registration.status == RegistrationStatus.CONFIRMED))
    by_country: dict[str, list[_Person]] = {}
    for row in people:
        person = _Person(*row)
        by_country.setdefault(person.country, []).append(person)
    delegations = []
    for code, members in by_country.items():
        members.sort(key=protocol_key)
        delegations.append(Delegation(code, country_name(code, language), [
            Member(honorific=honorific_text(r), name=r.full_name, display_name=display_name(r),
                   position=r.position, organisation=r.organisation,
                   organisation_type=organisation_type_label(r.organisation_type),
                   role=role_label(r.delegation_role),
                   is_head=r.delegation_role == DelegationRole.HEAD,
                   checked_in=r.checked_in_at is not None)
            for r in members]))
        by_country[code] = []  # let the rows go as their members are made
    return sorted(delegations, key=lambda d: d.name.casefold())


def _invitations(event: Event) -> list[InvitationLine]:
    """The total line first, then one line per group (by name; "no group" last)."""
    def counted(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows = db.session.execute(
        select(Invitee.group_name, func.count(Invitee.id),
               counted(Invitee.mail_sent.is_(True)),  # the funnel's rule of "sent"
               counted(Invitee.response == InvitationResponse.ACCEPTED),
               counted(Invitee.response == InvitationResponse.DECLINED))
        .where(Invitee.event_id == event.id).group_by(Invitee.group_name)
    ).all()
    groups = sorted(rows, key=lambda row: (not row[0], (row[0] or "").casefold()))
    lines = [InvitationLine(name or _("No group"), *(int(n or 0) for n in numbers))
             for name, *numbers in groups]
    total = InvitationLine(_("All invitees"), *(sum(getattr(line, key) for line in lines)
                                                for key in ("invited", "sent", "accepted",
                                                            "declined")))
    return [total, *lines] if len(lines) > 1 else [total]


def build_report(event: Event, *, language: str, today: date | None = None) -> Report:
    """The report's content in ``language`` (call inside ``force_locale(language)``)."""
    statuses = dict(db.session.execute(
        select(Registration.status, func.count(Registration.id))
        .where(Registration.event_id == event.id).group_by(Registration.status)).all())
    by_country, by_role = _attendance(event, language)
    return Report(
        event=event, language=language, dates=_event_dates(event, language),
        venue=_venue(event, language),
        cohosts=[f"{c.name} ({c.role})" if c.role else c.name for c in event.cohosts],
        registered=sum(count for status, count in statuses.items()
                       if status not in (RegistrationStatus.CANCELLED,
                                         RegistrationStatus.REJECTED)),
        confirmed=sum(line.confirmed for line in by_country),
        checked_in=sum(line.checked_in for line in by_country),
        by_country=by_country, by_role=by_role,
        delegations=_delegations(event, language),
        invitations=_invitations(event),
        generated_on=today or utcnow().astimezone(ZoneInfo(event.timezone)).date(),
    )


def report_filename(event: Event, extension: str, *, today: date) -> str:
    """A safe attachment name: the event's slug, "report", the date, the extension."""
    stem = "".join(ch for ch in event.slug if ch.isascii() and (ch.isalnum() or ch == "-"))
    return f"{stem or 'event'}-report-{today.isoformat()}.{extension}"


# --- shared texts ----------------------------------------------------------------------------

def _attendance_headers(first: str) -> list[str]:
    return [first, _("Confirmed"), _("Checked in"), _("Attendance rate")]


def _attendance_rows(lines: list[Attendance]) -> list[list]:
    return [[line.label, line.confirmed, line.checked_in, line.rate] for line in lines]


def _invitation_headers() -> list[str]:
    return [_("Group"), _("Invited"), _("Sent"), _("Accepted"), _("Declined"), _("No answer"),
            _("Response rate")]


def _invitation_rows(lines: list[InvitationLine]) -> list[list]:
    return [[line.label, line.invited, line.sent, line.accepted, line.declined, line.no_answer,
             line.response_rate] for line in lines]


def _delegation_headers() -> list[str]:
    return [_("Country"), _("Name"), _("Position"), _("Organisation"), _("Role"),
            _("Checked in")]


def _summary_pairs(report: Report) -> list[tuple[str, str]]:
    event = report.event
    pairs = [(_("Event"), event.title)]
    if event.theme:
        pairs.append((_("Theme"), event.theme))
    pairs += [(_("Dates"), report.dates), (_("Venue"), report.venue or "—")]
    if report.cohosts:
        pairs.append((_("Co-hosts"), "; ".join(report.cohosts)))
    pairs += [
        (_("Registrations (active)"), format_number(report.registered)),
        (_("Confirmed delegates"), format_number(report.confirmed)),
        (_("Checked in"), format_number(report.checked_in)),
        (_("Countries"), format_number(report.countries)),
        (_("Report date"), format_date(report.generated_on, "long",
                                       locale=formatting_locale(report.language))),
    ]
    return pairs


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


# --- XLSX ------------------------------------------------------------------------------------

def _sheet_name(text: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in text).strip("' ")
    return cleaned[:31] or "Sheet"


def render_report_xlsx(event: Event, *, language: str, today: date | None = None) -> bytes:
    """The report as an XLSX workbook: one sheet per part; text only in string cells."""
    with force_locale(language):
        report = build_report(event, language=language, today=today)
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"strings_to_formulas": False,
                                                "strings_to_urls": False,
                                                "strings_to_numbers": False,
                                                "in_memory": True})
        bold = workbook.add_format({"bold": True, "bg_color": "#E9ECEF", "bottom": 1})
        percent = workbook.add_format({"num_format": "0.0%"})
        formats = {"bold": bold, "percent": percent}

        sheet = workbook.add_worksheet(_sheet_name(_("Event")))
        for row, (label, value) in enumerate(_summary_pairs(report)):
            sheet.write_string(row, 0, label, bold)
            sheet.write_string(row, 1, value)
        sheet.set_column(0, 0, 26)
        sheet.set_column(1, 1, 70)

        _table_sheet(workbook, formats, _("By country"), _attendance_headers(_("Country")),
                     _attendance_rows(report.by_country), percent_columns={3})
        _table_sheet(workbook, formats, _("By role"), _attendance_headers(_("Role")),
                     _attendance_rows(report.by_role), percent_columns={3})
        rows = [[delegation.name, member.display_name, member.position, member.organisation,
                 member.role, _yes_no(member.checked_in)]
                for delegation in report.delegations for member in delegation.members]
        _table_sheet(workbook, formats, _("Delegations"), _delegation_headers(), rows,
                     widths=[22, 34, 28, 34, 20, 12])
        _table_sheet(workbook, formats, _("Invitations"), _invitation_headers(),
                     _invitation_rows(report.invitations), percent_columns={6})
        survey_report.add_survey_sheets(workbook, formats, survey_results(event, language),
                                        table_sheet=_table_sheet)
        workbook.set_properties({"title": _("Post-event report — %(title)s", title=event.title)})
        workbook.close()
    log.info("rendered the XLSX report of event %s in %s", event.id, language)
    return output.getvalue()


def _table_sheet(workbook, formats, name: str, headers: list[str], rows: list[list], *,
                 percent_columns: set[int] = frozenset(), widths: list[int] | None = None):
    sheet = workbook.add_worksheet(_sheet_name(name))
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header, formats["bold"])
        sheet.set_column(col, col, (widths or [])[col] if widths else (24 if col == 0 else 14))
    for index, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(index, col, value)
            elif col in percent_columns:
                sheet.write_number(index, col, value, formats["percent"])
            else:
                sheet.write_number(index, col, value)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 0), len(headers) - 1)
    return sheet


# --- PDF -------------------------------------------------------------------------------------

def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=9.5, leading=12.5, textColor=INK)
    cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5)
    return {
        "body": body,
        "cell": cell,
        "number": ParagraphStyle("number", parent=cell, alignment=2),
        "head": ParagraphStyle("head", parent=body, fontName=BOLD, fontSize=8.5, leading=10.5),
        "title": ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=17, leading=21,
                                spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=body, fontName=BOLD, fontSize=12.5, leading=16,
                             spaceBefore=10, spaceAfter=5),
        "h3": ParagraphStyle("h3", parent=body, fontName=BOLD, fontSize=10, leading=13,
                             spaceBefore=6, spaceAfter=3),
        "muted": ParagraphStyle("muted", parent=body, textColor=GREY),
    }


def _p(text: str, style: ParagraphStyle, *, bold: bool = False) -> Paragraph:
    return Paragraph(paragraph_markup(str(text), bold=bold, font=style.fontName), style)


def _cell(value, styles, *, percent_column: bool = False) -> Paragraph:
    if isinstance(value, Flowable):  # a drawing (the survey's bars)
        return value
    if isinstance(value, str):
        return _p(value, styles["cell"])
    text = format_number(value, percent=percent_column)
    return Paragraph(paragraph_markup(text, font=styles["number"].fontName), styles["number"])


def _table(headers: list[str], rows: list[list], widths: list[float], styles, *,
           percent_columns: set[int] = frozenset(), bold_first_row: bool = False) -> Table:
    data = [[_p(header, styles["head"], bold=True) for header in headers]]
    for row in rows:
        data.append([_cell(value, styles, percent_column=col in percent_columns)
                     for col, value in enumerate(row)])
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#ced4da")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if bold_first_row and rows:
        style.append(("BACKGROUND", (0, 1), (-1, 1), colors.HexColor("#f6f7f8")))
    table.setStyle(TableStyle(style))
    return table


class _PagedTable(Flowable):
    """A long table (a delegation of hundreds) made one page at a time: only the rows of the
    page being laid out become cells (Paragraphs), the others stay text.

    reportlab's Table makes every cell of its rows at once and, at each page break, measures
    all the rows left again: a delegation of 800 held its 3,200 Paragraphs for the whole build
    and was measured some 18 times over. Here each page gets a Table of the next rows (as many
    as the space could hold, more when they fit), split by reportlab where it would split the
    whole table; the rows after the break stay in a _PagedTable of their own."""

    def __init__(self, make_table, rows: list[list], start: int = 0,
                 per_page: int | None = None):
        super().__init__()
        self.make_table, self.rows, self.start = make_table, rows, start
        #: how many rows the previous page took (rows are alike: the next takes about as many)
        self.per_page = per_page
        self._part = self._part_for = self._size = None
        self._last = False

    def _table(self, width: float, height: float):
        """A Table of the next rows: all that are left, or more than fit in ``height``."""
        if self._part is not None and self._part_for[0] == width:  # made already
            if self._part_for[1] != height:  # the frame splits in a little less than it asked
                self._size = self._part.wrapOn(self.canv, width, height)
                self._part_for = (width, height)
            if self._last or self._size[1] > height:
                return self._part
        most = int(height // MIN_ROW_HEIGHT) + 2
        if most < 4:  # not even the header and a row: the frame goes on to the next page
            self._part = None
            self._size = (width, 2 * MIN_ROW_HEIGHT)
            return None
        count = min(most, self.per_page + 3) if self.per_page else most
        while True:
            table = self.make_table(self.rows[self.start:self.start + count])
            size = table.wrapOn(self.canv, width, height)
            if size[1] > height or self.start + count >= len(self.rows):
                break
            count *= 2
        self._part, self._part_for, self._size = table, (width, height), size
        self._last = self.start + count >= len(self.rows)
        return self._part

    def wrap(self, avail_width, avail_height):  # reportlab's names
        """The size of the next rows' table: taller than the space while rows are left after
        it, so the frame splits it."""
        self._table(avail_width, avail_height)
        self.width, self.height = self._size
        return self._size

    def split(self, avail_width, avail_height):
        """The rows that fit (a Table) and a _PagedTable of the others; [] when none fit."""
        table = self._table(avail_width, avail_height)
        if table is None:
            return []
        parts = table.splitOn(self.canv, avail_width, avail_height)
        if self._last or not parts:
            return parts
        done = len(parts[0]._cellvalues) - 1  # the header row is repeated, not a row done
        return [parts[0], _PagedTable(self.make_table, self.rows, self.start + done, done)]

    def draw(self):
        """The last rows, when they fit (the frame splits the others)."""
        self._part.drawOn(self.canv, 0, 0)


def _numbered_canvas(title: str, page_label):
    """A canvas class that writes the event title on top and "Page n of m" at the bottom."""

    class NumberedCanvas(PageCompressingCanvas):
        """Pages are finished once the total is known (at ``save``): until then each page's
        operators are kept compressed (a 10,000-delegate report has some 300 pages, 20 MB of
        operators), then every page becomes bytes as it is finished (PageCompressingCanvas)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):  # noqa: N802 - reportlab's name
            state = dict(self.__dict__)
            state["_code"] = zlib.compress("\n".join(self._code).encode("utf-8"), 1)
            self._pages.append(state)
            self._startPage()

        def save(self):
            total = len(self._pages)
            for index, state in enumerate(self._pages):
                self._pages[index] = None  # let the page's state go once it is drawn
                self.__dict__.update(state)
                # one string of the page's operators: reportlab joins them with newlines
                self._code = [zlib.decompress(state["_code"]).decode("utf-8")]
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            width, height = A4
            self.setFillColor(GREY)
            self.setStrokeColor(colors.HexColor("#ced4da"))
            runs = text_runs(title)
            draw_runs(self, MARGIN, height - 12 * mm, runs, 8.5)
            self.line(MARGIN, height - 13.5 * mm, width - MARGIN, height - 13.5 * mm)
            label = page_label(self._pageNumber, total)
            draw_runs(self, width - MARGIN, 10 * mm, text_runs(label), 8.5, align="right")

    return NumberedCanvas


def render_report_pdf(event: Event, *, language: str, today: date | None = None,
                      compress: bool = True) -> bytes:
    """The report as an A4 PDF: readable tables, the event title and page numbers on each page."""
    register_fonts()
    out = io.BytesIO()
    with force_locale(language):
        report = build_report(event, language=language, today=today)
        styles = _styles()
        doc = SimpleDocTemplate(
            out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=20 * mm,
            bottomMargin=18 * mm, title=_("Post-event report — %(title)s", title=event.title),
            invariant=1, pageCompression=int(compress),
        )
        width = doc.width
        story = [_p(_("Post-event report"), styles["muted"]), _p(event.title, styles["title"],
                                                                  bold=True)]
        summary = [[_p(label, styles["head"], bold=True), _p(value, styles["cell"])]
                   for label, value in _summary_pairs(report)[1:]]
        summary_table = Table(summary, colWidths=[45 * mm, width - 45 * mm], hAlign="LEFT")
        summary_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                           ("TOPPADDING", (0, 0), (-1, -1), 2),
                                           ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
        story += [Spacer(1, 3 * mm), summary_table]

        numbers = [width - 3 * 28 * mm, 28 * mm, 28 * mm, 28 * mm]
        story.append(_p(_("Attendance by country"), styles["h2"], bold=True))
        story.append(_table(_attendance_headers(_("Country")),
                            _attendance_rows(report.by_country), numbers, styles,
                            percent_columns={3})
                     if report.by_country else _p(_("No confirmed delegates."), styles["muted"]))
        story.append(_p(_("Attendance by role"), styles["h2"], bold=True))
        story.append(_table(_attendance_headers(_("Role")), _attendance_rows(report.by_role),
                            numbers, styles, percent_columns={3})
                     if report.by_role else _p(_("No confirmed delegates."), styles["muted"]))

        story.append(_p(_("Delegations"), styles["h2"], bold=True))
        story.append(_p(_("Confirmed delegates by country: heads of delegation first, then in "
                          "order of precedence."), styles["muted"]))
        member_widths = [width * 0.34, width * 0.22, width * 0.24, width * 0.20]
        for delegation in report.delegations:
            rows = [[member.display_name, member.position, member.organisation,
                     member.role + (" ✓" if member.checked_in else "")]
                    for member in delegation.members]
            heading = _("%(country)s (%(count)s)", country=delegation.name,
                        count=format_number(len(delegation.members)))
            headers = [_("Name"), _("Position"), _("Organisation"), _("Role")]
            if len(rows) <= 12:
                table = _table(headers, rows, member_widths, styles)
                story.append(KeepTogether([_p(heading, styles["h3"], bold=True), table]))
            else:
                story.append(_p(heading, styles["h3"], bold=True))
                story.append(_PagedTable(functools.partial(_table, headers, widths=member_widths,
                                                           styles=styles), rows))
        if report.delegations:
            story.append(Spacer(1, 2 * mm))
            story.append(_p(_("✓ checked in at the event."), styles["muted"]))
        else:
            story.append(_p(_("No confirmed delegates."), styles["muted"]))

        story.append(_p(_("Invitation responses"), styles["h2"], bold=True))
        invitation_widths = [width - 6 * 19 * mm] + [19 * mm] * 6
        if report.invitations[0].invited:
            story.append(_table(_invitation_headers(), _invitation_rows(report.invitations),
                                invitation_widths, styles, percent_columns={6},
                                bold_first_row=len(report.invitations) > 1))
        else:
            story.append(_p(_("No invitations were sent for this event."), styles["muted"]))
        story += survey_report.survey_story(survey_results(event, language), styles, width,
                                            table=_table, paragraph=_p)

        def page_label(number: int, total: int) -> str:
            return _("Page %(page)s of %(pages)s", page=format_number(number),
                     pages=format_number(total))

        doc.build(story, canvasmaker=_numbered_canvas(event.title, page_label))
    log.info("rendered the PDF report of event %s in %s", event.id, language)
    return out.getvalue()
