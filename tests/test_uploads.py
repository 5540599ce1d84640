"""Uploaded logos: what is accepted, how it is re-encoded, and how it is served."""

import hashlib
import io

import pytest
from PIL import Image

from seminar_app.extensions import db as _db
from seminar_app.models import CoHost, Upload
from seminar_app.services.errors import ServiceError
from seminar_app.services.events.uploads import create_image_upload
from tests.conftest import AuthActions


def image_bytes(fmt="PNG", size=(64, 48), mode="RGB", **save_options) -> bytes:
    out = io.BytesIO()
    color = (10, 120, 200, 128) if mode == "RGBA" else (10, 120, 200)
    Image.new(mode, size, color if mode in ("RGB", "RGBA") else 1).save(out, format=fmt,
                                                                       **save_options)
    return out.getvalue()


def _logo(owner) -> Upload:
    """An upload in use as a co-host logo (only such images and letterheads are served)."""
    from tests.public_factories import create_event

    upload = _stored()
    event = create_event(owner)
    _db.session.add(CoHost(event_id=event.id, name="Partner", logo_id=upload.id))
    _db.session.commit()
    return upload


def _stored(data=None, **kwargs) -> Upload:
    upload = create_image_upload(data=data if data is not None else image_bytes(), **kwargs)
    _db.session.commit()
    return upload


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_create_image_upload_accepts_common_formats_as_png(fmt):
    upload = _stored(image_bytes(fmt), filename=f"logo.{fmt.lower()}")
    assert upload.content_type == "image/png"
    assert upload.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert upload.size == len(upload.data)
    assert upload.sha256 == hashlib.sha256(upload.data).hexdigest()
    with Image.open(io.BytesIO(upload.data)) as image:
        assert image.size == (64, 48)


def test_create_image_upload_shrinks_large_images_and_keeps_transparency():
    upload = _stored(image_bytes(size=(1800, 900), mode="RGBA"))
    with Image.open(io.BytesIO(upload.data)) as image:
        assert image.size == (600, 300)
        assert image.mode == "RGBA"


def test_create_image_upload_strips_metadata():
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    source = image_bytes("JPEG", exif=exif.tobytes())
    assert b"SecretCameraMaker" in source
    upload = _stored(source)
    assert b"SecretCameraMaker" not in upload.data
    with Image.open(io.BytesIO(upload.data)) as image:
        assert not image.getexif()


def test_create_image_upload_keeps_only_the_base_filename():
    assert _stored(filename="C:\\Users\\me\\Desktop\\logo.png").filename == "logo.png"


@pytest.mark.parametrize("data", [
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b"<!doctype html><html><script>alert(1)</script></html>",
    b"GIF89a<script>alert(1)</script>",
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
    image_bytes()[:60],  # truncated
    image_bytes("BMP"),  # a real image, but not a format we take
    image_bytes("TIFF"),
])
def test_create_image_upload_refuses_what_is_not_an_accepted_image(data):
    with pytest.raises(ServiceError) as caught:
        create_image_upload(data=data, filename="logo.png")
    assert caught.value.field == "logo"
    assert "PNG, JPEG, GIF or WebP" in caught.value.message


def test_create_image_upload_refuses_files_over_the_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1000)
    big = image_bytes(size=(300, 300), compress_level=0)
    assert len(big) > 1000
    with pytest.raises(ServiceError) as caught:
        create_image_upload(data=big)
    assert caught.value.field == "logo"
    assert "too large" in caught.value.message


def test_create_image_upload_refuses_empty_files():
    with pytest.raises(ServiceError):
        create_image_upload(data=b"")


def test_create_image_upload_refuses_decompression_bombs():
    bomb = image_bytes(size=(10_000, 10_000), mode="1")  # tiny file, 100 million pixels
    assert len(bomb) < 100_000
    with pytest.raises(ServiceError) as caught:
        create_image_upload(data=bomb)
    assert "pixels" in caught.value.message


# --- serving ---------------------------------------------------------------------------------

def test_upload_is_served_with_type_etag_and_long_cache(client, make_user):
    upload = _logo(make_user())
    response = client.get(f"/uploads/{upload.id}")
    assert response.status_code == 200
    assert response.data == upload.data
    assert response.mimetype == "image/png"
    assert response.headers["ETag"] == f'"{upload.sha256}"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "public" in response.headers["Cache-Control"]


def test_upload_answers_304_when_the_etag_matches(client, make_user):
    upload = _logo(make_user())
    response = client.get(f"/uploads/{upload.id}", headers={"If-None-Match": f'"{upload.sha256}"'})
    assert response.status_code == 304
    assert response.data == b""


def test_upload_missing_is_404(client):
    assert client.get("/uploads/999999").status_code == 404


def test_only_logos_and_letterheads_are_served(client, make_user):
    """An upload used by nothing (an import file, an old logo) is not served to anyone."""
    from tests.public_factories import create_event

    orphan = _stored()
    stranger = Upload(data=b"name,email\n", content_type="text/csv", size=11,
                      filename="invitee-import:1:1:list.csv", sha256="0" * 64)
    _db.session.add(stranger)
    _db.session.commit()
    assert client.get(f"/uploads/{orphan.id}").status_code == 404
    assert client.get(f"/uploads/{stranger.id}").status_code == 404
    owner = make_user()
    event = create_event(owner)
    event.letterhead_id = orphan.id
    _db.session.commit()
    assert client.get(f"/uploads/{orphan.id}").status_code == 404  # a letterhead: staff only
    AuthActions(client).login(owner)
    assert client.get(f"/uploads/{orphan.id}").status_code == 200
