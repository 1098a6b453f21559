"""An eFiction 3.5 archive holding every trap of issue 6, and the ways archives reach us.

`build()` gives the same archive every time: rows as (table, row) pairs, the chapter files
of a `store = files` archive, and the members' known passwords. The writers put it where
an importer meets it: a MariaDB database made from eFiction's installed schema
(`write_database`), and dump files as mysqldump, eFiction's own backup and phpMyAdmin
write them (`write_dump`). Each dump holds exactly the rows the database holds, so every
way of importing the archive must give the same Fanfold archive.

The writers only know the schema, not the traps, so `bench/import_efiction.py` uses them
to stream big generated dumps too.

Traps that need a schema other than 3.5.8's (older 3.x and modules), applied to both the
database and the dumps: `authors.website` (older 3.x), `stories.date`/`updated` as
DATETIME (before 3.5.6), `stories.coauthors` as a comma list of uids (before 3.5),
`stories.challenges` and the `challenges` table (the challenges module), a `shoutbox`
table no eFiction version knows, and `reviews` as a latin1 table holding UTF-8 bytes and
Windows-1252 quotes.
"""

import gzip
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal
from urllib.parse import unquote, urlsplit

import pymysql

SCHEMA = Path("/work/shared/efiction/schema-installed.sql")
PREFIX = "fanfiction_"
Style = Literal["mysqldump", "backup", "phpmyadmin"]
STYLES: tuple[Style, ...] = ("mysqldump", "backup", "phpmyadmin")
Value = None | int | str | bytes

# A value with every escape MySQL reads in a string: \0 \' \" \b \n \r \t \Z \\ and the
# two whose backslash MySQL keeps (\% and \_, LIKE wildcards).
EVERY_ESCAPE = (
    "quote ' double \" backslash \\ percent \\% underscore \\_ "
    "newline \n return \r tab \t backspace \b ctrl-Z \x1a nul \0 end"
)
# Windows-1252 curly quotes and ellipsis as an old file or latin1 table holds them.
CP1252_QUOTE = "\u201cStay,\u201d she said. \u201cJust \u2019til morning\u2026\u201d"


def md5(password: str) -> str:
    return hashlib.md5(password.encode()).hexdigest()  # noqa: S324 (eFiction's own hash)


# --- The schema -------------------------------------------------------------------------

_INTEGER = re.compile(r"(?:tiny|small|medium|big)?int\b", re.I)
_COLUMN = re.compile(r"^\s*`(?P<name>[^`]+)`\s+(?P<type>\S+)(?P<rest>.*?),?$")
_DEFAULT = re.compile(r"DEFAULT\s+('(?:[^']|'')*'|\S+)")


@dataclass(frozen=True)
class Column:
    name: str
    integer: bool
    nullable: bool
    default: Value


@dataclass(frozen=True)
class Table:
    name: str  # without the prefix
    create: str  # CREATE TABLE statement with the prefix, without the final ";"
    columns: tuple[Column, ...]
    latin1: bool = False

    def complete(self, row: dict[str, Value]) -> dict[str, Value]:
        """The row with every column, in table order, defaults for those not given."""
        unknown = set(row) - {c.name for c in self.columns}
        if unknown:
            raise ValueError(f"{self.name} has no columns {sorted(unknown)}")
        return {c.name: row.get(c.name, c.default) for c in self.columns}


def _table(create: str) -> Table:
    name = re.search(r"CREATE TABLE `([^`]+)`", create)[1].removeprefix(PREFIX)
    columns = []
    for line in create.splitlines()[1:]:
        match = _COLUMN.match(line)
        if not match:
            continue
        rest = match["rest"]
        default_match = _DEFAULT.search(rest)
        default: Value = "" if "NOT NULL" in rest else None
        if default_match:
            raw = default_match[1]
            if raw.upper() == "NULL":
                default = None
            elif raw.startswith("'"):
                default = raw[1:-1].replace("''", "'")
            else:
                default = int(raw)
        integer = bool(_INTEGER.match(match["type"]))
        if integer and isinstance(default, str):
            default = int(default or 0)
        columns.append(Column(match["name"], integer, "NOT NULL" not in rest, default))
    return Table(name, create, tuple(columns), latin1="CHARSET=latin1" in create)


def _replace(text: str, old: str, new: str) -> str:
    if old not in text:
        raise ValueError(f"the schema no longer holds {old!r}")
    return text.replace(old, new, 1)


_CHALLENGES = """CREATE TABLE `fanfiction_challenges` (
  `chalid` int(11) NOT NULL AUTO_INCREMENT,
  `challenger` varchar(200) NOT NULL DEFAULT '',
  `uid` int(11) NOT NULL DEFAULT 0,
  `title` varchar(250) NOT NULL DEFAULT '',
  `catid` varchar(200) NOT NULL DEFAULT '',
  `characters` varchar(200) NOT NULL DEFAULT '',
  `summary` text DEFAULT NULL,
  `responses` text DEFAULT NULL,
  PRIMARY KEY (`chalid`)
) ENGINE=MyISAM DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"""

