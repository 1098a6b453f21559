"""Review, favorite and like counts on stories, chapters and series; the only code that
writes them."""

from collections.abc import Iterable

from django.db.models import OuterRef

from fanfold.archive import pagecache
from fanfold.archive.counts import count_of
from fanfold.archive.models import Chapter, Series, Story
from fanfold.community.models import Favorite, Like, Review


def lock_counted(*, story_id: int | None = None, series_id: int | None = None) -> None:
    """Lock the story or series row whose counts a change is about to recompute.

    Concurrent reviews, likes or favorites of one work then queue on this lock, and each
    recount (a later statement) sees every row committed before it, so the count ends
    right however many arrive at once. Call it first in the change's transaction.
    """
    if story_id is not None:
        Story.objects.select_for_update().filter(pk=story_id).values_list("pk").first()
    if series_id is not None:
        Series.objects.select_for_update().filter(pk=series_id).values_list("pk").first()


def _reviews():
    """What a review count counts: published top-level reviews (replies are conversation)."""
    return Review.objects.visible().filter(parent__isnull=True)


def refresh_review_counts(review: Review) -> None:
    """After one review changed: the counts of its story, chapter and series only."""
    if review.story_id is not None:
        Story.objects.filter(pk=review.story_id).update(
            review_count=count_of(_reviews().filter(story=OuterRef("pk")), "story")
        )
    if review.chapter_id is not None:
        Chapter.objects.filter(pk=review.chapter_id).update(
            review_count=count_of(_reviews().filter(chapter=OuterRef("pk")), "chapter")
        )
    if review.series_id is not None:
        Series.objects.filter(pk=review.series_id).update(
            review_count=count_of(_reviews().filter(series=OuterRef("pk")), "series")
        )


def refresh_favorite_count(*, story_id: int | None = None, series_id: int | None = None) -> None:
    """After a member favorited a story or series or took it back (authors have no count)."""
    if story_id is not None:
        Story.objects.filter(pk=story_id).update(
            favorite_count=count_of(Favorite.objects.filter(story=OuterRef("pk")), "story")
        )
    if series_id is not None:
        Series.objects.filter(pk=series_id).update(
            favorite_count=count_of(Favorite.objects.filter(series=OuterRef("pk")), "series")
        )


def _likes():
    return count_of(Like.objects.filter(story=OuterRef("pk")), "story")


def refresh_like_count(story_id: int) -> None:
    """After a member liked a story or took the like back (community.likes)."""
    Story.objects.filter(pk=story_id).update(like_count=_likes())


def refresh_stories(story_ids: Iterable[int]) -> None:
    ids = list(story_ids)
    Story.objects.filter(pk__in=ids).update(
        review_count=count_of(_reviews().filter(story=OuterRef("pk")), "story"),
        favorite_count=count_of(Favorite.objects.filter(story=OuterRef("pk")), "story"),
        like_count=_likes(),
    )
    Chapter.objects.filter(story__in=ids).update(
        review_count=count_of(_reviews().filter(chapter=OuterRef("pk")), "chapter")
    )
    if len(ids) > 50:
        pagecache.everything_changed()
    else:
        for story_id in ids:
            pagecache.story_changed(story_id)


def refresh_series() -> None:
    Series.objects.update(
        review_count=count_of(_reviews().filter(series=OuterRef("pk")), "series"),
        favorite_count=count_of(Favorite.objects.filter(series=OuterRef("pk")), "series"),
    )
