"""Like and Unlike buttons on story pages (members only; see community.likes)."""

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from fanfold.archive.models import Story, with_author_list
from fanfold.community import likes
from fanfold.lib.redirects import back


def _story_for(request: HttpRequest, pk: int) -> Story:
    """A published story this member may read (a muted author's too: still reachable)."""
    stories = (
        Story.objects.readable_by(request.user)
        .only("pk", "slug")
        .prefetch_related(with_author_list())
    )
    return get_object_or_404(stories, pk=pk)


@require_POST
def like(request: HttpRequest, pk: int) -> HttpResponse:
    """Visitors (an old page, or a session that ran out) are sent to log in and back."""
    if not request.user.is_authenticated:
        return redirect_to_login(back(request, reverse("archive:story_short", args=[pk])))
    story = _story_for(request, pk)
    likes.like(request.user, story)
    return redirect(back(request, story.get_absolute_url()))


@require_POST
def unlike(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(back(request, reverse("archive:story_short", args=[pk])))
    story = _story_for(request, pk)
    likes.unlike(request.user, story.pk)
    return redirect(back(request, story.get_absolute_url()))


urlpatterns = [
    path("stories/<int:pk>/like/", like, name="like"),
    path("stories/<int:pk>/unlike/", unlike, name="unlike"),
]