_SHOUTBOX = """CREATE TABLE `fanfiction_shoutbox` (
  `shout_id` int(11) NOT NULL AUTO_INCREMENT,
  `shout_name` varchar(200) NOT NULL DEFAULT '',
  `shout_message` text DEFAULT NULL,
  `shout_datestamp` int(11) NOT NULL DEFAULT 0,
  PRIMARY KEY (`shout_id`)
) ENGINE=MyISAM DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"""


def schema(*, trap_columns: bool = True) -> dict[str, Table]:
    """eFiction 3.5.8's installed tables by name (without prefix); with `trap_columns`,
    changed and extended as the module docstring lists."""
    creates = {}
    for statement in SCHEMA.read_text().split(";"):
        start = statement.find("CREATE TABLE")
        if start >= 0:
            create = statement[start:].strip()
            creates[_table(create).name] = create
    if trap_columns:
        creates["authors"] = _replace(
            creates["authors"],
            "`email` varchar(200) NOT NULL DEFAULT '',\n",
            "`email` varchar(200) NOT NULL DEFAULT '',\n"
            "  `website` varchar(200) NOT NULL DEFAULT '',\n",
        )
        stories = creates["stories"]
        for column in ("date", "updated"):
            stories = _replace(
                stories,
                f"`{column}` int(10) unsigned NOT NULL DEFAULT 0",
                f"`{column}` datetime NOT NULL DEFAULT '0000-00-00 00:00:00'",
            )
        stories = _replace(
            stories,
            "`coauthors` tinyint(1) NOT NULL DEFAULT 0",
            "`coauthors` varchar(200) NOT NULL DEFAULT '0'",
        )
        creates["stories"] = _replace(
            stories,
            "`count` int(11) NOT NULL DEFAULT 0,\n",
            "`count` int(11) NOT NULL DEFAULT 0,\n"
            "  `challenges` varchar(200) NOT NULL DEFAULT '',\n",
        )
        creates["reviews"] = _replace(
            creates["reviews"],
            "CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
            "CHARSET=latin1 COLLATE=latin1_swedish_ci",
        )
        creates["challenges"] = _CHALLENGES
        creates["shoutbox"] = _SHOUTBOX
    return {name: _table(create) for name, create in sorted(creates.items())}


# --- The archive ------------------------------------------------------------------------


@dataclass
class Archive:
    tables: dict[str, Table]
    rows: list[tuple[str, dict[str, Value]]]
    # Chapter files of the `store = files` setting: relative path → bytes.
    files: dict[str, bytes]
    # Rows only dumps carry, as (table, row): stale rows written before the table's rows,
    # which then come as REPLACE, and duplicates written after them as INSERT IGNORE.
    replaced: list[tuple[str, dict[str, Value]]] = field(default_factory=list)
    ignored: list[tuple[str, dict[str, Value]]] = field(default_factory=list)

    def table_rows(self, table: str) -> list[dict[str, Value]]:
        return [self.tables[table].complete(row) for name, row in self.rows if name == table]

    def write_files(self, stories_dir: Path) -> Path:
        """The chapter files under `stories_dir` (<uid>/<chapid>.txt); returns it."""
        for relative, data in self.files.items():
            path = stories_dir / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return stories_dir


# Known passwords (eFiction stored their unsalted MD5).
PASSWORDS = {1: "efiction-admin", 2: "pw2", 3: "pw3", 4: "pw4", 7: "pw7", 8: "pw8", 9: "pw9"}
# The chapter read from a Windows-1252 file, and what it must read as in Fanfold.
CP1252_CHAPTER = (4, 12)  # (sid, chapid)

_T = 1_200_000_000  # 2008-01-10, a unix time
_MOJIBAKE_TITLE = "Don\u2019t Go".encode().decode("cp1252")  # "Donâ€™t Go": converted twice


