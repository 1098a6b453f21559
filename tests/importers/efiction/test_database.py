"""Reading a live eFiction database: tables, columns, rows as stored, and clear errors."""

import re
import socket
import tracemalloc
from collections import Counter
from decimal import Decimal

import pytest

from fanfold.importers.efiction.database import ImportSourceError, open_database

from .conftest import SCHEMA


def schema_columns() -> dict[str, list[str]]:
    """Each table's columns as schema-installed.sql creates them, without the prefix."""
    tables = {}
    for name, body in re.findall(
        r"CREATE TABLE `fanfiction_(\w+)` \((.*?)\n\)", SCHEMA.read_text(), re.DOTALL
    ):
        tables[name] = re.findall(r"^\s+`(\w+)`", body, re.MULTILINE)
    return tables


class TestTablesAndColumns:
    def test_tables_are_listed_without_the_prefix(self, efiction_db):
        with open_database(efiction_db) as source:
            assert source.tables() == sorted(schema_columns())
            assert {"authors", "stories", "chapters", "reviews", "settings"} <= set(source.tables())

    def test_tables_of_other_applications_are_left_out(self, efiction_db, efiction_sql):
        efiction_sql("CREATE TABLE wp_posts (id INT)")
        efiction_sql("CREATE TABLE fanfictionXstories (id INT)")  # `_` is no wildcard here
        with open_database(efiction_db) as source:
            assert source.tables() == sorted(schema_columns())

    def test_another_prefix(self, efiction_db, efiction_sql):
        efiction_sql(
            "RENAME TABLE fanfiction_authors TO ef_authors, fanfiction_stories TO ef_stories"
        )
        with open_database(efiction_db, prefix="ef_") as source:
            assert source.tables() == ["authors", "stories"]
            assert source.count("stories") == 0

    def test_authors_columns_are_those_of_3_5_8_in_table_order(self, efiction_db):
        with open_database(efiction_db) as source:
            columns = source.columns("authors")
        assert columns == [
            "uid",
            "penname",
            "realname",
            "email",
            "bio",
            "image",
            "date",
            "admincreated",
            "password",
        ]
        assert "website" not in columns

    def test_every_tables_columns_match_the_schema_file(self, efiction_db):
        with open_database(efiction_db) as source:
            assert {table: source.columns(table) for table in source.tables()} == schema_columns()

    def test_columns_a_module_added_are_read(self, efiction_db, efiction_sql):
        efiction_sql("ALTER TABLE fanfiction_stories ADD challenges VARCHAR(200) NOT NULL")
        with open_database(efiction_db) as source:
            assert source.columns("stories")[-1] == "challenges"

    def test_an_unknown_table_is_a_clear_error(self, efiction_db):
        with open_database(efiction_db) as source:
            with pytest.raises(ImportSourceError, match="No table fanfiction_challenges in"):
                source.columns("challenges")
            with pytest.raises(ImportSourceError, match="No table fanfiction_challenges in"):
                source.rows("challenges")


SAMPLE_COUNTS = {
    "authors": 151,
    "authorprefs": 151,
    "stories": 300,
    "chapters": 1457,
    "coauthors": 6,
    "reviews": 3000,
    "favorites": 808,
    "categories": 20,
    "characters": 100,
    "classes": 74,
    "ratings": 5,
    "series": 20,
    "inseries": 85,
    "news": 8,
    "comments": 20,
    "settings": 1,
    "blocks": 9,
    "panels": 77,
    "pagelinks": 26,
    "messages": 9,
    "authorfields": 12,
}


