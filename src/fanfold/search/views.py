"""The search page: text, filters, sorts and facet counts, all in the URL."""

from collections import defaultdict

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fanfold.accounts.models import Preferences
from fanfold.archive.models import Category, Character, Classification, Rating, Story
from fanfold.archive.pagecache import cacheable
from fanfold.archive.views.browse import SORTS, facet_counts
from fanfold.lib.paging import choice, paginate
from fanfold.search import filters
from fanfold.search.backends import backend
from fanfold.search.forms import SearchForm
from fanfold.search.highlight import highlight
from fanfold.search.query import parse

# Relevance needs a score for every match (ts_rank reads each story's whole tsvector):
# past this many matches "Best match" lists the most read of them (the order given here)
# instead. See bench/SEARCH.md.
RANKED_MATCHES = 2_000
SEARCH_SORTS = {
    "relevance": ("Best match", ("-hits", "-pk")),
    **SORTS,
}
_EXCLUDABLE = {
    "category": Category,
    "character": Character,
    "classification": Classification,
    "rating": Rating,
}


def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    criteria = form.criteria()
    text = parse(criteria["q"] or "")
    filtered = filters.apply(Story.objects.listed_for(request.user), criteria)
    engine = backend()
    stories = engine.match(filtered, text) if text else filtered
    counted = engine.match(filtered, text, every=True) if text else filtered
    total, facets = facet_counts(counted, request.user)
    sorts = {value: label for value, (label, _) in SEARCH_SORTS.items()}
    if text.include:
        default_sort = "relevance"
    else:
        del sorts["relevance"]
        preferred = Preferences.for_user(request.user).default_sort
        default_sort = preferred if preferred in sorts else "updated"
    sort = choice(request, "sort", sorts, default_sort)
    if sort == "relevance" and total <= RANKED_MATCHES:
        page = paginate(request, engine.ranked(filtered, text), settings.STORIES_PER_PAGE)
        found = filtered.for_listing().in_bulk(page.object_list)
        page.object_list = [found[pk] for pk in page.object_list if pk in found]
    else:
        listing = stories.order_by(*SEARCH_SORTS[sort][1])
        page = paginate(request, listing.for_listing(), settings.STORIES_PER_PAGE, count=total)
    passages = engine.passages([story.pk for story in page.object_list], text)
    for story in page.object_list:
        story.passage = highlight(passages[story.pk]) if story.pk in passages else ""
    context = {
        "heading": "Search",
        "empty_text": "No stories match.",
        "form": form,
        "searched": bool(text) or any(v for k, v in criteria.items() if k != "q"),
        "page": page,
        "sort": sort,
        "sorts": sorts,
        "facets": facets,
        "other_chosen": _mark_chosen(facets, criteria),
    }
    return cacheable(render(request, "search/search.html", context))


def _mark_chosen(facets, criteria: dict) -> list[dict]:
    """Mark the facet values the reader included or excluded; return the chosen values
    that no facet shows (excluded ones never are in the result), named, so the sidebar
    can still show them and let the reader take them back."""
    shown = defaultdict(set)
    for facet in facets:
        facet.excludable = facet.param in _EXCLUDABLE
        facet.included = set(map(str, _as_list(criteria.get(facet.param))))
        facet.excluded = set(map(str, _as_list(criteria.get(f"not_{facet.param}"))))
        shown[facet.param] |= {str(value.value) for value in facet.values}
    others = []
    for param, model in _EXCLUDABLE.items():
        for excluded, name in ((False, param), (True, f"not_{param}")):
            missing = [pk for pk in criteria[name] or [] if str(pk) not in shown[param]]
            if missing:
                for pk, label in model.objects.filter(pk__in=missing).values_list("pk", "name"):
                    others.append({"param": name, "value": pk, "name": label, "excluded": excluded})
    return others


def _as_list(value) -> list:
    if value in (None, ""):
        return []
    return value if isinstance(value, list) else [value]
