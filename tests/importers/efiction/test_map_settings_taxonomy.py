"""The archive's settings and messages, its taxonomy, and the tables kept as records."""

import io

import pytest
from django.core.management.base import OutputWrapper

from fanfold.archive.models import Category, Character, Classification, ClassificationType, Rating
from fanfold.core.models import ArchiveSettings
from fanfold.importers.efiction import importer
from fanfold.importers.efiction.database import open_database
from fanfold.importers.efiction.mapping.settings import SettingsStep
from fanfold.importers.efiction.steps import Options, Step
from fanfold.importers.models import LegacyRecord


@pytest.fixture
def insert(efiction_sql):
    """insert(table, **columns): one row into fanfiction_<table>."""

    def insert_(table: str, **columns) -> None:
        names = ", ".join(f"`{name}`" for name in columns)
        marks = ", ".join(["%s"] * len(columns))
        efiction_sql(
            f"INSERT INTO fanfiction_{table} ({names}) VALUES ({marks})", list(columns.values())
        )

    return insert_


def notices(report, kind: str) -> str:
    return "\n".join(report.notices.get(kind, []))


def record(table: str, key) -> dict:
    return LegacyRecord.objects.get(source_table=table, key=str(key)).data


def counts(report, table: str) -> tuple[int, int, int, int]:
    t = report.tables[table]
    return t.read, t.created, t.updated, sum(t.skipped.values())


class TestSettings:
    @pytest.fixture
    def archive(self, insert):
        insert(
            "settings",
            sitekey="lab",
            sitename="Tom &amp; Jerry's <b>Archive</b>",
            slogan="I &lt;3 fic",
            store="files",
            storiespath="old/stories",
            autovalidate=0,
            coauthallowed=1,
            anonreviews=1,
            ratings=2,
            agestatement=1,
            smtp_password="hunter2",
        )
        insert("messages", message_id=1, message_name="rules", message_title="Submission Rules",
               message_text='<p onclick="x()">Be kind.</p><script>alert(1)</script>')  # fmt: skip
        insert("messages", message_id=2, message_name="tos", message_title="Terms",
               message_text="Line one\nLine two")  # fmt: skip
        insert("messages", message_id=3, message_name="welcome", message_text="Hello <b>all</b>")
        insert("messages", message_id=4, message_name="rules", message_text="An older copy")

    def test_fields_fanfold_has_come_from_the_settings_row(self, archive, efiction_db, run_import):
        report = run_import(efiction_db)

        current = ArchiveSettings.current()
        assert current.site_name == "Tom & Jerry's Archive"  # as eFiction's page showed it
        assert current.slogan == "I <3 fic"
        assert current.validate_submissions  # autovalidate off: eFiction validated
        assert current.allow_coauthors and current.anonymous_reviews
        assert counts(report, "settings") == (1, 1, 0, 0)
        assert report.problems() == []

    def test_other_settings_are_kept_but_not_the_smtp_password(
        self, archive, efiction_db, run_import
    ):
        report = run_import(efiction_db)

        legacy = ArchiveSettings.current().legacy
        assert legacy["store"] == "files" and legacy["storiespath"] == "old/stories"
        assert legacy["ratings"] == 2 and legacy["agestatement"] == 1
        assert legacy["sitekey"] == "lab"
        assert "smtp_password" not in legacy and "hunter2" not in str(legacy)
        assert "SMTP password" in notices(report, "settings not kept")
        assert {"store", "ratings", "favorites"} <= report.tables["settings"].kept_columns

    def test_later_steps_see_the_settings_as_text(self, archive, efiction_db, db, tmp_path):
        seen = {}

        class ReadsSettings(Step):
            table = "ratings"

            def prepare(self):
                seen.update(self.ctx.settings)

        err = OutputWrapper(io.StringIO())
        with open_database(efiction_db) as source:
            importer.run(source, Options(), err, steps=[SettingsStep, ReadsSettings])
        assert seen["store"] == "files" and seen["storiespath"] == "old/stories"
        assert seen["autovalidate"] == "0"

    def test_rules_and_terms_are_sanitized_the_rest_kept(self, archive, efiction_db, run_import):
        report = run_import(efiction_db)

        current = ArchiveSettings.current()
        assert current.rules == "<p>Be kind.</p>"
        assert current.terms == "Line one<br>\nLine two"
        messages = current.legacy["messages"]
        assert messages["welcome"]["text"] == "Hello <b>all</b>"
        assert messages["rules"] == {"message_id": 1, "title": "Submission Rules",
                                     "shown_as": "rules"}  # fmt: skip
        # eFiction shows the first message of a name; the later copy is kept apart.
        assert messages["rules #4"]["text"] == "An older copy"
        assert counts(report, "messages") == (4, 4, 0, 0)

    def test_a_rerun_updates(self, archive, efiction_db, run_import):
        run_import(efiction_db)
        report = run_import(efiction_db)

        assert ArchiveSettings.objects.count() == 1
        assert counts(report, "settings") == (1, 0, 1, 0)
        assert counts(report, "messages") == (4, 0, 4, 0)
        assert "welcome" in ArchiveSettings.current().legacy["messages"]
        assert report.problems() == []

    def test_a_second_sites_row_is_skipped(self, archive, insert, efiction_db, run_import):
        insert("settings", sitekey="zzz", sitename="Another site")
        report = run_import(efiction_db)

        assert ArchiveSettings.current().site_name == "Tom & Jerry's Archive"
        assert counts(report, "settings") == (2, 1, 0, 1)
        assert report.problems() == []

    def test_a_dry_run_changes_no_settings(self, archive, efiction_db, run_import):
        run_import(efiction_db, dry_run=True)

        assert not ArchiveSettings.objects.exists()
        assert ArchiveSettings.current().site_name == ""
        assert not Category.objects.exists()


