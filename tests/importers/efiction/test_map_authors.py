"""Members of an eFiction archive: accounts, pen names, passwords, profile fields, prefs."""

import hashlib

import pytest
from django.contrib.auth import authenticate

import fanfold.settings as production
from fanfold.accounts.hashers import from_efiction
from fanfold.accounts.models import Preferences, Profile, ProfileField, ProfileFieldValue, User
from fanfold.importers.models import LegacyRecord
from fanfold.lib.names import name_key
from tests.factories import make_user

# 2008-03-01 12:00:00 UTC
JOINED = 1204372800


@pytest.fixture(autouse=True)
def production_hashers(settings):
    """The real list (tests elsewhere use a fast one): imported MD5 passwords are checked
    and a sign-in really upgrades them to Argon2."""
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS


def md5(password: str) -> str:
    return hashlib.md5(password.encode()).hexdigest()


@pytest.fixture
def add_author(efiction_sql):
    """Insert a fanfiction_authors row; the password column is the MD5 of `pw<uid>` unless
    given (eFiction's own column value, e.g. '0')."""

    def add(uid: int, penname: str, **columns) -> None:
        row = {
            "uid": uid,
            "penname": penname,
            "email": f"user{uid}@example.org",
            "password": md5(f"pw{uid}"),
            "date": JOINED,
            **columns,
        }
        names = ", ".join(row)
        marks = ", ".join(["%s"] * len(row))
        efiction_sql(
            f"INSERT INTO fanfiction_authors ({names}) VALUES ({marks})", list(row.values())
        )

    return add


def profile(uid: int) -> Profile:
    return Profile.objects.select_related("user").get(user__legacy_uid=uid)


def notices(report, kind: str) -> str:
    return "\n".join(report.notices.get(kind, []))


class TestMembers:
    def test_an_author_becomes_an_account_and_a_profile(self, efiction_db, add_author, run_import):
        add_author(
            5,
            "Mary Sue  Writer",
            realname="Mary Smith",
            image="mary.png",
            admincreated="1",
            bio="Writes <b>fluff</b> &lt;3\nand angst<script>alert(1)</script>",
        )
        report = run_import(efiction_db)

        member = profile(5)
        assert member.user.username == "efiction~5"
        assert member.pen_name == "Mary Sue Writer"  # spaces kept, as eFiction showed them
        assert Profile.objects.by_pen_name("mary sue writer") == member
        assert member.user.email == "user5@example.org"
        assert member.user.email_confirmed and member.user.is_active
        assert not member.user.is_staff
        assert member.user.date_joined.isoformat() == "2008-03-01T12:00:00+00:00"
        assert member.bio == "Writes <b>fluff</b> &lt;3<br>\nand angst"
        assert member.bio_source == member.bio
        assert member.bio_format == "html"
        assert member.legacy == {"realname": "Mary Smith", "image": "mary.png", "admincreated": "1"}
        assert member.former_name_key == ""
        table = report.tables["authors"]
        assert (table.read, table.created, table.updated) == (1, 1, 0)
        assert table.kept_columns == {"realname", "image", "admincreated"}
        assert report.problems() == []

    def test_a_rerun_updates_the_same_members(
        self, efiction_db, efiction_sql, add_author, run_import
    ):
        add_author(2, "Tara")
        add_author(3, "tara")
        run_import(efiction_db)
        first = {p.user.legacy_uid: (p.pk, p.user.pk, p.pen_name) for p in Profile.objects.all()}
        efiction_sql("UPDATE fanfiction_authors SET email = 'new@example.org' WHERE uid = 2")

        report = run_import(efiction_db)

        again = {p.user.legacy_uid: (p.pk, p.user.pk, p.pen_name) for p in Profile.objects.all()}
        assert again == first
        assert [name for _, _, name in again.values()] == ["Tara", "tara (3)"]
        assert profile(2).user.email == "new@example.org"
        assert User.objects.count() == 2
        table = report.tables["authors"]
        assert (table.read, table.created, table.updated) == (2, 0, 2)
        assert report.problems() == []

    def test_a_dry_run_writes_nothing(self, efiction_db, add_author, run_import):
        add_author(2, "Tara")
        report = run_import(efiction_db, dry_run=True)
        assert report.tables["authors"].created == 1
        assert not User.objects.exists()

    def test_no_pen_name_becomes_author_and_the_uid(self, efiction_db, add_author, run_import):
        add_author(8, "")
        add_author(9, " <b></b> ")
        report = run_import(efiction_db)
        assert profile(8).pen_name == "Author 8"
        assert profile(9).pen_name == "Author 9"
        assert "uid 8 had no pen name" in notices(report, "pen name changed")

    def test_entities_in_pen_names_are_decoded_once(self, efiction_db, add_author, run_import):
        add_author(4, "Tom &amp; Jerry &lt;3")
        run_import(efiction_db)
        assert profile(4).pen_name == "Tom & Jerry <3"

    def test_an_unknown_join_date_is_the_import_day_and_reported(
        self, efiction_db, add_author, run_import
    ):
        add_author(4, "Undated", date=0)
        report = run_import(efiction_db)
        assert profile(4).user.date_joined is not None
        assert "uid 4" in notices(report, "join date unknown")

    def test_website_column_of_older_archives(
        self, efiction_db, efiction_sql, add_author, run_import
    ):
        efiction_sql("ALTER TABLE fanfiction_authors ADD website VARCHAR(200) NOT NULL DEFAULT ''")
        add_author(2, "Web", website="https://web.example.org/")
        add_author(3, "Scheme", website="javascript:alert(1)")
        add_author(4, "Bare", website="www.example.org")
        run_import(efiction_db)
        assert profile(2).website == "https://web.example.org/"
        assert "website" not in profile(2).legacy
        for uid, kept in [(3, "javascript:alert(1)"), (4, "www.example.org")]:
            assert profile(uid).website == ""
            assert profile(uid).legacy["website"] == kept


