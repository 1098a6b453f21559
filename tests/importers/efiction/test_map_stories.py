"""eFiction stories, co-authors and series become Fanfold's, traps included.

Each test fills a real eFiction 3.5 database (MariaDB) with the rows it needs and runs
the whole import, as the command does.
"""

from collections import Counter, defaultdict

import pytest

from fanfold.accounts.models import ORPHAN_USERNAME
from fanfold.archive.models import Chapter, Rating, Series, SeriesItem, Status, Story, StoryAuthor
from fanfold.importers.models import LegacyRecord
from tests.hostile import HOSTILE, executable_parts

UNIX_2020 = 1577836800  # 2020-01-01 00:00:00 UTC


def insert(sql, table: str, **row) -> None:
    """One row into fanfiction_<table>; values go as query parameters."""
    columns = ", ".join(f"`{column}`" for column in row)
    marks = ", ".join(["%s"] * len(row))
    sql(f"INSERT INTO fanfiction_{table} ({columns}) VALUES ({marks})", list(row.values()))


def add_basics(sql) -> None:
    """Three members (uids 2–4), two ratings, two categories, characters and classes."""
    for uid, penname in [(2, "Willow"), (3, "Tara"), (4, "Xander")]:
        insert(sql, "authors", uid=uid, penname=penname, email=f"u{uid}@example.org")
    insert(sql, "ratings", rid=1, rating="G", warningtext="")
    insert(sql, "ratings", rid=2, rating="PG-13", warningtext="")
    for catid in (1, 2):
        insert(sql, "categories", catid=catid, category=f"Fandom {catid}", description="")
    for charid in (1, 2):
        insert(sql, "characters", charid=charid, catid=1, charname=f"Person {charid}", bio="")
    insert(sql, "classtypes", classtype_id=1, classtype_name="genre", classtype_title="Genre")
    for class_id in (1, 2):
        insert(sql, "classes", class_id=class_id, class_type=1, class_name=f"Genre {class_id}")


def add_story(sql, sid: int, **columns) -> None:
    row = {
        "sid": sid, "title": f"Story {sid}", "summary": "A summary.", "storynotes": "",
        "catid": "1", "classes": "", "charid": "", "rid": "1", "date": UNIX_2020,
        "updated": UNIX_2020 + 86400, "uid": 2, "validated": "1", "completed": "0",
    } | columns  # fmt: skip
    insert(sql, "stories", **row)


def add_chapter(sql, chapid: int, sid: int, **columns) -> None:
    row = {
        "chapid": chapid, "sid": sid, "uid": 2, "title": f"Chapter {chapid}",
        "inorder": 1, "notes": "", "storytext": "Some words.", "endnotes": "",
        "validated": "1", "wordcount": 2,
    } | columns  # fmt: skip
    insert(sql, "chapters", **row)


@pytest.fixture
def archive(efiction_sql):
    add_basics(efiction_sql)
    return efiction_sql


def story(sid: int) -> Story:
    return Story.objects.get(legacy_sid=sid)


def legacy_ids(queryset, field: str) -> set[int]:
    return set(queryset.values_list(field, flat=True))


def byline(sid: int) -> list[tuple[int | None, bool]]:
    """(legacy uid or None for the orphan account, is owner) in byline order."""
    return [
        (author.user.legacy_uid, author.is_owner)
        for author in StoryAuthor.objects.filter(story__legacy_sid=sid)
        .select_related("user")
        .order_by("position")
    ]


def test_a_story_keeps_every_column(archive, efiction_db, run_import):
    add_story(
        archive, 1, title="Tom &amp; Jerry", summary="<b>Bold</b> and I &lt;3 you",
        storynotes="Notes\nwith a break", catid=" 1, ,2", charid="2,,1", classes="1",
        rid="2", featured="1", completed="1", rr="1", wordcount=1234, rating=7, reviews=3,
        count=55,
    )  # fmt: skip
    add_chapter(archive, 1, 1)
    report = run_import(efiction_db)

    imported = story(1)
    assert imported.title == "Tom & Jerry"
    assert imported.summary == "<b>Bold</b> and I &lt;3 you"
    assert imported.notes == "Notes<br>\nwith a break"
    assert imported.rating.legacy_rid == 2
    assert legacy_ids(imported.categories, "legacy_catid") == {1, 2}
    assert legacy_ids(imported.characters, "legacy_charid") == {1, 2}
    assert legacy_ids(imported.classifications, "legacy_class_id") == {1}
    assert (imported.status, imported.completed, imported.featured) == (
        Status.PUBLISHED,
        True,
        True,
    )
    assert imported.hits == 55
    assert imported.created_at.timestamp() == UNIX_2020
    assert imported.published_at == imported.created_at
    assert imported.updated_at.timestamp() == UNIX_2020 + 86400
    assert {key: imported.legacy[key] for key in ("featured", "rr", "wordcount", "rating")} == {
        "featured": 1,
        "rr": "1",
        "wordcount": 1234,
        "rating": 7,
    }
    assert imported.legacy["reviews"] == 3
    assert byline(1) == [(2, True)]
    assert {"rr", "wordcount", "rating", "reviews"} <= report.tables["stories"].kept_columns
    assert report.problems() == []


