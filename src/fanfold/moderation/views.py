"""The validation queue: moderators see what waits, preview it, approve or reject it;
and the review queue: held and hidden reviews, decisions on them (approve a held one,
hide, restore, delete) and the log of those decisions."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from fanfold.archive.models import Chapter, Classification, SeriesItem, with_author_list
from fanfold.community import reviews
from fanfold.community.models import Review
from fanfold.core.permissions import is_moderator
from fanfold.lib.paging import choice, paginate
from fanfold.lib.redirects import back
from fanfold.moderation import actions
from fanfold.moderation.forms import ApproveForm, RejectForm
from fanfold.moderation.models import ModerationDecision, awaiting_validation

PER_PAGE = 25
RECENT_DECISIONS = 10
# The review queue's tabs: value → (status shown, heading).
REVIEW_TABS = {
    "held": (Review.Status.PENDING, "Awaiting moderation"),
    "hidden": (Review.Status.HIDDEN, "Hidden"),
}
REVIEW_ACTIONS = [
    ModerationDecision.Action.REVIEW_APPROVED,
    ModerationDecision.Action.REVIEW_HIDDEN,
    ModerationDecision.Action.REVIEW_RESTORED,
    ModerationDecision.Action.REVIEW_DELETED,
]


def moderator_required(view):
    """Visitors are sent to log in; members who are not moderators get a 403 page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_moderator(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@moderator_required
def queue(request: HttpRequest) -> HttpResponse:
    page = paginate(request, awaiting_validation(), PER_PAGE)
    decisions = ModerationDecision.objects.select_related("moderator__profile").only(
        "action", "subject", "message", "trusted_authors", "authors_notified", "created_at",
        "chapter_id", "moderator__username", "moderator__profile__pen_name",
    )[:RECENT_DECISIONS]  # fmt: skip
    return render(request, "moderation/queue.html", {"page": page, "decisions": decisions})


def _decisions_on_reviews():
    """The log's review entries, newest first, with what a log line shows."""
    return (
        ModerationDecision.objects.filter(action__in=REVIEW_ACTIONS)
        .select_related("moderator__profile")
        .only(
            "action", "subject", "message", "created_at", "story_id",
            "moderator__username", "moderator__profile__pen_name",
        )
    )  # fmt: skip


def _reviews_in(status: str):
    """Reviews in one status, oldest first, with what a queue entry shows."""
    return (
        Review.objects.filter(status=status)
        .select_related("reviewer__profile", "story", "chapter", "series")
        .only(
            "reviewer_name", "text", "rating", "status", "created_at", "parent_id",
            "reviewer__username", "reviewer__profile__pen_name", "story__title",
            "story__slug", "chapter__title", "chapter__position", "chapter__story_id",
            "series__title",
        )
        .order_by("created_at", "pk")
    )  # fmt: skip


@moderator_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """Reviews held for a moderator (anonymous ones, when the archive says so) or hidden,
    oldest first, one status per tab, with the latest decisions on reviews below."""
    tab = choice(request, "show", REVIEW_TABS, "held")
    status = REVIEW_TABS[tab][0]
    counts = dict(
        Review.objects.filter(status__in=[s for s, _ in REVIEW_TABS.values()])
        .values_list("status")
        .annotate(n=Count("*"))
        .order_by()
    )
    try:
        page = paginate(request, _reviews_in(status), PER_PAGE, count=counts.get(status, 0))
    except Http404:
        # The last decision on the last page emptied it: show the page before instead.
        return redirect(request.last_page_url)
    context = {
        "page": page,
        "tab": tab,
        "tabs": [(value, heading, counts.get(s, 0)) for value, (s, heading) in REVIEW_TABS.items()],
        "decisions": _decisions_on_reviews()[:RECENT_DECISIONS],
    }
    return render(request, "moderation/reviews.html", context)


@moderator_required
def review_decisions(request: HttpRequest) -> HttpResponse:
    """Every decision on a review, newest first: who approved, hid, restored or deleted
    which review, with the reason and the text as it was."""
    page = paginate(request, _decisions_on_reviews(), PER_PAGE)
    return render(request, "moderation/reviews_decisions.html", {"page": page})


def _chapter_for_preview(pk: int) -> Chapter:
    """The chapter with everything its story's pages show readers."""
    chapters = Chapter.objects.select_related("story__rating").prefetch_related(
        Prefetch("story__authorships", queryset=with_author_list().queryset, to_attr="author_list"),
        "story__categories",
        "story__characters",
        Prefetch("story__classifications", queryset=Classification.objects.select_related("type")),
        Prefetch(
            "story__series_items",
            queryset=SeriesItem.objects.select_related("series"),
            to_attr="series_list",
        ),
    )
    return get_object_or_404(chapters, pk=pk)


def _preview(request, pk, approve_form=None, reject_form=None) -> HttpResponse:
    chapter = _chapter_for_preview(pk)
    context = {
        "chapter": chapter,
        "story": chapter.story,
        "approve_form": approve_form or ApproveForm(),
        "reject_form": reject_form or RejectForm(),
    }
    return render(request, "moderation/preview.html", context)


@moderator_required
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    return _preview(request, pk)


@moderator_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    chapter = get_object_or_404(Chapter.objects.only("pk", "story_id"), pk=pk)
    form = ApproveForm(request.POST)
    trust = form.is_valid() and form.cleaned_data["trust"]
    decision = actions.approve(chapter, request.user, trust=trust)
    if decision is None:
        messages.info(request, "That chapter was already decided; nothing changed.")
    else:
        messages.success(request, f"Approved and published: {decision.subject}")
    return redirect("moderation:queue")


@moderator_required
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    chapter = get_object_or_404(Chapter.objects.only("pk", "story_id"), pk=pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _preview(request, pk, reject_form=form)
    site_url = request.build_absolute_uri("/")
    decision = actions.reject(
        chapter, request.user, form.cleaned_data["message"], site_url=site_url
    )
    if decision is None:
        messages.info(request, "That chapter was already decided; nothing changed.")
    elif decision.authors_notified:
        messages.success(request, f"Sent back to the authors: {decision.subject}")
    else:
        messages.warning(
            request,
            f"Sent back as a draft, but no email reached the authors: {decision.subject}. "
            "Please tell them another way.",
        )
    return redirect("moderation:queue")


@require_POST
@moderator_required
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """One moderator decision on a review (approve a held one, hide, restore, delete);
    community.reviews logs each in the action log."""
    review = get_object_or_404(Review.objects.select_related("story", "chapter", "series"), pk=pk)
    action = request.POST.get("action", "")
    if action == "hide":
        reviews.hide(review, request.user, request.POST.get("reason", "").strip())
        messages.success(request, "The review is hidden.")
    elif action in ("approve", "restore"):
        reviews.restore(review, request.user)
        messages.success(request, "The review is published.")
    elif action == "delete":
        reviews.delete(review, request.user)
        messages.success(request, "The review is deleted.")
    else:
        return HttpResponseBadRequest("Unknown decision.")
    return redirect(back(request, "moderation:queue"))
