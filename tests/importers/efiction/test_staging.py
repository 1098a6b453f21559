"""A dump staged into SQLite reads like the live database: same tables, columns, rows and
types; repeated keys as MySQL treats them; a finished stage file is reused and a
half-written one never; memory stays flat."""

import gzip
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management.base import OutputWrapper

from fanfold.importers.efiction.database import open_database
from fanfold.importers.efiction.errors import ImportSourceError
from fanfold.importers.efiction.source import open_source
from fanfold.importers.efiction.staging import StagedSource, stage_path

from .conftest import SAMPLE
from .test_dump import EFICTION_BACKUP, MYSQLDUMP, PHPMYADMIN


def write_dump(directory: Path, sql: str | bytes, name: str = "dump.sql") -> Path:
    path = directory / name
    path.write_bytes(sql.encode() if isinstance(sql, str) else sql)
    return path


def staged(path: Path, *, work_dir: Path | None = None, **kw) -> tuple[StagedSource, str]:
    """The staged source of a dump file, and what staging told the operator."""
    messages = io.StringIO()
    source = open_source(
        str(path),
        prefix=kw.pop("prefix", "fanfiction_"),
        schema_path=kw.pop("schema_path", None),
        work_dir=work_dir or path.parent / "stage",
        err=OutputWrapper(messages),
    )
    assert isinstance(source, StagedSource)
    return source, messages.getvalue()


def stage_sql(tmp_path: Path, sql: str | bytes, **kw) -> StagedSource:
    return staged(write_dump(tmp_path, sql), **kw)[0]


def typed(rows) -> list[tuple]:
    """Rows as (column, type, value) tuples in a stable order, so types are compared too."""
    return sorted(
        (
            tuple((column, type(value).__name__, value) for column, value in row.items())
            for row in rows
        ),
        key=repr,
    )


def chapters_dump(path: Path, megabytes: int) -> Path:
    """A generated dump of about this size: stories and ~20 KB chapters, in big INSERTs."""
    text = ("Word " * 4000).encode()
    with open(path, "wb") as out:
        out.write(b"INSERT INTO fanfiction_stories (sid, title) VALUES (1,'One'),(2,'Two');\n")
        chapid = 0
        while out.tell() < megabytes << 20:
            rows = []
            for _ in range(50):
                chapid += 1
                rows.append(b"(%d,%d,%d,'" % (chapid, chapid % 2 + 1, chapid) + text + b"')")
            out.write(
                b"INSERT INTO fanfiction_chapters (chapid, sid, inorder, storytext) VALUES "
                + b",\n".join(rows)
                + b";\n"
            )
    return path


# --- The sample archive, staged, against the same archive loaded into MariaDB ---------------


@pytest.fixture(scope="module")
def staged_sample(tmp_path_factory):
    source, _ = staged(SAMPLE, work_dir=tmp_path_factory.mktemp("stage"))
    with source:
        yield source


class TestSampleArchiveReadsLikeTheDatabase:
    def test_same_tables_columns_and_counts(self, staged_sample, efiction_sample_db):
        with open_database(efiction_sample_db) as database:
            assert staged_sample.tables() == database.tables()
            for table in database.tables():
                assert staged_sample.columns(table) == database.columns(table), table
                assert staged_sample.count(table) == database.count(table), table

    def test_same_rows_with_the_same_types_in_every_table(self, staged_sample, efiction_sample_db):
        with open_database(efiction_sample_db) as database:
            for table in database.tables():
                assert typed(staged_sample.rows(table)) == typed(database.rows(table)), table

    def test_same_order_by_several_columns(self, staged_sample, efiction_sample_db):
        order = ("sid", "inorder", "chapid")
        with open_database(efiction_sample_db) as database:
            expected = [row["chapid"] for row in database.rows("chapters", order)]
        assert [row["chapid"] for row in staged_sample.rows("chapters", order)] == expected
        assert len(expected) == 1457

    def test_rows_are_streamed(self, staged_sample):
        rows = staged_sample.rows("chapters", "chapid")
        assert iter(rows) is rows  # a generator, not a list
        assert next(rows)["chapid"] == 1
        assert staged_sample.count("stories") == 300  # other queries while one is open
        assert next(rows)["chapid"] == 2

    def test_unknown_order_column_and_table_are_clear_errors(self, staged_sample):
        with pytest.raises(ImportSourceError, match="Cannot order fanfiction_stories by nope"):
            staged_sample.rows("stories", ("sid", "nope"))
        with pytest.raises(ImportSourceError, match="No table fanfiction_challenges in"):
            staged_sample.rows("challenges")
        with pytest.raises(ImportSourceError, match="No table fanfiction_challenges in"):
            staged_sample.count("challenges")


