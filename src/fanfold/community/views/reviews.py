"""Reviews: writing one, replying, the author's response, editing and deleting, and the
pages that list them (a story's and a series' reviews).

Rules live in community.permissions (`ReviewRights`), changes in community.reviews. The
chapter and series pages show reviews through `review_section`, which gives every list
the same threads in a fixed number of queries. Pages visitors see are cached and shared,
so they carry no form: visitors write on the separate, uncached /reviews/new/… page.
"""

from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from fanfold.archive.models import Chapter, Series, Story, with_author_list
from fanfold.archive.pagecache import cacheable
from fanfold.archive.pending import keep_when_signed_out
from fanfold.archive.views.gate import rating_gate
from fanfold.community import reviews
from fanfold.community.forms import (
    SIGNED_IN_FIELD,
    TOO_MANY,
    ReplyForm,
    ResponseForm,
    ReviewForm,
)
from fanfold.community.models import Review
from fanfold.community.permissions import (
    ReviewRights,
    can_delete_review,
    can_edit_review,
    can_reply,
    can_respond,
    target_owner_ids,
)
from fanfold.core.models import ArchiveSettings
from fanfold.core.permissions import is_moderator
from fanfold.lib.paging import paginate
from fanfold.lib.ratelimit import client_address, exceeded
from fanfold.lib.redirects import back

# The series page shows its newest reviews and links to the rest.
LATEST_ON_SERIES_PAGE = 5


# --- What a list of reviews shows --------------------------------------------------------


@dataclass
class ReviewSection:
    """Everything a list of review threads needs; templates read it as `section`."""

    page: Page
    new_url: str  # the separate page for a new review of this work
    may_review: bool  # for visitors the same answer for all (the page is shared)
    moderator: bool
    own_work: bool  # the viewer is one of the work's authors: they respond, not review
    form: ReviewForm | None  # the inline form members get (their pages are not cached)
    show_chapter: bool


def review_section(
    request: HttpRequest,
    reviews_of_work,
    *,
    target: tuple[str, int],
    owner_ids: set[int],
    count: int | None,
    per_page: int | None = None,
    first_page_only: bool = False,
    show_chapter: bool = False,
    open_to_reviews: bool = True,
) -> ReviewSection:
    """One page of top-level reviews (newest first) with their replies, and for members what
    they may do with each (`review.allowed`), in a fixed number of queries.

    `target` names the work as review_new's URL does (("chapter", 12)); `count` the stored
    review count (saves a COUNT; moderators, who also see hidden reviews, count for real).
    `open_to_reviews` is False for drafts and pending work its authors preview.
    """
    user = request.user
    moderator = is_moderator(user)
    shown = reviews_of_work.shown_to(user)
    tops = shown.top_level().newest_first()
    count = None if moderator else count
    per_page = per_page or settings.REVIEWS_PER_PAGE
    if first_page_only:
        paginator = Paginator(tops, per_page)
        if count is not None:
            paginator.count = count
        page = paginator.page(1)
    else:
        page = paginate(request, tops, per_page, count=count)
    threads = (
        shown.threads(page.object_list.values("pk"), with_chapter=show_chapter)
        if page.paginator.count
        else []
    )
    page.object_list = threads
    if user.is_authenticated:
        reviewers = {r.reviewer_id for top in threads for r in (top, *top.reply_list)}
        rights = ReviewRights(user, owner_ids, reviewers)
        for top in threads:
            for review in (top, *top.reply_list):
                review.allowed = rights.on(review)
        may_review = open_to_reviews and rights.review()
    else:
        may_review = ArchiveSettings.current().anonymous_reviews
    return ReviewSection(
        page=page,
        new_url=reverse("community:review_new", args=target),
        may_review=may_review,
        moderator=moderator,
        own_work=user.is_authenticated and user.pk in owner_ids,
        form=ReviewForm() if may_review and user.is_authenticated else None,
        show_chapter=show_chapter,
    )


@require_safe
def story_reviews(request: HttpRequest, pk: int) -> HttpResponse:
    """Every review of a story and of its chapters, newest first."""
    stories = _readable(request.user).select_related("rating").prefetch_related(with_author_list())
    story = get_object_or_404(stories.only("title", "slug", "review_count", "rating"), pk=pk)
    if gate := rating_gate(request, story):
        return gate
    section = review_section(
        request,
        story.reviews.all(),
        target=("story", story.pk),
        owner_ids={authorship.user_id for authorship in story.author_list},
        count=story.review_count,
        show_chapter=True,
    )
    context = {"story": story, "section": section}
    return cacheable(render(request, "community/review_list.html", context))


@require_safe
def series_reviews(request: HttpRequest, pk: int) -> HttpResponse:
    series = get_object_or_404(Series.objects.only("title", "owner_id", "review_count"), pk=pk)
    section = review_section(
        request,
        series.reviews.all(),
        target=("series", series.pk),
        owner_ids={series.owner_id},
        count=series.review_count,
    )
    context = {"series": series, "section": section}
    return cacheable(render(request, "community/review_list.html", context))


# --- Writing ----------------------------------------------------------------------------


