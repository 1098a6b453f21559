"""What a series holds and in which order: adding, removing, reordering, deleting.

Positions are always 1..n after a change, written in one transaction. Every change keeps
`Series.story_count` right (fanfold.archive.counts.refresh_series) and invalidates the
pages that show the series. Permission checks stay in the views
(fanfold.archive.permissions.can_edit_series / can_add_to_series).
"""

import uuid

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from fanfold.archive import counts, pagecache
from fanfold.archive.models import Series, SeriesItem, Story, StoryAuthor
from fanfold.core.permissions import is_moderator


def create_series(
    owner, fields: dict, *, submission_key: uuid.UUID | None = None
) -> tuple[Series, bool]:
    """A new, empty series of `owner`; (series, created).

    A form posted twice carries the same submission key: the unique key refuses the
    second insert, also when both arrive at once, and the second post gets the first
    post's series (as fanfold.archive.actions.create_story does for stories).
    """
    try:
        with transaction.atomic():
            series = Series.objects.create(owner=owner, submission_key=submission_key, **fields)
    except IntegrityError:
        first = Series.objects.filter(submission_key=submission_key).first()
        if submission_key is None or first is None:
            raise
        return first, False
    return series, True


def addable_stories(user, series: Series):
    """Stories this member may put in the series: their own (or co-authored) ones not in it.

    A moderator tidying someone else's series may also add the owner's stories.
    """
    authors = [user.pk]
    if is_moderator(user) and series.owner_id != user.pk:
        authors.append(series.owner_id)
    return (
        Story.objects.filter(
            pk__in=StoryAuthor.objects.filter(user_id__in=authors).values("story_id")
        )
        # story__isnull: a sub-series item's NULL would make NOT IN exclude every story.
        .exclude(
            pk__in=SeriesItem.objects.filter(series=series, story__isnull=False).values("story")
        )
        .only("pk", "title", "status")
        .order_by("title_key", "pk")
    )


def addable_subseries(series: Series):
    """The owner's other series that may go inside this one without making a loop.

    Putting X in S loops when S is already somewhere inside X, i.e. X contains S: so S
    and every series that contains it, however deep, are left out.
    """
    containing, frontier = {series.pk}, {series.pk}
    while frontier:
        parents = set(
            SeriesItem.objects.filter(subseries__in=frontier).values_list("series_id", flat=True)
        )
        frontier = parents - containing
        containing |= frontier
    inside = SeriesItem.objects.filter(series=series, subseries__isnull=False)
    return (
        Series.objects.filter(owner_id=series.owner_id)
        .exclude(pk__in=containing)
        .exclude(pk__in=inside.values("subseries"))
        .only("pk", "title")
        .order_by("title", "pk")
    )


def add_subseries(series: Series, child: Series) -> SeriesItem:
    """Append a series inside this one (eFiction's sub-series); callers offer only
    `addable_subseries`, so no series ever ends up inside itself."""
    with transaction.atomic():
        Series.objects.select_for_update().filter(pk=series.pk).first()
        last = series.items.aggregate(n=Max("position"))["n"] or 0
        item, _ = SeriesItem.objects.get_or_create(
            series=series, subseries=child, defaults={"position": last + 1}
        )
    _changed(series)
    return item


def add_story(series: Series, story: Story) -> SeriesItem:
    """Append the story to the series (a story already in it stays where it is)."""
    with transaction.atomic():
        # Lock the series so two additions at once never take the same position.
        Series.objects.select_for_update().filter(pk=series.pk).first()
        last = series.items.aggregate(n=Max("position"))["n"] or 0
        item, _ = SeriesItem.objects.get_or_create(
            series=series, story=story, defaults={"position": last + 1}
        )
    _changed(series)
    return item


def remove_item(item: SeriesItem) -> None:
    """Take a story or sub-series out of the series; the story itself stays."""
    series = item.series
    with transaction.atomic():
        item.delete()
        _renumber(series, list(series.items.select_for_update().order_by("position", "pk")))
    _changed(series)


def reorder(series: Series, wanted: dict[int, int]) -> None:
    """Move items to the numbers asked for (item id → number); the rest keep their order.

    Moved items are taken out and put back at their numbers, lowest first, so moving the
    third item to 1 puts it first and moving the second to 4 puts it fourth.
    """
    with transaction.atomic():
        items = list(series.items.select_for_update().order_by("position", "pk"))
        current = {item.pk: number for number, item in enumerate(items, start=1)}
        moved = sorted(
            (item for item in items if wanted.get(item.pk, current[item.pk]) != current[item.pk]),
            key=lambda item: wanted[item.pk],
        )
        order = [item for item in items if item not in moved]
        for item in moved:
            order.insert(max(wanted[item.pk], 1) - 1, item)
        _renumber(series, order)
    _changed(series)


def delete_series(series: Series) -> None:
    """The series and its places in other series; its stories stay in the archive."""
    parents = list(SeriesItem.objects.filter(subseries=series).values_list("series_id", flat=True))
    with transaction.atomic():
        series.delete()
        for parent in Series.objects.filter(pk__in=parents):
            _renumber(parent, list(parent.items.order_by("position", "pk")))
    pagecache.everything_changed()


def _renumber(series: Series, items: list[SeriesItem]) -> None:
    changed = []
    for number, item in enumerate(items, start=1):
        if item.position != number:
            item.position = number
            changed.append(item)
    SeriesItem.objects.bulk_update(changed, ["position"])


def _changed(series: Series) -> None:
    """The count, the update date and every page showing the series follow a change."""
    Series.objects.filter(pk=series.pk).update(updated_at=timezone.now())
    counts.refresh_series([series.pk])
    # Story pages name the series they are in, so more than the listings changed.
    pagecache.everything_changed()
