"""Old eFiction addresses answer with a permanent redirect to the same page in Fanfold.

Links into an eFiction archive live on in bookmarks, search engines, recommendation posts
and other archives; after an import each `viewstory.php?sid=…` and friends finds its row
by the legacy id the importer kept (`Story.legacy_sid`, `User.legacy_uid`, …) and sends
the reader on with a 301. Ids are read the way eFiction's `isNumber()` read them (digits
only); an id that is malformed, out of range or was not imported is a 404, never an error.
Parameters are read as PHP read them: the last of repeated ones wins, and `&amp;` pasted
from HTML source counts as `&`.

Chapters: eFiction numbers them by `inorder`. The importer keeps that number in
`Chapter.legacy["inorder"]` when it had to renumber (duplicates, gaps); when a story's
chapters carry it, it decides, otherwise `Chapter.position` is the old number.
"""

import re
from collections.abc import Callable
from urllib.parse import urlencode

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponsePermanentRedirect, QueryDict
from django.urls import reverse
from django.views.decorators.http import require_safe

from fanfold.accounts.models import Profile
from fanfold.archive.models import (
    Category,
    Chapter,
    Character,
    Classification,
    ClassificationType,
    Rating,
    Series,
    Story,
)
from fanfold.community.models import Review

# Legacy id columns are PositiveIntegerField; eFiction's were INT(11).
_DIGITS = re.compile(r"\d{1,10}")
_MAX_ID = 2**31 - 1

Params = dict[str, str]


def _params(query: QueryDict) -> Params:
    """The query string as PHP's $_GET saw it: last value wins, `amp;` prefixes dropped."""
    params: Params = {}
    for key, values in query.lists():
        params[key.removeprefix("amp;")] = values[-1]
    return params


def _id(params: Params, *names: str, listed: bool = False) -> int | None:
    """The first of `names` present as a legacy id; None when none is given at all.

    A value that is present but not an id (`1'`, `-1`, `99999999999`) is a 404. With
    `listed`, a comma list (eFiction's `catid=3,7`) gives its first id.
    """
    for name in names:
        if name not in params:
            continue
        value = params[name].strip()
        if listed:
            value = value.split(",", 1)[0].strip()
        if not _DIGITS.fullmatch(value) or not 0 < int(value) <= _MAX_ID:
            raise Http404("That is not an eFiction id.")
        return int(value)
    return None


def _required_id(params: Params, *names: str) -> int:
    found = _id(params, *names)
    if found is None:
        raise Http404("The old address names no item.")
    return found


def _url_of(queryset: QuerySet, **lookup) -> str:
    """The page of the one imported row matching `lookup`, or a 404."""
    row: Model | None = queryset.filter(**lookup).first()
    if row is None:
        raise Http404("Nothing with that id was imported.")
    return row.get_absolute_url()


def _story(request: HttpRequest, **lookup) -> Story:
    """The story if this visitor may read it: its URL carries the title, which a draft's or a
    hidden story's redirect must not give away."""
    story = Story.objects.visible_to(request.user).only("pk", "slug").filter(**lookup).first()
    if story is None:
        raise Http404("No readable story was imported with that id.")
    return story


def _chapter_url(**lookup) -> str:
    """A published chapter's page (its URL names only ids; the page checks who may read)."""
    return _url_of(Chapter.objects.published().only("story_id", "position"), **lookup)


def _numbered_chapter_url(story: Story, inorder: int) -> str | None:
    """The published chapter eFiction numbered `inorder` in this story, if any."""
    numbering = list(
        story.chapters.published().order_by("position").values_list("position", "legacy__inorder")
    )
    recorded = any(old is not None for _, old in numbering)
    for position, old in numbering:
        if (old if recorded else position) == inorder:
            return story.chapter_url(position)
    return None


def viewstory(request: HttpRequest, params: Params) -> str:
    """viewstory.php?sid=N[&chapter=M|all][&index=1][&action=printable][&textsize=…]
    [&ageconsent=ok&warning=R]: eFiction's consent and warning steps are Fanfold's gate now,
    which the chapter page shows when it is needed."""
    if "sid" not in params and (chapid := _id(params, "chapid")) is not None:
        return _chapter_url(legacy_chapid=chapid)
    story = _story(request, legacy_sid=_required_id(params, "sid"))
    chapter = params.get("chapter", "").strip()
    if params.get("action") == "printable":
        # Fanfold prints whole stories; eFiction's one-chapter print lands there too.
        return reverse("archive:print", args=[story.pk])
    if chapter == "all":
        return reverse("archive:full", args=[story.pk])
    if params.get("index", "") not in ("", "0"):  # PHP's !empty()
        return f"{story.get_absolute_url()}?index"
    numbered = _DIGITS.fullmatch(chapter) and _numbered_chapter_url(story, int(chapter))
    return numbered or story.get_absolute_url()


def viewuser(request: HttpRequest, params: Params) -> str:
    """viewuser.php?uid=N, with any `action` (stories, series, favorites): the author page."""
    uid = _required_id(params, "uid")
    return _url_of(Profile.objects.only("pen_name"), user__legacy_uid=uid)