class TestRatings:
    def test_every_combination_of_warning_flags(self, insert, efiction_db, run_import):
        for bits in range(8):
            insert("ratings", rid=bits + 1, rating=f"R{bits}", ratingwarning=str(bits),
                   warningtext="Adults <b>only</b><script>x</script>")  # fmt: skip
        report = run_import(efiction_db)

        for bits in range(8):
            rating = Rating.objects.get(legacy_rid=bits + 1)
            assert (rating.shows_warning, rating.needs_consent, rating.members_only) == (
                bool(bits & 1),
                bool(bits & 2),
                bool(bits & 4),
            ), bits
            assert rating.warning_text == "Adults <b>only</b>"
        assert list(Rating.objects.values_list("name", flat=True)) == [f"R{b}" for b in range(8)]
        assert counts(report, "ratings") == (8, 8, 0, 0)

    def test_a_rating_without_a_usable_id_is_skipped(self, insert, efiction_sql, efiction_db,
                                                     run_import):  # fmt: skip
        insert("ratings", rid=9, rating="Zero", ratingwarning="0", warningtext="")
        efiction_sql("UPDATE fanfiction_ratings SET rid = 0 WHERE rid = 9")
        report = run_import(efiction_db)

        assert not Rating.objects.filter(name="Zero").exists()
        assert report.tables["ratings"].skipped == {"its rid is not a positive number": 1}
        assert report.problems() == []


class TestCategories:
    def test_the_tree_survives_missing_parents_and_children_before_parents(
        self, insert, efiction_db, run_import
    ):
        insert("categories", catid=1, parentcatid=-1, category="Top &amp; Tail",
               description="A <i>fandom</i>", displayorder=2, locked="1",
               image="top.png", leveldown=0, numitems=7)  # fmt: skip
        insert("categories", catid=2, parentcatid=5, category="Grandchild", description="")
        insert("categories", catid=3, parentcatid=99, category="Lost", description="")
        insert("categories", catid=4, parentcatid=0, category="Also top", description="")
        insert("categories", catid=5, parentcatid=1, category="Child", description="")
        insert("categories", catid=6, parentcatid=7, category="Loop A", description="")
        insert("categories", catid=7, parentcatid=6, category="Loop B", description="")
        report = run_import(efiction_db)

        parent = dict(Category.objects.values_list("legacy_catid", "parent__legacy_catid"))
        assert parent == {1: None, 2: 5, 3: None, 4: None, 5: 1, 6: None, 7: 6}
        top = Category.objects.get(legacy_catid=1)
        assert (top.name, top.description, top.order, top.locked) == (
            "Top & Tail",
            "A <i>fandom</i>",
            2,
            True,
        )
        assert record("categories", 1) == {"image": "top.png", "leveldown": 0, "numitems": 7}
        found = notices(report, "category without its parent")
        assert "category 3: its parent category 99 does not exist" in found
        assert "category 6:" in found and "category 7:" not in found
        assert counts(report, "categories") == (7, 7, 0, 0)

    def test_a_rerun_updates_and_keeps_the_tree(self, insert, efiction_db, run_import):
        insert("categories", catid=2, parentcatid=1, category="Child", description="")
        insert("categories", catid=1, parentcatid=-1, category="Top", description="")
        run_import(efiction_db)
        report = run_import(efiction_db)

        assert Category.objects.count() == 2
        assert Category.objects.get(legacy_catid=2).parent.legacy_catid == 1
        assert counts(report, "categories") == (2, 0, 2, 0)
        assert LegacyRecord.objects.filter(source_table="categories").count() == 2


