"""Reading a live eFiction database on MySQL or MariaDB, table by table.

`open_database("mysql://user:pass@host:3306/efiction", prefix="fanfiction_")` gives a
`DatabaseSource` that the importer reads the same way as a dump: table names without the
prefix, column names in table order, and rows streamed one at a time from a server-side
cursor, so memory does not grow with the size of a table.

Values come back as the server stores them, because the importer repairs encodings
itself (latin1 tables often hold UTF-8 bytes; a text decode here would garble them):

- NULL → None; integer types and YEAR → int; DECIMAL → Decimal; FLOAT/DOUBLE → float;
- every other type → **bytes**, exactly as stored: CHAR/VARCHAR/TEXT/BLOB/ENUM/SET in the
  column's own character set (no conversion by the server), and DATE/DATETIME/TIMESTAMP/
  TIME as their ASCII text, e.g. b"2008-03-01 12:00:00" and the zero date
  b"0000-00-00 00:00:00". That is what the dump reader yields for the same quoted values,
  so the mapping code sees one set of types from either source. TIMESTAMPs are read in
  UTC.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlsplit

import pymysql
from pymysql.constants import ER, FIELD_TYPE
from pymysql.converters import encoders

from fanfold.importers.efiction.errors import ImportSourceError
from fanfold.importers.efiction.steps import BaseSource

DEFAULT_PREFIX = "fanfiction_"
SCHEMES = {"mysql", "mariadb"}

# character_set_results NULL: the server sends text in the column's own character set.
# A long net_write_timeout: the importer may pause between rows while it writes a batch.
_SESSION_SETUP = "SET character_set_results = NULL, time_zone = '+00:00', net_write_timeout = 3600"

# PyMySQL hands these functions the raw bytes of a value (use_unicode=False); types not
# listed stay bytes.
_DECODERS: dict[int, Any] = {
    **{
        code: int
        for code in (
            FIELD_TYPE.TINY,
            FIELD_TYPE.SHORT,
            FIELD_TYPE.INT24,
            FIELD_TYPE.LONG,
            FIELD_TYPE.LONGLONG,
            FIELD_TYPE.YEAR,
        )
    },
    FIELD_TYPE.DECIMAL: lambda raw: Decimal(raw.decode("ascii")),
    FIELD_TYPE.NEWDECIMAL: lambda raw: Decimal(raw.decode("ascii")),
    FIELD_TYPE.FLOAT: float,
    FIELD_TYPE.DOUBLE: float,
}

# MySQL and MariaDB answer with it for unknown users or an auth plugin refusing the login.
_ACCESS_DENIED_NO_PASSWORD = 1698

Value = int | Decimal | float | bytes | None


@dataclass(frozen=True)
class _Address:
    user: str
    password: str = field(repr=False)
    host: str
    port: int
    database: str

    def __str__(self) -> str:
        """The address without the password, for messages."""
        return f"{self.user}@{self.host}:{self.port}/{self.database}"

    def connect(self) -> pymysql.connections.Connection:
        try:
            return pymysql.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password,
                database=self.database,
                charset="utf8mb4",
                use_unicode=False,
                conv={**encoders, **_DECODERS},
                init_command=_SESSION_SETUP,
                connect_timeout=10,
            )
        except pymysql.Error as exc:
            raise ImportSourceError(_connect_message(self, exc)) from None


def parse_url(url: str) -> _Address:
    """`mysql://user:pass@host:port/db` (or `mariadb://`) as connection parameters."""
    try:
        parts = urlsplit(url)
        port = parts.port or 3306
    except ValueError as exc:
        raise ImportSourceError(f"Not a database URL ({exc}): {_hide_password(url)}") from None
    if parts.scheme.lower() not in SCHEMES or not parts.hostname:
        raise ImportSourceError(
            f"Not a database URL: {_hide_password(url)}; "
            "expected mysql://user:password@host:port/database"
        )
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise ImportSourceError(
            f"The URL names no database: {_hide_password(url)}; "
            "expected mysql://user:password@host:port/database"
        )
    if parts.query:
        raise ImportSourceError("Database URL options (after ?) are not supported")
    return _Address(
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
        host=parts.hostname,
        port=port,
        database=database,
    )


def open_database(url: str, prefix: str = DEFAULT_PREFIX) -> "DatabaseSource":
    """Connect and check that the database has eFiction tables under this prefix."""
    address = parse_url(url)
    source = DatabaseSource(address, prefix)
    if not source.tables():
        message = source.missing_prefix_message()
        source.close()
        raise ImportSourceError(message)
    return source


class DatabaseSource(BaseSource):
    """The tables of one eFiction database whose names start with the prefix."""

    def __init__(self, address: _Address, prefix: str):
        self.address = address
        self.prefix = prefix
        self._connection = address.connect()
        self._tables: list[str] | None = None
        self._columns: dict[str, list[str]] = {}

    def close(self) -> None:
        if self._connection.open:
            self._connection.close()

    def tables(self) -> list[str]:
        """Names without the prefix, sorted; tables without the prefix are not listed."""
        if self._tables is None:
            names = self._all_table_names()
            self._tables = sorted(
                name.removeprefix(self.prefix) for name in names if name.startswith(self.prefix)
            )
        return list(self._tables)

    def columns(self, table: str) -> list[str]:
        """Column names in the table's own order."""
        if table not in self._columns:
            rows = self._query(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = DATABASE() AND table_name = %s"
                " ORDER BY ordinal_position",
                [self._full_name(table)],
            )
            self._columns[table] = [row[0].decode() for row in rows]
        return self._columns[table]

    def count(self, table: str) -> int:
        rows = self._query(f"SELECT COUNT(*) FROM {self._quoted(table)}")
        return int(rows[0][0])

    def rows(
        self, table: str, order_by: str | Sequence[str] | None = None
    ) -> Iterator[dict[str, Value]]:
        """Each row as {column: value}, streamed on a connection of its own.

        The own connection lets callers read other tables (or count) while this one is
        being streamed; it closes when the iteration ends or the iterator is dropped.
        """
        sql = f"SELECT * FROM {self._quoted(table)}"
        if order_by:
            keys = self.order_keys(table, order_by)
            sql += " ORDER BY " + ", ".join(_quote(key) for key in keys)
        return self._stream(table, sql)

    def _stream(self, table: str, sql: str) -> Iterator[dict[str, Value]]:
        connection = self.address.connect()
        cursor = connection.cursor(pymysql.cursors.SSCursor)
        try:
            cursor.execute(sql)
            names = [field[0] for field in cursor.description]
            for row in cursor:
                yield dict(zip(names, row, strict=True))
        except pymysql.Error as exc:
            raise ImportSourceError(
                f"Reading {self.prefix}{table} from {self.address} failed: {_reason(exc)}"
            ) from None
        finally:
            # When the caller stops early (or the server went away), PyMySQL would read all
            # the rows left before letting go; the protocol's only faster way out is to close
            # the connection, so tell the result it is done and close.
            if cursor._result is not None:
                cursor._result.unbuffered_active = False
            if connection.open:
                connection.close()

    def missing_prefix_message(self) -> str:
        """Why open_database refused, with the prefixes this database does seem to use."""
        names = self._all_table_names()
        guesses = sorted(
            {name.removesuffix("stories") for name in names if name.endswith("stories")}
        )
        message = f"No tables starting with {self.prefix!r} in {self.address}"
        if guesses:
            return (
                message
                + "; eFiction tables found with prefix "
                + " or ".join(repr(guess) for guess in guesses)
            )
        if names:
            return message + f" (it has {len(names)} other tables, none of them eFiction's)"
        return message + " (the database is empty)"

    def _all_table_names(self) -> list[str]:
        rows = self._query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
        )
        return [row[0].decode() for row in rows]

    def _full_name(self, table: str) -> str:
        if table not in self.tables():
            raise ImportSourceError(f"No table {self.prefix}{table} in {self.address}")
        return self.prefix + table

    def _quoted(self, table: str) -> str:
        return _quote(self._full_name(table))

    def _query(self, sql: str, args: Sequence[Any] = ()) -> tuple[tuple[Any, ...], ...]:
        try:
            with self._connection.cursor() as cursor:
                cursor.execute(sql, args)
                return cursor.fetchall()
        except pymysql.Error as exc:
            raise ImportSourceError(f"Reading {self.address} failed: {_reason(exc)}") from None


