"""Delegates' photos: checked, cropped to passport proportions (35x45), re-encoded, stored.

Rules:
- Accepted: JPEG, PNG or WebP up to ``photo_max_bytes()`` (PHOTO_MAX_BYTES, 5 MB by default),
  recognised by their content with Pillow, never by their name or declared type.
- Refused before anything is decoded: an empty or too large file, a file Pillow does not
  recognise (an HTML page renamed .jpg), an image with more than ``MAX_SOURCE_PIXELS``
  pixels (a decompression bomb), and polyglots: bytes after the image's end (an archive or a
  page appended to a JPEG) or markup (``<html``, ``<script``, ``<svg``, ``<?php``) anywhere.
- The EXIF orientation is applied first; the crop box (x, y, width, height in pixels of the
  image as it shows upright) is chosen by the uploader; it is kept inside the image and brought
  to 35:45 around its centre. Without one, the largest centred 35:45 box is used.
- Stored: a ``PHOTO_SIZE`` JPEG and a ``THUMBNAIL_SIZE`` JPEG for the check-in desk of at
  most ``THUMBNAIL_MAX_BYTES`` (30 KB), both new ``Upload`` rows written by us: no EXIF, no
  ICC profile, nothing of the uploader's bytes. Replacing a photo deletes the old rows;
  erasing the registration's personal data deletes them too (services.privacy.erasure_scrub).
- Who may see a photo: services.policies.can_see_photo.
"""

import hashlib
import io
import logging
import re
import warnings
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from ...database import use_case
from ...extensions import db
from ...models import Registration, Upload
from ..audit import record_action
from ..errors import ServiceError

log = logging.getLogger(__name__)

#: formats Pillow must recognise in the bytes (MPO: a phone's JPEG with extra pictures)
ACCEPTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP"})
DEFAULT_PHOTO_MAX_BYTES = 5 * 1024 * 1024
#: images with more pixels than this are refused before they are decoded
MAX_SOURCE_PIXELS = 40_000_000
#: passport proportions, width:height
RATIO_W, RATIO_H = 35, 45
#: the stored photo (badges, staff page), pixels
PHOTO_SIZE = (350, 450)
#: the check-in desk's thumbnail, pixels, and its largest size in bytes (the desk states it)
THUMBNAIL_SIZE = (105, 135)
THUMBNAIL_MAX_BYTES = 30 * 1024
PHOTO_QUALITY = 85
THUMBNAIL_QUALITIES = (72, 60, 45, 30)
#: markup that makes a file something else as well as an image
_MARKUP = re.compile(rb"<(?:html|script|svg|body|iframe|\?php|!doctype)", re.IGNORECASE)
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
#: the form fields an error belongs to
FIELD = "photo"


class InvalidPhoto(ServiceError):
    """The uploaded file is not a photo we accept."""

    status_code = 422


@dataclass(frozen=True)
class CropBox:
    """The part of the upright image to keep, in its pixels."""

    x: int
    y: int
    width: int
    height: int


def photo_max_bytes() -> int:
    """The largest photo accepted, in bytes (PHOTO_MAX_BYTES)."""
    return int(current_app.config.get("PHOTO_MAX_BYTES", DEFAULT_PHOTO_MAX_BYTES))


def parse_crop_box(x, y, width, height) -> CropBox | None:
    """The crop box from four form values; None when all are empty (the centred box)."""
    values = [str(value).strip() if value is not None else "" for value in (x, y, width, height)]
    if not any(values):
        return None
    try:
        numbers = [round(float(value)) for value in values]
    except ValueError:
        numbers = None
    if numbers is None or numbers[2] < 1 or numbers[3] < 1:
        raise InvalidPhoto(_("The chosen area of the photo could not be read. Please choose it "
                             "again, or send the photo without choosing an area."), field=FIELD)
    return CropBox(*numbers)


# --- checking and re-encoding ------------------------------------------------------------

def _refused() -> InvalidPhoto:
    return InvalidPhoto(_("This file is not a photo we accept. Please upload a JPEG, PNG or "
                          "WebP image."), field=FIELD)


def _check_size(data: bytes | None) -> None:
    limit = photo_max_bytes()
    if not data:
        raise InvalidPhoto(_("Please choose a photo to upload."), field=FIELD)
    if len(data) > limit:
        raise InvalidPhoto(_("The photo is too large: at most %(size)s MB.",
                             size=f"{limit / (1024 * 1024):g}"), field=FIELD)


def _ends_cleanly(data: bytes, image_format: str) -> bool:
    """False when bytes follow the image's end (a polyglot)."""
    if image_format in ("JPEG", "MPO"):
        return data.rstrip(b"\x00").endswith(b"\xff\xd9")
    if image_format == "PNG":
        return data.endswith(_PNG_END)
    if image_format == "WEBP":
        declared = int.from_bytes(data[4:8], "little") + 8
        return declared in (len(data), len(data) - 1)
    return False


def _too_many_pixels() -> InvalidPhoto:
    return InvalidPhoto(_("The photo is too large in pixels. Please upload a smaller image."),
                        field=FIELD)


