"""Mute and block buttons, and the member's "Muted and blocked" page (/my/muted/)."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from fanfold.accounts.models import User
from fanfold.community import relations
from fanfold.community.models import Block, Mute
from fanfold.lib.paging import choice, paginate
from fanfold.lib.redirects import back

RELATIONS_PER_PAGE = 50
# ?show= → the rows listed and the member each row names.
LISTS = {"muted": (Mute, "author"), "blocked": (Block, "blocked")}


@login_required
def relations_page(request: HttpRequest) -> HttpResponse:
    return _render_page(request)


@require_POST
def mute(request: HttpRequest, pk: int) -> HttpResponse:
    return _change(request, relations.mute, pk)


@require_POST
def unmute(request: HttpRequest, pk: int) -> HttpResponse:
    return _change(request, relations.unmute, pk)


@require_POST
def block(request: HttpRequest, pk: int) -> HttpResponse:
    return _change(request, relations.block, pk)


@require_POST
def unblock(request: HttpRequest, pk: int) -> HttpResponse:
    return _change(request, relations.unblock, pk)


def _change(request: HttpRequest, act, pk: int) -> HttpResponse:
    """Visitors go to log in and come back to the page they were on; a member acts on
    another member (404 for an unknown one) and returns to where the button was."""
    if not request.user.is_authenticated:
        return redirect_to_login(back(request, "/"))
    other = get_object_or_404(User.objects.only("pk"), pk=pk)
    try:
        act(request.user, other)
    except relations.SelfRelationError as error:
        return _render_page(request, error=str(error), status=400)
    return redirect(back(request, "community:relations"))


def _render_page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    show = choice(request, "show", LISTS, "muted")
    model, field = LISTS[show]
    rows = (
        model.objects.filter(user=request.user)
        .select_related(f"{field}__profile")
        .only("created_at", f"{field}__username", f"{field}__profile__pen_name")
        .order_by("-created_at", "-pk")
    )
    counts = {
        name: each.objects.filter(user=request.user).count() for name, (each, _) in LISTS.items()
    }
    page = paginate(request, rows, RELATIONS_PER_PAGE, count=counts[show])
    for row in page.object_list:
        row.member = getattr(row, field)
    context = {"page": page, "show": show, "counts": counts, "error": error}
    return render(request, "community/relations_list.html", context, status=status)


urlpatterns = [
    path("my/muted/", relations_page, name="relations"),
    path("my/muted/mute/<int:pk>/", mute, name="mute"),
    path("my/muted/unmute/<int:pk>/", unmute, name="unmute"),
    path("my/muted/block/<int:pk>/", block, name="block"),
    path("my/muted/unblock/<int:pk>/", unblock, name="unblock"),
]