@dataclass
class _Target:
    """The work a new review is about, found from ?chapter=, ?story= or ?series=."""

    story: Story | None = None
    chapter: Chapter | None = None
    series: Series | None = None

    @property
    def title(self) -> str:
        if self.chapter:
            return f"{self.story.title}, {self.chapter.display_title}"
        return self.story.title if self.story else self.series.title

    @property
    def url(self) -> str:
        """The page that lists this work's reviews."""
        if self.chapter:
            return self.chapter.get_absolute_url()
        if self.story:
            return reverse("community:story_reviews", args=[self.story.pk])
        return reverse("community:series_reviews", args=[self.series.pk])

    def owner_ids(self) -> set[int]:
        if self.story:
            return target_owner_ids(story_id=self.story.pk)
        return target_owner_ids(series=self.series)


def _readable(user):
    """Stories this person may read and so review: the reading rule, not the listing one
    (a muted author's story is still open at its own address)."""
    return Story.objects.readable_by(user)


def _target(request: HttpRequest, kind: str, pk: int) -> _Target:
    """The work to review, if this person may read it; anything else is a 404."""
    readable = _readable(request.user)
    if kind == "chapter":
        chapters = Chapter.objects.published().filter(story__in=readable).select_related("story")
        chapter = get_object_or_404(chapters, pk=pk)
        return _Target(story=chapter.story, chapter=chapter)
    if kind == "story":
        return _Target(story=get_object_or_404(readable, pk=pk))
    if kind == "series":
        return _Target(series=get_object_or_404(Series.objects.all(), pk=pk))
    raise Http404("Nothing to review there.")


