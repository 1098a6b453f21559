"""The one code path that writes denormalized counts.

Counts are recomputed from the rows (never incremented blindly), so calling a refresh
twice, or concurrently, converges on the truth. `fanfold recount` runs all of them.
Review and favorite counts belong to the community app (fanfold.community.counts).
"""

from collections.abc import Iterable
from dataclasses import dataclass, fields

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


@dataclass(frozen=True)
class Labels:
    """Ids of the rows whose story counts depend on some stories: see labels_of()."""

    categories: frozenset = frozenset()
    characters: frozenset = frozenset()
    classifications: frozenset = frozenset()
    ratings: frozenset = frozenset()
    authors: frozenset = frozenset()
    series: frozenset = frozenset()

    def __or__(self, other: "Labels") -> "Labels":
        return Labels(*(getattr(self, f.name) | getattr(other, f.name) for f in fields(self)))


def labels_of(story_ids: Iterable[int]) -> Labels:
    """The categories, characters, … these stories are counted under now.

    Take it before an edit that may remove labels, and pass it to refresh_labels_of()
    after, so a label a story left is recounted too.
    """
    ids = list(story_ids)

    def column(queryset, name):
        return frozenset(queryset.filter(story_id__in=ids).values_list(name, flat=True))

    return Labels(
        categories=column(Story.categories.through.objects, "category_id"),
        characters=column(Story.characters.through.objects, "character_id"),
        classifications=column(Story.classifications.through.objects, "classification_id"),
        ratings=frozenset(Story.objects.filter(pk__in=ids).values_list("rating_id", flat=True)),
        authors=column(StoryAuthor.objects, "user_id"),
        series=column(SeriesItem.objects, "series_id"),
    )


def refresh_labels_of(story_ids: Iterable[int], before: Labels = Labels()) -> None:
    """Story counts of only the rows these stories touch, now or `before` an edit.

    The scoped form of refresh_taxonomy(), for a change to a few stories.
    """
    _refresh_labels(labels_of(story_ids) | before)


def refresh_taxonomy() -> None:
    """Story counts of every category, character, classification, rating, author, series.

    For `fanfold recount`; a change to a few stories uses refresh_labels_of().
    """
    _refresh_labels(None)


def _refresh_labels(scope: Labels | None) -> None:
    """Recount the rows in `scope`, or all of them when it is None."""

    def rows(model, ids, key="pk"):
        if scope is None:
            return model.objects.all()
        return model.objects.filter(**{f"{key}__in": ids}) if ids else model.objects.none()

    rows(Category, scope and scope.categories).update(
        story_count=count_of(
            Story.categories.through.objects.filter(category=OuterRef("pk")).filter(
                _listed_story()
            ),
            "category",
        )
    )
    rows(Character, scope and scope.characters).update(
        story_count=count_of(
            Story.characters.through.objects.filter(character=OuterRef("pk")).filter(
                _listed_story()
            ),
            "character",
        )
    )
    rows(Classification, scope and scope.classifications).update(
        story_count=count_of(
            Story.classifications.through.objects.filter(classification=OuterRef("pk")).filter(
                _listed_story()
            ),
            "classification",
        )
    )
    rows(Rating, scope and scope.ratings).update(
        story_count=count_of(
            Story.objects.filter(rating=OuterRef("pk")).filter(_listed_story("")), "rating"
        )
    )
    rows(Profile, scope and scope.authors, "user_id").update(story_count=_author_story_count())
    rows(Series, scope and scope.series).update(story_count=_series_story_count())
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
