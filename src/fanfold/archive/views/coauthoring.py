"""Co-author invitations: a member sees who invited them to which story, and answers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from fanfold.archive import coauthors
from fanfold.archive.models import CoauthorInvite


@login_required
def invitations(request: HttpRequest) -> HttpResponse:
    invites = (
        CoauthorInvite.objects.filter(user=request.user)
        .select_related("story", "invited_by__profile")
        .only(
            "created_at",
            "story__title",
            "invited_by__username",
            "invited_by__profile__pen_name",
        )
        .order_by("-created_at", "-pk")
    )
    return render(request, "archive/manage/invitations.html", {"invites": invites})


@require_POST
@login_required
def answer(request: HttpRequest, pk: int, answer: str) -> HttpResponse:
    """Accept or decline one of your own invitations; anyone else's is not found."""
    invite = get_object_or_404(
        CoauthorInvite.objects.select_related("story"), pk=pk, user=request.user
    )
    if answer == "accept":
        coauthors.accept(invite)
        messages.success(request, f"You are now a co-author of “{invite.story.title}”.")
    elif answer == "decline":
        coauthors.decline(invite)
        messages.info(request, f"You declined to co-author “{invite.story.title}”.")
    else:
        raise Http404("Answer accept or decline.")
    return redirect("archive:invitations")