def build() -> Archive:
    """The trap archive (always the same rows)."""
    rows: list[tuple[str, dict[str, Value]]] = []

    def add(table: str, *many: dict[str, Value]) -> None:
        rows.extend((table, row) for row in many)

    add(
        "settings",
        {
            "sitekey": "traps",
            "sitename": "Traps &amp; Tales",
            "slogan": "Nothing <i>lost</i>",
            "url": "http://127.0.0.1:8081",
            "tableprefix": "",
            "storiespath": "stories",
            "store": "files",
            "autovalidate": 0,
            "coauthallowed": 1,
            "reviewsallowed": 1,
            "ratings": 1,
            "anonreviews": 1,
            "favorites": 1,
            "agestatement": 1,
            "roundrobins": 1,
        },
    )
    add(
        "messages",
        {"message_id": 1, "message_name": "rules", "message_title": "Rules",
         "message_text": "<p>Be kind.</p><script>alert(1)</script>"},
        {"message_id": 2, "message_name": "tos", "message_title": "Terms",
         "message_text": "No stealing.\nNo flames."},
        {"message_id": 3, "message_name": "welcome", "message_title": "Welcome",
         "message_text": "Hello &amp; welcome"},
    )  # fmt: skip
    # Rating flags: 1 warning page, 2 age consent, 4 members only.
    add(
        "ratings",
        {"rid": 1, "rating": "K", "ratingwarning": "0", "warningtext": ""},
        {"rid": 2, "rating": "T", "ratingwarning": "1", "warningtext": "Some <b>violence</b>."},
        {"rid": 3, "rating": "M", "ratingwarning": "2", "warningtext": "Adults only."},
        {"rid": 4, "rating": "MA", "ratingwarning": "6", "warningtext": "Members, adults."},
        {"rid": 5, "rating": "NC-17", "ratingwarning": "7", "warningtext": "Everything."},
        {"rid": 6, "rating": "PG-13", "ratingwarning": "0", "warningtext": ""},
    )
    add(
        "categories",
        {"catid": 1, "parentcatid": -1, "category": "Buffy", "description": "The slayer.",
         "displayorder": 1},
        {"catid": 2, "parentcatid": 0, "category": "Tom &amp; Jerry", "description": "",
         "displayorder": 2, "locked": "1"},
        {"catid": 3, "parentcatid": 1, "category": "Season 7", "description": "",
         "displayorder": 1},
        {"catid": 5, "parentcatid": 99, "category": "Lost parent", "description": "",
         "displayorder": 3},
        # A child listed before its parent.
        {"catid": 6, "parentcatid": 7, "category": "Early child", "description": "",
         "displayorder": 1},
        {"catid": 7, "parentcatid": -1, "category": "Late parent", "description": "",
         "displayorder": 4},
    )  # fmt: skip
    add(
        "characters",
        {"charid": 1, "catid": 1, "charname": "Buffy Summers", "bio": ""},
        {"charid": 2, "catid": 1, "charname": "Spike", "bio": "A <b>vampire</b>."},
        {"charid": 3, "catid": 2, "charname": "Zoë", "bio": ""},
        {"charid": 4, "catid": -1, "charname": "Everyone", "bio": ""},
        {"charid": 5, "catid": 42, "charname": "Lost", "bio": ""},
    )
    add(
        "classtypes",
        {"classtype_id": 1, "classtype_name": "genre", "classtype_title": "Genres"},
        {"classtype_id": 2, "classtype_name": "warnings", "classtype_title": "Warnings"},
    )
    add(
        "classes",
        {"class_id": 1, "class_type": 1, "class_name": "Angst"},
        {"class_id": 2, "class_type": 1, "class_name": "Romance"},
        {"class_id": 3, "class_type": 2, "class_name": "Violence"},
        {"class_id": 4, "class_type": 9, "class_name": "Of a dead type"},
    )
    # Field types: 1 URL, 2 select list, 3 yes/no, 4 ID link, 5 code, 6 text.
    add(
        "authorfields",
        {"field_id": 1, "field_type": 1, "field_name": "website", "field_title": "Web Site",
         "field_on": 1},
        {"field_id": 2, "field_type": 2, "field_name": "team", "field_title": "Team",
         "field_options": "Red|Blue|Green", "field_on": 1},
        {"field_id": 3, "field_type": 3, "field_name": "beta", "field_title": "Will beta",
         "field_on": 1},
        {"field_id": 4, "field_type": 4, "field_name": "lj", "field_title": "Live Journal",
         "field_options": "http://{info}.livejournal.com", "field_on": 0},
        {"field_id": 6, "field_type": 6, "field_name": "quote", "field_title": "Quote",
         "field_on": 1},
    )  # fmt: skip
    member = {"realname": "", "bio": "", "image": "", "admincreated": "0"}
    add(
        "authors",
        {**member, "uid": 1, "penname": "Admin", "email": "admin@example.org",
         "date": _T, "password": md5(PASSWORDS[1])},
        # A pen name with spaces; a plain-text bio with an entity that is text.
        {**member, "uid": 2, "penname": "Willow Rosenberg", "email": "willow@example.org",
         "website": "http://example.org/willow", "date": _T + 86_400,
         "bio": "Witch.\nI &lt;3 computers.", "password": md5(PASSWORDS[2])},
        # Pen names differing only by case, sharing an email.
        {**member, "uid": 3, "penname": "spike", "email": "shared@example.org",
         "date": _T + 2 * 86_400, "password": md5(PASSWORDS[3])},
        {**member, "uid": 4, "penname": "Spike", "email": "shared@example.org",
         "date": _T + 3 * 86_400, "password": md5(PASSWORDS[4])},
        # Admin-created accounts: password '0', empty or shared email.
        {**member, "uid": 5, "penname": "Dawn", "email": "", "date": _T,
         "admincreated": "1", "password": "0"},
        {**member, "uid": 6, "penname": "Faith", "email": "shared@example.org", "date": _T,
         "admincreated": "1", "password": "0"},
        # A look-alike of "spike" with a Cyrillic Ѕ; an email that is not one.
        {**member, "uid": 7, "penname": "\u0405pike", "email": "not an email",
         "date": _T, "password": md5(PASSWORDS[7])},
        # Accents, a bio converted twice (mojibake), a zero date.
        {**member, "uid": 8, "penname": "Zoë Ångström", "email": "zoe@example.org",
         "bio": "Writer from Malmö. " + "I don\u2019t bite.".encode().decode("cp1252"),
         "date": 0, "password": md5(PASSWORDS[8])},
        # Hostile HTML in the bio; a website that is not http(s).
        {**member, "uid": 9, "penname": "Tara", "email": "tara@example.org",
         "website": "javascript:alert(1)", "date": _T,
         "bio": '<p onclick="steal()">Hi</p><script>alert(1)</script>',
         "password": md5(PASSWORDS[9])},
    )  # fmt: skip
    add(
        "authorinfo",
        {"uid": 2, "field": 1, "info": "http://example.org/willow"},
        {"uid": 2, "field": 2, "info": "Red"},
        {"uid": 2, "field": 3, "info": "1"},
        {"uid": 2, "field": 6, "info": "I &lt;3 <b>code</b>"},
        {"uid": 99, "field": 1, "info": "http://example.org/gone"},  # dead member
        {"uid": 3, "field": 77, "info": "dead field"},
    )
    add(
        "authorprefs",
        {"uid": 1, "level": 1, "validated": 1, "ageconsent": 1},
        {"uid": 2, "level": 0, "validated": 1, "ageconsent": 1, "sortby": 1, "storyindex": 1,
         "newreviews": 1, "newrespond": 1, "alertson": 1, "tinyMCE": 1, "userskin": "Zen"},
        {"uid": 9, "level": 3, "categories": "1,3"},
        {"uid": 60, "level": 0},  # a member who no longer exists
    )  # fmt: skip
    story = {"summary": "", "storynotes": "", "featured": "0", "validated": "1",
             "completed": "0", "rr": "0", "coauthors": "0"}  # fmt: skip
    add(
        "stories",
        # Comma lists with stray spaces, empty items and dead ids; HTML and a hostile
        # script in the summary; an entity that is text; DATETIME dates.
        {**story, "sid": 1, "title": "Once More, with Feeling", "uid": 2,
         "catid": "1, ,3,,99", "charid": " 1,2 ,999", "classes": "1,,2, 77", "rid": "1",
         "summary": '<b>Singing</b> &amp; dancing. I &lt;3 Spike.<script>alert(1)</script>'
                    '<a href="javascript:alert(1)">x</a>',
         "storynotes": "Line one\nLine two", "date": "2008-03-01 12:00:00",
         "updated": "2008-03-05 18:30:00", "completed": "1", "featured": "1",
         "wordcount": 60, "count": 123},
        # Title converted twice; rid holds a rating name; zero date; co-authors as an old
        # 3.x comma list; the challenges module's column.
        {**story, "sid": 2, "title": _MOJIBAKE_TITLE, "uid": 3, "catid": "2",
         "charid": "", "classes": "", "rid": "PG-13", "date": "0000-00-00 00:00:00",
         "updated": "2009-01-01 00:00:00", "coauthors": "4, 8", "challenges": "1",
         "wordcount": 5},
        # Title with entities; a dead rating id; awaiting validation; past featured.
        {**story, "sid": 3, "title": "Tom &amp; Jerry &lt;3", "uid": 4, "catid": "2",
         "charid": "3", "classes": "3", "rid": "99", "validated": "0", "featured": "2",
         "date": "2008-05-01 00:00:00", "updated": "2008-05-01 00:00:00", "wordcount": 4},
        # Chapters in files; a co-author in the 3.5 coauthors table.
        {**story, "sid": 4, "title": "Stored in Files", "uid": 2, "catid": "1",
         "charid": "1", "classes": "1", "rid": "1", "coauthors": "1",
         "date": "2008-06-01 10:00:00", "updated": "2008-06-09 10:00:00", "wordcount": 80},
        # Chapter numbers with duplicates and gaps; plain text and HTML chapters.
        {**story, "sid": 5, "title": "Numbering", "uid": 8, "catid": "3", "charid": "2",
         "classes": "", "rid": "5", "date": "2008-07-01 00:00:00",
         "updated": "2008-07-04 00:00:00", "wordcount": 50},
        # Written by a member who was deleted.
        {**story, "sid": 6, "title": "Left Behind", "uid": 50, "catid": "1", "charid": "",
         "classes": "", "rid": "2", "date": "2008-08-01 00:00:00",
         "updated": "2008-08-01 00:00:00", "wordcount": 3},
        # An empty rating.
        {**story, "sid": 7, "title": "No Rating", "uid": 5, "catid": "7", "charid": "4",
         "classes": "", "rid": "", "date": "2008-09-01 00:00:00",
         "updated": "0000-00-00 00:00:00", "wordcount": 2},
    )  # fmt: skip
    chapter = {"notes": "", "endnotes": "", "validated": "1", "storytext": ""}
    add(
        "chapters",
        {**chapter, "chapid": 1, "sid": 1, "uid": 2, "inorder": 1, "title": "Going Through",
         "notes": "<i>Thanks</i> to my beta &amp; friends.", "endnotes": "More soon.",
         "storytext": "<p>She sang.</p><p>I &lt;3 you, she said.</p>", "wordcount": 30},
        {**chapter, "chapid": 2, "sid": 1, "uid": 2, "inorder": 2, "title": "Walk Through",
         "storytext": "Plain text.\nA second line.\n\nA new paragraph.", "wordcount": 30},
        {**chapter, "chapid": 3, "sid": 2, "uid": 3, "inorder": 1, "title": "Don’t",
         "storytext": "Short and sweet.", "wordcount": 5},
        {**chapter, "chapid": 4, "sid": 3, "uid": 4, "inorder": 1, "title": "Chase",
         "storytext": "Cat <b>and</b> mouse.", "validated": "0", "wordcount": 4},
        # Text in files: UTF-8, UTF-8 with a BOM (under the co-author's uid),
        # Windows-1252, text in both the database and a file, and a missing file.
        {**chapter, "chapid": 10, "sid": 4, "uid": 2, "inorder": 1, "title": "UTF-8 File",
         "wordcount": 20},
        {**chapter, "chapid": 11, "sid": 4, "uid": 9, "inorder": 2, "title": "BOM File",
         "wordcount": 15},
        {**chapter, "chapid": 12, "sid": 4, "uid": 2, "inorder": 3, "title": "Windows File",
         "wordcount": 20},
        {**chapter, "chapid": 13, "sid": 4, "uid": 2, "inorder": 4, "title": "Both Places",
         "storytext": "The database's older version.", "wordcount": 15},
        {**chapter, "chapid": 14, "sid": 4, "uid": 2, "inorder": 5, "title": "Missing File",
         "wordcount": 10},
        {**chapter, "chapid": 20, "sid": 5, "uid": 8, "inorder": 1, "title": "First",
         "storytext": "Para one.\n\nPara two\nsame paragraph.", "wordcount": 10},
        {**chapter, "chapid": 21, "sid": 5, "uid": 8, "inorder": 1, "title": "Also First",
         "storytext": "<p>Already</p><p>HTML</p>", "wordcount": 10},
        {**chapter, "chapid": 22, "sid": 5, "uid": 8, "inorder": 4, "title": "Escapes",
         "storytext": EVERY_ESCAPE, "wordcount": 20},
        {**chapter, "chapid": 23, "sid": 5, "uid": 8, "inorder": 7, "title": "Hostile",
         "storytext": 'Line<br>break <img src=x onerror="alert(1)"><script>x()</script>',
         "notes": '<a href="javascript:alert(1)">notes</a>', "wordcount": 10},
        {**chapter, "chapid": 24, "sid": 6, "uid": 50, "inorder": 1, "title": "Alone",
         "storytext": "Nobody left.", "wordcount": 3},
        {**chapter, "chapid": 25, "sid": 7, "uid": 5, "inorder": 1, "title": "Unrated",
         "storytext": "Rated nothing.", "wordcount": 2},
        # An orphan: its story is gone.
        {**chapter, "chapid": 30, "sid": 999, "uid": 2, "inorder": 1, "title": "Orphan",
         "storytext": "Nobody reads me.", "wordcount": 7},
    )  # fmt: skip
    add(
        "coauthors",
        {"sid": 4, "uid": 9},
        {"sid": 4, "uid": 2},  # the owner again
        {"sid": 999, "uid": 2},  # a dead story
        {"sid": 1, "uid": 50},  # a deleted member
    )
    add(
        "series",
        {"seriesid": 1, "title": "Seasons", "summary": "All <i>of</i> them.", "uid": 2,
         "isopen": 0, "catid": "1", "classes": "1,2"},
        {"seriesid": 2, "title": "Open Anthology", "summary": "", "uid": 50, "isopen": 1},
        {"seriesid": 3, "title": "Loop", "summary": "", "uid": 3, "isopen": 0},
    )  # fmt: skip
    add(
        "inseries",
        {"seriesid": 1, "sid": 1, "subseriesid": 0, "confirmed": 1, "inorder": 1},
        {"seriesid": 1, "sid": 0, "subseriesid": 2, "confirmed": 1, "inorder": 2},
        {"seriesid": 1, "sid": 5, "subseriesid": 0, "confirmed": 1, "inorder": 5},
        {"seriesid": 2, "sid": 4, "subseriesid": 0, "confirmed": 0, "inorder": 1},
        {"seriesid": 2, "sid": 999, "subseriesid": 0, "confirmed": 1, "inorder": 2},
        {"seriesid": 3, "sid": 0, "subseriesid": 3, "confirmed": 1, "inorder": 1},
    )
    review = {"chapid": 0, "rating": -1, "respond": "0", "type": "ST"}
    add(
        "reviews",
        # UTF-8 bytes in the latin1 table, with an author's response appended.
        {**review, "reviewid": 1, "item": 1, "uid": 3, "reviewer": "spike",
         "review": "Loved it \u2019til the end.<br><br><i>Author&#39;s Response: Thank you!</i>"
                   .encode(), "date": _T + 100, "rating": 8, "respond": "1"},
        # Anonymous, with Windows-1252 quotes as the latin1 table holds them.
        {**review, "reviewid": 2, "item": 1, "chapid": 2, "uid": 0, "reviewer": "Anon Reader",
         "review": CP1252_QUOTE.encode("cp1252"), "date": _T + 200},
        # A deleted reviewer; a response pasted in without the respond flag; `&lt;3`.
        {**review, "reviewid": 3, "item": 5, "chapid": 20, "uid": 51, "reviewer": "Gone",
         "review": b"I &lt;3 this<br><br><i>Author's Response: Thanks &lt;3</i>",
         "date": 0},
        # A review of a series.
        {**review, "reviewid": 4, "item": 1, "uid": 2, "reviewer": "Willow Rosenberg",
         "review": b"A fine series.", "type": "SE", "date": _T + 300, "rating": 10},
        # A story that is gone; a module's review type; a chapter of another story.
        {**review, "reviewid": 5, "item": 999, "uid": 2, "reviewer": "Willow Rosenberg",
         "review": b"Where did it go?", "date": _T + 400},
        {**review, "reviewid": 6, "item": 1, "uid": 2, "reviewer": "Willow Rosenberg",
         "review": b"A challenge.", "type": "C", "date": _T + 500},
        {**review, "reviewid": 7, "item": 4, "chapid": 20, "uid": 3, "reviewer": "spike",
         "review": b'<b>Hostile</b><script>alert(1)</script>', "date": _T + 600},
    )  # fmt: skip
    add(
        "favorites",
        {"uid": 2, "item": 1, "type": "ST", "comments": "My <b>fave</b>\nsecond line"},
        {"uid": 2, "item": 3, "type": "AU", "comments": ""},
        {"uid": 2, "item": 1, "type": "SE", "comments": ""},
        {"uid": 3, "item": 1, "type": "ST", "comments": ""},
        {"uid": 3, "item": 3, "type": "AU", "comments": "Myself!"},
        {"uid": 2, "item": 999, "type": "ST", "comments": ""},  # a dead story
        {"uid": 50, "item": 1, "type": "ST", "comments": ""},  # a deleted member
    )
    add(
        "news",
        {"nid": 1, "author": "Admin", "title": "We moved", "story": "To <b>Fanfold</b>.",
         "time": _T, "comments": 1},
    )  # fmt: skip
    add("comments", {"cid": 1, "nid": 1, "uid": 2, "comment": "Yay!", "time": _T + 60})
    add(
        "challenges",
        {"chalid": 1, "challenger": "Admin", "uid": 1, "title": "Songfic", "catid": "1",
         "characters": "1,2", "summary": "Write a <i>song</i>.", "responses": "2"},
    )  # fmt: skip
    add(
        "log",
        {"log_id": 1, "log_action": "Admin validated story 1", "log_uid": 1,
         "log_ip": bytes([127, 0, 0, 1]), "log_timestamp": _T, "log_type": "VS"},
    )  # fmt: skip
    add(
        "stats",
        {"sitekey": "traps", "stories": 7, "chapters": 16, "series": 3, "reviews": 7,
         "wordcount": 271, "authors": 5, "members": 9, "reviewers": 3, "newestmember": 9},
    )  # fmt: skip
    add("shoutbox", {"shout_id": 1, "shout_name": "Willow", "shout_message": EVERY_ESCAPE,
                     "shout_datestamp": _T})  # fmt: skip

    files = {
        "2/10.txt": "\u201cHello,\u201d she said \u2014 \u2019til dawn\u2026\n\nNext.".encode(),
        "9/11.txt": b"\xef\xbb\xbf" + "<p>From a BOM file: na\u00efve caf\u00e9</p>".encode(),
        "2/12.txt": (CP1252_QUOTE + "\r\n\r\nHe nodded.").encode("cp1252"),
        "2/13.txt": b"The file's newer version.",
    }
    return Archive(
        tables=schema(),
        rows=rows,
        files=files,
        replaced=[("authors", {**member, "uid": 2, "penname": "Old Willow", "date": 1})],
        ignored=[("categories", {"catid": 1, "category": "Stale Buffy", "description": ""})],
    )