class TestSampleArchive:
    @pytest.mark.parametrize(("table", "expected"), SAMPLE_COUNTS.items())
    def test_row_counts(self, efiction_sample_db, table, expected):
        with open_database(efiction_sample_db) as source:
            assert source.count(table) == expected
            assert sum(1 for _ in source.rows(table)) == expected

    def test_what_the_rows_say_matches_the_readme(self, efiction_sample_db):
        with open_database(efiction_sample_db) as source:
            stories = Counter(
                (row["validated"], row["completed"]) for row in source.rows("stories")
            )
            chapters = Counter(row["validated"] for row in source.rows("chapters"))
            reviews = Counter(row["type"] for row in source.rows("reviews"))
            favorites = Counter(row["type"] for row in source.rows("favorites"))
        assert stories[b"1", b"1"] == 215 and stories[b"1", b"0"] == 81
        assert chapters[b"1"] == 1446
        assert reviews == {b"ST": 2970, b"SE": 30}
        assert favorites == {b"ST": 605, b"AU": 169, b"SE": 34}

    def test_values_keep_their_types(self, efiction_sample_db):
        with open_database(efiction_sample_db) as source:
            admin = next(source.rows("authors", order_by="uid"))
        assert admin["uid"] == 1
        assert admin["penname"] == b"Admin"
        assert isinstance(admin["date"], int)  # 3.5.6 and later store unix times

    def test_chapter_text_is_the_stored_utf8_bytes(self, efiction_sample_db):
        with open_database(efiction_sample_db) as source:
            texts = [row["storytext"] for row in source.rows("chapters", order_by="chapid")]
        assert all(isinstance(text, bytes) for text in texts)
        decoded = [text.decode("utf-8") for text in texts]  # strict: every byte is UTF-8
        assert "\u201c" in decoded[0] and "\u2019" in decoded[0]  # curly quotes intact
        assert sum("\u2026" in text for text in decoded) > 100  # and ellipses

    def test_rows_in_the_asked_order(self, efiction_sample_db):
        with open_database(efiction_sample_db) as source:
            keys = [
                (row["sid"], row["inorder"]) for row in source.rows("chapters", ["sid", "inorder"])
            ]
            assert keys == sorted(keys)
            with pytest.raises(ImportSourceError, match="by nope: no such column"):
                source.rows("chapters", order_by="nope")

    def test_rows_stream_in_bounded_memory(self, efiction_sample_db):
        with open_database(efiction_sample_db) as source:
            tracemalloc.start()
            try:
                total = sum(len(row["storytext"]) for row in source.rows("chapters"))
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        assert total > 15_000_000  # 18 MB of chapter text went through…
        assert peak < 2_000_000  # …never more than a couple of chapters at once

    def test_other_tables_can_be_read_while_one_streams(self, efiction_sample_db):
        with open_database(efiction_sample_db) as source:
            chapters = source.rows("chapters")
            next(chapters)
            assert source.count("stories") == 300
            assert sum(1 for _ in source.rows("ratings")) == 5
            assert sum(1 for _ in chapters) == 1456

    def test_stopping_early_lets_go_of_the_rest(self, efiction_sample_db):
        with open_database(efiction_sample_db) as source:
            for _ in range(3):
                next(source.rows("chapters"))
            assert source.count("chapters") == 1457


