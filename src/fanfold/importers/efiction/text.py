"""Turning eFiction's stored values into Fanfold's: the one place text is decoded and repaired.

Both readers hand over values as stored (bytes for text, see database.py). eFiction
archives mix encodings: utf8 tables, latin1 tables holding UTF-8 bytes, text that was
converted twice (mojibake such as "â€™" for "’") and Windows-1252 quotes. `decode` turns
any of them into the intended text and says whether it had to repair anything, so the
report can count repairs. Nothing else is changed: entities such as `&lt;3` stay as they
are (they are text in HTML, never unescaped blindly) and quotes stay curly.
"""

import codecs
import re
from datetime import UTC, datetime
from decimal import Decimal

import ftfy

from fanfold.lib.markup import html_to_text, sanitize

# Only encoding repairs: no unescaping, no quote straightening, no width or ligature
# folding, no normalization. Fanfold never "fixes" what authors typed.
_REPAIR_ONLY = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_encoding=True,
    restore_byte_a0=True,
    replace_lossy_sequences=True,
    decode_inconsistent_utf8=True,
    fix_c1_controls=True,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_surrogates=True,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)

Value = None | int | Decimal | float | bytes | str


def decode(value: Value) -> tuple[str, bool]:
    """The text a stored value means, and whether its encoding needed repair."""
    if value is None:
        return "", False
    if isinstance(value, (int, float, Decimal)):
        return str(value), False
    if isinstance(value, bytes):
        data = value.removeprefix(b"\xef\xbb\xbf")
        try:
            text, repaired = data.decode("utf-8"), False
        except UnicodeDecodeError:
            # MySQL's "latin1" is Windows-1252; its five undefined bytes pass through.
            text, repaired = data.decode("cp1252", errors="_fanfold_latin1"), True
    else:
        text, repaired = value, False
    fixed = ftfy.fix_text(text, _REPAIR_ONLY) if _may_need_repair(text) else text
    return fixed, repaired or fixed != text


def _may_need_repair(text: str) -> bool:
    """ftfy is slow on long prose, so it runs only where mojibake can be: UTF-8 read as
    Windows-1252 leaves a lead byte (Â…ô) followed by a continuation byte (U+0080–U+00BF
    or the Windows-1252 punctuation those bytes became), and stray C1 controls. Curly
    quotes and accented letters on their own are just text."""
    return not text.isascii() and bool(_MOJIBAKE_HINT.search(text))


_CP1252_PUNCTUATION = (
    "\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014"
    "\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022\u2026\u2030\u2039"
    "\u203a\u20ac\u2122"
)
_MOJIBAKE_HINT = re.compile(f"[\u00c2-\u00f4][\u0080-\u00bf{_CP1252_PUNCTUATION}]|[\u0080-\u009f]")


def _latin1_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    byte = error.object[error.start]
    return chr(byte), error.start + 1


codecs.register_error("_fanfold_latin1", _latin1_fallback)


# A tag that makes eFiction show text as HTML rather than adding line breaks.
_BREAK_TAGS = re.compile(r"<\s*/?\s*(?:br|p)\b", re.IGNORECASE)


def html_from_stored(text: str) -> str:
    """Stored eFiction text as sanitized HTML, shown the way eFiction showed it.

    eFiction passes text through nl2br() only when it holds no <br> or <p>: plain text
    keeps its line breaks, HTML keeps its own layout.
    """
    if not _BREAK_TAGS.search(text):
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>\n")
    return sanitize(text)


def plain_from_stored(text: str) -> str:
    """A stored title or name as the plain text eFiction's page showed.

    eFiction printed titles and names as HTML, so "Tom &amp; Jerry" showed as "Tom &
    Jerry" and "I &lt;3 you" as "I <3 you"; Fanfold keeps such fields as plain text that
    templates escape, so tags are dropped and entities decoded exactly once.
    """
    return " ".join(html_to_text(sanitize(text)).split())


# eFiction appends an author's response to the review: "<br><br><i>Author's Response: …</i>".
_RESPONSE = re.compile(
    r"""(?:\s*<br\s*/?>)*\s*<i>\s*Author(?:'|&\#0?39;|&apos;|’)s\s+Response:?\s*(?P<response>.*?)\s*</i>\s*$""",
    re.IGNORECASE | re.DOTALL,
)


def split_response(review: str) -> tuple[str, str]:
    """(review text, author's response) from a review that may have one appended."""
    match = _RESPONSE.search(review)
    if match is None:
        return review, ""
    return review[: match.start()].rstrip(), match["response"]


def id_list(value: Value) -> list[int]:
    """Ids from a comma-separated column: stray spaces, empty items and junk are ignored,
    order is kept and repeats are dropped."""
    text, _ = decode(value)
    ids: dict[int, None] = {}
    for item in text.split(","):
        item = item.strip()
        if item.isascii() and item.isdigit() and int(item) > 0:
            ids[int(item)] = None
    return list(ids)


_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?")


def when(value: Value) -> datetime | None:
    """A date stored as unix seconds (3.5.6 and later) or DATETIME text (earlier); None
    for zero dates and anything unreadable."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace").strip()
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, (int, float, Decimal)):
        seconds = int(value)
        if seconds <= 0:
            return None
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    match = _DATETIME.match(str(value))
    if match is None:
        return None
    parts = [int(part or 0) for part in match.groups()]
    try:
        return datetime(*parts, tzinfo=UTC)
    except ValueError:  # 0000-00-00, month 13…
        return None


def number(value: Value) -> int:
    """An integer column that may arrive as text, empty or garbage (then 0)."""
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)):
        return int(value)
    text, _ = decode(value)
    text = text.strip()
    # isascii(): str.isdigit() also accepts "²" and other digits int() refuses.
    if text.isascii() and text.removeprefix("-").isdigit():
        return int(text)
    return 0


def flag(value: Value) -> bool:
    """eFiction's yes/no columns: 1/0, '1'/'0', 'Y'/'N', 'yes'/'no'."""
    text, _ = decode(value)
    return text.strip().lower() in {"1", "y", "yes", "true", "on"}
