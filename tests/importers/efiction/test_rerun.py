"""A rerun converges on eFiction: what was deleted there since the last run goes here too,
except what Fanfold members added to it, which is kept and reported.

One archive is imported, then changed on both sides as happens during a migration: the
eFiction admin deletes chapters, stories, series, reviews and favorites and edits a
story's labels, while members already use Fanfold (a review, a reply, a category, a story
added to a series). The second run must leave Fanfold as eFiction is now, with the
members' own work intact.
"""

from django.utils import timezone

from fanfold.accounts.models import User
from fanfold.archive.models import Chapter, Series, SeriesItem, Status, Story
from fanfold.community.models import Favorite, Review
from tests.factories import make_category, make_review, make_story, make_user
from tests.importers.efiction.test_map_stories import (
    add_basics,
    add_chapter,
    add_series,
    add_story,
    insert,
)

KEPT = "deleted in eFiction, kept in Fanfold"


def build(sql) -> None:
    """Stories 1–4 (1 with three chapters and every kind of label), series 1–3, three
    reviews and favorites of a member who never signs in (3) and one who does (4)."""
    add_basics(sql)
    add_story(sql, 1, catid="1,2", charid="1,2", classes="1,2")
    for chapid, inorder in [(11, 1), (12, 2), (13, 3)]:
        add_chapter(sql, chapid, 1, inorder=inorder)
    for sid in (2, 3, 4):
        add_story(sql, sid)
        add_chapter(sql, sid * 10 + 1, sid)
    for seriesid in (1, 2, 3):
        add_series(sql, seriesid)
    for sid in (1, 2, 4):
        insert(sql, "inseries", seriesid=1, sid=sid, subseriesid=0, inorder=sid, confirmed=1)
    for reviewid, item, chapid in [(1, 1, 11), (2, 1, 12), (3, 4, 41)]:
        insert(
            sql, "reviews", reviewid=reviewid, type="ST", item=item, chapid=chapid, uid=3,
            reviewer="Tara", review=f"Review {reviewid}.", date=1577836800, rating=-1,
        )  # fmt: skip
    for uid in (3, 4):
        for sid in (1, 4):
            insert(sql, "favorites", uid=uid, item=sid, type="ST", comments="")


def delete_in_efiction(sql) -> None:
    """What the eFiction admin removes between the runs (eFiction deletes a story's
    chapters with it)."""
    for statement in [
        "DELETE FROM fanfiction_chapters WHERE chapid IN (12, 21, 31)",
        "DELETE FROM fanfiction_stories WHERE sid IN (2, 3)",
        "UPDATE fanfiction_stories SET catid = '1', charid = '', classes = '2' WHERE sid = 1",
        "DELETE FROM fanfiction_inseries WHERE sid IN (2, 4)",
        "DELETE FROM fanfiction_series WHERE seriesid IN (2, 3)",
        "DELETE FROM fanfiction_reviews WHERE reviewid IN (2, 3)",
        "DELETE FROM fanfiction_favorites WHERE item = 4",
    ]:
        sql(statement)


def use_fanfold() -> dict:
    """What members do in Fanfold between the runs."""
    story = {sid: Story.objects.get(legacy_sid=sid) for sid in (1, 3, 4)}
    reader = make_user("Anya")
    own_category = make_category("Made in Fanfold")
    story[1].categories.add(own_category)
    own_story = make_story("Posted in Fanfold", authors=[reader])
    SeriesItem.objects.create(
        series=Series.objects.get(legacy_seriesid=1), story=own_story, position=9
    )
    User.objects.filter(legacy_uid=4).update(last_login=timezone.now())
    return {
        "category": own_category,
        "series story": own_story,
        "review of chapter 12": make_review(
            story[1], "On chapter two.", chapter=Chapter.objects.get(legacy_chapid=12)
        ),
        "review of story 3": make_review(story[3], "Kept, please.", reviewer=reader),
        "reply": make_review(
            story[4], "A reply.", parent=Review.objects.get(legacy_reviewid=3), reviewer=reader
        ),
        "review of series 3": Review.objects.create(
            series=Series.objects.get(legacy_seriesid=3), text="Nice series.", reviewer=reader
        ),
    }


def legacy_ids(model, field: str) -> set[int]:
    return set(model.objects.filter(**{f"{field}__isnull": False}).values_list(field, flat=True))


def favorites() -> set[tuple[int, int]]:
    return set(Favorite.objects.values_list("user__legacy_uid", "story__legacy_sid"))