def test_comma_lists_drop_dead_ids_and_count_them(archive, efiction_db, run_import):
    add_story(archive, 1, catid="1,99, ,", charid=" 2 , 77,77", classes=",1,,55,")
    add_story(archive, 2, catid="99")
    report = run_import(efiction_db)

    assert legacy_ids(story(1).categories, "legacy_catid") == {1}
    assert legacy_ids(story(1).characters, "legacy_charid") == {2}
    assert legacy_ids(story(1).classifications, "legacy_class_id") == {1}
    assert story(1).legacy["dead_ids"] == {"category": [99], "character": [77], "class": [55]}
    assert not story(2).categories.exists()
    dead = report.notices["dead references"]
    assert len(dead) == 3  # one notice per kind, not per story
    assert any("2 links to 1 category ids" in message for message in dead)
    assert report.problems() == []


def test_rating_by_name_dead_or_missing(archive, efiction_db, run_import):
    add_story(archive, 1, rid="pg-13")
    add_story(archive, 2, rid="42")
    add_story(archive, 3, rid="")
    add_story(archive, 4, rid="Mature")
    report = run_import(efiction_db)

    assert story(1).rating.name == "PG-13"
    placeholder = Rating.objects.get(name="Not rated")
    assert placeholder.legacy_rid is None
    assert {story(sid).rating for sid in (2, 3, 4)} == {placeholder}
    assert len(report.notices["story without a rating"]) == 3
    assert "rating “42” does not exist" in report.notices["story without a rating"][0]

    run_import(efiction_db)
    assert Rating.objects.filter(name="Not rated").count() == 1


def test_dates_unix_datetime_and_zero(archive, efiction_db, run_import):
    add_story(archive, 1, date=0, updated=UNIX_2020)
    add_story(archive, 2, date=0, updated=0)
    report = run_import(efiction_db)
    assert story(1).created_at.timestamp() == UNIX_2020
    assert story(2).created_at is not None
    assert len(report.notices["missing date"]) == 2


def test_datetime_dates_of_older_versions(archive, efiction_db, run_import):
    archive("ALTER TABLE fanfiction_stories MODIFY `date` DATETIME, MODIFY `updated` DATETIME")
    add_story(archive, 1, date="2008-03-01 12:30:00", updated="2009-01-02 00:00:00")
    add_story(archive, 2, date="0000-00-00 00:00:00", updated="2009-01-02 00:00:00")
    run_import(efiction_db)
    assert story(1).created_at.isoformat() == "2008-03-01T12:30:00+00:00"
    assert story(1).updated_at.isoformat() == "2009-01-02T00:00:00+00:00"
    assert story(2).created_at == story(2).updated_at


def test_unvalidated_story_waits(archive, efiction_db, run_import):
    add_story(archive, 1, validated="0")
    run_import(efiction_db)
    assert (story(1).status, story(1).published_at) == (Status.PENDING, None)


def test_deleted_author_gives_the_story_to_the_orphan_account(archive, efiction_db, run_import):
    add_story(archive, 1, uid=999)
    report = run_import(efiction_db)
    owner = StoryAuthor.objects.get(story__legacy_sid=1, is_owner=True).user
    assert owner.username == ORPHAN_USERNAME
    assert "story 1: author uid 999 does not exist" in report.notices["deleted author"][0]
    assert report.problems() == []


