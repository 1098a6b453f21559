"""The SQL dump reader: every dump style eFiction archives come in, every MySQL escape,
and clear errors for what is not SQL."""

import gzip
import io
import os
from decimal import Decimal
from pathlib import Path

import pytest

from fanfold.importers.efiction.dump import DumpError, Row, parse_create_tables, read_dump
from fanfold.importers.efiction.layouts import LAYOUTS

SAMPLE = Path("/work/shared/efiction/sample-archive.sql.gz")
# In CI the shared files must be there: a missing one fails the test instead of skipping it.
IN_CI = os.environ.get("CI") == "true"


def rows(sql: str | bytes, **kw) -> list[Row]:
    data = sql.encode() if isinstance(sql, str) else sql
    return list(read_dump(io.BytesIO(data), **kw))


def values(sql: str | bytes, **kw) -> list[tuple]:
    return [row.values for row in rows(sql, **kw)]


MYSQLDUMP = (
    "/*M!999999\\- enable the sandbox mode */ \n"
    + """-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
DROP TABLE IF EXISTS `fanfiction_ratings`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
CREATE TABLE `fanfiction_ratings` (
  `rid` int(11) NOT NULL AUTO_INCREMENT,
  `rating` varchar(60) NOT NULL DEFAULT '',
  `ratingwarning` char(1) NOT NULL DEFAULT '0',
  `warningtext` text DEFAULT NULL,
  PRIMARY KEY (`rid`),
  KEY `rating` (`rating`)
) ENGINE=MyISAM AUTO_INCREMENT=6 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

LOCK TABLES `fanfiction_ratings` WRITE;
/*!40000 ALTER TABLE `fanfiction_ratings` DISABLE KEYS */;
INSERT INTO `fanfiction_ratings` VALUES (1,'K','0',NULL),(2,'MA','2','Adults; only (really)');
/*!40000 ALTER TABLE `fanfiction_ratings` ENABLE KEYS */;
UNLOCK TABLES;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
-- Dump completed on 2026-11-30 21:00:00
"""
)


def test_mysqldump_style_takes_columns_from_create_table():
    got = rows(MYSQLDUMP)
    assert got == [
        Row(
            "ratings",
            "fanfiction_ratings",
            ("rid", "rating", "ratingwarning", "warningtext"),
            "insert",
            (1, b"K", b"0", None),
        ),
        Row(
            "ratings",
            "fanfiction_ratings",
            ("rid", "rating", "ratingwarning", "warningtext"),
            "insert",
            (2, b"MA", b"2", b"Adults; only (really)"),
        ),
    ]
    assert got[1].as_dict()["warningtext"] == b"Adults; only (really)"


PHPMYADMIN = """-- phpMyAdmin SQL Dump
-- version 5.2.1
SET SQL_MODE = "NO_AUTO_VALUE_ON_ZERO";\r
START TRANSACTION;\r
SET time_zone = "+00:00";\r
\r
# a hash comment\r
CREATE TABLE IF NOT EXISTS `efic`.`fanfiction_characters` (\r
  `charid` int(11) NOT NULL,\r
  `catid` int(11) NOT NULL DEFAULT 0,\r
  `charname` varchar(60) NOT NULL DEFAULT '',\r
  `bio` text NOT NULL,\r
  `image` varchar(200) NOT NULL DEFAULT ''\r
) ENGINE=MyISAM DEFAULT CHARSET=latin1;\r
\r
INSERT INTO `efic`.`fanfiction_characters` (`charid`, `catid`, `charname`, `bio`, `image`) VALUES\r
(1, -1, 'Harry', 'Line one\r\nline two', ''),\r
(2, 3, 'Draco', 'He said \\"no\\"', 'x.png');\r
INSERT IGNORE INTO fanfiction_characters (charid, charname) VALUES (3, 'Luna');\r
REPLACE INTO `fanfiction_characters` (`charid`, `charname`) VALUES (4,'Neville');\r
ALTER TABLE `fanfiction_characters`\r
  ADD PRIMARY KEY (`charid`);\r
COMMIT;\r
"""


def test_phpmyadmin_style_with_column_lists_multiline_values_and_crlf():
    got = rows(PHPMYADMIN)
    assert [(r.table, r.full_table, r.kind) for r in got] == [
        ("characters", "fanfiction_characters", "insert"),
        ("characters", "fanfiction_characters", "insert"),
        ("characters", "fanfiction_characters", "insert_ignore"),
        ("characters", "fanfiction_characters", "replace"),
    ]
    assert got[0].as_dict() == {
        "charid": 1,
        "catid": -1,
        "charname": b"Harry",
        "bio": b"Line one\r\nline two",
        "image": b"",
    }
    assert got[1].values[3] == b'He said "no"'
    assert got[2].columns == ("charid", "charname")
    assert got[3].values == (4, b"Neville")


