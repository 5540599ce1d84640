"""The arrivals and departures boards as PDF for liaison officers (issue 17): the print view's
content in English and Indonesian, names in every script, the head-of-delegation, pending and
"changed" marks, the table header and the day's heading repeated on every page of a long day,
and a row that never outgrows a page whatever was typed."""

import io
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from pypdf import PdfReader

from seminar_app.extensions import db
from seminar_app.models import Delegation, RegistrationStatus
from seminar_app.services.documents.pdf_fonts import layout_line
from seminar_app.services.travel import boards
from seminar_app.services.travel.board_pdf import (
    CELL_SIZE,
    MAX_LINES,
    PAGE,
    render_board_pdf,
    wrap,
)
from seminar_app.services.travel.boards import Board, BoardRow
from tests.factories import add_registration
from tests.test_pdf_scripts import drawn_glyphs, missing_glyphs
from tests.test_travel_boards import _plan, _utc
from tests.test_travel_queries import seed
from tests.travel_helpers import day, travel_event

HEADERS_EN = ["Time", "Name", "Country", "Flight or train", "Arrives at", "Pick-up", "Hotel",
              "Changed"]
HEADERS_ID = ["Waktu", "Nama", "Negara", "Penerbangan atau kereta", "Tiba di", "Penjemputan",
              "Hotel", "Berubah"]
BAND = re.compile(r"\d\d:00 · \d+ ")


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    """Four delegates arriving over two days: the head of the Egyptian delegation (Arabic
    name) and a member at 14:xx, a Chinese delegate by train at 09:30 the same day, and a
    pending Russian delegate the next morning."""
    event, hotel = travel_event(owner, title="Jakarta Forum on Cooperation")
    delegation = Delegation(event_id=event.id, name="Delegation of Egypt", country="EG",
                            organisation="MFA")
    db.session.add(delegation)
    db.session.commit()
    head = add_registration(event, given_name="محمد", family_name="عبد الله", country="EG",
                            delegation_id=delegation.id)
    member = add_registration(event, given_name="Amina", family_name="Hassan", country="EG",
                              delegation_id=delegation.id)
    delegation.head_registration_id = head.id
    chinese = add_registration(event, given_name="王", family_name="伟", country="CN")
    russian = add_registration(event, given_name="Иван", family_name="Петров", country="RU",
                               status=RegistrationStatus.PENDING)
    db.session.commit()
    _plan(member, event, hotel, arrive=_utc(event, -1, 14, 5))
    _plan(head, event, hotel, arrive=_utc(event, -1, 14, 50))
    _plan(chinese, event, arrive=_utc(event, -1, 9, 30), arrival_mode="train",
          arrival_number="KA 7", arrival_place="Gambir", arrival_pickup=False)
    _plan(russian, event, arrive=_utc(event, 0, 8, 15), leave=_utc(event, 3, 11, 0))
    return event


def _pages(pdf: bytes) -> list[str]:
    """Each page's text; Arabic presentation forms back to plain letters (NFKC)."""
    return [unicodedata.normalize("NFKC", page.extract_text())
            for page in PdfReader(io.BytesIO(pdf)).pages]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _header(lines: list[str], start: int) -> str:
    """The table header under the day's heading at ``start``, up to the first hour's band (a
    header may take two lines)."""
    end = next(index for index in range(start + 1, len(lines)) if BAND.match(lines[index]))
    return " ".join(lines[start + 1:end])


def test_arrivals_board_pdf_in_english_holds_the_print_views_content(event):
    pdf = render_board_pdf(boards.board(event), language="en")
    assert pdf.startswith(b"%PDF")
    pages = _pages(pdf)
    assert len(pages) == 2  # each day on its own page
    first, second = pages
    assert "Arrivals board · Jakarta Forum on Cooperation" in first
    assert "Times in the event's time zone (Asia/Jakarta). 4 delegates." in first
    assert "Not handed out yet: every row is new." in first
    heading = format_date(day(event, -1), "full", locale="en_GB")  # "Monday, 16 March 2026"
    assert f"{heading} · 3 delegates" in first
    assert format_date(day(event, 0), "full", locale="en_GB") in second
    assert _header(_lines(first), 2) == _header(_lines(second), 0) == " ".join(HEADERS_EN)
    assert "09:00 · 1 delegate" in first
    assert "14:00 · 2 delegates · 2 pick-ups" in first
    # the head of delegation first in the hour, marked; the delegation under the names
    assert first.index("محمد عبد الله") < first.index("Amina Hassan")
    assert _lines(first).count("Head of delegation") == 1
    assert first.count("Delegation of Egypt") == 2
    assert "Egypt" in _lines(first) and "China" in _lines(first)
    assert "CGK · Soekarno-Hatta" in first  # a flight's airport by name
    assert "Flight GA 1" in first and "Train KA 7" in first and "Gambir" in first
    assert "Hotel Borobudur" in first
    assert _lines(first).count("Yes") == 2 and _lines(first).count("No") == 1
    assert "王 伟" in first
    assert "Иван Петров" in second and "pending" in _lines(second) and "Russia" in second
    assert _lines(first).count("changed") == 3  # never handed out: every row is new
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    # every name drawn from its script's font, no missing-glyph box
    assert missing_glyphs(pdf) == []
    fonts = {font for font, _glyph in drawn_glyphs(pdf)}
    assert {"NotoSansArabic", "DroidSansFallback", "DejaVuSans"} <= fonts