def test_a_dump_imports_like_the_command_does(run_import, tmp_path):
    report = run_import(write_dump(tmp_path, MYSQLDUMP))
    assert report.table("ratings").read == 2
    assert report.table("ratings").created == 2


# --- Dump styles ----------------------------------------------------------------------------


def test_mysqldump_columns_come_from_create_table(tmp_path):
    source = stage_sql(tmp_path, MYSQLDUMP)
    assert source.tables() == ["ratings"]
    assert source.columns("ratings") == ["rid", "rating", "ratingwarning", "warningtext"]
    assert list(source.rows("ratings")) == [
        {"rid": 1, "rating": b"K", "ratingwarning": b"0", "warningtext": None},
        {"rid": 2, "rating": b"MA", "ratingwarning": b"2", "warningtext": b"Adults; only (really)"},
    ]


def test_a_table_without_rows_is_still_listed(tmp_path):
    source = stage_sql(
        tmp_path, MYSQLDUMP.replace("INSERT INTO `fanfiction_ratings` VALUES", "-- ")
    )
    assert source.tables() == ["ratings"]
    assert source.count("ratings") == 0
    assert source.columns("ratings") == ["rid", "rating", "ratingwarning", "warningtext"]


def test_phpmyadmin_column_lists_keep_the_tables_column_order(tmp_path):
    source = stage_sql(tmp_path, PHPMYADMIN)
    assert source.columns("characters") == ["charid", "catid", "charname", "bio", "image"]
    rows = {row["charid"]: row for row in source.rows("characters", "charid")}
    assert rows[1]["bio"] == b"Line one\r\nline two"
    assert rows[3] == {"charid": 3, "catid": None, "charname": b"Luna", "bio": None, "image": None}


def test_column_lists_without_create_table_add_the_columns_they_name(tmp_path):
    source = stage_sql(
        tmp_path,
        "INSERT INTO `fanfiction_authors` (`uid`, `penname`) VALUES (1, 'A');\n"
        "INSERT INTO `fanfiction_authors` (`email`, `uid`, `penname`) VALUES ('b@x', 2, 'B');\n"
        "INSERT INTO `fanfiction_authors` (`uid`) VALUES (3);\n",
    )
    assert source.columns("authors") == ["uid", "penname", "email"]
    assert list(source.rows("authors", "uid")) == [
        {"uid": 1, "penname": b"A", "email": None},
        {"uid": 2, "penname": b"B", "email": b"b@x"},
        {"uid": 3, "penname": None, "email": None},
    ]


def test_efiction_backup_without_column_names_uses_the_known_layouts(tmp_path):
    source = stage_sql(tmp_path, EFICTION_BACKUP)
    assert source.tables() == ["authors", "challenges", "stories"]  # not other_app
    # The second author is of an older layout with `website`: the column is added.
    assert source.columns("authors")[-1] == "website"
    authors = list(source.rows("authors", "uid"))
    assert authors[0]["bio"] == b"" and authors[0]["website"] is None
    assert authors[1]["website"] == b"http://x.example"
    assert authors[1]["password"] == b"0"


def test_quoted_numbers_sort_as_numbers(tmp_path):
    """eFiction's backup quotes every value; MySQL still sorted ids as integers."""
    rows = ",".join(f"('{n}', 'c{n}', '{n}')" for n in (10, 9, 1, -1, 100))
    source = stage_sql(
        tmp_path,
        f"INSERT INTO fanfiction_chapters (chapid, title, inorder) VALUES {rows};\n"
        "INSERT INTO fanfiction_authors (uid, penname) VALUES ('1', 'b'), ('2', 'B'), ('3', '10');",
    )
    assert [row["inorder"] for row in source.rows("chapters", "inorder")] == [
        b"-1",
        b"1",
        b"9",
        b"10",
        b"100",
    ]
    # A column that is not all numbers keeps the stored order of its bytes.
    assert [row["penname"] for row in source.rows("authors", "penname")] == [b"10", b"B", b"b"]