# --- Writing it into MariaDB -------------------------------------------------------------


def write_database(archive: Archive, url: str) -> None:
    """Create the trap tables in the database made from schema-installed.sql and insert
    every row with parameters, as eFiction (PHP, mysql_query) would have left them."""
    parts = urlsplit(url)
    connection = pymysql.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
        database=parts.path.lstrip("/"),
        charset="utf8mb4",
        autocommit=True,
        ssl_disabled=True,
    )
    installed = schema(trap_columns=False)
    with connection, connection.cursor() as cursor:
        for name, table in archive.tables.items():
            if name == "reviews":
                # The empty table, converted as archives upgraded from MySQL 4 are.
                cursor.execute(f"ALTER TABLE `{PREFIX}reviews` CONVERT TO CHARACTER SET latin1")
            elif name not in installed or installed[name].create != table.create:
                cursor.execute(f"DROP TABLE IF EXISTS `{PREFIX}{name}`")
                cursor.execute(table.create)
        for name in dict.fromkeys(name for name, _ in archive.rows):
            table_rows = archive.table_rows(name)
            columns = ", ".join(f"`{c.name}`" for c in archive.tables[name].columns)
            marks = ", ".join(["%s"] * len(archive.tables[name].columns))
            cursor.executemany(
                f"INSERT INTO `{PREFIX}{name}` ({columns}) VALUES ({marks})",
                [tuple(row.values()) for row in table_rows],
            )


