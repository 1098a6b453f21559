"""Reading an eFiction SQL dump without a MySQL server, one row at a time.

`read_dump(path_or_file, prefix="fanfiction_", schema=None)` streams a mysqldump,
phpMyAdmin or eFiction-backup file, plain or gzip (told apart by its magic bytes), and
yields a `Row` for every row of every `INSERT`, `INSERT IGNORE` and `REPLACE`, in file
order. Memory stays bounded: the file is read in 1 MB chunks and only the statement
being read is kept, plus whole values however long (a chapter text of many MB is fine).

Values come back the way `database.py` gives them, so the importer sees one set of types
from either source: NULL → None; integers → int; decimals → Decimal; exponents → float;
quoted strings, hex (`0x…`, `X'…'`) and introduced strings (`_binary'…'`) → **bytes**
exactly as in the file after unescaping (the importer repairs encodings itself); bit
literals (`b'0101'`) → int.

A row's columns come from the statement's column list, else from a `CREATE TABLE` read
earlier in the file, else from the optional `schema` text (CREATE TABLE statements, for
`--schema FILE`), else from the known eFiction 3.x layouts in `layouts.py` matched by the
number of values. A known eFiction table whose value count fits no layout is a
`DumpError`; a table eFiction does not have gets `columns=None`.

Anything malformed (an unterminated string, garbage between values, a statement that
is not SQL) raises `DumpError` with the line, the byte offset and an excerpt.
"""

import codecs
import gzip
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO, Literal

from fanfold.importers.efiction.errors import ImportSourceError
from fanfold.importers.efiction.layouts import LAYOUTS

DEFAULT_PREFIX = "fanfiction_"
CHUNK = 1 << 20
# Bytes kept ahead of the parser so short tokens never straddle the end of the buffer.
LOOKAHEAD = 64 * 1024
# A statement other than INSERT (CREATE TABLE, SET, LOCK…) longer than this is not SQL.
MAX_OTHER_STATEMENT = 16 << 20

Value = None | int | Decimal | float | bytes
Kind = Literal["insert", "insert_ignore", "replace"]


class DumpError(ImportSourceError):
    """The dump cannot be read; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Row:
    """One row of an INSERT: `table` without the prefix, `full_table` as in the file."""

    table: str
    full_table: str
    columns: tuple[str, ...] | None
    kind: Kind
    values: tuple[Value, ...]

    def as_dict(self) -> dict[str, Value]:
        """Column name → value, like a row read from the live database."""
        if self.columns is None:
            raise DumpError(f"No column names known for table {self.full_table}")
        return dict(zip(self.columns, self.values, strict=True))


def read_dump(
    source: str | os.PathLike[str] | BinaryIO,
    prefix: str = DEFAULT_PREFIX,
    schema: str | None = None,
) -> Iterator[Row]:
    """Every row of the dump, in file order. A file object is read, not closed."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as raw:
            yield from _Reader(_maybe_gunzip(raw), prefix, schema).rows()
    else:
        yield from _Reader(_maybe_gunzip(source), prefix, schema).rows()


def parse_create_tables(sql: str | bytes) -> dict[str, tuple[str, ...]]:
    """Table name (as written) → its column names in order, from CREATE TABLE statements."""
    text = sql.encode() if isinstance(sql, str) else sql
    tables = {}
    for match in _CREATE.finditer(text):
        start = match.end()
        end = _closing_paren(text, start - 1)
        tables[_ident(match["table"])] = _create_columns(text[start:end])
    return tables


def _maybe_gunzip(raw: BinaryIO) -> BinaryIO:
    buffered = raw if hasattr(raw, "peek") else io.BufferedReader(raw)  # type: ignore[arg-type]
    if buffered.peek(2)[:2] == b"\x1f\x8b":  # type: ignore[attr-defined]
        return gzip.GzipFile(fileobj=buffered)  # type: ignore[return-value]
    return buffered


# --- Tokens -----------------------------------------------------------------------------

_IDENT = rb"(?:`(?:[^`]|``)+`|[A-Za-z0-9_$]+)"
_SQ_BODY = rb"[^'\\]*+(?:(?:\\.|'')[^'\\]*+)*+"
_DQ_BODY = rb'[^"\\]*+(?:(?:\\.|"")[^"\\]*+)*+'
_INTRODUCER = rb"(?:_[A-Za-z0-9]+\s*)?"

