"""Importing eFiction's reviews (with author responses and ratings) and favorites.

Each test builds a small archive in a real eFiction database (members, two stories with
chapters, a series) and runs the whole import, as `fanfold import-efiction` does.
"""

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from fanfold.archive.models import Chapter, Series, Story
from fanfold.community.models import Favorite, Review
from tests.hostile import HOSTILE, executable_parts

WRITER, READER, FAN, DELETED = 1, 2, 3, 99
FIRST_STORY, SECOND_STORY, DEAD_STORY = 10, 11, 77
CHAPTER_ONE, CHAPTER_TWO, OTHER_STORY_CHAPTER, DEAD_CHAPTER = 100, 101, 110, 999
SERIES, DEAD_SERIES = 5, 55
STORY_DATE = 1_200_000_000
REVIEW_DATE = 1_300_000_000


def insert(sql, table: str, *rows: dict) -> None:
    columns = list(rows[0])
    values = ", ".join("(" + ", ".join(["%s"] * len(columns)) + ")" for _ in rows)
    sql(
        f"INSERT INTO fanfiction_{table} ({', '.join(columns)}) VALUES {values}",
        [row[column] for row in rows for column in columns],
    )


@pytest.fixture
def archive(efiction_sql):
    """An archive with star ratings; add reviews with `review(...)` and favorites with
    `favorite(...)` (keyword arguments are columns)."""
    insert(efiction_sql, "settings", {"sitekey": "trap", "ratings": 1, "anonreviews": 1})
    insert(efiction_sql, "ratings", {"rid": 1, "rating": "General", "warningtext": ""})
    insert(
        efiction_sql,
        "authors",
        *[
            {"uid": uid, "penname": name, "email": f"{name}@example.org", "date": STORY_DATE}
            for uid, name in [(WRITER, "Writer"), (READER, "Reader"), (FAN, "Fan")]
        ],
    )
    insert(
        efiction_sql,
        "stories",
        *[
            {
                "sid": sid,
                "title": title,
                "summary": "",
                "rid": "1",
                "uid": WRITER,
                "validated": "1",
                "date": STORY_DATE,
                "updated": STORY_DATE,
            }
            for sid, title in [(FIRST_STORY, "First Story"), (SECOND_STORY, "Second Story")]
        ],
    )
    insert(
        efiction_sql,
        "chapters",
        *[
            {
                "chapid": chapid,
                "sid": sid,
                "inorder": inorder,
                "title": f"Chapter {chapid}",
                "storytext": "Some words of the chapter.",
                "validated": "1",
                "uid": WRITER,
                "wordcount": 5,
            }
            for chapid, sid, inorder in [
                (CHAPTER_ONE, FIRST_STORY, 1),
                (CHAPTER_TWO, FIRST_STORY, 2),
                (OTHER_STORY_CHAPTER, SECOND_STORY, 1),
            ]
        ],
    )
    insert(
        efiction_sql,
        "series",
        {"seriesid": SERIES, "title": "A Series", "summary": "", "uid": WRITER},
    )

    class Archive:
        sql = staticmethod(efiction_sql)

        @staticmethod
        def review(reviewid: int, **columns) -> None:
            row = {
                "reviewid": reviewid,
                "type": "ST",
                "item": FIRST_STORY,
                "chapid": CHAPTER_ONE,
                "uid": READER,
                "reviewer": "Reader",
                "review": f"Review number {reviewid}.",
                "date": REVIEW_DATE,
                "rating": -1,
                "respond": "0",
            }
            insert(efiction_sql, "reviews", row | columns)

        @staticmethod
        def favorite(uid: int, item: int, type: str, comments: str = "") -> None:
            insert(
                efiction_sql,
                "favorites",
                {"uid": uid, "item": item, "type": type, "comments": comments},
            )

    return Archive


def imported(reviewid: int) -> Review:
    return Review.objects.select_related("story", "chapter", "series", "reviewer").get(
        legacy_reviewid=reviewid
    )


