"""Browse listings: the archive by category, character, label, rating, title, author, series.

Every page is public and the same for all anonymous visitors, so each response is marked
`cacheable` for the shared page cache. Story listings share one sort vocabulary (`SORTS`)
and cost a fixed number of queries whatever the page size (see tests/archive/test_browse.py).
"""

import string
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q
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
from fanfold.community import library
from fanfold.community.views.reviews import LATEST_ON_SERIES_PAGE, review_section
from fanfold.lib import pagecache
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
    "likes": ("Likes", ("-like_count", "-pk")),
    "hits": ("Hits", ("-hits", "-pk")),
}
SORT_LABELS = {value: label for value, (label, _) in SORTS.items()}

# Values shown per filter in the sidebar, the most frequent first.
FACET_SIZE = 10

# Top lists: slug → (heading, default sort, extra filter).
TOP_LISTS = {
    "most-reviewed": ("Most reviewed", "reviews", Q()),
    "most-favorited": ("Most favorited", "favorites", Q()),
    "most-liked": ("Most liked", "likes", Q()),
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


def facet_counts(stories, viewer) -> tuple[int, list[Facet]]:
    """How many of these stories there are, and how many have each rating, category,
    character, classification, completion and language: the sidebar of listings and
    search results, in one query (_facet_rows).

    The ratings' counts add up to the total, which saves the paginator its COUNT. Only
    the FACET_SIZE most frequent values of each filter are listed. The counts depend on
    the result, not on its order or page: they are kept (FACET_CACHE_SECONDS) until the
    listings change, or the viewer's mutes, so paging or re-sorting pays for them once.
    """
    ratings, completion, languages = defaultdict(int), defaultdict(int), defaultdict(int)
    rating_keys, found = {}, defaultdict(list)
    for kind, pk, name, order, type_id, type_name, completed, language, n in _cached_rows(
        stories, viewer
    ):
        if kind == "story":
            ratings[pk] += n
            rating_keys[pk] = (order, name)
            completion["yes" if completed else "no"] += n
            languages[language] += n
        else:
            group = (kind, order, type_name, type_id) if kind == "classification" else (kind,)
            found[group].append(FacetValue(pk, name, n))
    for values in found.values():
        values.sort(key=lambda value: (-value.count, value.name, value.value))
        del values[FACET_SIZE:]
    labels = {"yes": "Complete", "no": "In progress"}
    facets = [
        Facet(
            "rating",
            "Ratings",
            [
                FacetValue(pk, rating_keys[pk][1], ratings[pk])
                for pk in sorted(ratings, key=rating_keys.get)
            ],
        ),
        Facet("category", "Categories", found["category",]),
        Facet("character", "Characters", found["character",]),
        *(
            Facet("classification", group[2], values)
            for group, values in sorted(found.items())
            if group[0] == "classification"
        ),
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
    return sum(ratings.values()), facets


def _cached_rows(stories, viewer) -> list[tuple]:
    try:
        columns = ("pk", "rating_id", "completed", "language")
        sql, params = stories.order_by().values(*columns).query.sql_with_params()
    except EmptyResultSet:  # stories.none(): nothing to count
        return []
    scopes = ["site", "listings"]
    if viewer.is_authenticated:
        scopes.append(f"mutes:{viewer.pk}")
    return pagecache.remember(
        "facets",
        [sql, repr(params)],
        scopes,
        lambda: _facet_rows(sql, params),
        settings.FACET_CACHE_SECONDS,
    )


def _facet_rows(matched_sql: str, params) -> list[tuple]:
    """Rows of (kind, id, name, order, type id, type name, completed, language, count).

    The stories are found once (a materialized CTE: a text match runs once, not once per
    facet), with the columns the ratings, completion and language are counted on (the
    stories are not read twice; on PostgreSQL the CTE can be an index-only scan of
    migration archive.0006's covering index). Every other facet is a grouped count over them, joined
    by story id: no COUNT(DISTINCT), no pass over stories outside the result. CROSS JOIN
    makes SQLite start from the ids and look up each story's rows by index (it otherwise
    scanned the whole link tables); PostgreSQL reads it as a plain join and plans it as one.
    """
    order = connection.ops.quote_name("order")

    def table(model) -> str:
        return model._meta.db_table

    def none(kind: str) -> str:
        return f"CAST(NULL AS {kind})"  # typed, or PostgreSQL reads it as text

    def counted(through, column: str) -> str:
        """Stories per value, grouped on the id alone: names are joined to the few
        groups afterwards, not to every link row before (130 → 95 ms for the facets of
        all 19,200 listed stories of the 20,000-story bench database)."""
        return (
            f"(SELECT t.{column} AS value_id, COUNT(*) AS n FROM matched "
            f"CROSS JOIN {table(through)} t WHERE t.story_id = matched.id GROUP BY t.{column})"
        )

    def top(kind: str, through, column: str, named) -> str:
        return (
            f"SELECT * FROM (SELECT '{kind}', c.value_id, v.name, {none('integer')}, "
            f"{none('integer')}, {none('text')}, {none('boolean')}, {none('text')}, c.n "
            f"FROM {counted(through, column)} c JOIN {table(named)} v ON v.id = c.value_id "
            f"ORDER BY c.n DESC, v.name, c.value_id LIMIT {FACET_SIZE}) AS top_{kind}"
        )

    sql = f"""
        WITH matched (id, rating_id, completed, language) AS MATERIALIZED ({matched_sql})
        SELECT 'story', c.rating_id, r.name, r.{order}, {none("integer")}, {none("text")},
               c.completed, c.language, c.n
        FROM (
            SELECT rating_id, completed, language, COUNT(*) AS n
            FROM matched GROUP BY rating_id, completed, language
        ) c JOIN {table(Rating)} r ON r.id = c.rating_id
        UNION ALL {top("category", Story.categories.through, "category_id", Category)}
        UNION ALL {top("character", Story.characters.through, "character_id", Character)}
        UNION ALL
        SELECT 'classification', c.value_id, v.name, k.{order}, k.id, k.name,
               {none("boolean")}, {none("text")}, c.n
        FROM {counted(Story.classifications.through, "classification_id")} c
        JOIN {table(Classification)} v ON v.id = c.value_id
        JOIN {table(ClassificationType)} k ON k.id = v.type_id
    """  # noqa: S608 (table names from the models; values only as parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


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
    count = None
    if fixed is not None:
        count, facets = facet_counts(stories, request.user)
        extra.update(facets=facets, fixed=fixed)
    if default_sort is None:
        preferred = Preferences.for_user(request.user).default_sort
        default_sort = preferred if preferred in SORTS else "updated"
    sort = choice(request, "sort", SORTS, default_sort)
    listing = stories.for_listing().order_by(*SORTS[sort][1])
    page = paginate(request, listing, settings.STORIES_PER_PAGE, count=count)
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
        if renamed := Profile.objects.renamed_from(pen_name):
            return redirect(renamed, permanent=True)
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
        favorites=library.profile_favorites(profile, request.user),
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
    # The newest reviews of the series itself; the rest are one link away.
    reviews = review_section(
        request,
        current.reviews.all(),
        target=("series", current.pk),
        owner_ids={current.owner_id},
        count=current.review_count,
        per_page=LATEST_ON_SERIES_PAGE,
        first_page_only=True,
    )
    context = {"series": current, "entries": entries, "review_section": reviews}
    return cacheable(render(request, "archive/browse/series.html", context))