# Skipped between statements: whitespace, comments (including /*!…*/ and /*M!…*/), and
# the empty statements that follow executable comments.
_BETWEEN = re.compile(rb"(?:\s++|--[^\n]*|#[^\n]*|/\*.*?\*/|;)*", re.S)
_INSERT = re.compile(
    rb"(?P<verb>INSERT|REPLACE)\s+(?:(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY)\s+)?"
    rb"(?P<ignore>IGNORE\s+)?(?:INTO\s+)?"
    rb"(?:" + _IDENT + rb"\s*\.\s*)?(?P<table>" + _IDENT + rb")\s*"
    rb"(?:\((?P<columns>\s*" + _IDENT + rb"(?:\s*,\s*" + _IDENT + rb")*\s*)\)\s*)?"
    rb"VALUES?\s*\(",
    re.I,
)
_KEYWORD = re.compile(rb"[A-Za-z]+")
_VERB = re.compile(rb"(?:INSERT|REPLACE)\b", re.I)
# The rest of a statement other than INSERT, up to and including its semicolon.
_OTHER = re.compile(
    rb"(?:[^;'\"`/#-]++|'" + _SQ_BODY + rb"'|\"" + _DQ_BODY + rb"\"|`[^`]*`"
    rb"|/\*.*?\*/|--[^\n]*\n|#[^\n]*\n|[/#-])*+;",
    re.S,
)
# One value and the separator after it (`,` or `)`): with the separator matched too, a
# match can never be a token cut short by the end of the buffer.
_VALUE = re.compile(
    rb"\s*(?:"
    + _INTRODUCER
    + rb"(?:'(?P<s>"
    + _SQ_BODY
    + rb")'|\"(?P<d>"
    + _DQ_BODY
    + rb")\"|0x(?P<hex>[0-9A-Fa-f]*)|[Xx]'(?P<xhex>[0-9A-Fa-f]*)')"
    rb"|(?P<int>[-+]?[0-9]+)(?![0-9.eE])"
    rb"|(?P<num>[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)"
    rb"|(?P<null>(?i:NULL))"
    rb"|[Bb]'(?P<bit>[01]*)'"
    rb"|(?P<bool>(?i:TRUE|FALSE))"
    rb")\s*[,)]"
)
# A value that may continue past the end of the buffer: when this reaches the end, read
# more and try again.
_OPEN = re.compile(
    rb"\s*(?:"
    + _INTRODUCER
    + rb"(?:'"
    + _SQ_BODY
    + rb"'?|\""
    + _DQ_BODY
    + rb"\"?|0x[0-9A-Fa-f]*|[XxBb]'[0-9A-Fa-f]*'?)|[-+.0-9A-Za-z_]+)?\s*"
)
_STRING_START = re.compile(_INTRODUCER + rb"[XxBb]?['\"]")
_SPACE = re.compile(rb"\s*")
_EMPTY_ROW = re.compile(rb"\s*\)")
# After a row's closing parenthesis: another row, or the end of the statement.
_AFTER_ROW = re.compile(rb"\s*(?:(?P<more>,\s*\()|;|\Z)")
# A backslash before anything but ' " \\ n r t b, or \0 before an octal digit.
_UNCOMMON_ESCAPE = re.compile(rb"\\(?:[^'\"\\nrtb0]|0[0-7])", re.S)
_ESCAPE_SQ = re.compile(rb"\\(.)|''", re.S)
_ESCAPE_DQ = re.compile(rb'\\(.)|""', re.S)
_ESCAPES = {
    b"0": b"\0",
    b"b": b"\b",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"Z": b"\x1a",
    b"%": b"\\%",  # MySQL keeps the backslash of \% and \_ (they are LIKE wildcards).
    b"_": b"\\_",
}
_CREATE = re.compile(
    rb"CREATE\s+(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    rb"(?:" + _IDENT + rb"\s*\.\s*)?(?P<table>" + _IDENT + rb")\s*\(",
    re.I,
)
_DEFINITION_PART = re.compile(
    rb"'" + _SQ_BODY + rb"'|\"" + _DQ_BODY + rb"\"|`(?:[^`]|``)*`|[(),]|[^'\"`(),]+"
)
_NOT_COLUMNS = {
    b"KEY",
    b"INDEX",
    b"PRIMARY",
    b"UNIQUE",
    b"CONSTRAINT",
    b"FULLTEXT",
    b"SPATIAL",
    b"FOREIGN",
    b"CHECK",
    b"PERIOD",
}


def _unescape(match: re.Match[bytes]) -> bytes:
    char = match[1]
    if char is None:
        return match[0][:1]
    return _ESCAPES.get(char, char)


def _string(body: bytes, quote: bytes) -> bytes:
    doubled = quote * 2
    if b"\\" not in body:
        return body.replace(doubled, quote) if doubled in body else body
    if doubled not in body and not _UNCOMMON_ESCAPE.search(body):
        # Only escapes Python's bytes-literal decoder reads as MySQL does: decoded in C,
        # many times faster than a callback per escape on texts full of \n and \'.
        return codecs.escape_decode(body)[0]  # type: ignore[attr-defined]
    return (_ESCAPE_SQ if quote == b"'" else _ESCAPE_DQ).sub(_unescape, body)


def _ident(raw: bytes) -> str:
    if raw.startswith(b"`"):
        raw = raw[1:-1].replace(b"``", b"`")
    return raw.decode("utf-8", "replace")


def _closing_paren(text: bytes, open_at: int) -> int:
    depth = 0
    for part in _DEFINITION_PART.finditer(text, open_at):
        if part[0] == b"(":
            depth += 1
        elif part[0] == b")":
            depth -= 1
            if depth == 0:
                return part.start()
    raise DumpError("CREATE TABLE without its closing parenthesis")


def _create_columns(body: bytes) -> tuple[str, ...]:
    """Column names from the definitions between CREATE TABLE's parentheses."""
    columns = []
    depth = 0
    first: bytes | None = None
    for part in _DEFINITION_PART.finditer(body + b","):
        token = part[0]
        if token == b"(":
            depth += 1
        elif token == b")":
            depth -= 1
        elif token == b"," and depth == 0:
            if first and first.upper() not in _NOT_COLUMNS:
                columns.append(_ident(first))
            first = None
        elif first is None and depth == 0 and token.strip():
            stripped = token.strip()
            first = stripped if stripped.startswith(b"`") else stripped.split()[0]
    return tuple(columns)


# --- The reader -------------------------------------------------------------------------


class _Reader:
    def __init__(self, stream: BinaryIO, prefix: str, schema: str | None):
        self.stream = stream
        self.prefix = prefix
        self.buf = b""
        self.eof = False
        self.offset = 0  # file offset of buf[0]
        self.line = 1  # line number of buf[0]
        self.created: dict[str, tuple[str, ...]] = {}
        self.schema = parse_create_tables(schema) if schema else {}
        self.layouts: dict[tuple[str, int], tuple[str, ...] | None] = {}

    # Buffer ---------------------------------------------------------------------------

    def _more(self, pos: int, want: int) -> int:
        """Drop what is consumed and read at least `want` more bytes; returns the new pos."""
        if pos:
            self.line += self.buf.count(b"\n", 0, pos)
            self.offset += pos
            self.buf = self.buf[pos:]
        parts = [self.buf]
        got = 0
        while got < want:
            data = self.stream.read(max(CHUNK, want - got))
            if not data:
                self.eof = True
                break
            parts.append(data)
            got += len(data)
        self.buf = b"".join(parts)
        return 0

    def _ahead(self, pos: int) -> int:
        if not self.eof and len(self.buf) - pos < LOOKAHEAD:
            return self._more(pos, LOOKAHEAD)
        return pos

    def _grow(self, pos: int) -> int:
        """More text for a token longer than the buffer; doubling keeps this linear."""
        return self._more(pos, max(CHUNK, len(self.buf) - pos))

    def _error(self, pos: int, why: str) -> DumpError:
        line = self.line + self.buf.count(b"\n", 0, pos)
        excerpt = self.buf[pos : pos + 60].decode("utf-8", "replace")
        return DumpError(f"{why} at line {line} (byte {self.offset + pos}): {excerpt!r}")

    # Statements ----------------------------------------------------------------------

    def rows(self) -> Iterator[Row]:
        pos = self._ahead(0)
        if self.buf.startswith(b"\xef\xbb\xbf"):  # a byte order mark left by an editor
            pos = 3
        while True:
            pos = self._ahead(pos)
            match = _BETWEEN.match(self.buf, pos)
            at = match.end()
            cut = at >= len(self.buf) - 1 or self.buf.startswith(b"/*", at)
            if cut and not self.eof:
                if len(self.buf) - pos > MAX_OTHER_STATEMENT:
                    raise self._error(at, "Unterminated comment")
                pos = self._grow(pos)
                continue
            pos = at
            if pos == len(self.buf):
                return
            if self.buf.startswith(b"/*", pos):
                raise self._error(pos, "Unterminated comment")
            while len(self.buf) - pos < 16 and not self.eof:  # enough to see the verb
                pos = self._grow(pos)
            insert = _INSERT.match(self.buf, pos)
            while not insert and _VERB.match(self.buf, pos) and not self.eof:
                if len(self.buf) - pos > MAX_OTHER_STATEMENT:
                    break
                pos = self._grow(pos)
                insert = _INSERT.match(self.buf, pos)
            if insert:
                pos = yield from self._insert(insert)
            else:
                pos = self._other(pos)

    def _other(self, pos: int) -> int:
        keyword = _KEYWORD.match(self.buf, pos)
        if not keyword:
            raise self._error(pos, "Not an SQL statement")
        if keyword[0].upper() == b"DELIMITER":
            raise self._error(pos, "DELIMITER is not supported (stored routines are not data)")
        match = _OTHER.match(self.buf, pos)
        while not match and not self.eof:
            if len(self.buf) - pos > MAX_OTHER_STATEMENT:
                raise self._error(pos, "Statement without an end")
            pos = self._grow(pos)
            match = _OTHER.match(self.buf, pos)
        if not match:
            if _KEYWORD.fullmatch(self.buf[pos:].strip()):  # A last statement without ';'.
                return len(self.buf)
            raise self._error(pos, "Statement without an end")
        statement = match[0]
        if _VERB.match(statement):
            raise self._error(pos, "INSERT of a form this reader does not know")
        if _CREATE.match(statement):
            for table, columns in parse_create_tables(statement).items():
                self.created[table] = columns
        return match.end()

    def _insert(self, header: re.Match[bytes]) -> Iterator[Row]:
        full_table = _ident(header["table"])
        table = full_table.removeprefix(self.prefix)
        kind: Kind = "replace" if header["verb"].upper() == b"REPLACE" else "insert"
        if kind == "insert" and header["ignore"]:
            kind = "insert_ignore"
        columns: tuple[str, ...] | None = None
        if header["columns"] is not None:
            columns = tuple(_ident(c.strip()) for c in header["columns"].split(b","))
        else:
            columns = self.created.get(full_table) or self.schema.get(full_table)
            columns = columns or self.schema.get(table)
        positional = header["columns"] is None and columns is None
        pos = header.end()
        while True:
            values, pos = self._row(pos)
            if positional:
                columns = self._layout(full_table, table, len(values), pos)
            if columns is not None and len(columns) != len(values):
                raise self._error(
                    pos,
                    f"{full_table}: a row of {len(values)} values for {len(columns)} columns",
                )
            yield Row(table, full_table, columns, kind, values)
            pos = self._ahead(pos)
            after = _AFTER_ROW.match(self.buf, pos)
            while (not after or after.end() >= len(self.buf)) and not self.eof:
                pos = self._grow(pos)
                after = _AFTER_ROW.match(self.buf, pos)
            if not after:
                raise self._error(pos, "Expected ',' or ';' after a row")
            pos = after.end()
            if not after["more"]:
                return pos

    def _row(self, pos: int) -> tuple[tuple[Value, ...], int]:
        """The values of one row; pos is just after its opening parenthesis."""
        values: list[Value] = []
        buf = self.buf
        while True:
            if len(buf) - pos < LOOKAHEAD and not self.eof:
                pos = self._more(pos, LOOKAHEAD)
                buf = self.buf
            match = _VALUE.match(buf, pos)
            if match is None:
                if not values and _EMPTY_ROW.match(buf, pos):
                    raise self._error(pos, "A row without values")
                opened = _OPEN.match(buf, pos)
                if opened and opened.end() >= len(buf) - 1 and not self.eof:
                    pos = self._grow(pos)
                    buf = self.buf
                    continue
                at = _SPACE.match(buf, pos).end()  # type: ignore[union-attr]
                if opened and opened.end() >= len(buf) - 1:
                    what = "string" if _STRING_START.match(buf, at) else "row"
                    raise self._error(at, f"Unterminated {what} at the end of the file")
                raise self._error(at, "Not a value")
            kind = match.lastgroup
            if kind == "s":
                values.append(_string(match[kind], b"'"))
            elif kind == "d":
                values.append(_string(match[kind], b'"'))
            elif kind == "int":
                values.append(int(match[kind]))
            elif kind == "null":
                values.append(None)
            elif kind == "num":
                text = match[kind]
                values.append(
                    float(text) if b"e" in text or b"E" in text else Decimal(text.decode())
                )
            elif kind == "hex" or kind == "xhex":
                digits = match[kind]
                values.append(bytes.fromhex(("0" if len(digits) % 2 else "") + digits.decode()))
            elif kind == "bit":
                values.append(int(match[kind] or b"0", 2))
            else:
                values.append(1 if match[kind].upper() == b"TRUE" else 0)
            pos = match.end()
            if buf[pos - 1] == 0x29:  # ")"
                return tuple(values), pos

    def _layout(self, full_table: str, table: str, count: int, pos: int) -> tuple[str, ...] | None:
        """Columns of a known eFiction layout with `count` columns; pos is the row's end."""
        key = (table, count)
        if key not in self.layouts:
            known = LAYOUTS.get(table) if full_table.startswith(self.prefix) else None
            if known is None:
                self.layouts[key] = None
            else:
                fits = [columns for columns in known if len(columns) == count]
                if not fits:
                    counts = ", ".join(str(n) for n in sorted({len(c) for c in known}))
                    raise self._error(
                        pos,
                        f"Table {full_table}: rows of {count} values match no known eFiction "
                        f"layout (known: {counts} columns); give its CREATE TABLE with "
                        "--schema FILE. The row ends",
                    )
                self.layouts[key] = tuple(fits[0])
        return self.layouts[key]