class TestPenNameClashes:
    def test_same_name_in_another_case_gets_the_uid(self, efiction_db, add_author, run_import):
        add_author(7, "SPIKE")  # inserted first: the uid decides, not the row order
        add_author(3, "Spike")
        report = run_import(efiction_db)
        assert profile(3).pen_name == "Spike"
        assert profile(3).former_name_key == ""
        assert profile(7).pen_name == "SPIKE (7)"
        assert profile(7).former_name_key == name_key("Spike")
        assert "uid 7: “SPIKE” was taken by another member and is now “SPIKE (7)”" in notices(
            report, "pen name changed"
        )

    def test_the_old_name_leads_to_the_renamed_member_once_nobody_holds_it(
        self, efiction_db, add_author, run_import
    ):
        """`/authors/<old name>/`: the author page asks `Profile.objects.renamed_from` when
        no member holds the name (the holder may rename themselves or leave)."""
        add_author(3, "Spike")
        add_author(7, "SPIKE")
        run_import(efiction_db)
        holder = profile(3)
        holder.pen_name = "William"
        holder.save()

        assert Profile.objects.renamed_from("Spike") == profile(7)
        assert Profile.objects.renamed_from("sPiKe") == profile(7)
        assert Profile.objects.renamed_from("Drusilla") is None

    def test_look_alike_letters_clash(self, efiction_db, add_author, run_import):
        add_author(3, "Spike")
        add_author(4, "\u0405pike")  # Cyrillic Ѕ
        add_author(5, "ＳＰＩＫＥ")  # full width
        run_import(efiction_db)
        assert profile(4).pen_name == "\u0405pike (4)"
        assert profile(5).pen_name == "ＳＰＩＫＥ (5)"
        assert profile(4).former_name_key == profile(5).former_name_key == "spike"

    def test_a_member_who_joined_fanfold_keeps_the_name(self, efiction_db, add_author, run_import):
        make_user("Willow")
        add_author(2, "willow")
        run_import(efiction_db)
        assert profile(2).pen_name == "willow (2)"
        assert Profile.objects.by_pen_name("Willow").user.legacy_uid is None

    def test_the_orphan_accounts_name_is_reserved(self, efiction_db, add_author, run_import):
        add_author(2, "Orphan Account")
        run_import(efiction_db)
        assert profile(2).pen_name == "Orphan Account (2)"

    def test_a_renamed_name_that_is_taken_too_gets_another(
        self, efiction_db, add_author, run_import
    ):
        add_author(2, "Faith (9)")
        add_author(3, "Faith")
        add_author(9, "faith")
        report = run_import(efiction_db)
        assert profile(9).pen_name == "faith (9-2)"
        assert report.problems() == []

    def test_clashes_across_batches_and_reruns_give_the_same_names(
        self, efiction_db, add_author, run_import, monkeypatch
    ):
        from fanfold.importers.efiction.mapping.authors import AuthorsStep

        monkeypatch.setattr(AuthorsStep, "batch_size", 2)
        for uid in range(1, 6):
            add_author(uid, "Dawn" if uid % 2 else "DAWN")
        run_import(efiction_db)
        names = {uid: profile(uid).pen_name for uid in range(1, 6)}
        assert names == {1: "Dawn", 2: "DAWN (2)", 3: "Dawn (3)", 4: "DAWN (4)", 5: "Dawn (5)"}
        report = run_import(efiction_db)
        assert {uid: profile(uid).pen_name for uid in range(1, 6)} == names
        assert len(report.notices["pen name changed"]) == 4

    def test_both_members_sign_in_with_the_old_name(self, efiction_db, add_author, run_import):
        add_author(3, "Spike")
        add_author(7, "spike")
        run_import(efiction_db)
        assert authenticate(None, username="Spike", password="pw3").legacy_uid == 3
        assert authenticate(None, username="Spike", password="pw7").legacy_uid == 7
        assert authenticate(None, username="spike (7)", password="pw7").legacy_uid == 7
        assert authenticate(None, username="Spike", password="pw8") is None


