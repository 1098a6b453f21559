"""A dump file as an import source: staged once into SQLite, then read like a database.

A dump lists its tables alphabetically (chapters before stories) while the mapping reads
them in dependency order, each sorted by some columns. So `open_dump` first streams the
dump into `<work_dir>/<dump name>-<size>-<mtime_ns>-<prefix>.sqlite3`, one SQLite table
per eFiction table, and `StagedSource` serves that file through the same interface as
`DatabaseSource`. The file is a cache: it is written under a temporary name and renamed
when complete, so the next run on the same dump (after a crash or kill -9, say) reuses it
without parsing the dump again, and a half-written one is never used.

Values come back with the types the database reader gives. SQLite columns are declared
without a type, so it keeps each value as given: ints as INTEGER, bytes as BLOB, floats
as REAL. Decimals, and the rare integer beyond SQLite's 64 bits, are stored as their text
(the only TEXT values in the file) and come back as Decimal.

Repeated keys: in the eFiction tables with a one-column primary key (`KEYS`), a REPLACE
row replaces the earlier row with the same key and an INSERT IGNORE row leaves it. MySQL
would refuse a plain INSERT repeating a key and stop the whole restore; here the later
row wins, as with REPLACE, and the staging says how many rows did so. Tables without such
a key (coauthors, favorites, authorinfo, inseries, stats) take every row.
"""

import hashlib
import io
import os
import re
import sqlite3
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from fanfold.importers.efiction import dump
from fanfold.importers.efiction.dump import DumpError, Row, Value
from fanfold.importers.efiction.errors import ImportSourceError
from fanfold.importers.efiction.steps import BaseSource
from fanfold.lib.progress import ProgressBar, progress_bar

# Bump when the layout of stage files changes: older files are then staged again.
FORMAT = 1
# Rows go to SQLite in executemany batches of this many rows or bytes of values (chapter
# texts can be large), with a commit every COMMIT_ROWS rows.
BATCH_ROWS = 1000
BATCH_BYTES = 8 << 20
COMMIT_ROWS = 20_000

# The one-column primary keys of eFiction 3.5.8's tables (schema-installed.sql) and of
# the challenges module.
KEYS = {
    "authorfields": "field_id",
    "authorprefs": "uid",
    "authors": "uid",
    "blocks": "block_id",
    "categories": "catid",
    "challenges": "chalid",
    "chapters": "chapid",
    "characters": "charid",
    "classes": "class_id",
    "classtypes": "classtype_id",
    "codeblocks": "code_id",
    "comments": "cid",
    "log": "log_id",
    "messages": "message_id",
    "modules": "id",
    "news": "nid",
    "pagelinks": "link_id",
    "panels": "panel_id",
    "ratings": "rid",
    "reviews": "reviewid",
    "series": "seriesid",
    "settings": "sitekey",
    "stories": "sid",
}

# Where a stage file says it is complete; written last, checked on opening.
_INFO_TABLE = "fanfold_staging"
_SQLITE_INTEGERS = range(-(2**63), 2**63)
# A BLOB holding a whole number as text, the way eFiction's own backup quotes every value.
_INTEGER_TEXT = (
    "(CAST({c} AS TEXT) GLOB '[0-9]*' OR CAST({c} AS TEXT) GLOB '-[0-9]*')"
    " AND substr(CAST({c} AS TEXT), 2) NOT GLOB '*[^0-9]*'"
)


def stage_path(path: Path, *, prefix: str, schema: str | None, work_dir: Path) -> Path:
    """Where the staged copy of this version of the dump lives."""
    stat = path.stat()
    prefix_part = re.sub(r"[^A-Za-z0-9_]", "_", prefix)
    # A different --schema can give the columns of a dump without column names differently.
    schema_part = f"-{hashlib.sha256(schema.encode()).hexdigest()[:12]}" if schema else ""
    name = f"{path.name}-{stat.st_size}-{stat.st_mtime_ns}-{prefix_part}{schema_part}.sqlite3"
    return work_dir / name


def open_dump(
    path: Path, *, prefix: str, schema: str | None, work_dir: Path, err
) -> "StagedSource":
    """The dump's eFiction tables, staged first unless a complete staged copy exists."""
    target = stage_path(path, prefix=prefix, schema=schema, work_dir=work_dir)
    if target.exists():
        try:
            source = StagedSource(target, prefix, path)
        except _Incomplete:
            err.write(f"{target} is unfinished or of an older format: staging {path} again.")
        else:
            err.write(f"Reading {path} from its staged copy {target}.")
            return source
    err.write(f"Staging {path} into {target} (kept for later runs on the same dump).")
    _stage(path, target, prefix, schema, err)
    return StagedSource(target, prefix, path)


class _Incomplete(ImportSourceError):
    """The stage file was not finished (or is from another version of this code)."""