def series(request: HttpRequest, params: Params) -> str:
    """series.php / viewseries.php?seriesid=N; without an id, the list of series."""
    seriesid = _id(params, "seriesid")
    if seriesid is None:
        return reverse("archive:series_list")
    return _url_of(Series.objects.only("pk"), legacy_seriesid=seriesid)


def browse(request: HttpRequest, params: Params) -> str:
    """browse.php?type=…, eFiction's browse panels, with the parameters its browse/*.php
    files read: categories (catid or id), characters (charid), class (classid, else
    type_id), ratings (rating or rid); series, titles (let), recent; any other → the index."""
    kind = params.get("type", "")
    if kind == "categories":
        catid = _id(params, "catid", "id", listed=True)
        if catid is None:
            return reverse("archive:categories")
        return _url_of(Category.objects.only("pk"), legacy_catid=catid)
    if kind == "characters":
        charid = _id(params, "charid", "charlist1", listed=True)
        if charid is None:
            return reverse("archive:characters")
        return _url_of(Character.objects.only("pk"), legacy_charid=charid)
    if kind == "class":
        classid = _id(params, "classid")
        if classid is not None:
            return _url_of(Classification.objects.only("pk"), legacy_class_id=classid)
        type_id = _id(params, "type_id")
        if type_id is not None:
            return _url_of(ClassificationType.objects.only("pk"), legacy_classtype_id=type_id)
        return reverse("archive:browse")
    if kind == "ratings":
        rid = _id(params, "rating", "rid")
        if rid is None:
            return reverse("archive:ratings")
        return _url_of(Rating.objects.only("pk"), legacy_rid=rid)
    if kind == "series":
        return reverse("archive:series_list")
    if kind == "titles":
        letter = params.get("let", "")
        titles = reverse("archive:titles")
        return f"{titles}?letter={letter}" if re.fullmatch(r"[A-Z]", letter) else titles
    if kind == "recent":
        return reverse("archive:recent")
    if kind == "featured":
        return reverse("archive:front")  # featured stories are shown on the front page
    return reverse("archive:browse")


def reviews(request: HttpRequest, params: Params) -> str:
    """reviews.php?type=ST|CH|SE&item=N (ST with `chapid`), or ?reviewid=N: the page that
    shows those reviews: a story's or series' reviews page, the chapter page for a
    chapter's, and a single review's own address (which finds its page)."""
    kind = params.get("type", "").upper()
    if kind == "SE":
        series = Series.objects.filter(legacy_seriesid=_required_id(params, "item")).first()
        if series is None:
            raise Http404("No series was imported with that id.")
        return reverse("community:series_reviews", args=[series.pk])
    if kind == "CH":
        return _chapter_url(legacy_chapid=_required_id(params, "item", "chapid"))
    if kind == "ST":
        story = _story(request, legacy_sid=_required_id(params, "item"))
        chapid = _id(params, "chapid")
        if chapid is not None:
            try:
                return _chapter_url(story=story, legacy_chapid=chapid)
            except Http404:
                pass
        return reverse("community:story_reviews", args=[story.pk])
    reviewid = _id(params, "reviewid")
    if kind or reviewid is None:
        raise Http404("Unknown kind of review page.")
    review = Review.objects.visible().filter(legacy_reviewid=reviewid).only("pk").first()
    if review is None:
        raise Http404("No review was imported with that id.")
    return reverse("community:review", args=[review.pk])


def user(request: HttpRequest, params: Params) -> str:
    """user.php: eFiction's account pages (log in, register, lost password, the rest)."""
    return reverse(
        {
            "login": "accounts:login",
            "register": "accounts:register",
            "lostpassword": "accounts:password_reset",
        }.get(params.get("action", ""), "accounts:account")
    )


def search(request: HttpRequest, params: Params) -> str:
    """search.php: Fanfold's search page, with eFiction's search words when given."""
    words = params.get("searchterm", "").strip()
    return reverse("search:search") + (f"?{urlencode({'q': words})}" if words else "")


def _to(name: str) -> Callable[[HttpRequest, Params], str]:
    return lambda request, params: reverse(name)


# eFiction's script names and where each goes. rss.php: feeds come with a later issue;
# until then their readers land on the front page.
SCRIPTS: dict[str, Callable[[HttpRequest, Params], str]] = {
    "viewstory": viewstory,
    "viewuser": viewuser,
    "series": series,
    "viewseries": series,
    "browse": browse,
    "reviews": reviews,
    "authors": _to("archive:authors"),
    "search": search,
    "user": user,
    "index": _to("archive:front"),
    "rss": _to("archive:front"),
    "viewpage": _to("archive:front"),
    "news": _to("archive:front"),
    "toplists": _to("archive:browse"),
}


@require_safe
def legacy(request: HttpRequest, script: str) -> HttpResponsePermanentRedirect:
    """One old address → 301 to its Fanfold page (404 when nothing matches)."""
    return HttpResponsePermanentRedirect(SCRIPTS[script](request, _params(request.GET)))