def test_coauthor_table_of_3_5(archive, efiction_db, run_import):
    add_story(archive, 1, uid=2, coauthors=1)
    for sid, uid in [(1, 3), (1, 4), (1, 2), (1, 999), (77, 3)]:
        insert(archive, "coauthors", sid=sid, uid=uid)
    report = run_import(efiction_db)

    assert byline(1) == [(2, True), (3, False), (4, False)]
    table = report.tables["coauthors"]
    assert (table.created, table.merged) == (2, 1)
    assert table.skipped == Counter({"story not found": 1, "co-author's account not found": 1})
    assert report.problems() == []

    again = run_import(efiction_db).tables["coauthors"]
    assert (again.created, again.updated, again.merged) == (0, 2, 1)
    assert byline(1) == [(2, True), (3, False), (4, False)]


def test_coauthor_list_of_older_versions(archive, efiction_db, run_import):
    archive("ALTER TABLE fanfiction_stories MODIFY coauthors VARCHAR(200) NOT NULL DEFAULT ''")
    archive("DROP TABLE fanfiction_coauthors")
    add_story(archive, 1, uid=2, coauthors=" 4, ,3,999,2,")
    report = run_import(efiction_db)
    assert byline(1) == [(2, True), (4, False), (3, False)]
    assert story(1).legacy["dead_ids"] == {"co-author": [999]}
    assert any("co-author" in message for message in report.notices["dead references"])