def _quote(identifier: str) -> str:
    return "`" + identifier.replace("`", "``") + "`"


def _reason(exc: pymysql.Error) -> str:
    """The server's own message without PyMySQL's (code, message) tuple."""
    args = exc.args
    return str(args[1]) if len(args) == 2 else str(exc)


def _connect_message(address: _Address, exc: pymysql.Error) -> str:
    code = exc.args[0] if exc.args else None
    where = f"{address.host}:{address.port}"
    if code in (ER.ACCESS_DENIED_ERROR, _ACCESS_DENIED_NO_PASSWORD):
        return f"Access denied for user {address.user!r} at {where}: check the user and password"
    if code == ER.DBACCESS_DENIED_ERROR:
        return f"User {address.user!r} may not read database {address.database!r} at {where}"
    if code == ER.BAD_DB_ERROR:
        return f"There is no database {address.database!r} at {where}"
    if code == 2003:  # CR_CONN_HOST_ERROR: PyMySQL's "Can't connect to MySQL server"
        return f"Cannot reach a MySQL/MariaDB server at {where} ({_reason(exc)})"
    return f"Cannot open {address}: {_reason(exc)}"


def _hide_password(url: str) -> str:
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "(unreadable URL)"
    if not password:
        return url
    netloc = parts.netloc.replace(f":{password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
