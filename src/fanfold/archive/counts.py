"""The one code path that writes denormalized counts.

Counts are recomputed from the rows (never incremented blindly), so calling a refresh
twice, or concurrently, converges on the truth. `fanfold recount` runs all of them.
Review and favorite counts belong to the community app (fanfold.community.counts).
"""

from collections.abc import Iterable

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from fanfold.accounts.models import Profile
from fanfold.archive import pagecache
from fanfold.archive.models import (
    Category,
    Chapter,
    Character,
    Classification,
    Rating,
    Series,
    SeriesItem,
    Status,
    Story,
    StoryAuthor,
)


def count_of(queryset, group_field: str):
    """A correlated subquery counting rows of queryset per OuterRef('pk')."""
    return Coalesce(
        Subquery(
            queryset.order_by().values(group_field).annotate(n=Count("*")).values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def refresh_stories(story_ids: Iterable[int]) -> None:
    """Words and chapters of these stories, from their published chapters."""
    ids = list(story_ids)
    published = Chapter.objects.filter(story=OuterRef("pk"), status=Status.PUBLISHED)
    Story.objects.filter(pk__in=ids).update(
        chapter_count=count_of(published, "story"),
        word_count=Coalesce(
            Subquery(
                published.order_by().values("story").annotate(w=Sum("word_count")).values("w")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        ),
    )
    if len(ids) > 50:
        pagecache.everything_changed()
    else:
        for story_id in ids:
            pagecache.story_changed(story_id)


def _listed_story(prefix: str = "story__") -> Q:
    """Stories that count on listings: published with at least one published chapter."""
    return Q(**{f"{prefix}status": Status.PUBLISHED, f"{prefix}chapter_count__gt": 0})


def refresh_taxonomy() -> None:
    """Story counts of categories, characters, classifications, ratings, authors, series."""
    Category.objects.update(
        story_count=count_of(
            Story.categories.through.objects.filter(category=OuterRef("pk")).filter(
                _listed_story()
            ),
            "category",
        )
    )
    Character.objects.update(
        story_count=count_of(
            Story.characters.through.objects.filter(character=OuterRef("pk")).filter(
                _listed_story()
            ),
            "character",
        )
    )
    Classification.objects.update(
        story_count=count_of(
            Story.classifications.through.objects.filter(classification=OuterRef("pk")).filter(
                _listed_story()
            ),
            "classification",
        )
    )
    Rating.objects.update(
        story_count=count_of(
            Story.objects.filter(rating=OuterRef("pk")).filter(_listed_story("")), "rating"
        )
    )
    Profile.objects.update(story_count=_author_story_count())
    Series.objects.update(story_count=_series_story_count())
    pagecache.listings_changed()


def _author_story_count():
    return count_of(
        StoryAuthor.objects.filter(user=OuterRef("user")).filter(_listed_story()), "user"
    )


def _series_story_count():
    return count_of(
        SeriesItem.objects.filter(series=OuterRef("pk"), story__isnull=False).filter(
            _listed_story()
        ),
        "series",
    )


def refresh_authors(user_ids: Iterable[int]) -> None:
    """Story counts of these members, after they join or leave a byline."""
    Profile.objects.filter(user_id__in=list(user_ids)).update(story_count=_author_story_count())
    pagecache.listings_changed()


def refresh_series(series_ids: Iterable[int]) -> None:
    """Story counts of these series, after stories are added to or removed from them."""
    Series.objects.filter(pk__in=list(series_ids)).update(story_count=_series_story_count())
    pagecache.listings_changed()
