"""Images uploaded by organizers (co-host logos, letterheads): checked, re-encoded and kept in
the database.

Only PNG, JPEG, GIF and WebP are accepted. Every image is opened with Pillow, verified,
shrunk to fit 600x600 (or the caller's ``max_side``) and written again as a PNG without
metadata, so what we serve is never the uploader's bytes (no SVG, no HTML, no polyglots, no
EXIF location data).

Rules for serving (``viewable_image``): only images in use are served. A co-host logo of an
event whose public page anyone may open (published, or cancelled and still shown) is public;
everything else (letterheads, logos of drafts) only to signed-in staff who may view one of the
events using it. For anyone else the image does not exist (404, never 403, so that sequential
ids cannot be probed).
"""

import hashlib
import io
import logging
import warnings

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError
from sqlalchemy import or_, select

from ...extensions import db
from ...models import CoHost, Event, EventStatus, Nomination, Upload
from ..access import Permission, has_permission
from ..errors import ServiceError

log = logging.getLogger(__name__)

ACCEPTED_FORMATS = frozenset({"PNG", "JPEG", "GIF", "WEBP"})
#: the largest side of a stored logo, in pixels
MAX_LOGO_SIDE = 600
#: images with more pixels than this are refused before they are decoded
MAX_SOURCE_PIXELS = 40_000_000
_DEFAULT_MAX_BYTES = 2 * 1024 * 1024
#: events whose public page anyone may open, and so their co-host logos
PUBLIC_EVENT_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)


class InvalidImage(ServiceError):
    """The uploaded file is not an image we accept."""

    status_code = 422


def create_image_upload(*, data: bytes, filename: str = "", field: str = "logo",
                        max_side: int = MAX_LOGO_SIDE) -> Upload:
    """Check and re-encode an image to fit ``max_side`` pixels; add it to the session."""
    limit = int(current_app.config.get("UPLOAD_MAX_BYTES", _DEFAULT_MAX_BYTES))
    if not data:
        raise InvalidImage(_("The file is empty."), field=field)
    if len(data) > limit:
        raise InvalidImage(
            _("The file is too large: at most %(size)s MB.", size=_megabytes(limit)), field=field
        )
    png = _reencode(data, field, max_side)
    upload = Upload(
        data=png,
        content_type="image/png",
        size=len(png),
        filename=_clean_filename(filename),
        sha256=hashlib.sha256(png).hexdigest(),
    )
    db.session.add(upload)
    return upload


def _reencode(data: bytes, field: str, max_side: int = MAX_LOGO_SIDE) -> bytes:
    """The image in ``data`` as PNG bytes, at most ``max_side`` wide and high, no metadata."""
    refused = InvalidImage(
        _("This file is not an image we accept. Please upload a PNG, JPEG, GIF or WebP image."),
        field=field,
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise refused
                _check_pixels(probe.size, field)
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.seek(0)
                image.load()
                clean = _normalized(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        log.warning("refused a decompression bomb: %s", error)
        raise _too_many_pixels(field) from error
    except UnidentifiedImageError as error:
        log.info("refused an upload: %s", error)
        raise refused from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:  # broken or truncated files
        log.info("refused a broken image: %s", error)
        raise refused from error
    clean.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _check_pixels(size: tuple[int, int], field: str) -> None:
    width, height = size
    if width < 1 or height < 1 or width * height > MAX_SOURCE_PIXELS:
        raise _too_many_pixels(field)


def _too_many_pixels(field: str) -> InvalidImage:
    return InvalidImage(_("The image is too large in pixels. Please upload a smaller image."),
                        field=field)


def _normalized(image: Image.Image) -> Image.Image:
    """A fresh RGB or RGBA copy of ``image`` that carries no metadata."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    converted = image.convert("RGBA" if has_alpha else "RGB")
    clean = Image.new(converted.mode, converted.size)
    clean.paste(converted)
    return clean


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def _clean_filename(filename: str) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if ch.isprintable())[:255]


def viewable_image(upload_id: int, user) -> tuple[Upload, bool] | None:
    """(the image, whether anyone may see it) when ``user`` may see it; None otherwise.
    Nomination letters and nominated members' photos are never served here (the
    accreditation queue serves them to the event's organizers)."""
    if db.session.scalar(select(Nomination.id).where(Nomination.letter_id == upload_id)
                         .limit(1)) is not None:
        return None
    logo_of = set(db.session.scalars(select(CoHost.event_id).where(CoHost.logo_id == upload_id)))
    events = db.session.scalars(select(Event).where(
        or_(Event.id.in_(logo_of), Event.letterhead_id == upload_id))).all()
    public = any(event.id in logo_of and event.status in PUBLIC_EVENT_STATUSES
                 for event in events)
    if not public and not any(has_permission(user, event, Permission.VIEW) for event in events):
        return None  # also when nothing uses it: the bytes are not even read
    upload = db.session.scalar(select(Upload).where(Upload.id == upload_id,
                                                    Upload.content_type.like("image/%")))
    return (upload, public) if upload is not None else None
