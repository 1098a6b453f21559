"""Opening what `import-efiction` is given: a live database URL or a dump file."""

from pathlib import Path

from fanfold.importers.efiction.database import SCHEMES, open_database
from fanfold.importers.efiction.dump import DumpError, parse_create_tables
from fanfold.importers.efiction.errors import ImportSourceError
from fanfold.importers.efiction.staging import open_dump
from fanfold.importers.efiction.steps import Source


def open_source(spec: str, *, prefix: str, schema_path: Path | None, work_dir: Path, err) -> Source:
    """A Source for `spec`; the caller closes it (it is also a context manager).

    A mysql:// or mariadb:// URL is read live; a file is staged (see staging.py), with
    `schema_path` naming CREATE TABLE statements for a dump that has no column names.
    """
    scheme = spec.split("://", 1)[0].lower() if "://" in spec else ""
    if scheme in SCHEMES:
        return open_database(spec, prefix)
    path = Path(spec)
    try:
        exists = path.exists()
        is_dir = path.is_dir()
        is_file = path.is_file()
    except OSError as exc:
        raise ImportSourceError(f"Cannot read {path}: {exc.strerror or exc}") from None
    if scheme and not exists:
        # Only the scheme: the rest of the URL may hold a password.
        raise ImportSourceError(
            f"Cannot import from a {scheme}:// URL: give a mysql:// or mariadb:// URL "
            "or the path of a dump file"
        )
    if not exists:
        raise ImportSourceError(f"No such file: {path}")
    if is_dir:
        raise ImportSourceError(f"{path} is a folder: give the dump file (.sql or .sql.gz)")
    if not is_file:
        raise ImportSourceError(f"{path} is not a regular file: give a .sql or .sql.gz dump")
    schema = _read_schema(schema_path) if schema_path else None
    return open_dump(path, prefix=prefix, schema=schema, work_dir=work_dir, err=err)


def _read_schema(path: Path) -> str:
    """The text of a --schema file, checked to hold CREATE TABLE statements."""
    try:
        schema = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ImportSourceError(
            f"Cannot read the schema file {path}: {exc.strerror or exc}"
        ) from None
    try:
        tables = parse_create_tables(schema)
    except DumpError as exc:
        raise ImportSourceError(f"The schema file {path}: {exc}") from None
    if not tables:
        raise ImportSourceError(f"The schema file {path} holds no CREATE TABLE statement")
    return schema