def test_a_schema_file_names_the_columns_of_an_unknown_table(tmp_path):
    dump = write_dump(
        tmp_path, "INSERT INTO fanfiction_recs VALUES (1, 'Read this', 'http://x');\n"
    )
    source, _ = staged(dump)
    assert source.columns("recs") == ["column1", "column2", "column3"]  # kept, not dropped
    schema = write_dump(
        tmp_path, "CREATE TABLE fanfiction_recs (recid int, title text, url text);", "recs.sql"
    )
    source, _ = staged(dump, schema_path=schema)
    assert list(source.rows("recs")) == [{"recid": 1, "title": b"Read this", "url": b"http://x"}]


def test_values_keep_their_types(tmp_path):
    source = stage_sql(
        tmp_path,
        "INSERT INTO fanfiction_stats (a, b, c, d, e, f, g, h, i) VALUES "
        "(1.50, -7, 2.5e3, 'text', NULL, '', 0x00ff, b'101', 99999999999999999999);",
    )
    assert list(source.rows("stats")) == [
        {
            "a": Decimal("1.50"),
            "b": -7,
            "c": 2500.0,
            "d": b"text",
            "e": None,
            "f": b"",
            "g": b"\x00\xff",
            "h": 5,
            # Beyond SQLite's 64-bit integers: kept exactly, as a Decimal.
            "i": Decimal("99999999999999999999"),
        }
    ]
    assert [type(value) for value in next(source.rows("stats")).values()] == [
        Decimal,
        int,
        float,
        bytes,
        type(None),
        bytes,
        bytes,
        int,
        Decimal,
    ]


# --- Repeated keys ----------------------------------------------------------------------------

REPEATS = """
INSERT INTO fanfiction_stories (sid, title) VALUES (1, 'First'), (2, 'Second');
REPLACE INTO fanfiction_stories (sid, title) VALUES (1, 'Replaced');
INSERT IGNORE INTO fanfiction_stories (sid, title) VALUES (2, 'Ignored'), (3, 'Third');
INSERT INTO fanfiction_favorites (uid, item, type) VALUES (1, 2, 'ST'), (1, 2, 'ST');
"""


def test_replace_and_insert_ignore_as_mysql_does(tmp_path, efiction_sql):
    for statement in REPEATS.strip().splitlines()[:3]:
        efiction_sql(statement)
    source = stage_sql(tmp_path, REPEATS)
    titles = {row["sid"]: row["title"] for row in source.rows("stories", "sid")}
    expected = {
        sid: title.encode()
        for sid, title in efiction_sql("SELECT sid, title FROM fanfiction_stories")
    }
    assert titles == expected == {1: b"Replaced", 2: b"Second", 3: b"Third"}


def test_a_plain_insert_repeating_a_key_replaces_the_row_and_says_so(tmp_path):
    dump = write_dump(
        tmp_path, REPEATS + "INSERT INTO fanfiction_stories (sid, title) VALUES (3, 'Later');"
    )
    source, messages = staged(dump)
    assert [row["title"] for row in source.rows("stories", "sid")] == [
        b"Replaced",
        b"Second",
        b"Later",
    ]
    assert "fanfiction_stories: 3 rows had the sid of an earlier row" in messages
    # Tables without a one-column key take every row.
    assert source.count("favorites") == 2
    assert "favorites" not in messages


# --- The stage file -------------------------------------------------------------------------


def test_a_finished_stage_file_is_reused(tmp_path):
    dump = write_dump(tmp_path, MYSQLDUMP)
    source, messages = staged(dump)
    source.close()
    assert "Staging" in messages
    stage = stage_path(dump, prefix="fanfiction_", schema=None, work_dir=tmp_path / "stage")
    with sqlite3.connect(stage) as connection:  # a row the dump does not have
        connection.execute("INSERT INTO ratings (rid) VALUES (3)")
    connection.close()
    source, messages = staged(dump)
    assert "from its staged copy" in messages
    assert source.count("ratings") == 3
    source.close()

    os.utime(dump, ns=(time.time_ns(), time.time_ns() + 10**9))  # the dump changed
    source, messages = staged(dump)
    assert "Staging" in messages
    assert source.count("ratings") == 2
    source.close()


def test_an_unfinished_stage_file_is_staged_again(tmp_path):
    dump = write_dump(tmp_path, MYSQLDUMP)
    stage = stage_path(dump, prefix="fanfiction_", schema=None, work_dir=tmp_path / "stage")
    stage.parent.mkdir()
    partial = stage.with_name(stage.name + ".partial")
    partial.write_bytes(b"half a file")
    # A file under the final name without the completion mark is never used either.
    with sqlite3.connect(stage) as connection:
        connection.execute("CREATE TABLE ratings (rid)")
    connection.close()
    source, messages = staged(dump)
    assert "is unfinished or of an older format" in messages
    assert source.count("ratings") == 2
    source.close()
    assert not partial.exists()


