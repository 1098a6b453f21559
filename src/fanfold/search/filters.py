"""Narrowing stories by their metadata: what the search form's filters mean.

Includes of categories, characters and classifications must all hold (a story with
Harry *and* Draco); ratings are one per story, so included ratings are alternatives.
Excludes drop a story that has any of them. A category stands for itself and all its
sub-categories.
"""

import datetime
from collections import defaultdict

from django.db.models import QuerySet
from django.utils import timezone

from fanfold.accounts.models import Profile
from fanfold.archive.models import Category, Story

_THROUGH = {
    "character": (Story.characters.through, "character_id"),
    "classification": (Story.classifications.through, "classification_id"),
}


def with_subcategories(category_ids: list[int]) -> dict[int, set[int]]:
    """Each category with all the categories below it, from one query of the tree."""
    children = defaultdict(list)
    for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
        children[parent_id].append(pk)
    trees = {}
    for root in category_ids:
        seen, stack = set(), [root]
        while stack:  # `seen` stops at loops in bad data
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(children[current])
        trees[root] = seen
    return trees


def _filed_in(category_ids) -> QuerySet:
    through = Story.categories.through.objects
    return through.filter(category_id__in=category_ids).values("story_id")


def apply(stories: QuerySet, criteria: dict) -> QuerySet:
    """These stories narrowed by the search form's valid criteria."""
    included, excluded = criteria["category"] or [], criteria["not_category"] or []
    if included or excluded:
        trees = with_subcategories(included + excluded)
        for pk in included:
            stories = stories.filter(pk__in=_filed_in(trees[pk]))
        if excluded:
            stories = stories.exclude(pk__in=_filed_in(set().union(*map(trees.get, excluded))))
    for name, (through, column) in _THROUGH.items():
        for pk in criteria[name] or []:
            stories = stories.filter(
                pk__in=through.objects.filter(**{column: pk}).values("story_id")
            )
        if criteria[f"not_{name}"]:
            having = through.objects.filter(**{f"{column}__in": criteria[f"not_{name}"]})
            stories = stories.exclude(pk__in=having.values("story_id"))
    if criteria["rating"]:
        stories = stories.filter(rating_id__in=criteria["rating"])
    if criteria["not_rating"]:
        stories = stories.exclude(rating_id__in=criteria["not_rating"])
    if criteria["complete"]:
        stories = stories.filter(completed=criteria["complete"] == "yes")
    for field, low, high in [
        ("word_count", "words_min", "words_max"),
        ("chapter_count", "chapters_min", "chapters_max"),
    ]:
        if criteria[low] is not None:
            stories = stories.filter(**{f"{field}__gte": criteria[low]})
        if criteria[high] is not None:
            stories = stories.filter(**{f"{field}__lte": criteria[high]})
    if criteria["updated_after"]:
        stories = stories.filter(updated_at__gte=_start_of(criteria["updated_after"]))
    if criteria["updated_before"]:
        next_day = criteria["updated_before"] + datetime.timedelta(days=1)
        stories = stories.filter(updated_at__lt=_start_of(next_day))
    if criteria["language"]:
        stories = stories.filter(language__iexact=criteria["language"])
    if criteria["author"]:
        stories = _by_author(stories, criteria["author"])
    return stories


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of the day in the archive's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _by_author(stories: QuerySet, pen_name: str) -> QuerySet:
    try:
        profile = Profile.objects.only("user_id").by_pen_name(pen_name)
    except Profile.DoesNotExist:
        return stories.none()
    return stories.filter(authorships__user_id=profile.user_id)