class TestCharacters:
    def test_characters_join_their_category_or_every_category(
        self, insert, efiction_db, run_import
    ):
        insert("categories", catid=1, parentcatid=-1, category="Fandom", description="")
        insert("characters", charid=1, catid=1, charname="Ana &amp; Bo", bio="<p>Hi</p>")
        insert("characters", charid=2, catid=-1, charname="Everyone's", bio="")
        insert("characters", charid=3, catid=42, charname="Orphan", bio="", image="o.png")
        report = run_import(efiction_db)

        def category_ids(charid):
            character = Character.objects.get(legacy_charid=charid)
            return [c.legacy_catid for c in character.categories.all()]

        assert Character.objects.get(legacy_charid=1).name == "Ana & Bo"
        assert category_ids(1) == [1]
        assert category_ids(2) == [] and category_ids(3) == []
        assert record("characters", 1) == {"bio": "<p>Hi</p>", "image": ""}
        assert record("characters", 3)["image"] == "o.png"
        found = notices(report, "character in a missing category")
        assert "character 3: its category 42 does not exist" in found
        assert "character 2" not in found
        assert counts(report, "characters") == (3, 3, 0, 0)

        report = run_import(efiction_db)
        assert category_ids(1) == [1]
        assert Character.categories.through.objects.count() == 1
        assert counts(report, "characters") == (3, 0, 3, 0)


class TestClasses:
    def test_types_and_classes_with_a_dead_type(self, insert, efiction_db, run_import):
        insert("classtypes", classtype_id=1, classtype_name="genres", classtype_title="Genres")
        insert("classtypes", classtype_id=2, classtype_name="warnings", classtype_title="")
        insert("classes", class_id=10, class_type=1, class_name="Angst &amp; Fluff")
        insert("classes", class_id=11, class_type=2, class_name="Violence")
        insert("classes", class_id=12, class_type=9, class_name="Gone")
        report = run_import(efiction_db)

        genres = ClassificationType.objects.get(legacy_classtype_id=1)
        assert genres.name == "Genres"
        assert ClassificationType.objects.get(legacy_classtype_id=2).name == "warnings"
        assert record("classtypes", 1) == {"classtype_name": "genres"}
        angst = Classification.objects.get(legacy_class_id=10)
        assert (angst.name, angst.type) == ("Angst & Fluff", genres)
        assert not Classification.objects.filter(legacy_class_id=12).exists()
        assert record("classes", 12) == {"class_id": 12, "class_type": 9, "class_name": "Gone"}
        skipped = report.tables["classes"].skipped
        assert skipped == {"its classification type does not exist (kept as a legacy record)": 1}
        assert counts(report, "classes") == (3, 2, 0, 1)
        assert report.problems() == []

        report = run_import(efiction_db)
        assert counts(report, "classes") == (3, 0, 2, 1)
        assert Classification.objects.count() == 2


