"""Browse listings: the archive by category, character, label, rating, title, author, series.

Every page is public and the same for all anonymous visitors, so each response is marked
`cacheable` for the shared page cache. Story listings share one sort vocabulary (`SORTS`)
and cost a fixed number of queries whatever the page size (see tests/archive/test_browse.py).
"""

import string
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from fanfold.accounts.models import Preferences, Profile
from fanfold.archive.models import (
    Category,
    Character,
    Classification,
    ClassificationType,
    Rating,
    Series,
    SeriesItem,
    Story,
)
from fanfold.archive.pagecache import cacheable
from fanfold.lib.paging import choice, paginate

# value → (label, ordering); "-pk" keeps pages stable when the main key ties.
SORTS = {
    "updated": ("Recently updated", ("-updated_at", "-pk")),
    "published": ("Recently published", ("-published_at", "-pk")),
    "title": ("Title", ("title_key", "pk")),
    "words": ("Words", ("-word_count", "-pk")),
    "chapters": ("Chapters", ("-chapter_count", "-pk")),
    "reviews": ("Reviews", ("-review_count", "-pk")),
    "favorites": ("Favorites", ("-favorite_count", "-pk")),
    "hits": ("Hits", ("-hits", "-pk")),
}
SORT_LABELS = {value: label for value, (label, _) in SORTS.items()}

# Values shown per filter in the sidebar, the most frequent first.
FACET_SIZE = 10

# Top lists: slug → (heading, default sort, extra filter).
TOP_LISTS = {
    "most-reviewed": ("Most reviewed", "reviews", Q()),
    "most-favorited": ("Most favorited", "favorites", Q()),
    "most-read": ("Most read", "hits", Q()),
    "longest": ("Longest", "words", Q()),
    "completed": ("Completed", "updated", Q(completed=True)),
}

# "#" collects every title or name that does not begin with a Latin letter A–Z.
LETTERS = [*string.ascii_uppercase, "#"]
AUTHORS_PER_PAGE = 50
CHARACTER_GROUPINGS = {"category": "By fandom", "name": "A–Z"}
SERIES_SORTS = {
    "title": ("Title", ("title", "pk")),
    "updated": ("Recently updated", ("-updated_at", "-pk")),
}


def _initial_filter(field: str, letter: str) -> Q:
    """Rows whose `field` starts with `letter`; "#" = not with any of A–Z; "" = all."""
    if not letter:
        return Q()
    if letter != "#":
        return Q(**{f"{field}__istartswith": letter})
    latin = Q()
    for each in string.ascii_uppercase:
        latin |= Q(**{f"{field}__istartswith": each})
    return ~latin


@dataclass(frozen=True)
class FacetValue:
    value: int | str
    name: str
    count: int


@dataclass
class Facet:
    """One filter of the sidebar: its GET parameter and its values in the result."""

    param: str
    heading: str
    values: list[FacetValue]
    # Set by the search page: may values be excluded, and which ones the reader chose.
    excludable: bool = False
    included: set[str] = field(default_factory=set)
    excluded: set[str] = field(default_factory=set)


