"""Nomination letters (notes verbales): checked by their content, kept private.

Rules:
- Accepted: a PDF of at most ``letter_max_bytes()`` (NOMINATION_LETTER_MAX_BYTES, 10 MB by
  default), recognised by its bytes, never by its name or declared type: it starts with
  ``%PDF-`` (nothing before the header: no HTML or script page with a PDF inside), has
  ``%%EOF`` near its end, is not an executable or an archive (``MZ``, ELF, ``#!``, zip) and
  pypdf can read its pages (an encrypted PDF is accepted unread).
- Refused with a message that says why: an empty or too large file, a web page, a program or
  an archive renamed .pdf, anything else that is not a PDF.
- Stored as an ``Upload`` (``application/pdf``) that /uploads/ never serves
  (services.events.uploads.viewable_image): only the event's organizers open it, from the
  accreditation queue. Replacing a letter deletes the old row.
"""

import hashlib
import io
import logging
import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from ...models import Upload
from ..errors import ServiceError
from ..events.uploads import _clean_filename

log = logging.getLogger(__name__)

DEFAULT_LETTER_MAX_BYTES = 10 * 1024 * 1024
PDF_CONTENT_TYPE = "application/pdf"
#: ``%%EOF`` must appear within this many bytes of the end (some writers add a little after it)
EOF_WINDOW = 2048
#: the form field an error belongs to
FIELD = "letter"
_MARKUP = re.compile(rb"<(?:html|script|svg|body|iframe|head|\?php|!doctype|\?xml)",
                     re.IGNORECASE)
#: magic numbers of programs and archives
_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"PK\x03\x04", b"PK\x05\x06", b"\xca\xfe\xba\xbe",
                     b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"Rar!", b"7z\xbc\xaf")


class InvalidLetter(ServiceError):
    """The uploaded file is not a nomination letter we accept."""

    status_code = 422


@dataclass(frozen=True)
class CheckedLetter:
    """A letter that passed the checks."""

    data: bytes
    pages: int | None


def letter_max_bytes() -> int:
    """The largest letter accepted, in bytes (NOMINATION_LETTER_MAX_BYTES)."""
    return int(current_app.config.get("NOMINATION_LETTER_MAX_BYTES", DEFAULT_LETTER_MAX_BYTES))


def letter_max_megabytes() -> str:
    return f"{letter_max_bytes() / (1024 * 1024):g}"


def _not_pdf() -> InvalidLetter:
    return InvalidLetter(_("This file is not a PDF. Please upload the nomination letter as a "
                           "PDF file."), field=FIELD)


def check_letter(data: bytes | None) -> CheckedLetter:
    """``data`` checked as a nomination letter; InvalidLetter (with the reason) otherwise."""
    if not data:
        raise InvalidLetter(_("Please choose the nomination letter (PDF) to upload."),
                            field=FIELD)
    if len(data) > letter_max_bytes():
        raise InvalidLetter(_("The letter is too large: at most %(size)s MB.",
                              size=letter_max_megabytes()), field=FIELD)
    if data.startswith(_EXECUTABLE_MAGIC):
        log.info("refused a letter that is a program or an archive")
        raise InvalidLetter(_("This file is a program or an archive, not a PDF. Please upload "
                              "the nomination letter as a PDF file."), field=FIELD)
    if not data.startswith(b"%PDF-"):
        if _MARKUP.search(data[:4096]):
            log.info("refused a letter that is a web page")
            raise InvalidLetter(_("This file is a web page (HTML), not a PDF. Please upload "
                                  "the nomination letter as a PDF file."), field=FIELD)
        raise _not_pdf()
    if b"%%EOF" not in data[-EOF_WINDOW:]:
        raise InvalidLetter(_("This PDF is incomplete or damaged. Please save it again and "
                              "upload it."), field=FIELD)
    return CheckedLetter(data=data, pages=_page_count(data))


def _page_count(data: bytes) -> int | None:
    """The number of pages (None for an encrypted PDF); InvalidLetter when unreadable."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return None
        pages = len(reader.pages)
    except (PdfReadError, OSError, ValueError, KeyError, TypeError, AttributeError,
            RecursionError) as error:
        log.info("refused an unreadable PDF: %s", error)
        raise InvalidLetter(_("This PDF could not be read. Please save it again and upload "
                              "it."), field=FIELD) from error
    if pages < 1:
        raise InvalidLetter(_("This PDF has no pages."), field=FIELD)
    return pages


def letter_upload(checked: CheckedLetter, filename: str) -> Upload:
    """A new ``Upload`` row for a checked letter (the caller adds it to its nomination)."""
    name = _clean_filename(filename) or "nomination-letter.pdf"
    return Upload(data=checked.data, content_type=PDF_CONTENT_TYPE, size=len(checked.data),
                  filename=name, sha256=hashlib.sha256(checked.data).hexdigest())
