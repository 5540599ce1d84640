"""Badge PDFs in bounded memory: pages compressed as they are finished, the same file."""

import pytest
from reportlab.pdfgen.canvas import Canvas

from seminar_app.services.documents import badges
from seminar_app.services.documents.badges import render_badges_pdf
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


def test_a_finished_page_holds_its_stream_compressed_only():
    canvas = badges.PageCompressingCanvas(None, pageCompression=1, invariant=1)
    canvas.drawString(100, 100, "a page of text " * 50)
    canvas.showPage()
    (page,) = canvas._doc.Pages.pages
    assert page.stream is None
    assert len(page.Contents.content) < len("a page of text " * 50)
    assert canvas.getpdfdata().startswith(b"%PDF")


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