def test_arrivals_board_pdf_in_indonesian(event):
    pdf = render_board_pdf(boards.board(event), language="id")
    first, second = _pages(pdf)
    assert "Papan kedatangan · Jakarta Forum on Cooperation" in first
    assert "Waktu dalam zona waktu acara (Asia/Jakarta). 4 delegasi." in first
    heading = format_date(day(event, -1), "full", locale="id")  # "Senin, 16 Maret 2026"
    assert heading.split(",")[0] in ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu",
                                     "Minggu")
    assert f"{heading} · 3 delegasi" in first
    assert _header(_lines(first), 2) == _header(_lines(second), 0) == " ".join(HEADERS_ID)
    assert "14:00 · 2 delegasi · 2 penjemputan" in first
    assert _lines(first).count("Ketua delegasi") == 1
    assert "menunggu" in _lines(second)
    assert "Mesir" in _lines(first) and "Tiongkok" in _lines(first)
    assert "Pesawat GA 1" in first and "Kereta KA 7" in first
    assert _lines(first).count("Ya") == 2 and _lines(first).count("Tidak") == 1
    assert _lines(first).count("berubah") == 3
    assert "Halaman 1 dari 2" in first
    assert "محمد عبد الله" in first
    for english in ("Head of delegation", "Arrives at", "pending", "Flight", "Page"):
        assert english not in first + second


def test_departures_board_pdf_names_its_columns_for_leaving(event):
    pdf = render_board_pdf(boards.board(event, "departure"), language="id")
    text = "\n".join(_pages(pdf))
    assert "Keberangkatan · Jakarta Forum on Cooperation" in text
    assert "Berangkat dari" in _lines(text) and "Transportasi" in _lines(text)
    assert "Tiba di" not in text and "Penjemputan" not in text
    assert format_date(day(event, 3), "full", locale="id") in text


def test_countries_given_name_the_countries(event):
    pdf = render_board_pdf(boards.board(event), language="en",
                           countries={"EG": "Arab Republic of Egypt", "CN": "PRC"})
    lines = _lines(_pages(pdf)[0])
    assert "Arab Republic of Egypt" in " ".join(lines)  # on two lines in its column
    assert "PRC" in lines and "China" not in lines


def test_rows_handed_out_are_no_longer_marked_changed(event):
    boards.mark_exported(event, "arrivals")
    pdf = render_board_pdf(boards.board(event), language="en")
    text = "\n".join(_pages(pdf))
    assert "Last handed out:" in text
    assert "changed" not in _lines(text)


def test_an_empty_board_says_so_on_one_page(owner):
    event, _hotel = travel_event(owner)
    pages = _pages(render_board_pdf(boards.board(event), language="id"))
    assert len(pages) == 1
    assert "Belum ada data kedatangan." in pages[0]
    assert "0 delegasi." in pages[0]


def test_a_long_day_spans_pages_each_with_the_days_heading_and_the_table_header(owner):
    event, hotel = travel_event(owner)
    seed(event, hotel, 160)  # arrivals every 37 minutes over three days, delegations of four
    board = boards.board(event)
    pdf = render_board_pdf(board, language="en")
    pages = _pages(pdf)
    headings = [format_date(one.day, "full", locale="en_GB") for one in board.days]
    assert len(pages) > len(board.days) + 2  # days of 40-odd rows do not fit on one page
    for number, text in enumerate(pages, start=1):
        lines = _lines(text)
        start = 2 if number == 1 else 0  # under the title and the line on the time zone
        assert any(lines[start].startswith(heading) for heading in headings), lines[:3]
        # then the header and an hour's band: the next hour's, or the one going on repeated
        assert lines[start + 1:start + 9] == HEADERS_EN, lines[:12]
        assert BAND.match(lines[start + 9]), lines[:12]
        assert f"Page {number} of {len(pages)}" in text
    # every delegate once, none lost at a page break
    found = re.findall(r"Delegate Family (\d+)\b", "\n".join(pages))
    assert sorted(map(int, found)) == list(range(160))