def test_a_stage_file_of_another_format_is_staged_again(tmp_path):
    dump = write_dump(tmp_path, MYSQLDUMP)
    staged(dump)[0].close()
    stage = stage_path(dump, prefix="fanfiction_", schema=None, work_dir=tmp_path / "stage")
    with sqlite3.connect(stage) as connection:  # as an older version of the code wrote it
        connection.execute("UPDATE fanfold_staging SET format = format - 1")
        connection.execute("DELETE FROM ratings")
    connection.close()
    source, messages = staged(dump)
    assert "is unfinished or of an older format" in messages
    assert source.count("ratings") == 2
    source.close()


def test_a_staging_killed_half_way_leaves_nothing_that_is_used(tmp_path):
    dump = chapters_dump(tmp_path / "big.sql", 60)
    work_dir = tmp_path / "stage"
    stage = stage_path(dump, prefix="fanfiction_", schema=None, work_dir=work_dir)
    partial = stage.with_name(stage.name + ".partial")
    script = (
        "import io, sys; from pathlib import Path\n"
        "from django.core.management.base import OutputWrapper\n"
        "from fanfold.importers.efiction.staging import open_dump\n"
        "open_dump(Path(sys.argv[1]), prefix='fanfiction_', schema=None,"
        " work_dir=Path(sys.argv[2]), err=OutputWrapper(io.StringIO()))\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script, str(dump), str(work_dir)])
    deadline = time.monotonic() + 30
    while not (partial.exists() and partial.stat().st_size > 1 << 20):
        assert time.monotonic() < deadline and process.poll() is None, "staging did not start"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL  # killed while staging, not after
    assert partial.exists() and not stage.exists()

    source, messages = staged(dump, work_dir=work_dir)
    assert "Staging" in messages
    assert source.count("stories") == 2
    assert source.count("chapters") > 2000
    source.close()
    assert stage.exists() and not partial.exists()


def test_a_broken_dump_leaves_no_stage_file(tmp_path):
    dump = write_dump(tmp_path, MYSQLDUMP + "INSERT INTO fanfiction_ratings VALUES (3, 'oops);\n")
    with pytest.raises(ImportSourceError, match=r"dump\.sql: Unterminated string .* line 24"):
        staged(dump)
    assert list((tmp_path / "stage").iterdir()) == []


def test_a_damaged_gzip_is_a_clear_error(tmp_path):
    data = gzip.compress(MYSQLDUMP.encode() * 200)
    dump = write_dump(tmp_path, data[: len(data) // 2], "dump.sql.gz")
    with pytest.raises(
        ImportSourceError, match=r"Cannot read .*dump\.sql\.gz: Compressed file ended"
    ):
        staged(dump)
    assert list((tmp_path / "stage").iterdir()) == []


def test_a_dump_without_the_prefix_names_the_prefixes_it_has(tmp_path):
    dump = write_dump(tmp_path, MYSQLDUMP.replace("fanfiction_ratings", "ef_stories"))
    with pytest.raises(ImportSourceError, match="No tables starting with 'fanfiction_' in .*'ef_'"):
        staged(dump)
    source, _ = staged(dump, prefix="ef_")
    assert source.tables() == ["stories"]


def test_a_file_with_no_tables_is_a_clear_error(tmp_path):
    with pytest.raises(
        ImportSourceError, match="No tables starting with 'fanfiction_' .*holds no tables"
    ):
        staged(write_dump(tmp_path, "-- nothing here\n"))


# --- Memory -------------------------------------------------------------------------------


def peak_memory(dump: Path, work_dir: Path) -> int:
    """Peak Python memory of staging the dump and reading its chapters back, sorted."""
    tracemalloc.start()
    try:
        source, _ = staged(dump, work_dir=work_dir)
        with source:
            for _ in source.rows("chapters", ("sid", "inorder")):
                pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_dump(tmp_path):
    small = peak_memory(chapters_dump(tmp_path / "small.sql", 10), tmp_path / "small")
    large = peak_memory(chapters_dump(tmp_path / "large.sql", 40), tmp_path / "large")
    assert large < small * 1.3 + (1 << 20)
    assert large < 20 << 20