def facet_counts(stories) -> list[Facet]:
    """How many of these stories have each rating, category, character, classification,
    completion and language: the sidebar of listings and search results (four queries).

    Only the FACET_SIZE most frequent values of each filter are listed.
    """
    ids = stories.order_by().values("pk")

    def top(through, column, name_field):
        rows = (
            through.objects.filter(story_id__in=ids)
            .values(column, name_field)
            .annotate(n=Count("*"))
            .order_by("-n", name_field, column)[:FACET_SIZE]
        )
        return [FacetValue(row[column], row[name_field], row["n"]) for row in rows]

    ratings, completion, languages = defaultdict(int), defaultdict(int), defaultdict(int)
    names, orders = {}, {}
    for row in (
        Story.objects.filter(pk__in=ids)
        .values("rating_id", "rating__name", "rating__order", "completed", "language")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        ratings[row["rating_id"]] += row["n"]
        names[row["rating_id"]], orders[row["rating_id"]] = (
            row["rating__name"],
            row["rating__order"],
        )
        completion["yes" if row["completed"] else "no"] += row["n"]
        languages[row["language"]] += row["n"]
    by_type: dict[tuple, list[FacetValue]] = defaultdict(list)
    for row in (
        Story.classifications.through.objects.filter(story_id__in=ids)
        .values(
            "classification_id",
            "classification__name",
            "classification__type_id",
            "classification__type__name",
            "classification__type__order",
        )
        .annotate(n=Count("*"))
        .order_by("-n", "classification__name")
    ):
        kind = (
            row["classification__type__order"],
            row["classification__type__name"],
            row["classification__type_id"],
        )
        if len(by_type[kind]) < FACET_SIZE:
            by_type[kind].append(
                FacetValue(row["classification_id"], row["classification__name"], row["n"])
            )
    labels = {"yes": "Complete", "no": "In progress"}
    return [
        Facet(
            "rating",
            "Ratings",
            [
                FacetValue(pk, names[pk], ratings[pk])
                for pk in sorted(ratings, key=lambda pk: (orders[pk], names[pk]))
            ],
        ),
        Facet(
            "category", "Categories", top(Story.categories.through, "category_id", "category__name")
        ),
        Facet(
            "character",
            "Characters",
            top(Story.characters.through, "character_id", "character__name"),
        ),
        *(Facet("classification", kind[1], values) for kind, values in sorted(by_type.items())),
        Facet(
            "complete",
            "Completion",
            [FacetValue(key, labels[key], completion[key]) for key in labels if completion[key]],
        ),
        Facet(
            "language",
            "Language",
            [
                FacetValue(code, code, n)
                for code, n in sorted(languages.items(), key=lambda item: (-item[1], item[0]))
            ][:FACET_SIZE],
        ),
    ]


def _story_listing(
    request,
    stories,
    *,
    heading,
    template="archive/listing.html",
    default_sort=None,
    fixed=None,
    **extra,
):
    """Render a sorted, paginated page of story blurbs (archive/listing.html or a child).

    Without a `default_sort` of its own, a listing uses the member's preferred order.
    With `fixed`, the search parameters that give the same stories (("category", 3)…),
    a sidebar shows facet counts whose form refines the listing on the search page.
    """
    if fixed is not None:
        extra.update(facets=facet_counts(stories), fixed=fixed)
    if default_sort is None:
        preferred = Preferences.for_user(request.user).default_sort
        default_sort = preferred if preferred in SORTS else "updated"
    sort = choice(request, "sort", SORTS, default_sort)
    page = paginate(
        request, stories.for_listing().order_by(*SORTS[sort][1]), settings.STORIES_PER_PAGE
    )
    context = {"heading": heading, "page": page, "sort": sort, "sorts": SORT_LABELS, **extra}
    return cacheable(render(request, template, context))


def _category_tree() -> tuple[list[Category], dict[int, Category]]:
    """All categories in one query, as roots with nested `.subcategories`.

    Each category gets `.total`: its own story count plus its sub-categories' totals.
    A category whose parent is missing (or part of a loop in bad data) is shown as a root.
    """
    by_id = {category.pk: category for category in Category.objects.all()}
    children = defaultdict(list)
    for category in by_id.values():
        category.subcategories = []
        children[category.parent_id if category.parent_id in by_id else None].append(category)
    roots = list(children[None])
    placed: set[int] = set()

    def attach(category: Category) -> int:
        placed.add(category.pk)
        category.subcategories = [c for c in children[category.pk] if c.pk not in placed]
        category.total = category.story_count + sum(attach(c) for c in category.subcategories)
        return category.total

    for root in roots:
        attach(root)
    for category in by_id.values():  # loops in the parent chain: show them at the top
        if category.pk not in placed:
            roots.append(category)
            attach(category)
    return roots, by_id


def _descendant_ids(category: Category) -> list[int]:
    ids, stack = [], [category]
    while stack:
        current = stack.pop()
        ids.append(current.pk)
        stack.extend(current.subcategories)
    return ids


def _ancestors(category: Category, by_id: dict[int, Category]) -> list[Category]:
    chain, seen = [], {category.pk}
    parent = by_id.get(category.parent_id)
    while parent is not None and parent.pk not in seen:
        chain.insert(0, parent)
        seen.add(parent.pk)
        parent = by_id.get(parent.parent_id)
    return chain


def index(request: HttpRequest) -> HttpResponse:
    context = {
        "types": ClassificationType.objects.all(),
        "letters": LETTERS,
        "top_lists": {which: heading for which, (heading, _, _) in TOP_LISTS.items()},
    }
    return cacheable(render(request, "archive/browse/index.html", context))


def categories(request: HttpRequest) -> HttpResponse:
    roots, _ = _category_tree()
    return cacheable(render(request, "archive/browse/categories.html", {"roots": roots}))


def category(request: HttpRequest, pk: int) -> HttpResponse:
    _, by_id = _category_tree()
    current = by_id.get(pk)
    if current is None:
        raise Http404("No such category.")
    in_tree = Story.categories.through.objects.filter(category_id__in=_descendant_ids(current))
    return _story_listing(
        request,
        Story.objects.listed_for(request.user).filter(pk__in=in_tree.values("story_id")),
        heading=current.name,
        template="archive/browse/category.html",
        fixed=[("category", current.pk)],
        category=current,
        ancestors=_ancestors(current, by_id),
    )


def characters(request: HttpRequest) -> HttpResponse:
    by = choice(request, "by", CHARACTER_GROUPINGS, "category")
    everyone = Character.objects.order_by("name")
    if by == "category":
        groups = _characters_by_category(everyone.prefetch_related("categories"))
    else:
        groups = _characters_by_initial(everyone)
    context = {"groups": groups, "by": by, "groupings": CHARACTER_GROUPINGS}
    return cacheable(render(request, "archive/browse/characters.html", context))


def _characters_by_category(characters) -> list[tuple[str, list[Character]]]:
    """(fandom name, its characters) in category order; characters of no fandom last."""
    groups: dict[Category | None, list[Character]] = defaultdict(list)
    for each in characters:
        for fandom in each.categories.all() or [None]:
            groups[fandom].append(each)
    fandoms = sorted((f for f in groups if f), key=lambda f: (f.order, f.name.casefold(), f.pk))
    ordered = [(fandom.name, groups[fandom]) for fandom in fandoms]
    return ordered + ([("Other", groups[None])] if None in groups else [])


def _characters_by_initial(characters) -> list[tuple[str, list[Character]]]:
    groups: dict[str, list[Character]] = defaultdict(list)
    for each in characters:
        initial = each.name[:1].upper()
        groups[initial if initial in string.ascii_uppercase else "#"].append(each)
    return [(letter, groups[letter]) for letter in LETTERS if letter in groups]


def character(request: HttpRequest, pk: int) -> HttpResponse:
    current = get_object_or_404(Character, pk=pk)
    return _story_listing(
        request,
        Story.objects.listed_for(request.user).filter(characters=current),
        heading=f"Stories with {current.name}",
        fixed=[("character", current.pk)],
    )


def classification_type(request: HttpRequest, pk: int) -> HttpResponse:
    kind = get_object_or_404(ClassificationType, pk=pk)
    context = {"kind": kind, "classifications": kind.classifications.order_by("name")}
    return cacheable(render(request, "archive/browse/classification_type.html", context))


def classification(request: HttpRequest, pk: int) -> HttpResponse:
    label = get_object_or_404(Classification.objects.select_related("type"), pk=pk)
    return _story_listing(
        request,
        Story.objects.listed_for(request.user).filter(classifications=label),
        heading=f"{label.type.name}: {label.name}",
        fixed=[("classification", label.pk)],
    )


def ratings(request: HttpRequest) -> HttpResponse:
    context = {"ratings": Rating.objects.all()}
    return cacheable(render(request, "archive/browse/ratings.html", context))


def rating(request: HttpRequest, pk: int) -> HttpResponse:
    current = get_object_or_404(Rating, pk=pk)
    intro = ""
    if current.members_only and not request.user.is_authenticated:
        intro = "Stories with this rating are shown to members who are logged in."
    return _story_listing(
        request,
        Story.objects.listed_for(request.user).filter(rating=current),
        heading=f"Rated {current.name}",
        fixed=[("rating", current.pk)],
        intro=intro,
    )


def titles(request: HttpRequest) -> HttpResponse:
    letter = choice(request, "letter", LETTERS, "")
    return _story_listing(
        request,
        Story.objects.listed_for(request.user).filter(
            **({"title_letter": letter} if letter else {})
        ),
        heading=f"Titles: {letter}" if letter else "Titles A–Z",
        default_sort="title",
        template="archive/browse/titles.html",
        letters=LETTERS,
        letter=letter,
    )


def recent(request: HttpRequest) -> HttpResponse:
    return _story_listing(
        request, Story.objects.listed_for(request.user), heading="Recently updated"
    )


def top(request: HttpRequest, which: str) -> HttpResponse:
    if which not in TOP_LISTS:
        raise Http404("No such list.")
    heading, default_sort, extra = TOP_LISTS[which]
    return _story_listing(
        request,
        Story.objects.listed_for(request.user).filter(extra),
        heading=heading,
        default_sort=default_sort,
    )


def authors(request: HttpRequest) -> HttpResponse:
    letter = choice(request, "letter", LETTERS, "")
    # pen_name_sort ignores case, width and accents: "Ａlice" and "Émile" file under A and E.
    members = Profile.objects.with_stories().filter(_initial_filter("pen_name_sort", letter))
    page = paginate(request, members.order_by("pen_name_sort", "pk"), AUTHORS_PER_PAGE)
    context = {"page": page, "letters": LETTERS, "letter": letter}
    return cacheable(render(request, "archive/browse/authors.html", context))


def author(request: HttpRequest, pen_name: str) -> HttpResponse:
    try:
        profile = Profile.objects.select_related("user").by_pen_name(pen_name)
    except Profile.DoesNotExist:
        raise Http404("No member has that pen name.") from None
    if profile.pen_name != pen_name:
        return redirect(profile, permanent=True)
    return _story_listing(
        request,
        Story.objects.listed_for(request.user).filter(authors=profile.user),
        heading=profile.pen_name,
        template="archive/browse/author.html",
        fixed=[("author", profile.pen_name)],
        profile=profile,
        field_values=profile.field_values.shown(),
        series_list=Series.objects.filter(owner=profile.user).order_by("title"),
    )


def series_list(request: HttpRequest) -> HttpResponse:
    sort = choice(request, "sort", SERIES_SORTS, "title")
    everything = Series.objects.select_related("owner__profile").order_by(*SERIES_SORTS[sort][1])
    page = paginate(request, everything, settings.STORIES_PER_PAGE)
    sorts = {value: label for value, (label, _) in SERIES_SORTS.items()}
    context = {"page": page, "sort": sort, "sorts": sorts}
    return cacheable(render(request, "archive/browse/series_list.html", context))


def series(request: HttpRequest, pk: int) -> HttpResponse:
    current = get_object_or_404(Series.objects.select_related("owner__profile"), pk=pk)
    items = list(SeriesItem.objects.filter(series=current).select_related("subseries"))
    story_ids = [item.story_id for item in items if item.story_id]
    stories = Story.objects.listed_for(request.user).for_listing().in_bulk(story_ids)
    # In series order: a story this visitor may not see is left out, sub-series stay.
    entries = [
        {"story": stories[item.story_id]} if item.story_id else {"subseries": item.subseries}
        for item in items
        if item.subseries_id or item.story_id in stories
    ]
    context = {"series": current, "entries": entries}
    return cacheable(render(request, "archive/browse/series.html", context))