def test_an_hour_longer_than_a_page_repeats_its_band_on_every_page(event):
    board = _rows(event, 90, minutes=60, names=("Delegate",))
    pages = _pages(render_board_pdf(board, language="en"))
    assert len(pages) >= 3
    band = "07:00 · 90 delegates · 45 pick-ups"
    for number, text in enumerate(pages, start=1):
        lines = _lines(text)
        start = 2 if number == 1 else 0
        assert lines[start].startswith(format_date(day(event, -1), "full", locale="en_GB"))
        assert lines[start + 1:start + 10] == [*HEADERS_EN, band], lines[:12]
    found = re.findall(r"Delegate (\d+)\b", "\n".join(pages))
    assert sorted(map(int, found)) == list(range(90))


def test_wrap_cuts_what_does_not_fit_on_max_lines():
    assert wrap("Hotel Borobudur", 200, CELL_SIZE) == ["Hotel Borobudur"]
    lines = wrap("Soekarno-Hatta International Airport, Jakarta", 110, CELL_SIZE)
    assert len(lines) > 1 and " ".join(lines) == "Soekarno-Hatta International Airport, Jakarta"
    endless = wrap("x" * 3000, 60, CELL_SIZE)
    assert len(endless) == MAX_LINES and endless[-1].endswith("…")
    assert all(layout_line(line).width(CELL_SIZE) <= 60 for line in endless)
    thai = wrap("ประยุทธ์จันทร์โอชาสมศักดิ์" * 3, 40, CELL_SIZE)
    assert not any(line[0] in "\u0e31\u0e34\u0e35\u0e38\u0e48\u0e49\u0e4c" for line in thai)
    assert wrap("   ", 60, CELL_SIZE) == []


NAMES = ("Budi Santoso", "محمد عبد الله", "王伟", "Иван Петров", "สมชาย ใจดี", "राहुल शर्मा")


def _rows(event, count: int, *, minutes: int = 1440, names=NAMES, **values) -> Board:
    """A board of ``count`` rows built in memory (no database), a minute apart over
    ``minutes`` from 07:00 (Jakarta) the day before the event."""
    zone, start = ZoneInfo(event.timezone), datetime.combine(day(event, -1), datetime.min.time(),
                                                             tzinfo=UTC)
    rows = []
    for number in range(count):
        at = start + timedelta(minutes=number % minutes)
        fields = {"registration_id": number, "reference": f"R{number}",
                  "name": f"{names[number % len(names)]} {number}", "country": "TH",
                  "status": "pending" if number % 7 == 0 else "confirmed",
                  "is_head": number % 4 == 0, "delegation": f"Delegation {number // 4}",
                  "at": at, "local": at.astimezone(zone), "mode": "flight", "number": "GA 881",
                  "place": "CGK", "pickup": number % 2 == 0, "hotel": "Hotel Borobudur",
                  "changed": number % 5 == 0, **values}
        rows.append(BoardRow(**fields))
    rows.sort(key=lambda row: (row.at, row.registration_id))
    return Board(event=event, kind="arrival", days=boards._group(rows), exported_at=None)


def test_a_row_never_outgrows_a_page_whatever_was_typed(event):
    board = _rows(event, 30, name="Bu" + "di" * 2000 + " Santoso", hotel="Hotel " * 400,
                  delegation="D" * 900)
    pages = _pages(render_board_pdf(board, language="en"))
    assert 2 <= len(pages) <= 30  # about three rows a page, every page drawn
    assert "..." in pages[0]  # "…" after NFKC
    assert all(len(text) < 20_000 for text in pages)


def test_two_thousand_rows_fit_on_landscape_pages(event):
    board = _rows(event, 2000)
    pdf = render_board_pdf(board, language="en")
    reader = PdfReader(io.BytesIO(pdf))
    assert 60 <= len(reader.pages) <= 160
    assert round(float(reader.pages[0].mediabox.width)) == round(PAGE[0])
