"""A reportlab canvas for long PDFs (badges, travel boards): memory close to the file's size."""

from reportlab import rl_config
from reportlab.pdfbase.pdfdoc import (
    NoEncryption,
    PDFArray,
    PDFBase85Encode,
    PDFCrossReferenceTable,
    PDFDictionary,
    PDFFile,
    PDFIndirectObject,
    PDFName,
    PDFObject,
    PDFStream,
    PDFTrailer,
    PDFZCompress,
)
from reportlab.pdfgen.canvas import Canvas

#: stand-ins for the two references of a page dictionary that reportlab numbers only when it
#: makes the file (NUL bytes: no PDF name, number or string of a page dictionary holds them)
_CONTENTS, _PARENT = b"\0contents\0", b"\0parent\0"


class PageCompressingCanvas(Canvas):
    """A reportlab Canvas that turns each page into bytes as soon as the page is finished.

    reportlab keeps every finished page until the file is made: its content stream as
    uncompressed text (1,250 A4 sheets of badges held about 26 MiB of text, five times the
    finished file) and its ``PDFPage`` object with its attributes, dictionaries and stream
    object (about 3 KB a page: 10,000 single badges held some 35 MiB of them). Here, at
    ``showPage``, the page's stream is encoded at once with exactly the filters reportlab would
    apply when making the file (zlib, then ASCII85 when ``rl_config.useA85``, as
    ``PDFPage.check_format`` chooses them) and formatted, and the page dictionary is formatted
    too, except for its two references that reportlab numbers only when it makes the file
    (``/Contents`` and ``/Parent``): what stays of a page is two byte strings (``_FrozenPage``,
    ``_FrozenStream``), which take their object numbers when the file is made, in the order
    reportlab gives them. The file is byte for byte the one reportlab makes without this.

    ``write_to`` writes the file into a binary file object instead of returning it
    (``getpdfdata``): each object goes out as soon as it is formatted and every page is let
    go once written, so the file is never held whole.

    Pages are kept as reportlab keeps them (only compressed) when the document is encrypted or
    has PDF comments on (``rl_config.pdfComments``: the comments name the objects' classes).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        #: the dictionaries of plain pages already formatted, by what they depend on
        self._page_templates: dict[tuple, bytes] = {}

    def showPage(self):
        super().showPage()
        doc = self._doc
        page = doc.Pages.pages[-1]
        if page.Contents or not page.stream or page.Override_default_compilation:
            return
        if not isinstance(doc.encrypt, NoEncryption) or rl_config.pdfComments:
            if page.compression and page.stream:
                page.Contents = _encoded_stream(page.stream)
                page.stream = None
            return
        _freeze(doc, page, self._page_templates)

    def write_to(self, out) -> int:
        """Write the document into the binary file ``out`` (the bytes ``getpdfdata`` would
        return, object by object); returns the size written. The canvas is done after this."""
        if len(self._code):
            self.showPage()
        doc = self._doc
        if getattr(doc, "_digiSigs", None):  # a signature needs the whole file at once
            data = self.getpdfdata()
            out.write(data)
            return len(data)
        # PDFDocument.GetPDFData, then PDFDocument.format with every object written as soon
        # as it is formatted instead of kept in a PDFFile (reportlab 5.1)
        for font in doc.delayedFonts:
            font.addObjects(doc)
        doc.info.invariant = doc.invariant
        doc.info.digest(doc.signature)
        doc.Reference(doc.Catalog)
        doc.Reference(doc.info)
        doc.Outlines.prepare(doc, self)
        if doc.Outlines.ready < 0:
            doc.Catalog.Outlines = None
        doc.encrypt.prepare(doc)
        catalog, info = doc.Reference(doc.Catalog), doc.Reference(doc.info)
        encryption = doc.encrypt.info()
        encrypt_ref = doc.Reference(encryption) if encryption else None
        sink = _WritingFile(out, doc._pdfVersion)
        doc.__accum__ = sink  # as during PDFDocument.format: objects may ask where they are
        ids, number = [], 0
        while True:
            number += 1
            if number not in doc.numberToId:
                break
            oid = doc.numberToId[number]
            obj = doc.idToObject[oid]
            if not rl_config.invariant and rl_config.pdfComments:
                sink.add(f"% {oid!a}: class {type(obj).__name__[:50]} \n")
            doc.idToOffset[oid] = sink.add(PDFIndirectObject(oid, obj).format(doc))
            if isinstance(obj, _FrozenPage | _FrozenStream):
                doc.idToObject[oid] = None  # written: its bytes are let go
            ids.append(oid)
        del doc.__accum__
        if number - 1 != len(doc.numberToId):
            raise ValueError("objects were numbered while the PDF was written")
        xref = PDFCrossReferenceTable()
        xref.addsection(0, ids)
        xref_offset = sink.add(xref.format(doc))
        sink.add(PDFTrailer(startxref=xref_offset, Size=len(doc.numberToId) + 1, Root=catalog,
                            Info=info, Encrypt=encrypt_ref, ID=doc.ID()).format(doc))
        return sink.offset


class _WritingFile(PDFFile):
    """reportlab's PDFFile (it counts the offsets) writing into a file instead of a list."""

    def __init__(self, out, pdf_version):
        PDFFile.__init__(self, pdf_version)  # counts and keeps the header
        for header in self.strings:
            out.write(header)
        self.strings, self.write = None, out.write

    def format(self, document):
        raise NotImplementedError("the file has been written")


