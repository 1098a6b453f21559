"""Managing series: a member's own list, new series, details and contents, deleting.

The owner (or a moderator) manages a series; in an open series any member may add their
own stories and take them out again. The rules are in fanfold.archive.permissions, the
changes in fanfold.archive.series_items.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from fanfold.archive import series_items
from fanfold.archive.forms.series import AddSeriesForm, AddStoryForm, SeriesForm
from fanfold.archive.models import Series, SeriesItem, StoryAuthor
from fanfold.archive.pending import keep_when_signed_out
from fanfold.archive.permissions import can_add_to_series, can_edit_series


def _series_for(request: HttpRequest, pk: int, *, manage: bool = True) -> Series:
    """The series if this member may manage it (or, with manage=False, add to it)."""
    series = get_object_or_404(Series.objects.select_related("owner__profile"), pk=pk)
    allowed = can_edit_series if manage else can_add_to_series
    if not allowed(request.user, series):
        raise PermissionDenied("This series is not yours to change.")
    return series


def _number(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
def my_series(request: HttpRequest) -> HttpResponse:
    owned = (
        Series.objects.filter(owner=request.user)
        .only("pk", "title", "is_open", "story_count", "updated_at")
        .order_by("title", "pk")
    )
    return render(request, "archive/manage/my_series.html", {"series_list": owned})


@keep_when_signed_out
def series_new(request: HttpRequest) -> HttpResponse:
    form = SeriesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        series, created = series_items.create_series(
            request.user,
            form.series_fields(),
            submission_key=form.cleaned_data.get("submission_key"),
        )
        if created:
            messages.success(request, "Series created. Now add your stories to it.")
        return redirect("archive:series_edit", series.pk)
    return render(request, "archive/manage/series_new.html", {"form": form})


@keep_when_signed_out
def series_edit(request: HttpRequest, pk: int) -> HttpResponse:
    series = _series_for(request, pk, manage=False)
    manages = can_edit_series(request.user, series)
    forms = {
        "details": SeriesForm(instance=series) if manages else None,
        "add": AddStoryForm(stories=series_items.addable_stories(request.user, series)),
        "add_series": (
            AddSeriesForm(series=series_items.addable_subseries(series)) if manages else None
        ),
    }
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in _ACTIONS:
            raise BadRequest("Unknown action.")
        if action in {"details", "order", "add_series"} and not manages:
            raise PermissionDenied("Only the series' owner may do that.")
        done = _ACTIONS[action](request, series, forms)
        if done:
            messages.success(request, done)
            return redirect("archive:series_edit", series.pk)
    return render(request, "archive/manage/series_edit.html", _edit_context(request, series, forms))


def _save_details(request: HttpRequest, series: Series, forms: dict) -> str | None:
    forms["details"] = SeriesForm(request.POST, instance=series)
    if forms["details"].is_valid():
        forms["details"].save_for(request.user)
        return "Series saved."
    return None


def _add_story(request: HttpRequest, series: Series, forms: dict) -> str | None:
    stories = series_items.addable_stories(request.user, series)
    forms["add"] = AddStoryForm(request.POST, stories=stories)
    if forms["add"].is_valid():
        story = forms["add"].cleaned_data["story"]
        series_items.add_story(series, story)
        return f"“{story.title}” added to the series."
    return None


def _add_series(request: HttpRequest, series: Series, forms: dict) -> str | None:
    forms["add_series"] = AddSeriesForm(request.POST, series=series_items.addable_subseries(series))
    if forms["add_series"].is_valid():
        child = forms["add_series"].cleaned_data["subseries"]
        series_items.add_subseries(series, child)
        return f"Series “{child.title}” added."
    return None


def _remove_item(request: HttpRequest, series: Series, forms: dict) -> str:
    item = get_object_or_404(
        SeriesItem.objects.select_related("series"),
        pk=_number(request.POST.get("item")),
        series=series,
    )
    own_story = (
        item.story_id is not None
        and StoryAuthor.objects.filter(story=item.story_id, user=request.user).exists()
    )
    if not (own_story or can_edit_series(request.user, series)):
        raise PermissionDenied("You may take out only your own stories.")
    series_items.remove_item(item)
    return "Taken out of the series."


def _reorder(request: HttpRequest, series: Series, forms: dict) -> str:
    wanted = {
        item_id: number
        for item_id in series.items.values_list("pk", flat=True)
        if (number := _number(request.POST.get(f"position-{item_id}"))) is not None
    }
    series_items.reorder(series, wanted)
    return "New order saved."


_ACTIONS = {
    "details": _save_details,
    "add": _add_story,
    "add_series": _add_series,
    "remove": _remove_item,
    "order": _reorder,
}


def _edit_context(request: HttpRequest, series: Series, forms: dict) -> dict:
    items = list(
        series.items.select_related("story", "subseries")
        .only("pk", "position", "story__title", "story__slug", "story__status", "subseries__title")
        .order_by("position", "pk")
    )
    own = set(
        StoryAuthor.objects.filter(
            user=request.user, story__in=[item.story_id for item in items if item.story_id]
        ).values_list("story_id", flat=True)
    )
    manages = can_edit_series(request.user, series)
    for item in items:
        item.removable = manages or item.story_id in own
    return {"series": series, "items": items, "manages": manages, **forms}


@login_required
def series_delete(request: HttpRequest, pk: int) -> HttpResponse:
    series = _series_for(request, pk)
    if request.method == "POST":
        series_items.delete_series(series)
        messages.success(request, f"Series “{series.title}” deleted. Its stories are still here.")
        return redirect("archive:my_series")
    return render(request, "archive/manage/series_delete.html", {"series": series})