def test_a_rerun_removes_what_efiction_deleted_and_keeps_members_work(
    efiction_sql, efiction_db, run_import
):
    build(efiction_sql)
    first = run_import(efiction_db)
    assert first.problems() == []
    assert sum(table.removed for table in first.tables.values()) == 0
    delete_in_efiction(efiction_sql)
    fanfold = use_fanfold()

    report = run_import(efiction_db)

    assert report.problems() == []
    removed = {name: table.removed for name, table in report.tables.items() if table.removed}
    # Story 2 takes its chapter and series item with it; review 3 and member 4's
    # favorite stay (see below).
    assert removed == {
        "stories": 1, "chapters": 1, "series": 1, "inseries": 1, "reviews": 1, "favorites": 1,
    }  # fmt: skip
    # Chapters: the rest renumbered; the member's review of the deleted chapter stays,
    # as a review of its story.
    story = Story.objects.get(legacy_sid=1)
    assert list(story.chapters.order_by("position").values_list("legacy_chapid", "position")) == [
        (11, 1),
        (13, 2),
    ]
    moved = Review.objects.get(pk=fanfold["review of chapter 12"].pk)
    assert (moved.story_id, moved.chapter_id) == (story.pk, None)
    # Labels as eFiction has them now, plus the one a member added in Fanfold.
    assert set(story.categories.values_list("legacy_catid", flat=True)) == {1, None}
    assert fanfold["category"] in story.categories.all()
    assert not story.characters.exists()
    assert list(story.classifications.values_list("legacy_class_id", flat=True)) == [2]
    # Story 2 is gone; story 3, which a member reviewed in Fanfold, is hidden with its
    # chapter and counted apart in the totals.
    assert legacy_ids(Story, "legacy_sid") == {1, 3, 4}
    kept = Story.objects.get(legacy_sid=3)
    assert kept.status == Status.HIDDEN
    assert kept.chapters.get().legacy_chapid == 31
    assert Review.objects.filter(pk=fanfold["review of story 3"].pk).exists()
    assert (report.kept_totals["stories"], report.kept_totals["chapters"]) == (1, 1)
    assert report.kept_totals["words"] == 2
    # Series 2 is gone; series 3 holds a member's review and stays. Series 1 lost story
    # 4 (and story 2 with the story itself) but keeps the story posted in Fanfold.
    assert legacy_ids(Series, "legacy_seriesid") == {1, 3}
    series_stories = SeriesItem.objects.filter(series__legacy_seriesid=1).values_list(
        "story", flat=True
    )
    assert set(series_stories) == {story.pk, fanfold["series story"].pk}
    # Review 2 is gone; review 3 has a member's reply and stays with it.
    assert legacy_ids(Review, "legacy_reviewid") == {1, 3}
    assert Review.objects.filter(pk=fanfold["reply"].pk).exists()
    assert report.kept_totals["reviews"] == 1
    # Member 3 never signed in: their favorite of story 4 came from eFiction and goes.
    # Member 4 has signed in and may have added theirs in Fanfold: it stays, counted.
    assert favorites() == {(3, 1), (4, 1), (4, 4)}
    assert report.notices["favorites not in eFiction, kept"]
    assert len(report.notices[KEPT]) == 3  # story 3, series 3, review 3
    rendered = report.render()
    assert "removed" in rendered.splitlines()[2]

    # A third run finds nothing more to remove and keeps what it kept.
    again = run_import(efiction_db)
    assert again.problems() == []
    assert sum(table.removed for table in again.tables.values()) == 0
    assert again.kept_totals == report.kept_totals
    assert legacy_ids(Story, "legacy_sid") == {1, 3, 4}


def test_a_dry_run_reports_removals_without_making_them(efiction_sql, efiction_db, run_import):
    build(efiction_sql)
    run_import(efiction_db)
    delete_in_efiction(efiction_sql)

    dry = run_import(efiction_db, dry_run=True)

    assert dry.problems() == []
    assert dry.table("stories").removed == 2  # nothing of Fanfold's holds story 3 now
    assert dry.table("chapters").removed == 1
    assert legacy_ids(Story, "legacy_sid") == {1, 2, 3, 4}
    assert legacy_ids(Chapter, "legacy_chapid") == {11, 12, 13, 21, 31, 41}
    assert len(favorites()) == 4


def test_the_recount_summary_follows_the_report(efiction_sql, efiction_db, run_import):
    build(efiction_sql)
    report = run_import(efiction_db)

    lines = report.render().splitlines()

    assert lines[-1].startswith("Recounted words, chapters, reviews and favorites of 4 stories")
    assert lines[-3] == "Every row read is accounted for."
