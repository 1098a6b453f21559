"""The rating's warning page, shown before anything of a gated story's text."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fanfold.accounts.models import Preferences
from fanfold.archive.models import Story
from fanfold.archive.pagecache import has_consent


def rating_gate(request: HttpRequest, story: Story) -> HttpResponse | None:
    """The warning page until this visitor has agreed once this browser session; None
    when they may go on. Members who gave age consent in their preferences never see it.
    Chapters, the whole story and its reviews (which may quote it) sit behind it."""
    if (
        story.rating.is_gated
        and not has_consent(request)
        and not Preferences.for_user(request.user).age_consent
    ):
        return render(request, "archive/gate.html", {"story": story}, status=200)
    return None