class _FrozenStream(PDFObject):
    """A page's content stream, already formatted (its dictionary, then the stream)."""

    __slots__ = ("data", "__InternalName__")
    __RefOnly__ = 1

    def __init__(self, data: bytes):
        self.data = data

    def format(self, document):
        return self.data


class _FrozenPage(PDFObject):
    """A page dictionary formatted when the page was finished, its /Contents and /Parent
    references filled in when the file is made (numbered then, as reportlab numbers them)."""

    __slots__ = ("template", "contents", "__InternalName__")
    __RefOnly__ = 1

    def __init__(self, template: bytes, contents: _FrozenStream):
        self.template, self.contents = template, contents

    def format(self, document):
        # PDFPage.check_format references the page tree first, PDFCatalog.format the stream
        parent = document.Reference(document.Pages).format(document)
        contents = document.Reference(self.contents).format(document)
        return self.template.replace(_PARENT, parent).replace(_CONTENTS, contents)


def _freeze(doc, page, templates: dict) -> None:
    """Replace the finished ``page`` (the document's last) by its bytes; ``templates``: the
    dictionaries of the document's plain pages already formatted, by what they depend on."""
    stream = _encoded_stream(page.stream) if page.compression else _plain_stream(page.stream)
    frozen_stream = _FrozenStream(stream.format(doc))
    name = page.__InternalName__
    key = _template_key(page)
    template = templates.get(key) if key is not None else None
    if template is None:
        # a bytes value is no PDFObject: reportlab neither numbers it nor changes it, it
        # writes it
        page.Contents, page.Parent, page.stream = _CONTENTS, _PARENT, None
        template = page.format(doc)
        if key is not None:
            templates[key] = template
    frozen = _FrozenPage(template, frozen_stream)
    frozen.__InternalName__ = name
    doc.idToObject[name] = frozen
    doc.Pages.pages[-1] = frozen


#: attributes of a finished PDFPage that its dictionary does not show as they are
_NOT_IN_TEMPLATE = frozenset(("stream", "Contents", "Parent", "__InternalName__"))


def _template_key(page) -> tuple | None:
    """What the dictionary of ``page`` depends on when it is a plain page (every attribute a
    number, a string, None or empty: no images, links, colours or transparency), else None.
    Plain pages of one size have the very same dictionary (formatting it was a tenth of a
    single badge's time)."""
    key = []
    for name, value in page.__dict__.items():
        if name in _NOT_IN_TEMPLATE:
            continue
        if value is None or isinstance(value, int | float | str):
            key.append((name, value))
        elif isinstance(value, list | dict) and not value:
            key.append((name, type(value).__name__))
        elif isinstance(value, PDFDictionary) and not value.dict:
            key.append((name, "PDFDictionary"))
        else:
            return None
    return tuple(key)


def _plain_stream(text: str) -> PDFStream:
    """``text`` as the uncompressed page stream reportlab makes (``PDFPage.check_format``)."""
    stream = PDFStream(content=text)
    stream.__Comment__ = "page stream"
    return stream


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
