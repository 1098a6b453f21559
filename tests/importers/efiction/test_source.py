"""What `import-efiction SOURCE` accepts: a database URL or a dump file, and clear errors
for everything else."""

import io
import os
import socket
from pathlib import Path

import pytest
from django.core.management.base import OutputWrapper

from fanfold.importers.efiction.database import DatabaseSource
from fanfold.importers.efiction.errors import ImportSourceError
from fanfold.importers.efiction.source import open_source
from fanfold.importers.efiction.staging import StagedSource, stage_path

from .test_dump import EFICTION_BACKUP, MYSQLDUMP


def open_(spec: str | Path, tmp_path: Path, schema_path: Path | None = None):
    return open_source(
        str(spec),
        prefix="fanfiction_",
        schema_path=schema_path,
        work_dir=tmp_path / "stage",
        err=OutputWrapper(io.StringIO()),
    )


def test_a_database_url_is_read_live(efiction_sample_db, tmp_path):
    with open_(efiction_sample_db, tmp_path) as source:
        assert isinstance(source, DatabaseSource)
        assert source.count("stories") == 300
    assert not (tmp_path / "stage").exists()


def test_a_dump_file_is_staged(tmp_path):
    dump = tmp_path / "backup.sql"
    dump.write_text(MYSQLDUMP)
    with open_(dump, tmp_path) as source:
        assert isinstance(source, StagedSource)
        assert source.tables() == ["ratings"]


def test_a_bad_database_url_is_a_clear_error(tmp_path):
    with pytest.raises(ImportSourceError, match="The URL names no database"):
        open_("mysql://root@127.0.0.1:3306", tmp_path)


def test_another_kind_of_url_is_refused_without_showing_its_password(tmp_path):
    with pytest.raises(ImportSourceError, match="from a postgres:// URL") as raised:
        open_("postgres://fan:s3cret@db/archive", tmp_path)
    assert "s3cret" not in str(raised.value)


def test_a_missing_file(tmp_path):
    with pytest.raises(ImportSourceError, match=r"No such file: .*/nowhere\.sql$"):
        open_(tmp_path / "nowhere.sql", tmp_path)


def test_a_folder(tmp_path):
    with pytest.raises(ImportSourceError, match="is a folder: give the dump file"):
        open_(tmp_path, tmp_path)


def test_a_named_pipe_or_socket_is_not_read(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ImportSourceError, match="pipe is not a regular file"):
        open_(fifo, tmp_path)  # opening it would wait for a writer forever
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "sock"))
        with pytest.raises(ImportSourceError, match="sock is not a regular file"):
            open_(tmp_path / "sock", tmp_path)


def test_a_file_that_is_not_a_dump(tmp_path):
    image = tmp_path / "cover.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(ImportSourceError, match=r"cover\.png: Not an SQL statement at line 1"):
        open_(image, tmp_path)


class TestSchemaFile:
    @pytest.fixture
    def dump(self, tmp_path) -> Path:
        path = tmp_path / "backup.sql"
        path.write_text(EFICTION_BACKUP + "INSERT INTO fanfiction_recs VALUES (1, 'x');\n")
        return path

    def test_is_read_and_passed_on(self, dump, tmp_path):
        schema = tmp_path / "recs.sql"
        schema.write_text("CREATE TABLE `fanfiction_recs` (`recid` int, `url` text);")
        with open_(dump, tmp_path, schema) as source:
            assert source.columns("recs") == ["recid", "url"]
        with open_(dump, tmp_path) as source:  # without it: a stage file of its own
            assert source.columns("recs") == ["column1", "column2"]
        assert stage_path(
            dump, prefix="fanfiction_", schema=schema.read_text(), work_dir=tmp_path / "stage"
        ).exists()

    def test_a_missing_one_is_a_clear_error(self, dump, tmp_path):
        with pytest.raises(ImportSourceError, match=r"Cannot read the schema file .*nope\.sql"):
            open_(dump, tmp_path, tmp_path / "nope.sql")
        with pytest.raises(ImportSourceError, match="Cannot read the schema file"):
            open_(dump, tmp_path, tmp_path)

    def test_one_without_create_table_is_a_clear_error(self, dump, tmp_path):
        schema = tmp_path / "notes.txt"
        schema.write_text("the columns are recid and url")
        with pytest.raises(ImportSourceError, match="notes.txt holds no CREATE TABLE statement"):
            open_(dump, tmp_path, schema)
