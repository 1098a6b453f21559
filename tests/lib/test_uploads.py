"""Uploaded chapter files: what Fanfold reads from them, and what it refuses with a reason."""

import io
import struct
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fanfold.lib.markup import Format, convert
from fanfold.lib.uploads import UploadError, read_upload

PROSE = "Part Six: The Long Road\n\n“Stay,” she said. “Just ’til morning…”\n\nHe nodded — fine."

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="word/document.xml" Type="http://schemas.openxmlformats.org'
    '/officeDocument/2006/relationships/officeDocument"/></Relationships>'
)
DOCUMENT = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>'
    '<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr>'
    "<w:r><w:t>Part Six: The Long Road</w:t></w:r></w:p>"
    '<w:p><w:r><w:t xml:space="preserve">“Stay,” she said. </w:t></w:r>'
    "<w:r><w:rPr><w:i/></w:rPr><w:t>Just ’til morning…</w:t></w:r></w:p>"
    "</w:body></w:document>"
)
STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles {W}>'
    '<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style>'
    "</w:styles>"
)


def docx(document: str = DOCUMENT, **extra: bytes | str) -> bytes:
    """A minimal Word document, as a word processor would save it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("word/document.xml", document)
        archive.writestr("word/styles.xml", STYLES)
        for name, data in extra.items():
            archive.writestr(f"word/{name}", data)
    return buffer.getvalue()


def upload(name: str, content: bytes):
    return read_upload(SimpleUploadedFile(name, content))


def refusal(name: str, content: bytes) -> str:
    with pytest.raises(UploadError) as error:
        upload(name, content)
    return error.value.message


# Text files


@pytest.mark.parametrize(
    "content",
    [
        PROSE.encode("utf-8"),
        b"\xef\xbb\xbf" + PROSE.encode("utf-8"),
        PROSE.encode("cp1252"),
        PROSE.encode("utf-16"),
        PROSE.replace("\n", "\r\n").encode("utf-8"),
    ],
    ids=["utf-8", "utf-8 with BOM", "windows-1252", "utf-16 with BOM", "CRLF"],
)
def test_text_files_in_every_common_encoding_read_the_same(content):
    uploaded = upload("chapter.txt", content)
    assert uploaded.fmt == Format.PLAIN
    assert uploaded.filename == "chapter.txt"
    assert convert(uploaded.text, uploaded.fmt).text == PROSE


def test_windows_1252_bytes_become_the_characters_the_author_typed():
    assert upload("c.TXT", b"\x93Hi,\x94 \x85 \x97 caf\xe9").text == "“Hi,” … — café"


def test_text_that_looks_like_markup_stays_text():
    uploaded = upload("c.txt", b"I <3 <script>you</script>")
    converted = convert(uploaded.text, uploaded.fmt)
    assert converted.text == "I <3 <script>you</script>"
    assert converted.removed == []


# Web pages


def test_html_fragment_is_read_as_html():
    uploaded = upload("chapter.htm", "<p><em>Thought</em> — ’til…</p>".encode())
    assert (uploaded.text, uploaded.fmt) == ("<p><em>Thought</em> — ’til…</p>", Format.HTML)


def test_html_document_gives_its_body_only():
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Not text</title>'
        "<style>p{color:red}</style></head>"
        '<body class="x" data-note="a > b"><h1>Part Six</h1><p>“Stay.”</p></body></html>'
    )
    uploaded = upload("chapter.html", page.encode())
    assert uploaded.text == "<h1>Part Six</h1><p>“Stay.”</p>"
    assert convert(uploaded.text, uploaded.fmt).removed == []


def test_html_document_without_a_body_tag_loses_its_head():
    page = "<html><head><title>Not text</title></head><p>Text</p></html>"
    assert upload("c.html", page.encode()).text == "<p>Text</p>"


def test_html_declared_charset_is_honoured():
    page = '<html><head><meta charset="windows-1252"></head><body>\x93Hi\x94</body>'
    assert upload("c.html", page.encode("latin-1")).text == "“Hi”"


def test_hostile_html_upload_is_cleaned_and_reported():
    uploaded = upload("c.html", b"<p onclick='x()'>Hi</p><script>alert(1)</script>")
    converted = convert(uploaded.text, uploaded.fmt)
    assert converted.html == "<p>Hi</p>"
    assert converted.removed == ["an onclick attribute", "a <script> element"]


# Word documents


def test_docx_heading_italics_and_curly_quotes_survive():
    uploaded = upload("Chapter 6.docx", docx())
    assert uploaded.fmt == Format.HTML
    assert uploaded.filename == "Chapter 6.docx"
    converted = convert(uploaded.text, uploaded.fmt)
    assert converted.html == (
        "<h1>Part Six: The Long Road</h1><p>“Stay,” she said. <em>Just ’til morning…</em></p>"
    )
    assert converted.text == "Part Six: The Long Road\n\n“Stay,” she said. Just ’til morning…"
    assert converted.removed == []


@pytest.mark.parametrize(
    "content",
    [
        b"plain bytes, not a zip archive at all",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),  # an old .doc renamed
        docx()[:-40],  # cut short
    ],
    ids=["not a zip", "old .doc", "truncated"],
)
def test_damaged_docx_is_refused(content):
    message = refusal("chapter.docx", content)
    assert "could not be read as a Word document (.docx)" in message
    assert "“chapter.docx”" in message


def test_docx_with_broken_xml_is_refused():
    message = refusal("c.docx", docx(document=f"<w:document {W}><w:body><w:p>"))
    assert "could not be read as a Word document" in message


def test_zip_without_a_document_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "could not be read as a Word document" in refusal("c.docx", buffer.getvalue())


def test_docx_that_unzips_past_the_limit_is_refused_without_expanding_it(settings):
    bomb = docx(**{"media/padding.bin": bytes(settings.DOCX_MAX_UNZIPPED_BYTES)})
    assert len(bomb) < 200_000
    tracemalloc.start()
    try:
        message = refusal("bomb.docx", bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "unpacks to more than 50.0\xa0MB" in message
    assert peak < 5_000_000, "the archive was expanded"


def test_docx_that_lies_about_its_size_is_refused_without_expanding_it():
    """A member bigger than its declared size is read only up to that size, then fails."""
    padded = DOCUMENT.replace("</w:body>", " " * 60_000_000 + "</w:body>")
    content = bytearray(docx(document=padded))
    del padded
    name = b"word/document.xml"
    local_header = content.index(name) - 30
    central_entry = content.rindex(name) - 46
    assert content[local_header : local_header + 4] == b"PK\x03\x04"
    assert content[central_entry : central_entry + 4] == b"PK\x01\x02"
    struct.pack_into("<I", content, local_header + 22, 1000)
    struct.pack_into("<I", content, central_entry + 24, 1000)
    tracemalloc.start()
    try:
        message = refusal("c.docx", bytes(content))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "could not be read as a Word document" in message
    assert peak < 5_000_000, "the archive was expanded"


# What every upload is checked for


def test_too_large_a_file_is_refused(settings):
    settings.UPLOAD_MAX_BYTES = 1000
    message = refusal("long.txt", b"a" * 1001)
    assert message == "“long.txt” is larger than 1000\xa0bytes, the most it may be."
    assert upload("long.txt", b"a" * 1000).text == "a" * 1000


def test_the_real_limit_is_ten_megabytes(settings):
    assert "larger than 10.0\xa0MB" in refusal("c.txt", b"a" * (settings.UPLOAD_MAX_BYTES + 1))


@pytest.mark.parametrize("name", ["chapter.pdf", "chapter.doc", "chapter.odt", "chapter", ".txt"])
def test_other_file_types_are_refused_naming_the_allowed_ones(name):
    message = refusal(name, b"some text")
    assert message.startswith(f"“{name}” is not a file type Fanfold can read")
    assert ".txt" in message and ".html" in message and ".docx" in message


@pytest.mark.parametrize(
    ("name", "content"), [("c.txt", b""), ("c.txt", b" \n\r\n"), ("c.docx", b"")]
)
def test_empty_files_are_refused(name, content):
    assert refusal(name, content) == f"“{name}” is empty."


def test_document_without_text_is_refused():
    empty = docx(document=f"<w:document {W}><w:body><w:p/></w:body></w:document>")
    assert refusal("c.docx", empty) == "“c.docx” has no text in it."


def test_binary_file_named_txt_is_refused():
    message = refusal("picture.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    assert "does not contain readable text" in message