class TestPasswordsAndEmails:
    def test_old_password_signs_in_and_is_upgraded(self, efiction_db, add_author, run_import):
        add_author(2, "Tara Maclay")
        run_import(efiction_db)
        assert profile(2).user.password == from_efiction(md5("pw2"))
        user = authenticate(None, username="tara maclay", password="pw2")
        assert user is not None and user.legacy_uid == 2
        assert profile(2).user.password.startswith("argon2")
        assert authenticate(None, username="Tara Maclay", password="pw3") is None

    def test_a_rerun_keeps_an_upgraded_password(
        self, efiction_db, efiction_sql, add_author, run_import
    ):
        add_author(2, "Tara")
        add_author(3, "Willow")
        run_import(efiction_db)
        authenticate(None, username="Tara", password="pw2")
        upgraded = profile(2).user.password
        efiction_sql(f"UPDATE fanfiction_authors SET password = '{md5('changed')}'")

        run_import(efiction_db)

        assert profile(2).user.password == upgraded
        assert authenticate(None, username="Tara", password="pw2").legacy_uid == 2
        assert authenticate(None, username="Tara", password="changed") is None
        # Willow never signed in here: her password follows eFiction's.
        assert profile(3).user.password == from_efiction(md5("changed"))

    @pytest.mark.parametrize("column", ["0", "", "not a digest"])
    def test_no_usable_password_needs_a_reset(self, efiction_db, add_author, run_import, column):
        add_author(2, "Admin Made", password=column, admincreated="1")
        report = run_import(efiction_db)
        assert not profile(2).user.has_usable_password()
        assert authenticate(None, username="Admin Made", password=column) is None
        assert "uid 2 (Admin Made), email user2@example.org" in notices(
            report, "needs a password reset"
        )

    def test_shared_empty_and_invalid_emails(self, efiction_db, add_author, run_import):
        add_author(2, "One", email="shared@example.org")
        add_author(3, "Two", email="shared@example.org")
        add_author(4, "Three", email="")
        add_author(5, "Four", email="not an email")
        report = run_import(efiction_db)
        assert profile(2).user.email == profile(3).user.email == "shared@example.org"
        assert profile(4).user.email == profile(5).user.email == ""
        listed = notices(report, "no usable email")
        assert "uid 4 (Three)" in listed and "uid 5 (Four): “not an email”" in listed
        assert "uid 2" not in listed
        # Each signs in by pen name; the shared address alone is not enough.
        assert authenticate(None, username="Two", password="pw3").legacy_uid == 3
        assert authenticate(None, username="shared@example.org", password="pw3") is None