# --- Writing dumps ------------------------------------------------------------------------

# MySQL's latin1 is Windows-1252 except five bytes it passes through as C1 controls.
_LATIN1_GAPS = {0x81: "\x81", 0x8D: "\x8d", 0x8F: "\x8f", 0x90: "\x90", 0x9D: "\x9d"}


def latin1_as_utf8(stored: bytes) -> bytes:
    """What mysqldump (utf8mb4) writes for bytes stored in a latin1 column: each byte read
    as MySQL's latin1 and written as UTF-8, so UTF-8 bytes come out as mojibake."""
    return "".join(
        _LATIN1_GAPS.get(byte) or bytes([byte]).decode("cp1252") for byte in stored
    ).encode()


_MYSQLDUMP_ESCAPES = {
    0: b"\\0", 10: b"\\n", 13: b"\\r", 26: b"\\Z", 34: b'\\"', 39: b"\\'", 92: b"\\\\"
}  # fmt: skip
# eFiction's backup doubles quotes and writes \t and \b too; a backslash before % or _
# stays single (MySQL keeps the backslash of \% and \_).
_BACKUP_ESCAPES = {**_MYSQLDUMP_ESCAPES, 8: b"\\b", 9: b"\\t", 39: b"''"}
_SPECIAL = re.compile(rb"[\x00\x08\x09\x0a\x0d\x1a\x22\x27\x5c]")
_KEPT_BACKSLASH = re.compile(rb"\\(?=[%_])")