class TestKeptTables:
    @pytest.fixture
    def archive(self, insert, efiction_sql):
        insert("news", nid=1, author="Admin", title="Hello &amp; welcome",
               story="<p>News</p>", time=1204372800, comments=1)  # fmt: skip
        insert("comments", cid=1, nid=1, uid=7, comment="Yay!", time=1204372900)
        efiction_sql(
            "CREATE TABLE fanfiction_challenges (chalid INT PRIMARY KEY, challenger VARCHAR(200),"
            " uid INT, title VARCHAR(250), catid VARCHAR(200), characters VARCHAR(200),"
            " summary TEXT, responses TEXT)"
        )
        insert("challenges", chalid=3, challenger="Bo", uid=7, title="Drabble week",
               catid="1,2", characters="", summary="<b>100</b> words", responses="4,5")  # fmt: skip
        efiction_sql(
            "INSERT INTO fanfiction_log (log_id, log_action, log_uid, log_ip, log_timestamp,"
            " log_type) VALUES (1, 'Validated story 4', 1, INET6_ATON('192.0.2.7'), 5, 'VS')"
        )
        efiction_sql("CREATE TABLE fanfiction_shoutbox (id INT)")

    def test_news_comments_challenges_and_log_become_records(
        self, archive, efiction_db, run_import
    ):
        report = run_import(efiction_db)

        assert record("news", 1) == {
            "nid": 1,
            "author": "Admin",
            "title": "Hello &amp; welcome",  # as stored: the record keeps the source
            "story": "<p>News</p>",
            "time": 1204372800,
            "comments": 1,
        }
        assert record("comments", 1)["comment"] == "Yay!"
        assert record("challenges", 3)["responses"] == "4,5"
        assert record("log", 1)["log_ip"] == "192.0.2.7"
        assert record("log", 1)["log_action"] == "Validated story 4"
        for table in ("news", "comments", "challenges", "log"):
            assert counts(report, table) == (1, 1, 0, 0)

        report = run_import(efiction_db)
        for table in ("news", "comments", "challenges", "log"):
            assert counts(report, table) == (1, 0, 1, 0)
        assert LegacyRecord.objects.filter(source_table="news").count() == 1
        assert report.problems() == []

    def test_every_table_not_read_says_why(self, archive, efiction_db, run_import):
        report = run_import(efiction_db)

        other = report.other_tables
        assert other["shoutbox"] == "not read: unknown table (a module's own?)"
        for table in ("blocks", "panels", "pagelinks", "codeblocks", "modules"):
            assert other[table].startswith("not read: eFiction's") or "eFiction" in other[table]
        for table in ("settings", "messages", "stats", "log", "news", "comments", "ratings"):
            assert table not in other and table in report.tables

    def test_efictions_cached_counters_are_compared(self, insert, efiction_db, run_import):
        insert("stats", sitekey="lab", stories=5, chapters=0, reviews=0, wordcount=0)
        report = run_import(efiction_db)

        found = notices(report, "eFiction's cached counters differ")
        assert "stories: eFiction's stats table says 5, its tables hold 0" in found
        assert "chapters" not in found
        assert record("stats", "lab")["stories"] == 5


class TestSampleArchive:
    def test_the_sample_archives_taxonomy_and_records(self, efiction_sample_db, run_import):
        report = run_import(efiction_sample_db)

        ratings = {r.name: r for r in Rating.objects.all()}
        assert list(ratings) == ["K", "K+", "T", "M", "MA"]
        flags = {
            name: (r.shows_warning, r.needs_consent, r.members_only) for name, r in ratings.items()
        }
        assert flags["M"] == (True, False, False) and flags["MA"] == (False, True, False)
        assert flags["K"] == flags["K+"] == flags["T"] == (False, False, False)
        assert Category.objects.count() == 20
        assert Category.objects.filter(parent=None).count() == 12
        assert Character.objects.count() == 100
        assert Classification.objects.count() == 74
        assert ClassificationType.objects.count() == 3
        assert LegacyRecord.objects.filter(source_table="news").count() == 8
        assert LegacyRecord.objects.filter(source_table="comments").count() == 20
        current = ArchiveSettings.current()
        assert current.site_name == "eFiction Lab"
        assert current.rules.startswith("<p") and "Submission Rules" in current.rules
        assert not current.validate_submissions  # autovalidate = 1
        assert current.legacy["store"] == "mysql"
        for table in ("settings", "messages", "ratings", "categories", "characters",
                      "classtypes", "classes", "news", "comments", "stats"):  # fmt: skip
            t = report.tables[table]
            assert t.read == t.accounted and not t.skipped, table
