"""A member's library: favorites (their own list and a public one), reading history, read later.

Every URL names the favorited thing, never a row, and every query is limited to the signed-in
member's rows: nobody can reach someone else's favorites, history or list.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST

from fanfold.accounts.models import Profile
from fanfold.archive.models import Story
from fanfold.archive.pagecache import cacheable
from fanfold.archive.pending import keep_when_signed_out
from fanfold.community import library
from fanfold.community.models import ReadingPosition, ReadLater
from fanfold.lib.paging import choice, paginate
from fanfold.lib.redirects import back

PER_PAGE = 50
KIND_LABELS = {"story": "Stories", "author": "Authors", "series": "Series"}


class FavoriteForm(forms.Form):
    comment = forms.CharField(
        label="Comment (optional)",
        required=False,
        strip=False,
        max_length=library.COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "max_length": (
                f"A comment may be at most {library.COMMENT_MAX_LENGTH:,} characters long "
                "(this one has %(show_value)d)."
            )
        },
    )

    def clean_comment(self) -> str:
        return self.cleaned_data["comment"].replace("\r\n", "\n").strip()


def _members_only(request: HttpRequest) -> HttpResponse | None:
    """Visitors are sent to log in and brought back to the page they were on."""
    if request.user.is_authenticated:
        return None
    here = request.get_full_path() if request.method == "GET" else "/"
    return redirect_to_login(back(request, here))


def _target(request: HttpRequest, kind: str, pk: int):
    """The story, author or series if this member may favorite it; 404 otherwise."""
    targets = library.favorable(request.user, kind)
    if targets is None:
        raise Http404("Nothing to favorite there.")
    return get_object_or_404(targets, pk=pk)


def _target_page(kind: str, target) -> str:
    return target.profile.get_absolute_url() if kind == "author" else target.get_absolute_url()


# --- Favorites -----------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@keep_when_signed_out
def favorite(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Add a favorite with an optional comment, or edit the comment (GET shows the form).
    A comment sent after the session expired is kept for after sign-in."""
    target = _target(request, kind, pk)
    existing = library.favorite_of(request.user, kind, target.pk)
    initial = {"comment": existing.comment if existing else ""}
    form = FavoriteForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        library.save_favorite(request.user, kind, target.pk, form.cleaned_data["comment"])
        return redirect(back(request, _target_page(kind, target)))
    context = {
        "form": form, "kind": kind, "target": target, "existing": existing,
        "next": back(request, ""),
    }  # fmt: skip
    status = 400 if form.errors else 200
    return render(request, "community/library_favorite.html", context, status=status)


@require_POST
def unfavorite(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Remove a favorite; doing it twice, or for something gone, is not an error."""
    if denied := _members_only(request):
        return denied
    if kind not in library.KINDS:
        raise Http404("Nothing to remove there.")
    library.remove_favorite(request.user, kind, pk)
    return redirect(back(request, "community:favorites"))


@login_required
def favorites(request: HttpRequest) -> HttpResponse:
    """The member's own favorites, one kind a page, with comments to edit."""
    kind = choice(request, "kind", library.KINDS, "story")
    readable = Story.objects.visible_to(request.user)
    counts = library.favorite_counts(request.user, readable)
    rows = _favorites_of(request.user, kind, readable)
    page = paginate(request, rows, PER_PAGE, count=counts[kind])
    profile = Profile.objects.filter(user=request.user).only("pen_name", "preferences").first()
    context = {"kind": kind, "tabs": _tabs(counts), "page": page, "profile": profile}
    return render(request, "community/library_favorites.html", context)


def member_favorites(request: HttpRequest, pen_name: str) -> HttpResponse:
    """Everything a member favorited, for everyone, unless they keep it private."""
    try:
        profile = Profile.objects.select_related("user").by_pen_name(pen_name)
    except Profile.DoesNotExist:
        raise Http404("No member has that pen name.") from None
    if profile.pen_name != pen_name:
        return redirect("community:member_favorites", pen_name=profile.pen_name, permanent=True)
    own = request.user.pk == profile.user_id
    if not (own or profile.prefs.favorites_public):
        raise Http404("This member keeps their favorites private.")
    kind = choice(request, "kind", library.KINDS, "story")
    readable = Story.objects.listed_for(request.user)
    counts = library.favorite_counts(profile.user_id, readable)
    rows = _favorites_of(profile.user_id, kind, readable)
    page = paginate(request, rows, PER_PAGE, count=counts[kind])
    context = {"profile": profile, "kind": kind, "tabs": _tabs(counts), "page": page}
    return cacheable(render(request, "community/library_member_favorites.html", context))


def _tabs(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    return [(kind, label, counts[kind]) for kind, label in KIND_LABELS.items()]


def _favorites_of(owner, kind: str, readable):
    if kind == "story":
        return library.favorite_stories(owner, readable)
    if kind == "author":
        return library.favorite_authors(owner)
    return library.favorite_series(owner)


# --- Reading history ----------------------------------------------------------------------


@login_required
def history(request: HttpRequest) -> HttpResponse:
    page = paginate(request, library.history_of(request.user), PER_PAGE)
    return render(request, "community/library_history.html", {"page": page})


@require_POST
def history_remove(request: HttpRequest, story_pk: int) -> HttpResponse:
    if denied := _members_only(request):
        return denied
    ReadingPosition.objects.filter(user=request.user, story_id=story_pk).delete()
    return redirect(back(request, "community:history"))


@require_POST
def history_clear(request: HttpRequest) -> HttpResponse:
    if denied := _members_only(request):
        return denied
    ReadingPosition.objects.filter(user=request.user).delete()
    return redirect("community:history")


# --- Read later ---------------------------------------------------------------------------


@login_required
def read_later(request: HttpRequest) -> HttpResponse:
    page = paginate(request, library.read_later_of(request.user), PER_PAGE)
    return render(request, "community/library_read_later.html", {"page": page})


@require_POST
def read_later_add(request: HttpRequest, story_pk: int) -> HttpResponse:
    if denied := _members_only(request):
        return denied
    story = _target(request, "story", story_pk)
    ReadLater.objects.get_or_create(user=request.user, story=story)
    return redirect(back(request, story.get_absolute_url()))


@require_POST
def read_later_remove(request: HttpRequest, story_pk: int) -> HttpResponse:
    if denied := _members_only(request):
        return denied
    ReadLater.objects.filter(user=request.user, story_id=story_pk).delete()
    return redirect(back(request, "community:read_later"))


urlpatterns = [
    path("my/favorites/", favorites, name="favorites"),
    path("my/favorites/<str:kind>/<int:pk>/", favorite, name="favorite"),
    path("my/favorites/<str:kind>/<int:pk>/remove/", unfavorite, name="unfavorite"),
    path("favorites/<path:pen_name>/", member_favorites, name="member_favorites"),
    path("my/history/", history, name="history"),
    path("my/history/clear/", history_clear, name="history_clear"),
    path("my/history/<int:story_pk>/remove/", history_remove, name="history_remove"),
    path("my/read-later/", read_later, name="read_later"),
    path("my/read-later/<int:story_pk>/add/", read_later_add, name="read_later_add"),
    path("my/read-later/<int:story_pk>/remove/", read_later_remove, name="read_later_remove"),
]