def sql_string(data: bytes, style: Style) -> bytes:
    """`data` as a quoted MySQL string literal in the style's escaping."""
    if style == "backup":
        parts = _KEPT_BACKSLASH.split(data)
        escaped = b"\\".join(
            _SPECIAL.sub(lambda m: _BACKUP_ESCAPES.get(m[0][0], m[0]), part) for part in parts
        )
    else:
        escaped = _SPECIAL.sub(lambda m: _MYSQLDUMP_ESCAPES.get(m[0][0], m[0]), data)
    return b"'" + escaped + b"'"


def sql_value(value: Value, column: Column, table: Table, style: Style) -> bytes:
    if value is None:
        return b"NULL"
    if column.integer:
        return str(int(value)).encode()
    if column.name == "log_ip" and isinstance(value, bytes):
        return b"0x" + value.hex().encode() if value else b"''"  # mysqldump --hex-blob
    if isinstance(value, bytes):
        data = latin1_as_utf8(value) if table.latin1 else value
    else:
        data = str(value).encode()
    return sql_string(data, style)


# mysqldump and phpMyAdmin keep statements under about a megabyte.
STATEMENT_BYTES = 1 << 20

_MYSQLDUMP_HEAD = (
    b"/*M!999999\\- enable the sandbox mode */ \n"
    + b"""-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: 127.0.0.1    Database: efiction
-- ------------------------------------------------------
-- Server version\t10.11.6-MariaDB-0+deb12u1

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
"""
)
_MYSQLDUMP_TAIL = b"""/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;
/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;

-- Dump completed on 2026-11-30 12:00:00
"""
_PHPMYADMIN_HEAD = b"""-- phpMyAdmin SQL Dump
-- version 5.2.1
-- https://www.phpmyadmin.net/
--
-- Host: localhost
-- Generation Time: Nov 30, 2026 at 12:00 PM

SET SQL_MODE = "NO_AUTO_VALUE_ON_ZERO";
START TRANSACTION;
SET time_zone = "+00:00";

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;

--
-- Database: `efiction`
--
"""
_BACKUP_HEAD = b"# eFiction backup\n# Tables: all\n\n"