class StagedSource(BaseSource):
    """The eFiction tables of one staged dump; names without the prefix."""

    def __init__(self, path: Path, prefix: str, dump_path: Path):
        self.prefix = prefix
        self.dump_path = dump_path
        self._columns: dict[str, list[str]] = {}
        self._connection = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            (stored_format,) = self._connection.execute(
                f"SELECT format FROM {_INFO_TABLE}"
            ).fetchone()
        except (sqlite3.DatabaseError, TypeError):
            stored_format = None
        if stored_format != FORMAT:
            self.close()
            raise _Incomplete(f"{path} is not a complete staged copy of {dump_path}")
        names = self._connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != ?", [_INFO_TABLE]
        )
        self._tables = sorted(name for (name,) in names)

    def close(self) -> None:
        self._connection.close()

    def tables(self) -> list[str]:
        return list(self._tables)

    def columns(self, table: str) -> list[str]:
        """Column names in the order the dump first named them."""
        if table not in self._columns:
            info = self._connection.execute(f"PRAGMA table_info({self._quoted(table)})")
            self._columns[table] = [row[1] for row in info]
        return self._columns[table]

    def count(self, table: str) -> int:
        (count,) = self._connection.execute(
            f"SELECT COUNT(*) FROM {self._quoted(table)}"
        ).fetchone()
        return count

    def rows(
        self, table: str, order_by: str | Sequence[str] | None = None
    ) -> Iterator[dict[str, Value]]:
        """Each row as {column: value}, streamed; without order_by, in the dump's order."""
        sql = f"SELECT * FROM {self._quoted(table)}"
        if order_by:
            keys = self.order_keys(table, order_by)
            sql += " ORDER BY " + ", ".join(self._order_term(table, key) for key in keys)
        else:
            sql += " ORDER BY rowid"
        return self._stream(sql)

    def _stream(self, sql: str) -> Iterator[dict[str, Value]]:
        cursor = self._connection.execute(sql)
        try:
            names = [field[0] for field in cursor.description]
            for values in cursor:
                yield {
                    name: Decimal(value) if type(value) is str else value
                    for name, value in zip(names, values, strict=True)
                }
        finally:
            cursor.close()

    def _order_term(self, table: str, column: str) -> str:
        """The column, or its numeric value when it holds whole numbers quoted as text.

        eFiction's own backup quotes every value, so its ids and chapter numbers arrive as
        bytes, and b"10" sorts before b"9"; MySQL sorted them as the integers they were.
        """
        quoted = _quote(column)
        has_bytes, all_integers = self._connection.execute(
            f"SELECT max(typeof({quoted}) = 'blob'),"
            f" min({quoted} IS NULL OR typeof({quoted}) = 'integer'"
            f" OR (typeof({quoted}) = 'blob' AND {_INTEGER_TEXT.format(c=quoted)}))"
            f" FROM {self._quoted(table)}"
        ).fetchone()
        return f"CAST({quoted} AS INTEGER)" if has_bytes and all_integers else quoted

    def _quoted(self, table: str) -> str:
        if table not in self._tables:
            raise ImportSourceError(f"No table {self.prefix}{table} in {self.dump_path}")
        return _quote(table)


# --- Staging ------------------------------------------------------------------------------


