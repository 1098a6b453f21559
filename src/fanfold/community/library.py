"""What a member keeps: favorites (with eFiction's comment), reading history, read later.

Only members have any of it. Visitors' pages come from the shared cache and write
nothing, so recording a reading position costs a signed-in chapter view one UPDATE (an
INSERT the first time) and visitors nothing. Favorite counts on stories and series are
recomputed from the rows under a lock on the favorited row, as review counts are, so
double clicks and concurrent members converge on the truth.
"""

from dataclasses import dataclass
from types import SimpleNamespace

from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from fanfold.accounts.models import Profile, User
from fanfold.archive import pagecache
from fanfold.archive.models import Chapter, Series, Status, Story, with_author_list
from fanfold.community import counts
from fanfold.community.models import Favorite, ReadingPosition, ReadLater

KINDS = ("story", "author", "series")
# eFiction's comment was a short note beside the favorite, not a review.
COMMENT_MAX_LENGTH = 1000
# Favorites of each kind shown on a profile; the member's full list is paginated.
PROFILE_FAVORITES = 25


# --- Reading history ---------------------------------------------------------------------


def record_reading(user, story: Story, chapter: Chapter) -> None:
    if not user.is_authenticated:
        return
    now = timezone.now()
    moved = ReadingPosition.objects.filter(user=user, story=story).update(
        chapter=chapter, read_at=now
    )
    if moved:
        return
    try:
        with transaction.atomic():
            ReadingPosition.objects.create(user=user, story=story, chapter=chapter, read_at=now)
    except IntegrityError:  # the same member opened a chapter in another tab just now
        ReadingPosition.objects.filter(user=user, story=story).update(chapter=chapter, read_at=now)


def position_for(user, story: Story) -> Chapter | None:
    """The published chapter a member last opened in this story ("continue reading"); no
    query for visitors. A chapter taken back to draft since is no place to continue."""
    if not user.is_authenticated:
        return None
    position = (
        ReadingPosition.objects.filter(user=user, story=story, chapter__status=Status.PUBLISHED)
        .select_related("chapter")
        .only("chapter__id", "chapter__story_id", "chapter__position", "chapter__title")
        .first()
    )
    return position.chapter if position else None


def history_of(user) -> QuerySet[ReadingPosition]:
    """Where the member stopped in each story they may still open, newest first."""
    return (
        ReadingPosition.objects.filter(
            user=user, story__in=Story.objects.visible_to(user).values("pk")
        )
        .select_related("story", "chapter")
        .only(
            "read_at", "story__title", "story__slug", "story__chapter_count",
            "chapter__story_id", "chapter__position", "chapter__title", "chapter__status",
        )
        .prefetch_related(with_author_list("story"))
        .order_by("-read_at", "-pk")
    )  # fmt: skip


def read_later_of(user) -> QuerySet[ReadLater]:
    """The stories the member marked for later and may still open, newest first."""
    return (
        ReadLater.objects.filter(user=user, story__in=Story.objects.visible_to(user).values("pk"))
        .select_related("story")
        .only("created_at", "story__title", "story__slug", "story__chapter_count")
        .prefetch_related(with_author_list("story"))
        .order_by("-created_at", "-pk")
    )


# --- Favorites -----------------------------------------------------------------------------


def favorable(user, kind: str) -> QuerySet | None:
    """What this member may favorite, by kind (None for a kind that does not exist).

    Stories they may open (drafts only their own); authors who are active members other
    than themselves; any series.
    """
    if kind == "story":
        return Story.objects.visible_to(user)
    if kind == "author":
        return User.objects.filter(is_active=True, profile__isnull=False).exclude(pk=user.pk)
    if kind == "series":
        return Series.objects.all()
    return None


def favorite_of(user, kind: str, target_id: int) -> Favorite | None:
    return Favorite.objects.filter(user=user, **{f"{kind}_id": target_id}).first()


def save_favorite(user, kind: str, target_id: int, comment: str) -> Favorite:
    """Add a favorite, or change its comment when it is one already.

    The caller has checked the member may see the target (`favorable`) and the comment's
    length; the comment is kept as typed (plain text, escaped when shown).
    """
    with transaction.atomic():
        _lock(kind, target_id)
        favorite, created = Favorite.objects.get_or_create(
            user=user, **{f"{kind}_id": target_id}, defaults={"comment": comment}
        )
        if not created and favorite.comment != comment:
            favorite.comment = comment
            favorite.save(update_fields=["comment"])
        if created:
            _recount(kind, target_id)
        _changed(kind, target_id)
    return favorite


def remove_favorite(user, kind: str, target_id: int) -> bool:
    """Take a favorite off the member's list; False when it was not there (no error)."""
    with transaction.atomic():
        _lock(kind, target_id)
        removed, _ = Favorite.objects.filter(user=user, **{f"{kind}_id": target_id}).delete()
        if removed:
            _recount(kind, target_id)
            _changed(kind, target_id)
    return bool(removed)


def _lock(kind: str, target_id: int) -> None:
    if kind in ("story", "series"):
        counts.lock_counted(**{f"{kind}_id": target_id})


def _recount(kind: str, target_id: int) -> None:
    if kind in ("story", "series"):
        counts.refresh_favorite_count(**{f"{kind}_id": target_id})


def _changed(kind: str, target_id: int) -> None:
    """Cached pages are stale (again at the commit: lib.pagecache.bump): the story's pages
    show its count, and the member's profile (a "listings" page, like the series page)
    shows the favorite."""
    if kind == "story":
        pagecache.story_changed(target_id)
    else:
        pagecache.listings_changed()