Kind = Literal["INSERT", "REPLACE", "INSERT IGNORE"]
Group = tuple[str, Kind, Iterable[dict[str, Value]]]


def write_dump(
    out: BinaryIO, style: Style, tables: dict[str, Table], groups: Iterable[Group]
) -> None:
    """Write rows as a dump of `style`, streaming. `groups` are (table, statement kind,
    rows) in file order; a table's CREATE TABLE comes before its first group (mysqldump
    and phpMyAdmin write one for every table, with rows or without)."""
    head = {"mysqldump": _MYSQLDUMP_HEAD, "phpmyadmin": _PHPMYADMIN_HEAD, "backup": _BACKUP_HEAD}
    out.write(head[style])
    created: set[str] = set()

    def create(name: str) -> None:
        if style == "backup" or name in created:
            return
        created.add(name)
        table = tables[name]
        out.write(f"\n--\n-- Table structure for table `{PREFIX}{name}`\n--\n\n".encode())
        if style == "mysqldump":
            out.write(f"DROP TABLE IF EXISTS `{PREFIX}{name}`;\n".encode())
            out.write(b"/*!40101 SET @saved_cs_client     = @@character_set_client */;\n")
            out.write(b"/*!40101 SET character_set_client = utf8mb4 */;\n")
        out.write(table.create.encode() + b";\n")
        if style == "mysqldump":
            out.write(b"/*!40101 SET character_set_client = @saved_cs_client */;\n")

    for name, kind, rows in groups:
        for earlier in sorted(tables):
            if earlier < name:
                create(earlier)
        create(name)
        _write_rows(out, style, tables[name], kind, rows)
    for name in sorted(tables):
        create(name)
    if style == "mysqldump":
        out.write(_MYSQLDUMP_TAIL)
    elif style == "phpmyadmin":
        out.write(b"COMMIT;\n")


