"""The inbox, subscriptions, and the one-click unsubscribe link in every email."""

from dataclasses import replace

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from fanfold.accounts.models import Profile
from fanfold.archive.models import Series, Story
from fanfold.community.models import Delivery, Subscription
from fanfold.community.tasks import read_unsubscribe_token
from fanfold.lib.paging import paginate
from fanfold.lib.redirects import back

NOTIFICATIONS_PER_PAGE = 25
SUBSCRIPTIONS_PER_PAGE = 50
TARGETS = ("story", "author", "series")
# What a one-click link may turn off besides a subscription, as the email says it.
SWITCH_NAMES = {
    "notify_review": "emails about new reviews of your stories",
    "notify_review_response": "emails about responses and replies to your reviews",
}


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    deliveries = (
        Delivery.objects.filter(recipient=request.user)
        .select_related(
            "event__story", "event__chapter", "event__series", "event__review",
            "event__actor__profile",
        )
        .only(
            "read_at", "created_at", "event__kind", "event__story__title",
            "event__story__slug", "event__chapter__title", "event__chapter__position",
            "event__chapter__story_id", "event__series__title", "event__review__reviewer_name",
            "event__actor__username", "event__actor__profile__pen_name",
        )
        .order_by("-created_at", "-pk")
    )  # fmt: skip
    page = paginate(request, deliveries, NOTIFICATIONS_PER_PAGE)
    return render(request, "community/notifications_inbox.html", {"page": page})


@require_POST
@login_required
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(Delivery.objects.only("read_at"), pk=pk, recipient=request.user)
    if delivery.read_at is None:
        Delivery.objects.filter(pk=pk).update(read_at=timezone.now())
    return redirect(back(request, "community:notifications"))


@require_POST
@login_required
def mark_all_read(request: HttpRequest) -> HttpResponse:
    Delivery.objects.filter(recipient=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("community:notifications")


@login_required
def subscriptions(request: HttpRequest) -> HttpResponse:
    mine = (
        Subscription.objects.filter(user=request.user)
        .select_related("story", "author__profile", "series")
        .only(
            "story__title", "story__slug", "author__username", "author__profile__pen_name",
            "series__title",
        )
        .order_by("-created_at", "-pk")
    )  # fmt: skip
    page = paginate(request, mine, SUBSCRIPTIONS_PER_PAGE)
    return render(request, "community/subscriptions_list.html", {"page": page})


@require_POST
def subscribe(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Subscribe to a story, an author or a series the member can see."""
    if not request.user.is_authenticated:
        return redirect_to_login(back(request, "/"))
    target_id, page = _subscribable(request, kind, pk)
    Subscription.objects.get_or_create(user=request.user, **{f"{kind}_id": target_id})
    return redirect(back(request, page))


@require_POST
def unsubscribe(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Stop a subscription; doing it twice, or for something gone, is not an error."""
    if not request.user.is_authenticated:
        return redirect_to_login(back(request, "/"))
    if kind not in TARGETS:
        raise Http404("Nothing to unsubscribe from there.")
    Subscription.objects.filter(user=request.user, **{f"{kind}_id": pk}).delete()
    return redirect(back(request, "community:subscriptions"))


@csrf_exempt  # the signed token is the credential; mail programs POST without a session
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link in every email: GET asks (link scanners open links), POST unsubscribes.

    Mail programs that offer RFC 8058 one-click unsubscribe POST here directly. The
    token never expires and needs no sign-in.
    """
    found = read_unsubscribe_token(token)
    if found is None or (what := _describe(*found[1:])) is None:
        return render(request, "community/subscriptions_unsubscribe.html", status=400)
    user_id, kind, target_id = found
    if request.method == "POST":
        _stop(user_id, kind, target_id)
    context = {"what": what, "done": request.method == "POST"}
    return render(request, "community/subscriptions_unsubscribe.html", context)


def _subscribable(request: HttpRequest, kind: str, pk: int) -> tuple[int, str]:
    """(id, page) of what the member wants to follow; 404 unless they may see it."""
    if kind == "story":
        story = get_object_or_404(Story.objects.readable_by(request.user).only("slug"), pk=pk)
        return story.pk, story.get_absolute_url()
    if kind == "author":
        # Following oneself means nothing: one's own stories never notify one.
        authors = Profile.objects.filter(user__is_active=True).exclude(user=request.user)
        profile = get_object_or_404(authors.only("user_id", "pen_name"), user_id=pk)
        return pk, profile.get_absolute_url()
    if kind == "series":
        series = get_object_or_404(Series.objects.only("pk"), pk=pk)
        return series.pk, series.get_absolute_url()
    raise Http404("Nothing to subscribe to there.")


def _describe(kind: str, target_id: int) -> str | None:
    """What a one-click link stops, as the page says it; None for a link we never made."""
    if kind in SWITCH_NAMES:
        return SWITCH_NAMES[kind]
    if kind == "story":
        title = Story.objects.filter(pk=target_id).values_list("title", flat=True).first()
        return f"new chapters of {title}" if title else "a story that no longer exists"
    if kind == "author":
        name = Profile.objects.filter(user_id=target_id).values_list("pen_name", flat=True)
        return f"new stories by {name.first()}" if name else "an author who has left"
    if kind == "series":
        title = Series.objects.filter(pk=target_id).values_list("title", flat=True).first()
        return f"new stories in {title}" if title else "a series that no longer exists"
    return None


def _stop(user_id: int, kind: str, target_id: int) -> None:
    if kind in SWITCH_NAMES:
        profile = Profile.objects.filter(user_id=user_id).first()
        if profile is not None:
            profile.save_preferences(replace(profile.prefs, **{kind: False}))
    else:
        Subscription.objects.filter(user_id=user_id, **{f"{kind}_id": target_id}).delete()


urlpatterns = [
    path("notifications/", inbox, name="notifications"),
    path("notifications/read/", mark_all_read, name="read_all"),
    path("notifications/<int:pk>/read/", mark_read, name="read"),
    path("subscriptions/", subscriptions, name="subscriptions"),
    path("subscriptions/add/<str:kind>/<int:pk>/", subscribe, name="subscribe"),
    path("subscriptions/remove/<str:kind>/<int:pk>/", unsubscribe, name="unsubscribe"),
    path("unsubscribe/<str:token>/", unsubscribe_link, name="unsubscribe_link"),
]