def favorite_stories(owner, readable: QuerySet[Story]) -> QuerySet[Favorite]:
    """The owner's favorite stories among `readable` (what the viewer may see), newest first."""
    return (
        Favorite.objects.filter(user=owner, story__in=readable.values("pk"))
        .select_related("story")
        .only("comment", "created_at", "story__title", "story__slug")
        .prefetch_related(with_author_list("story"))
        .order_by("-created_at", "-pk")
    )


def favorite_authors(owner) -> QuerySet[Favorite]:
    return (
        Favorite.objects.filter(user=owner, **_SHOWN_AUTHORS)
        .select_related("author__profile")
        .only("comment", "created_at", "author__username", "author__profile__pen_name")
        .order_by("-created_at", "-pk")
    )


def favorite_series(owner) -> QuerySet[Favorite]:
    return (
        Favorite.objects.filter(user=owner, series__isnull=False)
        .select_related("series__owner__profile")
        .only(
            "comment", "created_at", "series__title", "series__owner__username",
            "series__owner__profile__pen_name",
        )
        .order_by("-created_at", "-pk")
    )  # fmt: skip


# Favorite authors are shown while they are members with a pen name.
_SHOWN_AUTHORS = {"author__is_active": True, "author__profile__isnull": False}


def favorite_counts(owner, readable: QuerySet[Story]) -> dict[str, int]:
    """How many of each kind the lists show, in one query."""
    return Favorite.objects.filter(user=owner).aggregate(
        story=Count("pk", filter=Q(story__in=readable.values("pk"))),
        author=Count("pk", filter=Q(**_SHOWN_AUTHORS)),
        series=Count("pk", filter=Q(series__isnull=False)),
    )


@dataclass(frozen=True)
class ProfileFavorites:
    """The first favorites of each kind for a profile page; `more_*` when the list goes on."""

    stories: list[Favorite]
    authors: list[Favorite]
    series: list[Favorite]
    more_stories: bool
    more_authors: bool
    more_series: bool
    private: bool

    @property
    def empty(self) -> bool:
        return not (self.stories or self.authors or self.series)


def profile_favorites(profile: Profile, viewer) -> ProfileFavorites | None:
    """What a profile shows of its member's favorites to this viewer: None when the member
    keeps them private and the viewer is someone else. Stories the viewer may not see on
    listings are left out.

    The first PROFILE_FAVORITES (+1, to know there are more) of each kind come in one
    query, numbered per kind by a window function, and the stories' bylines in a second.
    """
    own = viewer.is_authenticated and viewer.pk == profile.user_id
    private = not profile.prefs.favorites_public
    if private and not own:
        return None
    kind = Case(
        When(story__isnull=False, then=Value("story")),
        When(author__isnull=False, then=Value("author")),
        default=Value("series"),
    )
    newest_first = [F("created_at").desc(), F("pk").desc()]
    readable = Story.objects.listed_for(viewer).values("pk")
    rows = (
        Favorite.objects.filter(user=profile.user_id)
        .filter(Q(story__isnull=True) | Q(story__in=readable))
        .filter(Q(author__isnull=True) | Q(**_SHOWN_AUTHORS))
        .annotate(
            kind=kind,
            number=Window(RowNumber(), partition_by=[kind], order_by=newest_first),
        )
        .filter(number__lte=PROFILE_FAVORITES + 1)
        .select_related("story", "author__profile", "series__owner__profile")
        .only(
            "comment", "created_at", "story__title", "story__slug", "author__username",
            "author__profile__pen_name", "series__title", "series__owner__username",
            "series__owner__profile__pen_name",
        )
        .prefetch_related(with_author_list("story"))
        .order_by(*newest_first)
    )  # fmt: skip
    by_kind: dict[str, list[Favorite]] = {each: [] for each in KINDS}
    for row in rows:
        by_kind[row.kind].append(row)
    lists = [by_kind[each] for each in KINDS]
    shown = (rows[:PROFILE_FAVORITES] for rows in lists)
    more = (len(rows) > PROFILE_FAVORITES for rows in lists)
    return ProfileFavorites(*shown, *more, private=private)


# --- What a member's pages show of their own library ---------------------------------------


class _Shelf:
    """Whether the member keeps a page's story, author or series among their favorites and
    read-later list: one query per target, made only when a template asks."""

    FIELDS = ((Story, "story_id"), (User, "author_id"), (Series, "series_id"))

    def __init__(self, user):
        self.user = user
        self._known: dict[tuple, dict[str, bool]] = {}

    def holds(self, target, list_name: str) -> bool:
        field = next((f for model, f in self.FIELDS if isinstance(target, model)), None)
        if field is None:
            return False
        if (field, target.pk) not in self._known:
            mine = {"user": self.user, field: target.pk}
            lists = {"favorite": Exists(Favorite.objects.filter(**mine))}
            if field == "story_id":
                lists["later"] = Exists(ReadLater.objects.filter(**mine))
            found = type(target)._default_manager.filter(pk=target.pk).values(**lists).first()
            self._known[field, target.pk] = found or {}
        return self._known[field, target.pk].get(list_name, False)


class _List:
    """`{% if target in library.favorites %}`, `{% if story in library.later %}`."""

    def __init__(self, shelf: _Shelf, name: str):
        self.shelf = shelf
        self.name = name

    def __contains__(self, target) -> bool:
        return self.shelf.holds(target, self.name)


def member_library(request) -> dict:
    """Context processor: `library.favorites` and `library.later` for members' buttons;
    nothing, and no query, for visitors (whose pages are cached and shared)."""
    user = request.user
    if not user.is_authenticated:
        return {}
    shelf = _Shelf(user)
    return {
        "library": SimpleNamespace(favorites=_List(shelf, "favorite"), later=_List(shelf, "later"))
    }