def test_hostile_text_never_runs(archive, efiction_db, run_import, client):
    add_story(
        archive, 1, title="".join(HOSTILE)[:200], summary="".join(HOSTILE),
        storynotes="".join(HOSTILE),
    )  # fmt: skip
    add_chapter(archive, 1, 1)
    run_import(efiction_db)
    imported = story(1)
    for url in (imported.get_absolute_url(), "/", "/browse/recent/"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert executable_parts(page.content.decode()) == [], url


def test_encodings_repaired_and_counted(archive, efiction_db, run_import):
    archive("ALTER TABLE fanfiction_stories CONVERT TO CHARACTER SET latin1")
    # A latin1 table holding UTF-8 bytes, Windows-1252 quotes, and text encoded twice.
    add_story(archive, 1, title=b"Caf\xc3\xa9 \xe2\x80\x9cNoir\xe2\x80\x9d")
    add_story(archive, 2, title=b"It\x92s \x93quoted\x94")
    add_story(archive, 3, summary="It’s ‘broken’ — Zoë".encode().decode("cp1252").encode())
    report = run_import(efiction_db)
    assert story(1).title == "Café “Noir”"
    assert story(2).title == "It’s “quoted”"
    assert story(3).summary == "It’s ‘broken’ — Zoë"
    assert report.tables["stories"].repaired == 2


def test_rerun_updates_and_follows_the_source(archive, efiction_db, run_import):
    add_story(archive, 1, catid="1,2", charid="1", classes="1,2")
    add_story(archive, 2, uid=999)
    add_chapter(archive, 1, 1)
    first = run_import(efiction_db)
    assert first.tables["stories"].created == 2

    archive(
        "UPDATE fanfiction_stories SET catid = '2', charid = '', title = 'Renamed' WHERE sid = 1"
    )
    insert(archive, "authors", uid=999, penname="Returned")
    second = run_import(efiction_db)

    table = second.tables["stories"]
    assert (table.read, table.created, table.updated) == (2, 0, 2)
    assert Story.objects.count() == 2
    assert story(1).title == "Renamed"
    assert legacy_ids(story(1).categories, "legacy_catid") == {2}
    assert not story(1).characters.exists()
    assert legacy_ids(story(1).classifications, "legacy_class_id") == {1, 2}
    # Imported now, the author owns the story the orphan account held.
    assert byline(2) == [(999, True)]
    assert second.problems() == []


def add_series(sql, seriesid: int, **columns) -> None:
    row = {"seriesid": seriesid, "title": f"Series {seriesid}", "summary": "", "uid": 2} | columns
    insert(sql, "series", **row)


def items(seriesid: int) -> list[tuple[str, int]]:
    return [
        ("story", item.story.legacy_sid)
        if item.story
        else ("series", item.subseries.legacy_seriesid)
        for item in SeriesItem.objects.filter(series__legacy_seriesid=seriesid)
        .select_related("story", "subseries")
        .order_by("position")
    ]


def test_series_and_their_items(archive, efiction_db, run_import):
    for sid in (1, 2, 3, 4):
        add_story(archive, sid)
    add_series(archive, 1, title="Sunnydale &amp; After", summary="<i>Open</i>", isopen=2)
    add_series(archive, 2, uid=999, catid="1,2", numstories=2)
    add_series(archive, 3)
    add_series(archive, 4)
    for seriesid, sid, subseriesid, inorder, confirmed in [
        (1, 3, 0, 5, 1),  # positions renumbered from the inorder gaps and duplicates
        (1, 1, 0, 2, 1),
        (1, 2, 0, 2, 1),
        (1, 0, 2, 9, 1),  # a sub-series
        (1, 4, 0, 7, 0),  # not confirmed by the owner
        (1, 99, 0, 8, 1),  # a dead story
        (2, 0, 2, 1, 1),  # a series inside itself
        (2, 1, 0, 2, 1),
        (3, 0, 4, 1, 1),
        (4, 0, 3, 1, 1),  # a loop: 3 holds 4, which would hold 3
        (4, 0, 88, 2, 1),  # a dead sub-series
        (77, 1, 0, 1, 1),  # a dead series
        (3, 0, 0, 2, 1),  # neither
    ]:
        insert(archive, "inseries", seriesid=seriesid, sid=sid, subseriesid=subseriesid,
               inorder=inorder, confirmed=confirmed)  # fmt: skip
    report = run_import(efiction_db)

    first = Series.objects.get(legacy_seriesid=1)
    assert (first.title, first.summary, first.is_open) == ("Sunnydale & After", "<i>Open</i>", True)
    assert first.legacy["isopen"] == 2
    orphaned = Series.objects.get(legacy_seriesid=2)
    assert orphaned.owner.username == ORPHAN_USERNAME
    assert orphaned.legacy["catid"] == "1,2"
    assert items(1) == [("story", 1), ("story", 2), ("story", 3), ("series", 2)]
    assert items(2) == [("story", 1)]
    assert items(3) == [("series", 4)]
    assert items(4) == []
    table = report.tables["inseries"]
    assert table.created == 6
    assert table.skipped == Counter(
        {
            "awaiting the series owner's confirmation (kept as a legacy record)": 1,
            "story not found": 1,
            "a series inside itself": 1,
            "a sub-series that contains its parent (a loop)": 1,
            "sub-series not found": 1,
            "series not found": 1,
            "neither a story nor a sub-series": 1,
        }
    )
    kept = LegacyRecord.objects.get(source_table="inseries")
    assert (kept.key, kept.data["confirmed"]) == ("1-4-0", 0)
    assert report.problems() == []

    again = run_import(efiction_db)
    assert (again.tables["inseries"].created, again.tables["inseries"].updated) == (0, 6)
    assert (again.tables["series"].created, again.tables["series"].updated) == (0, 4)
    assert items(1) == [("story", 1), ("story", 2), ("story", 3), ("series", 2)]
    assert LegacyRecord.objects.filter(source_table="inseries").count() == 1


def test_sample_archive(efiction_sample_db, run_import):
    """Stories, chapters, co-authors and series of the sample (one import: it is slow)."""
    report = run_import(efiction_sample_db)

    assert Story.objects.count() == 300
    assert Story.objects.filter(status=Status.PUBLISHED).count() == 296
    assert Story.objects.published().count() == 296
    assert StoryAuthor.objects.filter(is_owner=True).count() == 300
    assert StoryAuthor.objects.filter(is_owner=False).count() == 6
    assert Series.objects.count() == 20
    assert SeriesItem.objects.filter(story__isnull=False).count() == 85
    assert not Rating.objects.filter(name="Not rated").exists()
    assert "dead references" not in report.notices
    assert "deleted author" not in report.notices
    assert report.source_totals["stories"] == report.imported_totals["stories"] == 300

    assert Chapter.objects.count() == 1457
    assert Chapter.objects.filter(status=Status.PUBLISHED).count() == 1446
    assert not Chapter.objects.filter(body="").exists()
    assert report.source_totals["chapters"] == report.imported_totals["chapters"] == 1457
    assert report.source_totals["words"] == report.imported_totals["words"] > 2_500_000
    positions = defaultdict(list)
    for story_id, position in Chapter.objects.values_list("story_id", "position"):
        positions[story_id].append(position)
    assert all(
        sorted(numbers) == list(range(1, len(numbers) + 1)) for numbers in positions.values()
    )
    assert report.problems() == []
