"""Opening what `import-efiction` is given: a live database URL or a dump file."""

from pathlib import Path

from fanfold.importers.efiction.database import SCHEMES, open_database
from fanfold.importers.efiction.errors import ImportSourceError
from fanfold.importers.efiction.steps import Source


def open_source(spec: str, *, prefix: str, schema_path: Path | None, work_dir: Path, err) -> Source:
    """A Source for `spec`; the caller closes it (it is also a context manager)."""
    scheme = spec.split("://", 1)[0].lower() if "://" in spec else ""
    if scheme in SCHEMES:
        return open_database(spec, prefix)
    raise ImportSourceError(f"{spec}: dump files are not supported yet")