@pytest.fixture
def author_fields(efiction_sql, add_author):
    """One field of each eFiction type, and values for them from uid 2."""
    fields = [
        (1, 1, "website", "Web Site", "", "", "", 1),
        (2, 2, "gender", "Gender", "male|#|female|#|undisclosed", "", "", 1),
        (3, 3, "betareader", "Beta-reader", "", "", "", 1),
        (4, 4, "lj", "Live Journal", "http://{info}.livejournal.com", "", "", 0),
        (5, 5, "AOL", "AIM", "", "$output .= 'in';", "$thisfield = 'out';", 1),
        (6, 6, "fandoms", "Fandoms &amp; more", "", "", "", 1),
    ]
    for field in fields:
        efiction_sql("INSERT INTO fanfiction_authorfields VALUES (%s,%s,%s,%s,%s,%s,%s,%s)", field)
    add_author(2, "Fielder")
    values = [
        (2, 1, "https://fielder.example.org/"),
        (2, 2, "female"),
        (2, 3, "Yes"),
        (2, 4, "fielder_lj"),
        (2, 5, "fielder aim"),
        (2, 6, "Buffy &amp; Angel"),
        (99, 1, "https://ghost.example.org/"),  # a deleted member
        (2, 42, "a deleted field"),
    ]
    for value in values:
        efiction_sql("INSERT INTO fanfiction_authorinfo VALUES (%s,%s,%s)", value)


class TestAuthorFields:
    def test_each_field_type_and_its_values(self, efiction_db, author_fields, run_import):
        report = run_import(efiction_db)

        fields = {f.legacy_field_id: f for f in ProfileField.objects.all()}
        kinds = {legacy_id: field.kind for legacy_id, field in fields.items()}
        assert kinds == {1: "url", 2: "choice", 3: "yesno", 4: "url", 5: "text", 6: "text"}
        assert fields[2].choice_list == ["male", "female", "undisclosed"]
        assert fields[6].name == "Fandoms & more"
        assert not fields[4].is_active and fields[1].is_active
        custom = LegacyRecord.objects.get(source_table="authorfields", key="5").data
        assert custom["field_code_out"] == "$thisfield = 'out';"
        assert custom["field_name"] == "AOL"

        values = {v.field.legacy_field_id: v for v in profile(2).field_values.all()}
        assert {legacy_id: v.value for legacy_id, v in values.items()} == {
            1: "https://fielder.example.org/",
            2: "female",
            3: "yes",
            4: "http://fielder_lj.livejournal.com",
            5: "fielder aim",
            6: "Buffy & Angel",
        }
        assert values[3].display == "Yes"
        assert values[4].safe_url == "http://fielder_lj.livejournal.com"

        info = report.tables["authorinfo"]
        assert (info.read, info.created) == (8, 6)
        assert info.skipped == {
            "value for a member who is not in the authors table": 1,
            "value of an author field that does not exist": 1,
        }
        assert report.tables["authorfields"].created == 6
        assert report.problems() == []

    def test_a_rerun_updates_fields_and_values(
        self, efiction_db, efiction_sql, author_fields, run_import
    ):
        run_import(efiction_db)
        efiction_sql("UPDATE fanfiction_authorinfo SET info = 'No' WHERE field = 3")
        efiction_sql("UPDATE fanfiction_authorfields SET field_title = 'Beta' WHERE field_id = 3")

        report = run_import(efiction_db)

        assert ProfileField.objects.count() == 6
        assert ProfileFieldValue.objects.count() == 6
        beta = ProfileFieldValue.objects.get(field__legacy_field_id=3)
        assert (beta.field.name, beta.value) == ("Beta", "no")
        assert report.tables["authorfields"].updated == 6
        assert report.tables["authorinfo"].updated == 6
        assert report.problems() == []