# One statement per line, as eFiction's backup writes them (split here for line length).
EFICTION_BACKUP = (
    "INSERT INTO fanfiction_authors VALUES ('1', 'Admin', '', 'a@example.org', '', '', "
    "'1200000000', '0', '5f4dcc3b5aa765d61d8327deb882cf99');\n"
    "INSERT INTO fanfiction_authors VALUES ('2', 'Old Timer', 'Real', 'o@example.org', "
    "'http://x.example', 'bio', '', '1100000000', '0', '0');\n"
    "INSERT INTO fanfiction_stories VALUES ('7','T','S','N','1,2','','','1',"
    "'2008-01-01 00:00:00','2008-01-01 00:00:00','2','0','0','1','1','0','100','0','0','3','');\n"
    "INSERT INTO fanfiction_challenges VALUES (1, 1, 2, 'C', '1', '', 'S', '7');\n"
    "INSERT INTO other_app VALUES (1, 2);\n"
)


def test_eficton_backup_style_matches_known_layouts_by_value_count():
    got = rows(EFICTION_BACKUP)
    assert got[0].columns[4] == "bio"  # 3.5.8: no website column
    assert got[0].as_dict()["password"] == b"5f4dcc3b5aa765d61d8327deb882cf99"
    assert got[1].as_dict()["website"] == b"http://x.example"
    assert got[2].as_dict()["challenges"] == b""
    assert got[2].as_dict()["catid"] == b"1,2"
    assert got[3].as_dict()["responses"] == b"7"
    assert (got[4].table, got[4].columns, got[4].values) == ("other_app", None, (1, 2))


def test_prefix_is_configurable():
    got = rows("INSERT INTO `ef_ratings` VALUES (1,'K','0','');", prefix="ef_")
    assert got[0].table == "ratings"
    assert got[0].columns == ("rid", "rating", "ratingwarning", "warningtext")


def test_positional_insert_matching_no_layout_names_table_and_count():
    with pytest.raises(DumpError, match=r"fanfiction_ratings: rows of 3 values .*--schema"):
        rows("INSERT INTO fanfiction_ratings VALUES (1,'K','0');")


def test_schema_text_gives_columns_of_unknown_layouts():
    schema = (
        "CREATE TABLE fanfiction_ratings "
        "(rid int, rating varchar(60) DEFAULT 'a,b', flag enum('x','y'));"
    )
    got = rows("INSERT INTO fanfiction_ratings VALUES (1,'K','0');", schema=schema)
    assert got[0].as_dict() == {"rid": 1, "rating": b"K", "flag": b"0"}


def test_value_count_differing_from_column_list_is_an_error():
    with pytest.raises(DumpError, match="2 values for 3 columns"):
        rows("INSERT INTO t (a, b, c) VALUES (1, 2);")


def test_create_table_columns_skip_keys_and_constraints():
    assert parse_create_tables(
        """CREATE TABLE `t` (
          `id` int NOT NULL,
          `name` varchar(10) DEFAULT ',(x',
          `kind` enum('a','b') NOT NULL,
          PRIMARY KEY (`id`),
          UNIQUE KEY `name` (`name`),
          KEY `kind` (`kind`),
          CONSTRAINT `fk` FOREIGN KEY (`id`) REFERENCES `u` (`id`)
        );"""
    ) == {"t": ("id", "name", "kind")}


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        (r"'\0'", b"\0"),
        (r"'\''", b"'"),
        (r"'\"'", b'"'),
        (r"'\b'", b"\b"),
        (r"'\n'", b"\n"),
        (r"'\r'", b"\r"),
        (r"'\t'", b"\t"),
        (r"'\Z'", b"\x1a"),
        (r"'\\'", b"\\"),
        (r"'\%'", b"\\%"),
        (r"'\_'", b"\\_"),
        (r"'\q'", b"q"),
        ("'it''s'", b"it's"),
        ("''''", b"'"),
        ("''", b""),
        ('"dq ""x"" \\"y\\""', b'dq "x" "y"'),
        ('\'say ""hi""\'', b'say ""hi""'),
        ("\"it''s\"", b"it''s"),
        ("_binary'\\0ab'", b"\0ab"),
        ("_utf8mb4'café'", "café".encode()),
        ("_binary 0x00FF", b"\x00\xff"),
        ("0x4869", b"Hi"),
        ("0x", b""),
        ("X'4869'", b"Hi"),
        ("x''", b""),
        ("b'0101'", 5),
        ("B''", 0),
        ("NULL", None),
        ("null", None),
        ("42", 42),
        ("-7", -7),
        ("+3", 3),
        ("1.50", Decimal("1.50")),
        ("-0.5", Decimal("-0.5")),
        ("1e3", 1000.0),
        ("2.5E-1", 0.25),
        ("TRUE", 1),
        ("'; ) ( -- # /* '", b"; ) ( -- # /* "),
    ],
)
def test_every_literal(literal, value):
    got = values(b"INSERT INTO t VALUES (" + literal.encode("utf-8") + b" );")
    assert got == [(value,)]
    assert type(got[0][0]) is type(value)