@pytest.mark.django_db
class TestReviews:
    def test_reviews_of_chapters_whole_stories_and_series(self, archive, efiction_db, run_import):
        archive.review(1, chapid=CHAPTER_TWO)
        archive.review(2, chapid=0)
        archive.review(3, type="SE", item=SERIES, chapid=0, uid=FAN, reviewer="Fan")

        report = run_import(efiction_db)

        chapter_review = imported(1)
        assert chapter_review.story.legacy_sid == FIRST_STORY
        assert chapter_review.chapter.legacy_chapid == CHAPTER_TWO
        assert chapter_review.series is None
        assert chapter_review.reviewer.legacy_uid == READER
        assert chapter_review.reviewer_name == ""
        assert chapter_review.text == "Review number 1."
        assert chapter_review.status == Review.Status.PUBLISHED
        assert chapter_review.created_at == datetime.fromtimestamp(REVIEW_DATE, UTC)
        story_review = imported(2)
        assert (story_review.story.legacy_sid, story_review.chapter) == (FIRST_STORY, None)
        series_review = imported(3)
        assert (series_review.story, series_review.chapter) == (None, None)
        assert series_review.series.legacy_seriesid == SERIES
        assert series_review.reviewer.legacy_uid == FAN
        assert report.tables["reviews"].created == 3
        assert report.source_totals["reviews"] == report.imported_totals["reviews"] == 3
        assert report.problems() == []

    def test_anonymous_reviews_keep_the_name_given(self, archive, efiction_db, run_import):
        archive.review(1, uid=0, reviewer="A &amp; B, fans")
        archive.review(2, uid=0, reviewer="")
        archive.review(3, uid=0, reviewer="<b>Bold</b> <script>alert(1)</script>Kat")

        run_import(efiction_db)

        assert [(imported(i).reviewer, imported(i).reviewer_name) for i in (1, 2, 3)] == [
            (None, "A & B, fans"),
            (None, "Anonymous"),
            (None, "Bold Kat"),
        ]

    def test_reviews_by_deleted_members_keep_their_name(self, archive, efiction_db, run_import):
        archive.review(1, uid=DELETED, reviewer="Gone Member")
        archive.review(2, uid=DELETED, reviewer="Gone Member")

        report = run_import(efiction_db)

        assert (imported(1).reviewer, imported(1).reviewer_name) == (None, "Gone Member")
        assert report.tables["reviews"].created == 2
        assert report.notices["reviews by members who were not imported"] == [
            "2 reviews by members missing from the authors table are shown under the name "
            "they signed with."
        ]
        assert report.problems() == []

    def test_reviews_of_what_was_not_imported_are_skipped_and_counted(
        self, archive, efiction_db, run_import
    ):
        archive.review(1)
        archive.review(2, item=DEAD_STORY)
        archive.review(3, type="SE", item=DEAD_SERIES, chapid=0)
        archive.review(4, type="CH", item=1, chapid=0)

        report = run_import(efiction_db)

        assert list(Review.objects.values_list("legacy_reviewid", flat=True)) == [1]
        assert report.tables["reviews"].skipped == {
            "review of a story that was not imported": 1,
            "review of a series that was not imported": 1,
            "review of something other than a story or series (type 'CH')": 1,
        }
        assert report.source_totals["reviews"] == 4
        assert report.skipped_totals["reviews"] == 3
        assert report.imported_totals["reviews"] == 1
        assert report.problems() == []

    def test_a_chapter_of_another_story_or_a_missing_chapter_gives_a_story_review(
        self, archive, efiction_db, run_import
    ):
        archive.review(1, chapid=OTHER_STORY_CHAPTER)
        archive.review(2, chapid=DEAD_CHAPTER)

        report = run_import(efiction_db)

        for reviewid in (1, 2):
            assert imported(reviewid).story.legacy_sid == FIRST_STORY
            assert imported(reviewid).chapter is None
        assert report.notices["review kept as a review of its story"] == [
            f"Review 1: chapter {OTHER_STORY_CHAPTER} is not a chapter of story {FIRST_STORY}",
            f"Review 2: chapter {DEAD_CHAPTER} is not a chapter of story {FIRST_STORY} "
            "(it was not imported)",
        ]

    def test_author_responses_are_split_from_the_review(self, archive, efiction_db, run_import):
        archive.review(
            1,
            review="Loved it!<br><br><i>Author's Response: Thank you &amp; welcome!</i>",
            respond="1",
        )
        # A response pasted into the text by hand, with eFiction's escaped apostrophe.
        archive.review(
            2,
            review="Great twist.\n<br><br><i>Author&#39;s Response: I <b>hoped</b> so.</i>",
            respond="0",
        )
        archive.review(3, review="No response here, just <i>italics</i>.", respond="1")

        run_import(efiction_db)

        assert (imported(1).text, imported(1).response) == ("Loved it!", "Thank you &amp; welcome!")
        assert (imported(2).text, imported(2).response) == ("Great twist.", "I <b>hoped</b> so.")
        assert imported(3).text == "No response here, just <i>italics</i>."
        assert imported(3).response == ""

    def test_entities_stay_text_and_plain_reviews_keep_their_line_breaks(
        self, archive, efiction_db, run_import, client
    ):
        archive.review(1, review="I &lt;3 this\nso much")

        run_import(efiction_db)

        assert imported(1).text == "I &lt;3 this<br>\nso much"
        story = Story.objects.get(legacy_sid=FIRST_STORY)
        page = client.get(f"/stories/{story.pk}/chapters/1/").content.decode()
        assert "I &lt;3 this<br>\nso much" in page
        assert "&amp;lt;3" not in page

    def test_hostile_review_text_cannot_run_on_the_chapter_page(
        self, archive, efiction_db, run_import, client
    ):
        hostile = "\n".join(HOSTILE)
        archive.review(1, review=hostile)
        archive.review(2, review=f"Fine.<br><br><i>Author's Response: {hostile}</i>", respond="1")
        archive.review(3, uid=0, reviewer='<img src=x onerror="alert(1)">Visitor', review=hostile)

        run_import(efiction_db)

        assert imported(2).response
        story = Story.objects.get(legacy_sid=FIRST_STORY)
        response = client.get(f"/stories/{story.pk}/chapters/1/")
        page = response.content.decode()
        assert response.status_code == 200
        assert page.count('class="review"') == 3
        assert executable_parts(page) == []

    def test_star_ratings(self, archive, efiction_db, run_import):
        for reviewid, stored in enumerate([10, 1, -1, 0, 11], start=1):
            archive.review(reviewid, rating=stored)

        report = run_import(efiction_db)

        ratings = dict(Review.objects.values_list("legacy_reviewid", "rating"))
        assert ratings == {1: 10, 2: 1, 3: None, 4: None, 5: None}
        assert report.notices["review ratings not imported"] == [
            "1 review ratings were left out: the archive's `ratings` setting (1) gives them "
            "no meaning."
        ]

    def test_like_and_dislike(self, archive, efiction_db, run_import):
        archive.sql("UPDATE fanfiction_settings SET ratings = 2")
        for reviewid, stored in enumerate([1, 0, -1, 7], start=1):
            archive.review(reviewid, rating=stored)

        run_import(efiction_db)

        ratings = dict(Review.objects.values_list("legacy_reviewid", "rating"))
        assert ratings == {1: 1, 2: 0, 3: None, 4: 1}

    def test_ratings_switched_off_are_not_imported_and_reported(
        self, archive, efiction_db, run_import
    ):
        archive.sql("UPDATE fanfiction_settings SET ratings = 0")
        archive.review(1, rating=8)
        archive.review(2, rating=-1)

        report = run_import(efiction_db)

        assert set(Review.objects.values_list("rating", flat=True)) == {None}
        assert report.notices["review ratings not imported"] == [
            "1 review ratings were left out: the archive's `ratings` setting (0) gives them "
            "no meaning."
        ]

    def test_a_rating_without_text_keeps_the_rating(self, archive, efiction_db, run_import):
        archive.review(1, review="No Review", rating=9)

        run_import(efiction_db)

        assert (imported(1).text, imported(1).rating) == ("", 9)

    def test_reviews_without_a_date_take_their_storys(self, archive, efiction_db, run_import):
        archive.review(1, date=0)
        archive.review(2, date=4_294_967_295)  # MySQL's clipped NOW() in an int column
        archive.review(3, type="SE", item=SERIES, chapid=0, date=0)

        report = run_import(efiction_db)

        story = Story.objects.get(legacy_sid=FIRST_STORY)
        series = Series.objects.get(legacy_seriesid=SERIES)
        assert imported(1).created_at == imported(2).created_at == story.created_at
        assert imported(3).created_at == series.created_at
        assert report.notices["reviews without a date"] == [
            "3 reviews had no readable date and take their story's."
        ]

    def test_review_counts_are_right_after_import(self, archive, efiction_db, run_import):
        archive.review(1)
        archive.review(2, uid=0, reviewer="Visitor")
        archive.review(3, chapid=CHAPTER_TWO)
        archive.review(4, chapid=0)
        archive.review(5, type="SE", item=SERIES, chapid=0)

        run_import(efiction_db)

        assert Story.objects.get(legacy_sid=FIRST_STORY).review_count == 4
        assert Story.objects.get(legacy_sid=SECOND_STORY).review_count == 0
        chapter_counts = dict(Chapter.objects.values_list("legacy_chapid", "review_count"))
        assert chapter_counts == {CHAPTER_ONE: 2, CHAPTER_TWO: 1, OTHER_STORY_CHAPTER: 0}
        assert Series.objects.get(legacy_seriesid=SERIES).review_count == 1

    def test_a_rerun_updates_instead_of_duplicating(self, archive, efiction_db, run_import):
        archive.review(1, rating=6, review="First words.")
        archive.review(2, uid=0, reviewer="Visitor", chapid=0)
        archive.review(3, item=DEAD_STORY)
        run_import(efiction_db)
        first = {review.legacy_reviewid: review.pk for review in Review.objects.all()}
        archive.sql(
            "UPDATE fanfiction_reviews SET review = 'Edited.', rating = 7 WHERE reviewid = 1"
        )

        report = run_import(efiction_db)

        assert {review.legacy_reviewid: review.pk for review in Review.objects.all()} == first
        assert (imported(1).text, imported(1).rating) == ("Edited.", 7)
        table = report.tables["reviews"]
        assert (table.read, table.created, table.updated) == (3, 0, 2)
        assert report.problems() == []

    def test_a_rerun_keeps_a_moderators_decision(self, archive, efiction_db, run_import):
        archive.review(1)
        run_import(efiction_db)
        Review.objects.update(status=Review.Status.HIDDEN)

        run_import(efiction_db)

        assert imported(1).status == Review.Status.HIDDEN


