"""The travel documents staff take away: the rooming list (XLSX) and the arrivals and
departures boards of every day (PDF, for liaison officers).

One place says what each holds, how big it is and what it is called, for both ways it is
built: in the request for a small event, by the worker (``services.documents.document_jobs``)
from DOCUMENT_JOB_THRESHOLD guests or travellers on, as the other big documents are. What a job
needs to build the same file later is in its ``params``: the language and, for the rooming
list, the moment of the export before this one (rows changed after it are marked "changed").
"""

from datetime import date, datetime

from ...database import use_case
from ...models import DocumentKind, Event
from . import boards
from .board_pdf import render_board_pdf
from .rooming_xlsx import rooming_workbook
from .settings import travel_settings

#: the board each board PDF prints
BOARD_KINDS = {DocumentKind.ARRIVALS_PDF: "arrival", DocumentKind.DEPARTURES_PDF: "departure"}
#: every travel document
KINDS = (DocumentKind.ROOMING_XLSX, *BOARD_KINDS)
_STEMS = {DocumentKind.ROOMING_XLSX: ("rooming", "xlsx"),
          DocumentKind.ARRIVALS_PDF: ("arrivals", "pdf"),
          DocumentKind.DEPARTURES_PDF: ("departures", "pdf")}


def size(event: Event, kind: DocumentKind) -> int:
    """How many delegates the document lists (it is a job from the threshold on)."""
    if kind == DocumentKind.ROOMING_XLSX:
        return boards.rooming_count(event)
    return sum(count for _day, count in boards.board_days(event, BOARD_KINDS[kind]))


@use_case
def export_rooming(event: Event, *, language: str, actor) -> dict:
    """Record that ``actor`` exports the rooming list now; the params of that export (what
    changed since the export before this one is marked in it)."""
    previous = travel_settings(event).rooming_exported_at
    boards.mark_exported(event, "rooming", actor=actor)
    return {"language": language,
            "changed_since": previous.isoformat() if previous is not None else None}


def board_params(*, language: str) -> dict:
    """The params of a board PDF (the marks are those of the last "handed out")."""
    return {"language": language}


def filename(event: Event, kind: DocumentKind, *, today: date) -> str:
    """``<event>-rooming-<day>.xlsx``, ``<event>-arrivals-<day>.pdf``..."""
    stem = "".join(ch for ch in event.slug if ch.isascii() and (ch.isalnum() or ch == "-"))
    name, extension = _STEMS[kind]
    return f"{stem or 'event'}-{name}-{today.isoformat()}.{extension}"


def render(event: Event, kind: DocumentKind, params: dict, *,
           today: date) -> tuple[str, list[bytes]]:
    """The file name and content of travel document ``kind`` built with ``params``."""
    kind = DocumentKind(kind)
    language = params.get("language") or "en"
    if kind == DocumentKind.ROOMING_XLSX:
        since = params.get("changed_since")
        listing = boards.rooming_list(
            event, changed_since=datetime.fromisoformat(since) if since else None)
        data = rooming_workbook(listing, language=language)
    else:
        data = render_board_pdf(boards.board(event, BOARD_KINDS[kind]), language=language)
    return filename(event, kind, today=today), [data]