def test_string_bytes_are_kept_exactly():
    latin1_holding_utf8 = "â€™".encode()  # mojibake stays for the importer to repair
    cp1252 = b"\x93quoted\x94"
    sql = b"INSERT INTO t VALUES ('" + latin1_holding_utf8 + b"','" + cp1252 + b"');"
    assert values(sql) == [(latin1_holding_utf8, cp1252)]


def test_gzip_is_detected_by_magic_bytes_not_name(tmp_path):
    plain = tmp_path / "dump.gz"  # a misleading name on a plain file
    plain.write_bytes(PHPMYADMIN.encode())
    packed = tmp_path / "dump.sql"
    packed.write_bytes(gzip.compress(PHPMYADMIN.encode()))
    assert list(read_dump(plain)) == list(read_dump(packed)) == rows(PHPMYADMIN)
    assert list(read_dump(str(packed))) == rows(PHPMYADMIN)


def test_byte_order_mark_is_skipped():
    assert values(b"\xef\xbb\xbfINSERT INTO t VALUES (1);") == [(1,)]


def test_statement_without_final_semicolon_at_end_of_file():
    assert values("INSERT INTO t VALUES (1),(2)\n") == [(1,), (2,)]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("INSERT INTO t VALUES (1,'abc);\n", r"Unterminated string .*line 1"),
        (
            "SET a=1;\nINSERT INTO t VALUES (1, abc);",
            r"Not a value at line 2 \(byte 34\): 'abc\);'",
        ),
        ("INSERT INTO t VALUES (1 2);", "Not a value"),
        ("INSERT INTO t VALUES (1),;", "Not a value|Expected"),
        ("INSERT INTO t VALUES (1) (2);", r"Expected ',' or ';' after a row"),
        ("INSERT INTO t VALUES ();", "A row without values"),
        ("INSERT INTO t SET a = 1;", "INSERT of a form"),
        ("\x00\x01garbage", "Not an SQL statement"),
        ("/* never closed\nINSERT INTO t VALUES (1);", "Unterminated comment"),
        ("SET a = 'open;\n", "Statement without an end"),
        ("DELIMITER ;;\nCREATE TRIGGER x;;\n", "DELIMITER is not supported"),
    ],
)
def test_malformed_sql_is_an_error_with_where(sql, message):
    with pytest.raises(DumpError, match=message):
        rows(sql)


def test_many_megabyte_value_across_chunks():
    text = b"x" * 3_000_000 + b"\\'" + b"y" * 2_500_000
    got = values(b"INSERT INTO t VALUES (1,'" + text + b"',0x" + b"ab" * 1_500_000 + b");")
    assert got == [(1, b"x" * 3_000_000 + b"'" + b"y" * 2_500_000, b"\xab" * 1_500_000)]


@pytest.mark.skipif(
    not SAMPLE.exists() and not IN_CI, reason=f"the sample eFiction dump is not at {SAMPLE}"
)
def test_sample_archive():
    counts: dict[str, int] = {}
    chapters = []
    for row in read_dump(SAMPLE):
        counts[row.table] = counts.get(row.table, 0) + 1
        assert row.columns is not None and len(row.columns) == len(row.values)
        if row.table == "chapters":
            chapters.append(row.as_dict())
    assert counts == {
        "authorfields": 12,
        "authorinfo": 61,
        "authorprefs": 151,
        "authors": 151,
        "blocks": 9,
        "categories": 20,
        "chapters": 1457,
        "characters": 100,
        "classes": 74,
        "classtypes": 3,
        "coauthors": 6,
        "comments": 20,
        "favorites": 808,
        "inseries": 85,
        "messages": 9,
        "news": 8,
        "pagelinks": 26,
        "panels": 77,
        "ratings": 5,
        "reviews": 3000,
        "series": 20,
        "settings": 1,
        "stats": 1,
        "stories": 300,
    }
    texts = [chapter["storytext"].decode("utf-8") for chapter in chapters]
    assert sum("\u2019" in text or "\u201c" in text for text in texts) > 1000
    assert sum(chapter["validated"] not in (0, b"0") for chapter in chapters) == 1446


INSTALLED_SCHEMA = Path("/work/shared/efiction/schema-installed.sql")


@pytest.mark.skipif(
    not INSTALLED_SCHEMA.exists() and not IN_CI, reason=f"no eFiction schema at {INSTALLED_SCHEMA}"
)
def test_layouts_put_the_installed_358_schema_first():
    installed = parse_create_tables(INSTALLED_SCHEMA.read_bytes())
    assert len(installed) == 27
    for name, columns in installed.items():
        assert LAYOUTS[name.removeprefix("fanfiction_")][0] == columns


def test_no_table_has_two_layouts_of_the_same_length():
    for layouts in LAYOUTS.values():
        assert len({len(columns) for columns in layouts}) == len(layouts)


def test_rows_without_known_columns_have_no_dict():
    (row,) = rows("INSERT INTO other VALUES (1);")
    with pytest.raises(DumpError, match="No column names known for table other"):
        row.as_dict()
