"""Authoring: "My stories", the story and chapter forms, preview, posting, order, deleting.

Views parse the request and call fanfold.archive.actions; who may do what is decided by
`_story_for_editing` / `_chapter_for_editing` (fanfold.archive.permissions). Views that
accept text keep it when the session has expired (`keep_when_signed_out`).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Prefetch, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from fanfold.archive import actions
from fanfold.archive.forms.stories import (
    TOO_MANY_POSTS,
    ChapterForm,
    ChapterOrderForm,
    StoryForm,
)
from fanfold.archive.models import Chapter, Classification, Status, Story, with_author_list
from fanfold.archive.pending import keep_when_signed_out
from fanfold.archive.permissions import can_edit_story, can_manage_authors
from fanfold.lib.paging import paginate

MY_STORIES_PER_PAGE = 50
STATUS_MESSAGES = {
    Status.PUBLISHED: "Posted: readers can see it now.",
    Status.PENDING: "Posted: it will appear once a moderator has approved it.",
    Status.DRAFT: "Saved as a draft: only you and your co-authors can see it.",
    Status.HIDDEN: "Saved. A moderator has hidden this; readers cannot see it.",
}


def _story_for_editing(request: HttpRequest, pk: int, *, owner: bool = False) -> Story:
    """The story if this member may change it (`owner`: delete or manage authors)."""
    story = get_object_or_404(Story.objects.select_related("rating"), pk=pk)
    allowed = can_manage_authors if owner else can_edit_story
    if not allowed(request.user, story):
        raise PermissionDenied
    return story


def _chapter_for_editing(request: HttpRequest, pk: int) -> Chapter:
    chapter = get_object_or_404(Chapter.objects.select_related("story__rating"), pk=pk)
    if not can_edit_story(request.user, chapter.story):
        raise PermissionDenied
    return chapter


def _limited(request: HttpRequest, model, form) -> bool:
    """Over the member's posting limit (actions.posting_limited): say so on the form."""
    if actions.posting_limited(request.user, model, form.cleaned_data.get("submission_key")):
        form.add_error(None, TOO_MANY_POSTS)
        return True
    return False


def _report_removed(request: HttpRequest, form) -> None:
    """Tell the author what the sanitizer took out, field by field."""
    for label, removed in form.removed().items():
        messages.warning(
            request, f"{label}: the archive removed {', '.join(removed)}, which it cannot show."
        )


def _posting(request: HttpRequest) -> bool:
    """Which button was pressed: "Post" (True) or "Save draft" (False)."""
    return request.POST.get("action") == "post"


# Stories ---------------------------------------------------------------------------------


@login_required
def my_stories(request: HttpRequest) -> HttpResponse:
    stories = (
        Story.objects.filter(authorships__user=request.user)
        .select_related("rating")
        .prefetch_related(with_author_list())
        .defer("summary", "notes", "legacy")
        .annotate(
            is_owner=F("authorships__is_owner"),
            all_chapters=Count("chapters"),
            drafts=Count("chapters", filter=Q(chapters__status=Status.DRAFT)),
            all_words=Sum("chapters__word_count"),
        )
        .order_by("-updated_at", "-pk")
    )
    page = paginate(request, stories, MY_STORIES_PER_PAGE)
    # Until the notifications inbox exists, invitations are announced here.
    invitations = request.user.coauthor_invites.count()
    context = {"page": page, "invitations": invitations}
    return render(request, "archive/authoring/my_stories.html", context)


@keep_when_signed_out
def story_new(request: HttpRequest) -> HttpResponse:
    form = StoryForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        if _limited(request, Story, form):
            status = 429
        else:
            story, _ = actions.create_story(
                request.user,
                form.story_fields(),
                form.labels(),
                series=form.cleaned_data.get("series"),
                invitees=form.cleaned_data.get("coauthors", []),
                submission_key=form.cleaned_data.get("submission_key"),
            )
            _report_removed(request, form)
            messages.success(request, "Story saved as a draft. Now add its first chapter.")
            return redirect("archive:chapter_new", pk=story.pk)
    context = {"form": form, "story": None}
    return render(request, "archive/authoring/story_form.html", context, status=status)


