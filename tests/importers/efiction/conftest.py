"""Real eFiction databases in the MariaDB server, for the importer's tests.

The server is TEST_MARIADB_URL (default mysql://root@127.0.0.1:3306); each database is
created as fanfold_test_<random>, loaded with the `mariadb` client exactly as an archive
owner would restore a backup, and dropped afterwards. Tests using these fixtures are marked
`mariadb` automatically (CI runs them once, on the PostgreSQL pass). Without a server, the
client or /work/shared they skip, and fail under CI=true.
"""

import gzip
import io
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pymysql
import pytest
from django.core.management.base import OutputWrapper

from fanfold.importers.efiction import importer
from fanfold.importers.efiction.database import DEFAULT_PREFIX
from fanfold.importers.efiction.report import Report
from fanfold.importers.efiction.source import open_source
from fanfold.importers.efiction.steps import Options

SHARED = Path("/work/shared/efiction")
SCHEMA = SHARED / "schema-installed.sql"
SAMPLE = SHARED / "sample-archive.sql.gz"
SERVER_URL = os.environ.get("TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306")

_FIXTURES = {"mariadb_server", "efiction_db", "efiction_sample_db", "efiction_sql"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Mark every test that needs the MariaDB server, so `-m "not mariadb"` leaves it out."""
    for item in items:
        if _FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.mariadb)


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


class Server:
    """Where the test databases live, as connection parameters and URLs."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 3306
        self.user = unquote(parts.username or "root")
        self.password = unquote(parts.password or "")

    def url(self, database: str, *, password: str | None = None) -> str:
        password = self.password if password is None else password
        login = f"{self.user}:{password}" if password else self.user
        return f"mysql://{login}@{self.host}:{self.port}/{database}"

    def connect(self, database: str | None = None) -> pymysql.connections.Connection:
        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=database,
            charset="utf8mb4",
            autocommit=True,
            ssl_disabled=True,  # a local server; PyMySQL's TLS set-up costs 50 ms a connection
        )

    def execute(self, sql: str, args=None, *, database: str | None = None) -> tuple:
        with self.connect(database) as connection, connection.cursor() as cursor:
            cursor.execute(sql, args)
            return cursor.fetchall()

    def load(self, database: str, path: Path) -> None:
        """Pipe a .sql or .sql.gz file into the `mariadb` client, streaming."""
        command = [
            "mariadb",
            "--protocol=tcp",
            f"--host={self.host}",
            f"--port={self.port}",
            f"--user={self.user}",
            database,
        ]
        opener = gzip.open if path.suffix == ".gz" else open
        env = {**os.environ, "MYSQL_PWD": self.password}
        with opener(path, "rb") as sql, tempfile.TemporaryFile() as errors:
            with subprocess.Popen(command, stdin=subprocess.PIPE, stderr=errors, env=env) as client:
                try:
                    shutil.copyfileobj(sql, client.stdin)
                except BrokenPipeError:
                    pass  # the client stopped at an error; its message follows
                finally:
                    client.stdin.close()
            errors.seek(0)
            if client.returncode != 0:
                raise RuntimeError(
                    f"loading {path} failed: {errors.read().decode(errors='replace')}"
                )

    @contextmanager
    def database(self, *dumps: Path) -> Iterator[str]:
        """A new utf8mb4 database loaded with the dumps; its name, dropped on the way out."""
        name = f"fanfold_test_{secrets.token_hex(6)}"
        self.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        try:
            for dump in dumps:
                self.load(name, dump)
            yield name
        finally:
            self.execute(f"DROP DATABASE IF EXISTS `{name}`")


def _shared(path: Path) -> Path:
    if not path.is_file():
        _unavailable(f"{path} is missing (the eFiction schema files live in /work/shared)")
    return path


@pytest.fixture(scope="session")
def mariadb_server() -> Server:
    server = Server(SERVER_URL)
    if shutil.which("mariadb") is None:
        _unavailable("the `mariadb` client is not installed")
    try:
        server.execute("SELECT 1")
    except pymysql.Error as exc:
        _unavailable(f"MariaDB does not answer at {server.host}:{server.port}: {exc}")
    return server


@pytest.fixture
def efiction_db(mariadb_server) -> Iterator[str]:
    """URL of a fresh database holding eFiction 3.5.8's empty tables, as its installer left them."""
    with mariadb_server.database(_shared(SCHEMA)) as name:
        yield mariadb_server.url(name)


@pytest.fixture
def efiction_sql(mariadb_server, efiction_db) -> Callable[..., tuple]:
    """Run SQL in efiction_db (to add rows, convert tables…): sql(statement, args=None)."""
    name = urlsplit(efiction_db).path.lstrip("/")

    def run(statement: str, args=None) -> tuple:
        return mariadb_server.execute(statement, args, database=name)

    return run


@pytest.fixture(scope="session")
def efiction_sample_db(mariadb_server) -> Iterator[str]:
    """URL of the small installed archive from sample-archive.sql.gz (see its README).

    Loaded once per test run and shared: tests must only read it.
    """
    with mariadb_server.database(_shared(SAMPLE)) as name:
        yield mariadb_server.url(name)


@pytest.fixture
def run_import(db, tmp_path) -> Callable[..., Report]:
    """Import from a database URL or a dump path with every step, as the command does;
    returns the report. Keyword arguments: prefix, dry_run, stories_dir, schema_path."""

    def run_import_(
        spec: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        dry_run: bool = False,
        stories_dir: Path | None = None,
        schema_path: Path | None = None,
    ) -> Report:
        err = OutputWrapper(io.StringIO())
        with open_source(
            str(spec), prefix=prefix, schema_path=schema_path, work_dir=tmp_path, err=err
        ) as source:
            return importer.run(source, Options(stories_dir=stories_dir, dry_run=dry_run), err)

    return run_import_
