"""PDF and Word files written by the tests: a PDF with a text layer (written by hand, the smallest
valid file pypdf reads), one without (an image only), and a .docx from python-docx."""

from __future__ import annotations

import io
from datetime import datetime

from tests.support.news_pages import Story

# Characters per line of the PDF's text: lines wrap as a typeset page's do.
_PDF_LINE = 80


def _wrap(paragraph: str) -> list[str]:
    lines, current = [], ""
    for word in paragraph.split():
        if current and len(current) + 1 + len(word) > _PDF_LINE:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    return [*lines, current] if current else lines


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def _pdf_text_string(text: str) -> str:
    """A string of the document's information: PDFDocEncoding is ASCII for ASCII text; anything
    else is written as UTF-16BE with its byte order mark, as PDF writers do."""
    if text.isascii():
        return _pdf_string(text)
    return "<" + (b"\xfe\xff" + text.encode("utf-16-be")).hex().upper() + ">"


def pdf_bytes(story: Story | None, *, image_only: bool = False) -> bytes:
    """A one-page PDF of a press release: headline, a dateline, and the story's paragraphs wrapped
    into lines (a blank line between paragraphs); `image_only` draws a picture and no text."""
    if image_only or story is None:
        content = b"q 200 0 0 200 72 500 cm BI /W 2 /H 2 /CS /G /BPC 8 ID \x00\xff\xff\x00 EI Q"
    else:
        lines = [story.title, "FOR IMMEDIATE RELEASE", f"{story.published:%d %B %Y}", ""]
        for paragraph in story.paragraphs:
            lines += [*_wrap(paragraph), ""]
        ops = ["BT /F1 10 Tf 60 780 Td 13 TL"]
        ops += [f"{_pdf_string(line)} Tj T*" if line else "T*" for line in lines]
        ops.append("ET")
        content = "\n".join(ops).encode("cp1252")
    info = (
        f"<< /Title {_pdf_text_string(story.title)} /Author (Port Elin Press Office) "
        f"/CreationDate (D:{story.published:%Y%m%d}083000Z) >>"
        if story is not None
        else "<< >>"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Lang (en-GB) >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        info.encode("cp1252"),
    ]
    return pdf_file(objects, trailer=b"/Info 6 0 R")


def docx_bytes(story: Story, *, template_title: str = "Draft template") -> bytes:
    """The story as a Word draft: its headline in the Title style, then its paragraphs; the file's
    title property is a template's leftover, as it often is."""
    import docx

    document = docx.Document()
    props = document.core_properties
    props.title = template_title
    props.author = story.author
    props.language = "en-GB"
    props.created = datetime(story.published.year, story.published.month, story.published.day, 9)
    document.add_heading(story.title, level=0)
    for paragraph in story.paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_of_pages(pages: list[bytes], *, shared: bool = False) -> bytes:
    """A PDF whose pages draw `pages` (content streams, deflated); with `shared`, every page draws
    the first one: a small file whose every page costs the reader the whole stream again."""
    import zlib

    streams = pages[:1] if shared else pages
    count = len(pages)
    first_stream = 4 + count
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (4 + i) for i in range(count)), count),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i in range(count):
        content = first_stream + (0 if shared else i)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content
        )
    for stream in streams:
        packed = zlib.compress(stream, 9)
        objects.append(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed)
            + packed
            + b"\nendstream"
        )
    return pdf_file(objects)


def text_page(lines: list[str]) -> bytes:
    """A page's content stream that writes `lines`."""
    ops = ["BT /F1 10 Tf 60 780 Td 13 TL"]
    ops += [f"{_pdf_string(line)} Tj T*" for line in lines]
    ops.append("ET")
    return "\n".join(ops).encode("cp1252")


def pdf_file(objects: list[bytes], *, trailer: bytes = b"") -> bytes:
    """A PDF file of these numbered objects (1 the catalogue), with its cross-reference table;
    `trailer` adds to the trailer's dictionary (the document's Info)."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    extra = b" " + trailer if trailer else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\n" % (len(objects) + 1, extra)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