def _members_or_visitors(view):
    """Members' posts survive an expired session (`keep_when_signed_out`); visitors post
    for real when the archive allows anonymous reviews.

    A form typed by a member carries SIGNED_IN_FIELD: arriving without a session it is kept
    for after sign-in rather than taken for a visitor's review without a name.
    """
    kept = keep_when_signed_out(view)
    for_visitors = csrf_protect(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if (
            not request.user.is_authenticated
            and ArchiveSettings.current().anonymous_reviews
            and SIGNED_IN_FIELD not in request.POST
        ):
            return for_visitors(request, *args, **kwargs)
        return kept(request, *args, **kwargs)

    return csrf_exempt(wrapper)


def _posting_limited(request: HttpRequest) -> bool:
    """Reviews and replies per member, or per address for visitors (RATELIMIT_REVIEW_*)."""
    if request.user.is_authenticated:
        return exceeded(
            "review-member", str(request.user.pk), *settings.RATELIMIT_REVIEW_PER_ACCOUNT
        )
    return exceeded(
        "review-address", client_address(request), *settings.RATELIMIT_REVIEW_PER_ADDRESS
    )


@require_http_methods(["GET", "HEAD", "POST"])
@_members_or_visitors
def review_new(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """A new review of a chapter, a whole story or a series (/reviews/new/chapter/12/)."""
    target = _target(request, kind, pk)
    if not ReviewRights(request.user, target.owner_ids()).review():
        raise PermissionDenied("You cannot review this.")
    visitor = not request.user.is_authenticated
    form = ReviewForm(request.POST or None, visitor=visitor)
    status = 200
    if request.method == "POST" and form.is_valid():
        held = visitor and ArchiveSettings.current().moderate_anonymous_reviews
        if form.is_bot():  # looks like success; nothing is saved
            return _thanks(target, held=held)
        if _posting_limited(request):
            form.add_error(None, TOO_MANY)
            status = 429
        else:
            review = reviews.post(
                request.user,
                form.html(),
                story=None if target.chapter else target.story,
                chapter=target.chapter,
                series=target.series,
                rating=form.cleaned_data["rating"],
                reviewer_name=form.cleaned_data.get("name", ""),
            )
            if visitor:
                return _thanks(target, held=review.status == Review.Status.PENDING)
            return redirect(f"{target.url}#review-{review.pk}")
    context = {
        "form": form,
        "heading": f"Review {target.title}",
        "action": request.get_full_path(),
        "back_url": target.url,
        "submit": "Post review",
    }
    return render(request, "community/review_form.html", context, status=status)


def _thanks(target: _Target, *, held: bool) -> HttpResponse:
    query = {"next": target.url, **({"held": "1"} if held else {})}
    return redirect(f"{reverse('community:review_posted')}?{urlencode(query)}")


@require_safe
def review_posted(request: HttpRequest) -> HttpResponse:
    """What a visitor sees after sending a review (their pages are shared, so not there)."""
    context = {"held": "held" in request.GET, "back_url": back(request, reverse("archive:front"))}
    return render(request, "community/review_posted.html", context)


# --- One review -------------------------------------------------------------------------


def _review_for(request: HttpRequest, pk: int) -> Review:
    """The review if this person may see it: published (with a published parent) on a
    work they may read; moderators also see hidden and held ones, reviewers their own."""
    review = get_object_or_404(
        Review.objects.select_related("story", "chapter", "series", "parent"), pk=pk
    )
    user = request.user
    mine = user.is_authenticated and review.reviewer_id == user.pk
    published = review.status == Review.Status.PUBLISHED and (
        review.parent is None or review.parent.status == Review.Status.PUBLISHED
    )
    if not (published or mine or is_moderator(user)):
        raise Http404("No such review.")
    if review.story_id and not _readable(user).filter(pk=review.story_id).exists():
        raise Http404("No such review.")
    return review


def location_of(review: Review) -> str:
    """Where a review is listed, at the page that shows it: its chapter's page, or the
    story's or series' reviews page (replies: where their review is)."""
    top = review.parent if review.parent_id else review
    if top.chapter_id:
        url, listed = top.chapter.get_absolute_url(), Q(chapter_id=top.chapter_id)
    elif top.story_id:
        url = reverse("community:story_reviews", args=[top.story_id])
        listed = Q(story_id=top.story_id)
    else:
        url = reverse("community:series_reviews", args=[top.series_id])
        listed = Q(series_id=top.series_id)
    newer = (
        Review.objects.visible()
        .top_level()
        .filter(listed)
        .filter(Q(created_at__gt=top.created_at) | Q(created_at=top.created_at, pk__gt=top.pk))
        .count()
    )
    number = newer // settings.REVIEWS_PER_PAGE + 1
    return f"{url}{f'?page={number}' if number > 1 else ''}#review-{review.pk}"


@require_safe
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """A review's lasting address (notifications link here): the page that lists it."""
    return redirect(location_of(_review_for(request, pk)))


@require_http_methods(["GET", "HEAD", "POST"])
@keep_when_signed_out
def review_reply(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review_for(request, pk)
    if review.parent_id:  # one level: answering a reply answers its review
        review = review.parent
    if not can_reply(request.user, review):
        raise PermissionDenied("You cannot reply to this review.")
    form = ReplyForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if _posting_limited(request):
            form.add_error(None, TOO_MANY)
            status = 429
        else:
            answer = reviews.reply(review, request.user, form.html())
            return redirect(location_of(answer))
    return _answer_page(request, review, form, "Reply", status)


@require_http_methods(["GET", "HEAD", "POST"])
@keep_when_signed_out
def review_respond(request: HttpRequest, pk: int) -> HttpResponse:
    """The author's response (eFiction's "Author's Response"); an empty one removes it."""
    review = _review_for(request, pk)
    if not can_respond(request.user, review):
        raise PermissionDenied("Only the authors respond to reviews of their work.")
    initial = {"text": ResponseForm.initial_text(review.response)}
    form = ResponseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        reviews.respond(review, request.user, form.html())
        return redirect(location_of(review))
    return _answer_page(request, review, form, "Respond")


def _answer_page(request, review: Review, form, submit: str, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "answering": review,
        "heading": f"{submit} to {review.reviewer_display}" if submit == "Reply" else submit,
        "action": request.path,
        "back_url": location_of(review),
        "submit": submit,
    }
    return render(request, "community/review_form.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@keep_when_signed_out
def review_edit(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review_for(request, pk)
    if not can_edit_review(request.user, review):
        raise PermissionDenied("Only the reviewer edits a review.")
    form_class = ReplyForm if review.parent_id else ReviewForm
    typed = form_class.initial_text(review.text)
    form = form_class(request.POST or None, initial={"text": typed, "rating": review.rating})
    if request.method == "POST" and form.is_valid():
        # Untouched text keeps its stored HTML (imported reviews may carry formatting).
        unchanged = _same_text(form.cleaned_data["text"], typed)
        text = review.text if unchanged else form.html()
        reviews.edit(review, request.user, text, form.cleaned_data.get("rating"))
        return redirect(location_of(review))
    context = {
        "form": form,
        "heading": "Edit your reply" if review.parent_id else "Edit your review",
        "action": request.path,
        "back_url": location_of(review),
        "submit": "Save",
    }
    return render(request, "community/review_form.html", context)


def _same_text(a: str, b: str) -> bool:
    return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def review_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page, then gone for good with its replies."""
    review = _review_for(request, pk)
    if not can_delete_review(request.user, review):
        raise PermissionDenied("You may not delete this review.")
    where = location_of(review)
    if request.method == "POST":
        reviews.delete(review, request.user)
        # The list's first page: the page it was on may no longer exist.
        return redirect(where.split("?")[0].split("#")[0] + "#reviews")
    context = {"review": review, "back_url": where}
    return render(request, "community/review_delete.html", context)


urlpatterns = [
    path("reviews/new/<str:kind>/<int:pk>/", review_new, name="review_new"),
    path("reviews/posted/", review_posted, name="review_posted"),
    path("reviews/<int:pk>/", review, name="review"),
    path("reviews/<int:pk>/reply/", review_reply, name="review_reply"),
    path("reviews/<int:pk>/respond/", review_respond, name="review_respond"),
    path("reviews/<int:pk>/edit/", review_edit, name="review_edit"),
    path("reviews/<int:pk>/delete/", review_delete, name="review_delete"),
    path("stories/<int:pk>/reviews/", story_reviews, name="story_reviews"),
    path("series/<int:pk>/reviews/", series_reviews, name="series_reviews"),
]
