"""`fanfold recount` puts every denormalized count back to what the rows say."""

from io import StringIO

import pytest
from django.core.management import call_command

from fanfold.accounts.models import Profile
from fanfold.archive.models import (
    Category,
    Chapter,
    Character,
    Classification,
    Rating,
    Series,
    Status,
    Story,
)
from fanfold.community import counts as community_counts
from fanfold.community.management.commands import recount
from fanfold.community.models import Review
from tests.factories import (
    make_category,
    make_chapter,
    make_character,
    make_classification,
    make_favorite,
    make_rating,
    make_review,
    make_series,
    make_story,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive():
    """Two published stories in a series and a draft, with reviews and favorites."""
    author, reader = make_user("Quill"), make_user("Reader")
    fandom = make_category("Sunnydale")
    willow = make_character("Willow", categories=[fandom])
    angst = make_classification("Angst")
    teen = make_rating("Teen")
    labels = {"categories": [fandom], "characters": [willow], "classifications": [angst]}
    first = make_story(
        "First",
        authors=[author],
        rating=teen,
        chapters=["One two three.", "Four five."],
        **labels,
    )
    second = make_story("Second", authors=[author], rating=teen, chapters=["Six."], **labels)
    draft = make_story(
        "Draft", authors=[author], rating=teen, status=Status.DRAFT, chapters=0, **labels
    )
    make_chapter(draft, "Not yet.", status=Status.DRAFT)
    make_chapter(first, "A draft chapter of words that do not count yet.", status=Status.DRAFT)
    chapter = first.chapters.get(position=1)
    make_review(first, chapter=chapter, reviewer=reader)
    make_review(first, "Story-wide.", reviewer=reader)
    make_review(first, "Hidden.", chapter=chapter, status=Review.Status.HIDDEN)
    make_favorite(reader, story=first)
    make_favorite(reader, author=author)
    series = make_series(author, "Saga", stories=[first, second])
    Review.objects.create(series=series, reviewer=reader, text="<p>Series review.</p>")
    make_favorite(reader, series=series)
    community_counts.refresh_series()
    return {
        "author": author,
        "first": first,
        "second": second,
        "draft": draft,
        "series": series,
        "labels": (fandom, willow, angst, teen),
    }


def corrupt_every_count() -> None:
    Story.objects.update(word_count=999, chapter_count=99, review_count=77, favorite_count=55)
    Chapter.objects.update(review_count=33)
    Series.objects.update(story_count=0, review_count=8, favorite_count=8)
    for model in (Category, Character, Classification, Rating, Profile):
        model.objects.update(story_count=42)


def run_recount() -> str:
    out = StringIO()
    call_command("recount", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_recount_restores_story_counts(archive):
    corrupt_every_count()
    run_recount()
    first = Story.objects.get(pk=archive["first"].pk)
    assert (first.word_count, first.chapter_count) == (5, 2)
    assert (first.review_count, first.favorite_count) == (2, 1)
    second = Story.objects.get(pk=archive["second"].pk)
    assert (second.word_count, second.chapter_count, second.review_count) == (1, 1, 0)
    assert Story.objects.get(pk=archive["draft"].pk).review_count == 0


def test_recount_restores_chapter_review_counts(archive):
    corrupt_every_count()
    run_recount()
    reviewed = archive["first"].chapters.get(position=1)
    assert Chapter.objects.get(pk=reviewed.pk).review_count == 1  # the hidden one is left out
    assert Chapter.objects.get(pk=archive["first"].chapters.get(position=2).pk).review_count == 0


def test_recount_restores_taxonomy_author_and_series_counts(archive):
    corrupt_every_count()
    output = run_recount()
    fandom, willow, angst, teen = archive["labels"]
    for label in (fandom, willow, angst, teen):
        label.refresh_from_db()
        assert label.story_count == 2  # the draft is not listed
    assert Profile.objects.get(user=archive["author"]).story_count == 2
    series = Series.objects.get(pk=archive["series"].pk)
    assert (series.story_count, series.review_count, series.favorite_count) == (2, 1, 1)
    assert "Recounted" in output


def test_recount_of_right_counts_changes_nothing(archive):
    def every_count():
        return [
            list(Story.objects.order_by("pk").values_list("word_count", "review_count")),
            list(Chapter.objects.order_by("pk").values_list("review_count")),
            list(Series.objects.order_by("pk").values_list("story_count", "favorite_count")),
            list(Category.objects.order_by("pk").values_list("story_count")),
        ]

    before = every_count()
    run_recount()
    assert every_count() == before


def test_recount_leaves_hits_alone(archive):
    Story.objects.update(hits=1234)
    run_recount()
    assert set(Story.objects.values_list("hits", flat=True)) == {1234}


def test_recount_covers_every_batch(archive, monkeypatch):
    monkeypatch.setattr(recount, "STORIES_PER_BATCH", 2)
    corrupt_every_count()
    run_recount()
    assert list(Story.objects.order_by("pk").values_list("chapter_count", flat=True)) == [2, 1, 0]