@keep_when_signed_out
def story_edit(request: HttpRequest, pk: int) -> HttpResponse:
    story = _story_for_editing(request, pk)
    form = StoryForm(request.POST or None, user=request.user, story=story)
    if request.method == "POST" and form.is_valid():
        actions.update_story(
            story,
            request.user,
            form.story_fields(),
            form.labels(),
            series=form.cleaned_data.get("series"),
            invitees=form.cleaned_data.get("coauthors", []),
        )
        _report_removed(request, form)
        messages.success(request, "Story saved.")
        return redirect("archive:story_chapters", pk=story.pk)
    return render(request, "archive/authoring/story_form.html", {"form": form, "story": story})


def _chapters_page(request, story, form=None, status=200) -> HttpResponse:
    chapters = list(story.chapters.defer("body", "body_text", "notes", "end_notes", "legacy"))
    context = {
        "story": story,
        "chapters": chapters,
        "order_form": form or ChapterOrderForm(chapters=chapters),
        "may_delete": can_manage_authors(request.user, story),
        "has_drafts": any(c.status == Status.DRAFT for c in chapters),
    }
    return render(request, "archive/authoring/story_chapters.html", context, status=status)


@login_required
def story_chapters(request: HttpRequest, pk: int) -> HttpResponse:
    return _chapters_page(request, _story_for_editing(request, pk))


@login_required
@require_POST
def chapter_order(request: HttpRequest, pk: int) -> HttpResponse:
    story = _story_for_editing(request, pk)
    form = ChapterOrderForm(request.POST, chapters=story.chapters.only("pk", "position", "title"))
    if not form.is_valid():
        return _chapters_page(request, story, form, status=400)
    actions.reorder_chapters(story, form.ordered_ids())
    messages.success(request, "Chapter order saved.")
    return redirect("archive:story_chapters", pk=story.pk)


@login_required
def story_preview(request: HttpRequest, pk: int) -> HttpResponse:
    story = _story_for_editing(request, pk)
    story = (
        Story.objects.select_related("rating")
        .prefetch_related(
            with_author_list(),
            "categories",
            "characters",
            Prefetch("classifications", queryset=Classification.objects.select_related("type")),
        )
        .get(pk=story.pk)
    )
    chapters = story.chapters.only("pk", "story_id", "position", "title", "status")
    context = {"story": story, "chapters": chapters}
    return render(request, "archive/authoring/story_preview.html", context)


@login_required
@require_POST
def story_publish(request: HttpRequest, pk: int) -> HttpResponse:
    story = _story_for_editing(request, pk)
    posted = actions.submit_story(story, request.user)
    if posted:
        messages.success(request, f"{posted} chapter{'s' if posted > 1 else ''} posted.")
        messages.info(request, STATUS_MESSAGES[actions.status_on_submit(request.user)])
    else:
        messages.info(request, "There were no draft chapters to post.")
    return redirect("archive:story_chapters", pk=story.pk)


@login_required
def story_delete(request: HttpRequest, pk: int) -> HttpResponse:
    story = _story_for_editing(request, pk, owner=True)
    if request.method == "POST":
        actions.delete_story(story)
        messages.success(request, f"“{story.title}” was deleted with all its chapters.")
        return redirect("archive:my_stories")
    return render(request, "archive/authoring/confirm_delete.html", {"story": story})


# Chapters --------------------------------------------------------------------------------