def favorites() -> set[tuple]:
    return {
        (
            favorite.user.legacy_uid,
            favorite.story and favorite.story.legacy_sid,
            favorite.author and favorite.author.legacy_uid,
            favorite.series and favorite.series.legacy_seriesid,
            favorite.comment,
        )
        for favorite in Favorite.objects.select_related("user", "story", "author", "series")
    }


@pytest.mark.django_db
class TestFavorites:
    def test_favorite_stories_authors_and_series(self, archive, efiction_db, run_import):
        archive.favorite(READER, FIRST_STORY, "ST", "Line one\r\nLine two")
        archive.favorite(READER, WRITER, "AU", "I &lt;3 her <b>stories</b>")
        archive.favorite(READER, SERIES, "SE")
        archive.favorite(WRITER, WRITER, "AU", "Yes, myself.")

        report = run_import(efiction_db)

        assert favorites() == {
            (READER, FIRST_STORY, None, None, "Line one\nLine two"),
            (READER, None, WRITER, None, "I <3 her stories"),
            (READER, None, None, SERIES, ""),
            (WRITER, None, WRITER, None, "Yes, myself."),
        }
        assert report.tables["favorites"].created == 4
        assert Story.objects.get(legacy_sid=FIRST_STORY).favorite_count == 1
        assert Series.objects.get(legacy_seriesid=SERIES).favorite_count == 1
        assert report.problems() == []

    def test_favorites_of_what_was_not_imported_are_skipped(self, archive, efiction_db, run_import):
        archive.favorite(DELETED, FIRST_STORY, "ST")
        archive.favorite(READER, DEAD_STORY, "ST")
        archive.favorite(READER, DELETED, "AU")
        archive.favorite(READER, DEAD_SERIES, "SE")
        archive.favorite(READER, 1, "CH")

        report = run_import(efiction_db)

        assert favorites() == set()
        assert report.tables["favorites"].skipped == {
            "favorite of a member who was not imported": 1,
            "favorite of a story that was not imported": 1,
            "favorite of an author that was not imported": 1,
            "favorite of a series that was not imported": 1,
            "favorite of something other than a story, author or series ('CH')": 1,
        }
        assert report.problems() == []

    def test_hostile_comments_become_plain_text(self, archive, efiction_db, run_import):
        archive.favorite(READER, FIRST_STORY, "ST", "\n".join(HOSTILE))

        run_import(efiction_db)

        comment = Favorite.objects.get().comment
        assert "click" in comment  # the visible text stays, as plain text escaped on output
        assert "<" not in comment
        assert not any(marker in comment.lower() for marker in ("onerror", "javascript:"))

    def test_the_same_favorite_twice_is_merged(self, archive, efiction_db, run_import):
        # Dumps and archives without eFiction's unique keys can hold a favorite twice.
        archive.sql("ALTER TABLE fanfiction_favorites DROP INDEX byitem, DROP INDEX byuid")
        archive.favorite(FAN, FIRST_STORY, "ST", "First thoughts.")
        archive.favorite(FAN, FIRST_STORY, "ST", "")
        archive.favorite(FAN, FIRST_STORY, "ST", "Second thoughts.")
        archive.favorite(FAN, FIRST_STORY, "ST", "First thoughts.")

        report = run_import(efiction_db)

        favorite = Favorite.objects.get()
        assert (favorite.user.legacy_uid, favorite.story.legacy_sid) == (FAN, FIRST_STORY)
        # Rows of one favorite come in no particular order: each comment is kept once.
        assert sorted(favorite.comment.split("\n\n")) == ["First thoughts.", "Second thoughts."]
        assert (report.tables["favorites"].created, report.tables["favorites"].merged) == (1, 3)
        assert Story.objects.get(legacy_sid=FIRST_STORY).favorite_count == 1
        assert report.problems() == []

    def test_a_rerun_updates_instead_of_duplicating(self, archive, efiction_db, run_import):
        archive.sql("ALTER TABLE fanfiction_favorites DROP INDEX byitem, DROP INDEX byuid")
        archive.favorite(READER, FIRST_STORY, "ST", "Old comment.")
        archive.favorite(READER, WRITER, "AU")
        archive.favorite(READER, WRITER, "AU", "Twice.")
        run_import(efiction_db)
        first = set(Favorite.objects.values_list("pk", flat=True))
        archive.sql("UPDATE fanfiction_favorites SET comments = 'New comment.' WHERE type = 'ST'")

        report = run_import(efiction_db)

        assert set(Favorite.objects.values_list("pk", flat=True)) == first
        assert favorites() == {
            (READER, FIRST_STORY, None, None, "New comment."),
            (READER, None, WRITER, None, "Twice."),
        }
        table = report.tables["favorites"]
        assert (table.created, table.updated, table.merged) == (0, 2, 1)
        assert report.problems() == []


