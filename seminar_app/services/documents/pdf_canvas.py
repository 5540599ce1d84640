"""A reportlab canvas for long PDFs (badges, travel boards): memory close to the file's size."""

from reportlab import rl_config
from reportlab.pdfbase.pdfdoc import PDFArray, PDFBase85Encode, PDFName, PDFStream, PDFZCompress
from reportlab.pdfgen.canvas import Canvas


class PageCompressingCanvas(Canvas):
    """A reportlab Canvas that compresses each page's content stream when the page is done.

    reportlab keeps every finished page's content stream as uncompressed text until the file
    is made, and compresses them all only then: 1,250 A4 sheets (10,000 badges) held about
    26 MiB of text, five times the finished file. Here, at ``showPage``, the page's stream is
    encoded at once with exactly the filters reportlab would apply when making the file (zlib,
    then ASCII85 when ``rl_config.useA85``, as ``PDFPage.check_format`` chooses them) and
    becomes the page's ``Contents``, a PDFStream that names those filters: reportlab then writes
    it as it is (``PDFStream.format`` encodes only a stream without ``/Filter``). The file is
    byte for byte the one reportlab makes without this, a page's text is simply not held.
    Uncompressed documents (``pageCompression=0``, tests reading the operators) are left alone.
    """

    def showPage(self):
        super().showPage()
        page = self._doc.Pages.pages[-1]
        if page.compression and page.stream and not page.Contents:
            page.Contents = _encoded_stream(page.stream)
            page.stream = None


def _encoded_stream(text: str) -> PDFStream:
    """``text`` as a page content stream already encoded with reportlab's page filters."""
    filters = [PDFBase85Encode, PDFZCompress] if rl_config.useA85 else [PDFZCompress]
    content = text
    for encoding in reversed(filters):  # the last filter listed is applied first
        content = encoding.encode(content)
    stream = PDFStream(content=content)
    stream.dictionary["Filter"] = PDFArray([PDFName(f.pdfname) for f in filters])
    stream.__Comment__ = "page stream"
    return stream