@keep_when_signed_out
def chapter_new(request: HttpRequest, pk: int) -> HttpResponse:
    story = _story_for_editing(request, pk)
    form = ChapterForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if _limited(request, Chapter, form):
            status = 429
        else:
            chapter, created = actions.create_chapter(
                story,
                request.user,
                form.chapter_text(),
                submit=_posting(request),
                submission_key=form.cleaned_data.get("submission_key"),
            )
            if created:
                _report_removed(request, form)
                messages.success(request, STATUS_MESSAGES[chapter.status])
            return redirect("archive:chapter_preview", pk=chapter.pk)
    context = {"form": form, "story": story, "chapter": None}
    return render(request, "archive/authoring/chapter_form.html", context, status=status)


@keep_when_signed_out
def chapter_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST" and not Chapter.objects.filter(pk=pk).exists():
        return _chapter_gone(request)
    chapter = _chapter_for_editing(request, pk)
    form = ChapterForm(request.POST or None, request.FILES or None, chapter=chapter)
    if request.method == "POST" and form.is_valid():
        was = chapter.status
        if not actions.save_chapter(
            chapter,
            request.user,
            form.chapter_text(),
            revision=form.cleaned_data["revision"],
            submit=_posting(request),
        ):
            return _conflict(request, chapter, form)
        _report_removed(request, form)
        if was == chapter.status == Status.PUBLISHED:
            messages.success(request, "Saved: readers see the new version now.")
        else:
            messages.success(request, STATUS_MESSAGES[chapter.status])
        return redirect("archive:chapter_preview", pk=chapter.pk)
    context = {"form": form, "story": chapter.story, "chapter": chapter}
    return render(request, "archive/authoring/chapter_form.html", context)


def _conflict(request: HttpRequest, chapter: Chapter, form: ChapterForm) -> HttpResponse:
    """Someone saved since this form was loaded: show both versions, overwrite nothing.

    The submitted text comes back in a form carrying the newer revision, so saving it
    again is a deliberate choice after reading the other version.
    """
    saved = Chapter.objects.filter(pk=chapter.pk).first()
    if saved is None:  # not a newer version: a co-author deleted it meanwhile
        return _chapter_gone(request)
    data = form.data.copy()
    data["revision"] = saved.revision
    context = {
        "story": chapter.story,
        "chapter": saved,
        "form": ChapterForm(data, chapter=saved),
    }
    return render(request, "archive/authoring/conflict.html", context, status=409)


def _chapter_gone(request: HttpRequest) -> HttpResponse:
    """A co-author deleted the chapter being edited: give the member their text back.

    Only what this member just posted is shown (an uploaded file as the text it held),
    so nothing of a chapter they may not see is revealed.
    """
    form = ChapterForm(request.POST, request.FILES)
    form.is_valid()  # reads an uploaded file into the body, as for a save
    names = ("title", "notes", "body", "end_notes")
    text = {name: form.data.get(name, "") for name in names}
    return render(request, "archive/authoring/chapter_gone.html", {"text": text}, status=410)


@login_required
def chapter_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The chapter exactly as readers will see it, whatever its status."""
    chapter = _chapter_for_editing(request, pk)
    story = Story.objects.select_related("rating").prefetch_related(with_author_list())
    context = {"story": story.get(pk=chapter.story_id), "chapter": chapter}
    return render(request, "archive/authoring/chapter_preview.html", context)


@login_required
@require_POST
def chapter_publish(request: HttpRequest, pk: int) -> HttpResponse:
    chapter = _chapter_for_editing(request, pk)
    status = actions.submit_chapter(chapter, request.user)
    messages.success(request, STATUS_MESSAGES[status])
    return redirect("archive:chapter_preview", pk=chapter.pk)


@login_required
def chapter_delete(request: HttpRequest, pk: int) -> HttpResponse:
    chapter = _chapter_for_editing(request, pk)
    if request.method == "POST":
        actions.delete_chapter(chapter)
        messages.success(request, f"“{chapter.display_title}” was deleted.")
        return redirect("archive:story_chapters", pk=chapter.story_id)
    context = {"story": chapter.story, "chapter": chapter}
    return render(request, "archive/authoring/confirm_delete.html", context)
