"""Review and favorite counts on stories, chapters and series; the only code that writes them."""

from collections.abc import Iterable

from django.db.models import OuterRef

from fanfold.archive import pagecache
from fanfold.archive.counts import count_of
from fanfold.archive.models import Chapter, Series, Story
from fanfold.community.models import Favorite, Review


def refresh_stories(story_ids: Iterable[int]) -> None:
    ids = list(story_ids)
    Story.objects.filter(pk__in=ids).update(
        review_count=count_of(Review.objects.visible().filter(story=OuterRef("pk")), "story"),
        favorite_count=count_of(Favorite.objects.filter(story=OuterRef("pk")), "story"),
    )
    Chapter.objects.filter(story__in=ids).update(
        review_count=count_of(Review.objects.visible().filter(chapter=OuterRef("pk")), "chapter")
    )
    if len(ids) > 50:
        pagecache.everything_changed()
    else:
        for story_id in ids:
            pagecache.story_changed(story_id)


def refresh_series() -> None:
    Series.objects.update(
        review_count=count_of(Review.objects.visible().filter(series=OuterRef("pk")), "series"),
        favorite_count=count_of(Favorite.objects.filter(series=OuterRef("pk")), "series"),
    )
