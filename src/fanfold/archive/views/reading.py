"""Reading: the front page, a story's index, its chapters, the whole story and print view.

The anonymous chapter page is the hot path: a fixed handful of queries, no database
writes (hits are buffered), and the response is marked for the shared page cache.
"""

import random

from django.conf import settings
from django.db.models import Max, Min, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from fanfold.accounts.models import Preferences
from fanfold.archive import hits
from fanfold.archive.models import (
    Chapter,
    Classification,
    SeriesItem,
    Status,
    Story,
    with_author_list,
)
from fanfold.archive.pagecache import CONSENT_SALT, cacheable
from fanfold.archive.permissions import can_edit_story
from fanfold.archive.views.gate import rating_gate
from fanfold.community import library
from fanfold.community.views.reviews import review_section


def _story_for(request: HttpRequest, pk: int, *, details: bool = False) -> Story:
    """The story if this visitor may read it, with what every story page shows."""
    stories = (
        Story.objects.visible_to(request.user)
        .select_related("rating")
        .defer("legacy", "rating__legacy_rid")
        .prefetch_related(with_author_list())
    )
    if details:
        stories = stories.prefetch_related(
            "categories",
            "characters",
            Prefetch(
                "classifications",
                queryset=Classification.objects.select_related("type"),
            ),
            Prefetch(
                "series_items",
                queryset=SeriesItem.objects.select_related("series"),
                to_attr="series_list",
            ),
        )
    return get_object_or_404(stories, pk=pk)


def _can_edit(request: HttpRequest, story: Story) -> bool:
    """Whether to show the author's tools; visitors cost no query (their pages are cached)."""
    return request.user.is_authenticated and can_edit_story(request.user, story)


def _table_of_contents(story: Story) -> list[Chapter]:
    return list(story.chapters.published().only("pk", "story_id", "position", "title"))


def front_page(request: HttpRequest) -> HttpResponse:
    listed = Story.objects.listed_for(request.user)
    recent = listed.for_listing().order_by("-updated_at")[:10]
    featured = listed.for_listing().filter(featured=True).order_by("-updated_at")[:5]
    context = {"recent": recent, "featured": featured, "random_story": _random_story(listed)}
    return cacheable(render(request, "archive/front.html", context))


def _random_story(stories) -> Story | None:
    """One story picked by id range: no ORDER BY RANDOM() over the whole table."""
    bounds = stories.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return None
    pivot = random.randint(bounds["low"], bounds["high"])
    return stories.for_listing().filter(pk__gte=pivot).order_by("pk").first()


def story_redirect(request: HttpRequest, pk: int) -> HttpResponse:
    story = get_object_or_404(Story.objects.visible_to(request.user).only("pk", "slug"), pk=pk)
    return redirect(story, permanent=True)


def story_index(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    story = _story_for(request, pk, details=True)
    if slug != story.slug:
        return redirect(story, permanent=True)
    chapters = _table_of_contents(story)
    # Members may prefer stories to open at chapter 1; "?index" always shows the index.
    if (
        chapters
        and "index" not in request.GET
        and not Preferences.for_user(request.user).index_first
    ):
        return redirect(chapters[0])
    context = {
        "story": story,
        "chapters": chapters,
        "can_edit": _can_edit(request, story),
        "continue_at": library.position_for(request.user, story),
    }
    return cacheable(render(request, "archive/story.html", context))


def chapter_jump(request: HttpRequest, pk: int) -> HttpResponse:
    """Where the chapter selector lands without JavaScript: /stories/1/chapters/?chapter=3."""
    try:
        number = int(request.GET.get("chapter", "1"))
    except ValueError:
        number = 1
    return redirect("archive:chapter", pk=pk, number=max(number, 1))


def chapter(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    story = _story_for(request, pk)
    if gate := rating_gate(request, story):
        return gate
    chapters = _table_of_contents(story)
    index = next((i for i, c in enumerate(chapters) if c.position == number), None)
    if index is None:
        raise Http404("This story has no such chapter.")
    current = Chapter.objects.defer("body_text", "legacy").get(pk=chapters[index].pk)
    # Top-level reviews with their replies in one query; members' rights from one more.
    reviews = review_section(
        request,
        current.reviews.all(),
        target=("chapter", current.pk),
        owner_ids={authorship.user_id for authorship in story.author_list},
        count=current.review_count,
        open_to_reviews=story.is_published and current.status == Status.PUBLISHED,
    )
    hits.record(story.pk)
    library.record_reading(request.user, story, current)
    context = {
        "story": story,
        "chapter": current,
        "chapters": chapters,
        "previous": chapters[index - 1] if index > 0 else None,
        "next": chapters[index + 1] if index + 1 < len(chapters) else None,
        "review_section": reviews,
        "text_size": Preferences.for_user(request.user).text_size,
        "can_edit": _can_edit(request, story),
    }
    return cacheable(render(request, "archive/chapter.html", context), story_id=story.pk)


def _whole_story(request: HttpRequest, pk: int, template: str) -> HttpResponse:
    story = _story_for(request, pk, details=True)
    if gate := rating_gate(request, story):
        return gate
    chapters = list(story.chapters.published().defer("body_text", "legacy"))
    hits.record(story.pk)
    context = {"story": story, "chapters": chapters}
    return cacheable(render(request, template, context), story_id=story.pk)


def full_story(request: HttpRequest, pk: int) -> HttpResponse:
    return _whole_story(request, pk, "archive/full.html")


def print_story(request: HttpRequest, pk: int) -> HttpResponse:
    return _whole_story(request, pk, "archive/print.html")


@require_POST
def consent(request: HttpRequest, pk: int) -> HttpResponse:
    """Remember, for this browser session, that the visitor accepted rating warnings."""
    story = get_object_or_404(Story.objects.visible_to(request.user).only("pk", "slug"), pk=pk)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = story.get_absolute_url()
    response = redirect(target)
    response.set_signed_cookie(
        settings.CONSENT_COOKIE_NAME,
        "yes",
        salt=CONSENT_SALT,
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    return response