def _stage(path: Path, target: Path, prefix: str, schema: str | None, err) -> None:
    """Write the stage file under a temporary name; rename it only when complete."""
    partial = target.with_name(target.name + ".partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)  # unfinished or of an older format
        partial.unlink(missing_ok=True)  # left by a run that was killed
    except OSError as exc:
        raise ImportSourceError(f"Cannot write the staged copy of {path}: {exc}") from None
    try:
        _write(partial, path, prefix, schema, err)
        _fsync(partial)  # after a crash, the renamed file is never a half-written one
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _write(partial: Path, path: Path, prefix: str, schema: str | None, err) -> None:
    try:
        connection = sqlite3.connect(partial, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode = OFF")  # a cache: speed over safety
            connection.execute("PRAGMA synchronous = OFF")
            writer = _Writer(connection, prefix)
            _read(path, prefix, schema, writer, err)
            writer.finish(err)
        finally:
            connection.close()
    except DumpError as exc:
        raise ImportSourceError(f"{path}: {exc}") from None
    except (OSError, EOFError, zlib.error) as exc:  # unreadable, or a damaged .gz
        raise ImportSourceError(f"Cannot read {path}: {exc}") from None
    except sqlite3.Error as exc:
        raise ImportSourceError(f"Staging {path} into {partial} failed: {exc}") from None


def _read(path: Path, prefix: str, schema: str | None, writer: "_Writer", err) -> None:
    """Every row of the dump into the writer, with a progress bar of the bytes read."""
    size = path.stat().st_size
    with (
        open(path, "rb", buffering=0) as raw,
        progress_bar(err, total=size, desc="reading dump", unit="B", unit_scale=True) as bar,
    ):
        counted = io.BufferedReader(_CountingFile(raw, bar), dump.CHUNK)
        # The reader itself rather than read_dump: its CREATE TABLEs give the tables' own
        # columns, and the tables that have no rows.
        reader = dump._Reader(dump._maybe_gunzip(counted), prefix, schema)
        for row in reader.rows():
            if row.full_table.startswith(prefix):
                own_columns = reader.created.get(row.full_table) or reader.schema.get(
                    row.full_table, reader.schema.get(row.table)
                )
                writer.add(row, own_columns)
            else:
                writer.other_tables.add(row.full_table)
        for full_table, columns in reader.created.items():
            if full_table.startswith(prefix):
                writer.create(full_table.removeprefix(prefix), columns)
            else:
                writer.other_tables.add(full_table)
    if not writer.columns:
        raise ImportSourceError(_missing_prefix_message(path, prefix, writer.other_tables))


class _CountingFile(io.RawIOBase):
    """A file that moves a progress bar by the bytes read from it."""

    def __init__(self, raw: BinaryIO, bar: ProgressBar):
        self.raw = raw
        self.bar = bar

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self.bar.update(count)
        return count


class _Writer:
    """Rows into SQLite tables, batched while the table, column list and verb stay the same."""

    def __init__(self, connection: sqlite3.Connection, prefix: str):
        self.db = connection
        self.prefix = prefix
        self.columns: dict[str, list[str]] = {}  # staged table → its columns, in order
        self.rows_given: Counter[str] = Counter()
        self.other_tables: set[str] = set()  # tables without the prefix, for messages
        self._batch: list[tuple] = []
        self._batch_bytes = 0
        self._sql = ""
        self._current: tuple[str, tuple[str, ...] | None, str] | None = None
        self._uncommitted = 0
        self.db.execute("BEGIN")

    def add(self, row: Row, table_columns: tuple[str, ...] | None) -> None:
        """One row; `table_columns` are the table's own, when a CREATE TABLE gave them."""
        current = (row.table, row.columns, row.kind)
        if current != self._current:
            self._flush()
            columns = row.columns or tuple(f"column{n}" for n in range(1, len(row.values) + 1))
            self.create(row.table, (*(table_columns or ()), *columns))
            verb = "INSERT OR IGNORE" if row.kind == "insert_ignore" else "INSERT OR REPLACE"
            self._sql = (
                f"{verb} INTO {_quote(row.table)} ({', '.join(map(_quote, columns))})"
                f" VALUES ({', '.join('?' * len(columns))})"
            )
            self._current = current
        values = []
        for value in row.values:
            if type(value) is bytes:
                self._batch_bytes += len(value)
            elif type(value) is Decimal or (type(value) is int and value not in _SQLITE_INTEGERS):
                value = str(value)
            values.append(value)
        self._batch.append(tuple(values))
        self.rows_given[row.table] += 1
        if len(self._batch) >= BATCH_ROWS or self._batch_bytes >= BATCH_BYTES:
            self._flush()

    def create(self, table: str, columns: Sequence[str]) -> None:
        """The table with these columns at least: created, or widened by what it lacks."""
        existing = self.columns.get(table, [])
        known = {column.lower() for column in existing}
        missing = []
        for column in columns:
            if column.lower() not in known:
                missing.append(column)
                known.add(column.lower())
        if not missing:
            return
        if table in self.columns:
            for column in missing:
                self.db.execute(f"ALTER TABLE {_quote(table)} ADD COLUMN {_quote(column)}")
        else:
            self.db.execute(f"CREATE TABLE {_quote(table)} ({', '.join(map(_quote, missing))})")
        self.columns[table] = existing + missing
        key = KEYS.get(table)
        if key and key in (column.lower() for column in missing):
            self.db.execute(
                f"CREATE UNIQUE INDEX {_quote(table + '__key')} ON {_quote(table)} ({_quote(key)})"
            )

    def finish(self, err) -> None:
        """The last rows, the completion mark, and a word on rows that replaced others."""
        self._flush()
        self.db.execute(f"CREATE TABLE {_INFO_TABLE} (format INTEGER)")
        self.db.execute(f"INSERT INTO {_INFO_TABLE} VALUES (?)", [FORMAT])
        self.db.execute("COMMIT")
        for table, given in sorted(self.rows_given.items()):
            if table not in KEYS:
                continue
            (kept,) = self.db.execute(f"SELECT COUNT(*) FROM {_quote(table)}").fetchone()
            if kept < given:
                err.write(
                    f"{self.prefix}{table}: {given - kept} rows had the {KEYS[table]} of an "
                    "earlier row; REPLACE and INSERT rows replaced it, INSERT IGNORE rows "
                    "were left out."
                )

    def _flush(self) -> None:
        if self._batch:
            self.db.executemany(self._sql, self._batch)
            self._uncommitted += len(self._batch)
            self._batch = []
            self._batch_bytes = 0
        if self._uncommitted >= COMMIT_ROWS:
            self.db.execute("COMMIT")
            self.db.execute("BEGIN")
            self._uncommitted = 0


def _missing_prefix_message(path: Path, prefix: str, other_tables: set[str]) -> str:
    """Why a dump gave no tables, with the prefixes it does seem to use (as database.py)."""
    guesses = sorted(
        {name.removesuffix("stories") for name in other_tables if name.endswith("stories")}
    )
    message = f"No tables starting with {prefix!r} in {path}"
    if guesses:
        return message + "; eFiction tables found with prefix " + " or ".join(map(repr, guesses))
    if other_tables:
        return message + f" (it has {len(other_tables)} other tables, none of them eFiction's)"
    return message + " (it holds no tables)"


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
