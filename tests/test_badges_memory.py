"""Badge PDFs in bounded memory: pages turned into bytes as they are finished, the same file."""

import io

import pytest
from pypdf import PdfReader
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfdoc import PDFPage, PDFStream
from reportlab.pdfgen.canvas import Canvas

from seminar_app.services.documents import badges, pdf_canvas
from seminar_app.services.documents.badges import render_badges_pdf, write_badges_pdf
from tests.factories import add_registration
from tests.public_factories import create_event


@pytest.fixture
def event(make_user):
    return create_event(make_user("organizer"), title="Jakarta Forum on Cooperation")


@pytest.mark.parametrize("layout", ["a4", "single"])
def test_compressing_pages_early_gives_the_same_file_as_reportlab(event, monkeypatch, layout):
    registrations = [add_registration(event, given_name=given, family_name=family)
                     for given, family in (("Budi", "Santoso"), ("Олена", "Коваленко"),
                                           ("محمد", "عبد الله"), ("สมชาย", "ใจดี"),
                                           ("明", "王"), ("Anna", "Ng"), ("Ana", "Lima"),
                                           ("Ivo", "Maric"), ("Sara", "Haile"))]
    ours = render_badges_pdf(registrations, layout=layout, language="en")
    monkeypatch.setattr(badges, "PageCompressingCanvas", Canvas)  # reportlab's own
    assert ours == render_badges_pdf(registrations, layout=layout, language="en")


def test_a_finished_page_is_held_as_bytes_only():
    canvas = badges.PageCompressingCanvas(None, pageCompression=1, invariant=1)
    canvas.drawString(100, 100, "a page of text " * 50)
    canvas.showPage()
    (page,) = canvas._doc.Pages.pages
    assert not any(isinstance(kept, PDFPage | PDFStream)
                   for kept in canvas._doc.idToObject.values())
    assert isinstance(page.template, bytes) and isinstance(page.contents.data, bytes)
    assert len(page.contents.data) < len("a page of text " * 50)  # compressed
    assert canvas.getpdfdata().startswith(b"%PDF")


def _draw_pages(canvas: Canvas, count: int, image) -> None:
    """``count`` pages with what badges and boards use (text, shapes, images, colours, a
    link, a second page size), each saying its number."""
    for number in range(1, count + 1):
        if number % 7 == 0:
            canvas.setPageSize(A6 if canvas._pagesize == A4 else A4)
        canvas.setFillColor(HexColor("#8e1b1b" if number % 2 else "#1f4e99"))
        canvas.rect(20, 20, 100, 30, stroke=0, fill=1)
        canvas.setFillColor(HexColor("#000000"))
        canvas.drawString(30, 200, f"page {number} of {count}")
        if number % 5 == 0:
            canvas.drawImage(image, 150, 150, 35, 45)
        if number % 11 == 0:
            canvas.linkURL("https://example.org/", (20, 20, 120, 50))
        canvas.showPage()


def _image():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (35, 45), "#336699").save(buffer, "JPEG")
    return ImageReader(io.BytesIO(buffer.getvalue()))


@pytest.mark.parametrize("compression", [1, 0])
def test_a_long_document_written_object_by_object_is_reportlabs_file(compression):
    """Pages frozen at showPage and the file written by write_to: the very bytes reportlab
    makes itself, every page there, in order, readable by a strict reader."""
    count = 180
    image = _image()
    ours = badges.PageCompressingCanvas(None, pagesize=A4, pageCompression=compression,
                                        invariant=1)
    _draw_pages(ours, count, image)
    written = io.BytesIO()
    size = ours.write_to(written)
    assert size == len(written.getvalue())
    frozen = (pdf_canvas._FrozenPage, pdf_canvas._FrozenStream)
    assert not any(isinstance(kept, frozen) for kept in ours._doc.idToObject.values())

    theirs = Canvas(None, pagesize=A4, pageCompression=compression, invariant=1)
    _draw_pages(theirs, count, image)
    assert written.getvalue() == theirs.getpdfdata()

    reader = PdfReader(written, strict=True)
    assert len(reader.pages) == count
    for number, page in enumerate(reader.pages, start=1):
        assert f"page {number} of {count}" in page.extract_text()
    assert len(reader.pages[10].annotations) == 1 and not reader.pages[9].annotations
    assert "/XObject" in reader.pages[4]["/Resources"]


def test_the_worker_writes_the_badges_the_request_would_give(event):
    registrations = [add_registration(event, given_name=f"Delegate {number}")
                     for number in range(12)]
    for layout in badges.LAYOUTS:
        written = io.BytesIO()
        write_badges_pdf(iter(registrations), written, layout=layout, language="en")
        assert written.getvalue() == render_badges_pdf(registrations, layout=layout,
                                                       language="en")
        reader = PdfReader(written, strict=True)
        assert len(reader.pages) == (2 if layout == "a4" else 12)
        text = "\n".join(page.extract_text() for page in reader.pages)
        assert all(f"Delegate {number}" in text for number in range(12))


def test_registrations_are_read_one_page_at_a_time(event, monkeypatch):
    registrations = [add_registration(event) for _ in range(20)]
    read, drawn = [], []

    def one_by_one():
        for registration in registrations:
            read.append(registration)
            yield registration

    original = badges._draw_landscape

    def draw(canvas, content, *args):
        drawn.append(len(read))
        original(canvas, content, *args)

    monkeypatch.setattr(badges, "_draw_landscape", draw)
    render_badges_pdf(one_by_one(), layout="a4", language="en")
    assert drawn[0] == 8  # the first sheet is drawn before the ninth registration is read
    assert len(read) == 20