def _write_rows(out: BinaryIO, style: Style, table: Table, kind: Kind, rows) -> None:
    full = f"{PREFIX}{table.name}"
    if style == "backup":
        for row in rows:
            values = _values(table, row, style, b",")
            out.write(f"{kind} INTO {full} VALUES (".encode() + values + b");\n")
        return
    if style == "mysqldump":
        start = f"{kind} INTO `{full}` VALUES ".encode()
        separator, row_separator = b",", b","
        out.write(f"\nLOCK TABLES `{full}` WRITE;\n".encode())
        out.write(f"/*!40000 ALTER TABLE `{full}` DISABLE KEYS */;\n".encode())
    else:
        columns = ", ".join(f"`{c.name}`" for c in table.columns)
        start = f"\n{kind} INTO `{full}` ({columns}) VALUES\n".encode()
        separator, row_separator = b", ", b",\n"
    size = 0
    for row in rows:
        values = b"(" + _values(table, row, style, separator) + b")"
        if size and size + len(values) > STATEMENT_BYTES:
            out.write(b";\n")
            size = 0
        out.write(row_separator + values if size else start + values)
        size += len(values) + 1
    if size:
        out.write(b";\n")
    if style == "mysqldump":
        out.write(f"/*!40000 ALTER TABLE `{full}` ENABLE KEYS */;\nUNLOCK TABLES;\n".encode())


def _values(table: Table, row: dict[str, Value], style: Style, separator: bytes) -> bytes:
    complete = table.complete(row)
    return separator.join(sql_value(complete[c.name], c, table, style) for c in table.columns)


def trap_groups(archive: Archive) -> Iterator[Group]:
    """The archive's rows in dump order (alphabetical tables, as mysqldump lists them),
    with a stale row that a REPLACE overwrites and a duplicate that INSERT IGNORE skips."""
    for name in sorted(dict.fromkeys(name for name, _ in archive.rows)):
        stale = [row for table, row in archive.replaced if table == name]
        if stale:
            yield name, "INSERT", stale
            yield name, "REPLACE", archive.table_rows(name)
        else:
            yield name, "INSERT", archive.table_rows(name)
        duplicates = [row for table, row in archive.ignored if table == name]
        if duplicates:
            yield name, "INSERT IGNORE", duplicates


def write_trap_dump(archive: Archive, path: Path, style: Style) -> Path:
    """The archive as a dump file of `style` (gzip when the name ends in .gz)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as out:
        write_dump(out, style, archive.tables, trap_groups(archive))
    return path