class TestPreferences:
    def add_prefs(self, efiction_sql, uid: int, **columns) -> None:
        names = ", ".join(["uid", *columns])
        marks = ", ".join(["%s"] * (len(columns) + 1))
        efiction_sql(
            f"INSERT INTO fanfiction_authorprefs ({names}) VALUES ({marks})",
            [uid, *columns.values()],
        )

    def test_prefs_roles_and_kept_columns(self, efiction_db, efiction_sql, add_author, run_import):
        for uid in (1, 2, 3):
            add_author(uid, f"Member {uid}")
        self.add_prefs(
            efiction_sql,
            1,
            level=1,
            categories="3,4",
            userskin="Sommerbrise",
            contact=1,
            tinyMCE=1,
        )
        self.add_prefs(efiction_sql, 2, level=3, validated=1)
        self.add_prefs(
            efiction_sql,
            3,
            ageconsent=1,
            storyindex=1,
            sortby=1,
            newreviews=1,
            newrespond=0,
            alertson=1,
        )
        self.add_prefs(efiction_sql, 77, level=1)  # a deleted member

        report = run_import(efiction_db)

        admin, lesser, reader = profile(1), profile(2), profile(3)
        assert admin.user.is_superuser and admin.user.is_staff
        assert lesser.user.is_staff and not lesser.user.is_superuser and lesser.trusted
        assert not reader.user.is_staff and not reader.trusted
        assert admin.legacy["authorprefs"] == {
            "level": 1,
            "categories": "3,4",
            "userskin": "Sommerbrise",
            "contact": 1,
            "tinyMCE": 1,
            "stories": 0,
        }
        assert reader.prefs == Preferences(
            age_consent=True,
            default_sort="updated",
            index_first=True,
            notify_review=True,
            notify_review_response=False,
            notify_subscriptions=True,
        )
        # eFiction's defaults: alphabetical lists, chapter 1 first, no notifications.
        assert admin.prefs == Preferences(
            default_sort="title",
            index_first=False,
            notify_review=False,
            notify_review_response=False,
            notify_subscriptions=False,
        )
        prefs = report.tables["authorprefs"]
        assert (prefs.read, prefs.merged) == (4, 3)
        assert prefs.skipped == {"preferences of a member who is not in the authors table": 1}
        assert report.problems() == []

        report = run_import(efiction_db)  # a rerun keeps the authors step's legacy keys too
        assert profile(1).legacy["authorprefs"]["categories"] == "3,4"
        assert profile(1).legacy["admincreated"] == "0"
        assert report.problems() == []

    def test_older_tables_with_other_columns(
        self, efiction_db, efiction_sql, add_author, run_import
    ):
        efiction_sql("ALTER TABLE fanfiction_authors DROP COLUMN bio")
        efiction_sql(
            "ALTER TABLE fanfiction_authorprefs DROP COLUMN storyindex, DROP COLUMN tinyMCE,"
            " ADD COLUMN bookmarks INT NOT NULL DEFAULT 5"
        )
        add_author(2, "Old Timer")
        self.add_prefs(efiction_sql, 2, level=2)
        report = run_import(efiction_db)
        assert profile(2).user.is_staff
        assert profile(2).bio == ""
        assert profile(2).legacy["authorprefs"]["bookmarks"] == 5
        assert report.problems() == []


class TestSampleArchive:
    def test_every_member_is_imported_and_signs_in(self, efiction_sample_db, run_import):
        report = run_import(efiction_sample_db)

        assert User.objects.filter(legacy_uid__isnull=False).count() == 151
        assert Profile.objects.filter(user__legacy_uid__isnull=False).count() == 151
        authors = report.tables["authors"]
        assert (authors.read, authors.created) == (151, 151)
        assert report.tables["authorprefs"].merged == 151
        assert report.tables["authorfields"].created == 12
        assert report.problems() == []

        admin = authenticate(None, username="Admin", password="efiction-admin")
        assert admin.legacy_uid == 1 and admin.is_superuser
        assert authenticate(None, username="user2@example.org", password="pw2").legacy_uid == 2
        member = Profile.objects.get(user__legacy_uid=92)
        assert authenticate(None, username=member.pen_name, password="pw92") == member.user
        assert member.user.password.startswith("argon2")
        shown = {v.field.name: v.display for v in member.field_values.shown()}
        assert shown["Beta-reader"] == "Yes"