@pytest.mark.django_db
def test_the_sample_archive(efiction_sample_db, mariadb_server, run_import):
    report = run_import(efiction_sample_db)

    assert report.problems() == []
    assert report.tables["reviews"].created == report.imported_totals["reviews"] == 3000
    reviews = Review.objects.filter(legacy_reviewid__isnull=False)
    assert reviews.filter(story__isnull=False).count() == 2970
    assert reviews.filter(series__isnull=False).count() == 30
    assert reviews.filter(reviewer__isnull=True).count() == 654
    assert reviews.exclude(response="").count() == 444
    assert not reviews.filter(text__icontains="Author's Response").exists()
    assert reviews.filter(rating__isnull=True).count() == 1038  # stored -1: not rated
    assert report.tables["favorites"].created == Favorite.objects.count() == 808
    assert Favorite.objects.filter(story__isnull=False).count() == 605
    assert Favorite.objects.filter(author__isnull=False).count() == 169
    assert Favorite.objects.filter(series__isnull=False).count() == 34
    # eFiction's own stored counts, which the sample keeps consistent, match Fanfold's.
    database = urlsplit(efiction_sample_db).path.lstrip("/")
    stored = dict(
        mariadb_server.execute("SELECT sid, reviews FROM fanfiction_stories", database=database)
    )
    assert dict(Story.objects.values_list("legacy_sid", "review_count")) == stored
    stored = dict(
        mariadb_server.execute("SELECT chapid, reviews FROM fanfiction_chapters", database=database)
    )
    assert dict(Chapter.objects.values_list("legacy_chapid", "review_count")) == stored
