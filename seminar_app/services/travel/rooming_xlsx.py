"""The rooming list as an XLSX workbook: one sheet per hotel (its guests), then one sheet of
room-block use per night (nights over the block size highlighted). Headers and labels in the
language asked (the staff member's: en or id); every text cell is written as text (no
formulas), dates as date cells.
"""

import io
import re

import xlsxwriter
from flask_babel import force_locale
from flask_babel import gettext as _

from ...i18n import country_name
from .boards import RoomingList

_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\']")


def _sheet_name(name: str, used: set[str]) -> str:
    base = _SHEET_UNSAFE.sub(" ", name).strip()[:28] or "Hotel"
    candidate, number = base, 2
    while candidate.lower() in used:
        candidate = f"{base[:26]} {number}"
        number += 1
    used.add(candidate.lower())
    return candidate


def rooming_workbook(listing: RoomingList, *, language: str) -> bytes:
    """The workbook of ``listing`` with headers in ``language``."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"strings_to_formulas": False,
                                            "strings_to_urls": False,
                                            "strings_to_numbers": False})
    styles = {
        "head": workbook.add_format({"bold": True, "bg_color": "#E9ECEF", "bottom": 1}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "time": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "over": workbook.add_format({"bold": True, "bg_color": "#F8D7DA",
                                     "font_color": "#842029"}),
    }
    with force_locale(language):
        used: set[str] = set()
        for hotel in listing.hotels:
            _guest_sheet(workbook.add_worksheet(_sheet_name(hotel.hotel.name, used)), hotel,
                         styles, language)
        _block_sheet(workbook.add_worksheet(_sheet_name(_("Room blocks"), used)), listing,
                     styles)
    workbook.close()
    return output.getvalue()


def _write_row(sheet, row: int, values: list, styles: dict, style=None) -> None:
    for col, value in enumerate(values):
        if value is None or value == "":
            sheet.write_blank(row, col, None, style)
        elif hasattr(value, "hour"):
            sheet.write_datetime(row, col, value.replace(tzinfo=None), styles["time"])
        elif hasattr(value, "isoformat"):
            sheet.write_datetime(row, col, value, styles["date"])
        elif isinstance(value, int):
            sheet.write_number(row, col, value, style)
        else:
            sheet.write_string(row, col, str(value), style)


def _guest_sheet(sheet, hotel, styles, language: str) -> None:
    headers = [_("Hotel"), _("Name"), _("Reference"), _("Country"), _("Email"),
               _("Check-in"), _("Check-out"), _("Nights"), _("Shares a room with"),
               _("Arrival"), _("Departure"), _("Changed since the last export")]
    _write_row(sheet, 0, headers, styles, styles["head"])
    for index, row in enumerate(hotel.rows, start=1):
        _write_row(sheet, index, [
            hotel.hotel.name, row.name, row.reference, country_name(row.country, language),
            row.email, row.check_in, row.check_out, row.nights, row.share_with,
            row.arrival_local, row.departure_local, _("Yes") if row.changed else ""],
            styles)
    widths = [24, 28, 12, 18, 28, 12, 12, 8, 28, 17, 17, 12]
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(hotel.rows), 1), len(headers) - 1)


def _block_sheet(sheet, listing: RoomingList, styles) -> None:
    headers = [_("Hotel"), _("Night"), _("Rooms used"), _("Guests"), _("Block size"),
               _("Over the block")]
    _write_row(sheet, 0, headers, styles, styles["head"])
    row = 1
    for hotel in listing.hotels:
        for night in hotel.nights:
            style = styles["over"] if night.over else None
            _write_row(sheet, row, [hotel.hotel.name, night.night, night.rooms, night.guests,
                                    night.block_size if night.in_block else 0,
                                    _("Yes") if night.over else ""], styles, style)
            row += 1
    for col, width in enumerate([24, 12, 11, 9, 11, 14]):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
