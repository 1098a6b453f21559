"""Chapter text from an uploaded file: .txt, .html/.htm or .docx, read into a format and text.

What comes out goes through `fanfold.lib.markup.convert()` like typed text; this module only
decodes and unpacks, and refuses with a message an author can act on.
"""

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.template.defaultfilters import filesizeformat

from fanfold.lib.markup import Format

ALLOWED_TYPES = "a text file (.txt), a web page (.html, .htm) or a Word document (.docx)"


class UploadError(Exception):
    """An upload Fanfold cannot use; `message` says why, in words for the author."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Upload:
    text: str
    fmt: str
    filename: str


def read_upload(uploaded_file) -> Upload:
    """The text and format of an uploaded file (a Django UploadedFile or any named file)."""
    name = PurePath(uploaded_file.name or "").name
    reader = _READERS.get(PurePath(name).suffix.lower())
    if reader is None:
        raise UploadError(f"“{name}” is not a file type Fanfold can read: upload {ALLOWED_TYPES}.")
    limit = settings.UPLOAD_MAX_BYTES
    # Read one byte past the limit rather than trusting the size the client announced.
    data = uploaded_file.read(limit + 1)
    if len(data) > limit:
        raise UploadError(f"“{name}” is larger than {filesizeformat(limit)}, the most it may be.")
    if not data.strip():
        raise UploadError(f"“{name}” is empty.")
    text, fmt = reader(data, name)
    if not text.strip():
        raise UploadError(f"“{name}” has no text in it.")
    return Upload(text=text, fmt=fmt, filename=name)


def _read_text(data: bytes, name: str) -> tuple[str, str]:
    return _decode(data, name), Format.PLAIN


_BODY_START = re.compile(r"""<body\b(?:[^>"']|"[^"]*"|'[^']*')*>""", re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
_HEAD = re.compile(r"<head\b.*?</head\s*>", re.IGNORECASE | re.DOTALL)
_DOCUMENT_TAGS = re.compile(r"<!doctype[^>]*>|</?html\b[^>]*>", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def _read_html(data: bytes, name: str) -> tuple[str, str]:
    """The body's contents when the file is a whole document, else the fragment as it is."""
    declared = _META_CHARSET.search(data[:2048])
    markup = _decode(data, name, declared.group(1).decode("ascii") if declared else None)
    body = _BODY_START.search(markup)
    if body:
        end = _BODY_END.search(markup, body.end())
        markup = markup[body.end() : end.start() if end else len(markup)]
    else:
        markup = _DOCUMENT_TAGS.sub("", _HEAD.sub("", markup))
    return markup.strip(), Format.HTML


def _read_docx(data: bytes, name: str) -> tuple[str, str]:
    import mammoth

    damaged = (
        f"“{name}” could not be read as a Word document (.docx); it may be damaged or in "
        "another format. Open it in your word processor and save it as .docx again."
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UploadError(damaged) from None
    # The sizes a zip declares bound what reading it produces (zipfile stops there and
    # fails the CRC check), so checking them first means a zip bomb is never expanded.
    limit = settings.DOCX_MAX_UNZIPPED_BYTES
    if sum(member.file_size for member in members) > limit:
        raise UploadError(
            f"“{name}” unpacks to more than {filesizeformat(limit)}; Fanfold refuses documents "
            "that large. Save the chapter on its own, or without pictures, and try again."
        )
    if "word/document.xml" not in archive.namelist():
        raise UploadError(damaged)
    try:
        # Pictures are not part of chapters yet: an <img> without its data, which the
        # sanitizer removes and reports, instead of megabytes of base64.
        result = mammoth.convert_to_html(
            io.BytesIO(data), convert_image=mammoth.images.img_element(lambda image: {})
        )
    # mammoth raises whatever its zip and XML readers meet in a broken file.
    except Exception:
        raise UploadError(damaged) from None
    return result.value, Format.HTML


def _decode(data: bytes, name: str, declared: str | None = None) -> str:
    """UTF-8 (with or without a BOM), UTF-16 with a BOM, a declared charset, or Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    else:
        # As browsers do, a page that says Latin-1 or ASCII is read as Windows-1252.
        if declared and declared.lower() in {
            "iso-8859-1",
            "latin1",
            "latin-1",
            "us-ascii",
            "ascii",
        }:
            declared = "cp1252"
        candidates = [declared, "utf-8", "cp1252"]
    for encoding in filter(None, candidates):
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if "\x00" in text:
            break  # a binary file with a text file's name
        return text
    raise UploadError(f"“{name}” does not contain readable text: upload {ALLOWED_TYPES}.")


_READERS = {".txt": _read_text, ".html": _read_html, ".htm": _read_html, ".docx": _read_docx}
