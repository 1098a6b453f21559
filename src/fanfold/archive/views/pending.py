"""The pending page: a post kept while the author's session had expired, ready to send again.

See fanfold.archive.pending for how posts are kept and who may open them.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from fanfold.archive import pending as kept


@never_cache
@login_required
def pending(request: HttpRequest, token: str) -> HttpResponse:
    kept.forget_stale()
    submission = kept.load(token, request.user, kept.browser_id(request))
    if submission is None or not submission.action_path.startswith("/"):
        raise Http404("This kept post has expired or belongs to someone else.")
    context = {
        "submission": submission,
        "fields": kept.fields_of(submission),
        "files": submission.data.get("files", []),
        "token": token,
        "token_field": kept.TOKEN_FIELD,
        "max_age_days": kept.MAX_AGE.days,
    }
    return render(request, "archive/manage/pending.html", context)