def _open_upright(data: bytes) -> Image.Image:
    """The photo in ``data`` decoded, turned upright, RGB, without metadata."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                image_format = probe.format
                if image_format not in ACCEPTED_FORMATS:
                    raise _refused()
                width, height = probe.size
                if width < 1 or height < 1 or width * height > MAX_SOURCE_PIXELS:
                    raise _too_many_pixels()
                probe.verify()
            if not _ends_cleanly(data, image_format) or _MARKUP.search(data):
                log.info("refused a photo that is more than an image (%s)", image_format)
                raise _refused()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image) or image
                if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
                    rgba = upright.convert("RGBA")
                    flat = Image.new("RGB", rgba.size, (255, 255, 255))
                    flat.paste(rgba, mask=rgba.getchannel("A"))
                    return flat
                converted = upright.convert("RGB")
                clean = Image.new("RGB", converted.size)
                clean.paste(converted)
                return clean
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        log.warning("refused a decompression bomb: %s", error)
        raise _too_many_pixels() from error
    except UnidentifiedImageError as error:
        log.info("refused a photo: %s", error)
        raise _refused() from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:  # broken or truncated files
        log.info("refused a broken photo: %s", error)
        raise _refused() from error


def centred_box(width: int, height: int) -> CropBox:
    """The largest 35:45 box centred in a ``width`` x ``height`` image."""
    if width * RATIO_H > height * RATIO_W:  # wider than a passport photo
        box_h = height
        box_w = max(1, round(height * RATIO_W / RATIO_H))
    else:
        box_w = width
        box_h = max(1, round(width * RATIO_H / RATIO_W))
    return CropBox((width - box_w) // 2, (height - box_h) // 2, box_w, box_h)


def fitted_box(box: CropBox | None, width: int, height: int) -> CropBox:
    """``box`` kept inside the image and brought to 35:45 around its centre."""
    if box is None:
        return centred_box(width, height)
    left, top = min(max(box.x, 0), width - 1), min(max(box.y, 0), height - 1)
    right, bottom = min(box.x + box.width, width), min(box.y + box.height, height)
    box_w, box_h = max(1, right - left), max(1, bottom - top)
    centre_x, centre_y = left + box_w / 2, top + box_h / 2
    if box_w * RATIO_H > box_h * RATIO_W:
        box_w = max(1, round(box_h * RATIO_W / RATIO_H))
    else:
        box_h = max(1, round(box_w * RATIO_H / RATIO_W))
    x = min(max(round(centre_x - box_w / 2), 0), width - box_w)
    y = min(max(round(centre_y - box_h / 2), 0), height - box_h)
    return CropBox(x, y, box_w, box_h)


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=True, progressive=False)
    return out.getvalue()


def prepare_photo(data: bytes | None, crop: CropBox | None = None) -> tuple[bytes, bytes]:
    """(photo, thumbnail) JPEG bytes made from the uploaded ``data``; InvalidPhoto if refused."""
    _check_size(data)
    upright = _open_upright(data)
    box = fitted_box(crop, *upright.size)
    cropped = upright.crop((box.x, box.y, box.x + box.width, box.y + box.height))
    photo = cropped.resize(PHOTO_SIZE, Image.Resampling.LANCZOS)
    small = photo.resize(THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
    for quality in THUMBNAIL_QUALITIES:
        thumbnail = _jpeg(small, quality)
        if len(thumbnail) <= THUMBNAIL_MAX_BYTES:
            break
    else:  # never reached with these sizes; kept so the budget can never be broken
        raise _refused()
    return _jpeg(photo, PHOTO_QUALITY), thumbnail


def _upload(data: bytes, filename: str) -> Upload:
    return Upload(data=data, content_type="image/jpeg", size=len(data), filename=filename,
                  sha256=hashlib.sha256(data).hexdigest())


# --- use cases -------------------------------------------------------------------------------

def drop_photo_rows(registration: Registration) -> bool:
    """Delete the registration's photo and thumbnail rows (no commit); True if there were any.
    Works for anything with ``photo`` and ``photo_thumbnail`` (a NominationMember too)."""
    old = [upload for upload in (registration.photo, registration.photo_thumbnail)
           if upload is not None]
    registration.photo = None
    registration.photo_thumbnail = None
    for upload in old:
        db.session.delete(upload)
    return bool(old)


def store_photo(holder, data: bytes | None, *, crop: CropBox | None = None,
                name: str) -> bool:
    """Check, crop and store ``data`` as the photo and thumbnail of ``holder`` (a
    Registration or a NominationMember), deleting older rows (no commit); InvalidPhoto if
    refused (nothing changed then). True when an older photo was replaced."""
    photo, thumbnail = prepare_photo(data, crop)
    replaced = drop_photo_rows(holder)
    holder.photo = _upload(photo, f"photo-{name}.jpg")
    holder.photo_thumbnail = _upload(thumbnail, f"thumbnail-{name}.jpg")
    return replaced


@use_case
def set_photo(registration: Registration, data: bytes | None, *, crop: CropBox | None = None,
              actor=None) -> None:
    """Check, crop and store ``data`` as the registration's photo, replacing any older one."""
    replaced = store_photo(registration, data, crop=crop, name=registration.reference)
    photo, thumbnail = registration.photo.data, registration.photo_thumbnail.data
    record_action("registration.photo_set", registration, user=actor,
                  reference=registration.reference, changed=replaced)
    log.info("photo of registration %s stored (%d + %d bytes)", registration.id, len(photo),
             len(thumbnail))


@use_case
def remove_photo(registration: Registration, *, actor=None) -> bool:
    """Delete the registration's photo; False when it had none."""
    removed = drop_photo_rows(registration)
    if removed:
        record_action("registration.photo_removed", registration, user=actor,
                      reference=registration.reference)
    return removed


def photo_upload(registration: Registration, *, thumbnail: bool = False) -> Upload | None:
    """The stored photo (or its thumbnail) of ``registration``; the caller asked
    services.policies.can_see_photo first."""
    return registration.photo_thumbnail if thumbnail else registration.photo