class TestStoredBytes:
    def stored(self, efiction_sql, column, table="fanfiction_chapters") -> bytes:
        """What the server holds, by its own HEX(): the truth to compare with."""
        ((hex_value,),) = efiction_sql(f"SELECT HEX({column}) FROM {table} WHERE chapid = 1")
        return bytes.fromhex(hex_value)

    def test_utf8mb4_text_comes_back_as_its_bytes(self, efiction_db, efiction_sql):
        text = "\u201cCaf\u00e9,\u201d she said \u2026 \U0001f600"
        efiction_sql(
            "INSERT INTO fanfiction_chapters (chapid, title, storytext) VALUES (1, %s, %s)",
            ["Ein Anfang", text],
        )
        with open_database(efiction_db) as source:
            (row,) = source.rows("chapters")
        assert row["storytext"] == text.encode("utf-8") == self.stored(efiction_sql, "storytext")

    def test_latin1_table_holding_utf8_bytes_comes_back_unchanged(self, efiction_db, efiction_sql):
        efiction_sql("ALTER TABLE fanfiction_chapters CONVERT TO CHARACTER SET latin1")
        utf8 = "It\u2019s \u201cna\u00efve\u201d".encode()  # what eFiction wrote into latin1
        cp1252 = b"\x93quoted\x94 \xe9t\xe9"  # Windows-1252 quotes, latin1 accents
        efiction_sql(
            f"INSERT INTO fanfiction_chapters (chapid, title, storytext) "
            f"VALUES (1, X'{cp1252.hex()}', X'{utf8.hex()}')"
        )
        with open_database(efiction_db) as source:
            (row,) = source.rows("chapters")
        assert row["storytext"] == utf8 == self.stored(efiction_sql, "storytext")
        assert row["title"] == cp1252 == self.stored(efiction_sql, "title")

    def test_dates_decimals_floats_and_nulls(self, efiction_db, efiction_sql):
        # Older and modded archives keep DATETIMEs, zero dates included.
        efiction_sql(
            "ALTER TABLE fanfiction_news ADD posted DATETIME NULL, ADD day DATE NULL,"
            " ADD score DECIMAL(6, 2) NULL, ADD weight DOUBLE NULL"
        )
        efiction_sql(
            "SET STATEMENT sql_mode = '' FOR INSERT INTO fanfiction_news"
            " (nid, story, posted, day, score, weight) VALUES"
            " (1, '', '0000-00-00 00:00:00', '0000-00-00', 12.50, 0.25),"
            " (2, '', '2008-03-01 12:34:56', '2008-03-01', NULL, NULL)"
        )
        with open_database(efiction_db) as source:
            zero, dated = source.rows("news", order_by="nid")
        assert zero["posted"] == b"0000-00-00 00:00:00" and zero["day"] == b"0000-00-00"
        assert dated["posted"] == b"2008-03-01 12:34:56" and dated["day"] == b"2008-03-01"
        assert zero["score"] == Decimal("12.50") and isinstance(zero["score"], Decimal)
        assert zero["weight"] == 0.25
        assert dated["score"] is None and dated["weight"] is None
        assert zero["time"] == 0 and zero["author"] == b""


class TestErrors:
    def test_wrong_password(self, efiction_db, mariadb_server):
        name = efiction_db.rsplit("/", 1)[1]
        with pytest.raises(ImportSourceError) as error:
            open_database(mariadb_server.url(name, password="not-the-s3cret"))
        message = str(error.value)
        assert message.startswith(f"Access denied for user '{mariadb_server.user}' at ")
        assert "not-the-s3cret" not in message

    def test_unknown_database(self, mariadb_server):
        with pytest.raises(ImportSourceError, match="There is no database 'fanfold_no_such_db'"):
            open_database(mariadb_server.url("fanfold_no_such_db"))

    def test_wrong_prefix_names_the_prefix_found(self, efiction_db):
        with pytest.raises(ImportSourceError) as error:
            open_database(efiction_db, prefix="ef_")
        assert str(error.value).startswith("No tables starting with 'ef_' in ")
        assert str(error.value).endswith("eFiction tables found with prefix 'fanfiction_'")

    def test_a_database_without_efiction_tables(self, efiction_db, efiction_sql):
        efiction_sql("DROP TABLE " + ", ".join(f"fanfiction_{table}" for table in schema_columns()))
        with pytest.raises(ImportSourceError, match=r"\(the database is empty\)$"):
            open_database(efiction_db)

    def test_unreachable_server(self):
        with socket.socket() as probe:  # a port where nothing listens
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with pytest.raises(
            ImportSourceError, match=f"Cannot reach a MySQL/MariaDB server at 127.0.0.1:{port}"
        ):
            open_database(f"mysql://someone:pa55word@127.0.0.1:{port}/efiction")

    @pytest.mark.parametrize(
        ("url", "problem"),
        [
            ("postgres://u:pa55word@host/db", "Not a database URL: postgres://u:***@host/db"),
            ("/var/backups/efiction.sql", "Not a database URL"),
            ("mysql://u:pa55word@host:port/db", "Not a database URL (Port could not be cast"),
            ("mariadb://u:pa55word@host", "The URL names no database: mariadb://u:***@host"),
            ("mysql://u@host/db?password=pa55word", "Database URL options (after ?) are not"),
        ],
    )
    def test_bad_urls(self, url, problem):
        with pytest.raises(ImportSourceError) as error:
            open_database(url)
        assert str(error.value).startswith(problem)
        assert "pa55word" not in str(error.value)
