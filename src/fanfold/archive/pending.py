"""Posts that survive an expired session: nothing an author typed is lost to a sign-in page.

`keep_when_signed_out` wraps authoring views. When a post arrives without a signed-in
member (the session expired while the author typed), the form data is kept on the server
as a PendingSubmission and the author is sent to log in; afterwards the pending page shows
everything that was sent, ready to submit again. Only a signed, expiring id of the row
travels through the sign-in page.

CSRF. The CSRF cookie outlives the session (a year against two weeks), so after a plain
session expiry the form's token is still valid: the post is kept after a normal CSRF
check. The token is stale when the author signed in again in another tab (sign-in rotates
it) or the browser lost its cookies. Django would answer such a post with a bare 403 and
the text would be gone, so the decorator makes the view csrf_exempt and runs Django's own
check itself: a rejected post is kept only when the browser proves it came from this
site's own page (a matching Origin header, or `Sec-Fetch-Site: same-origin`), which a
forging site cannot fake; every other rejection is Django's usual 403. The kept data is
never acted on: the author sees it and submits it again with a fresh token.

Who may see it: only the browser that made the post. Keeping a post sets a signed,
HttpOnly cookie naming this browser, stored with the row; the pending page answers 404 to
any other browser, so nobody can plant a post (say with a forged Origin header from a
script) for someone else to submit. The id in the URL is signed too (salted, MAX_AGE), and
the row is claimed by the first member who opens it in that browser; a post made while
signed in (stale token) is claimed by that member at once.
"""

import json
import secrets
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from fanfold.archive.models import PendingSubmission
from fanfold.lib.ratelimit import client_address, exceeded

SALT = "fanfold.archive.pending"
MAX_AGE = timedelta(days=3)
# A chapter's 500,000 characters fit several times over; bigger posts are not kept.
MAX_BYTES = 5 * 1024 * 1024
# Kept posts per address and hour: anonymous posts must not fill the database.
PER_ADDRESS = (30, 3600)
# The hidden field the pending page adds, so a successful resubmission removes the row.
TOKEN_FIELD = "_pending"
# The cookie that ties kept posts to the browser that made them.
BROWSER_COOKIE = "fanfold_pending"
_NOT_KEPT = {"csrfmiddlewaretoken", TOKEN_FIELD}

KEPT_MESSAGE = (
    "Your session had expired, so nothing was saved yet. What you wrote is kept safe: "
    "once you are logged in you can check it and send it again."
)
STALE_FORM_MESSAGE = (
    "The form had expired, so nothing was saved yet. What you wrote is below: "
    "check it and submit it again."
)
NOT_KEPT_MESSAGE = (
    "Your session had expired and what you sent was too large (or too frequent) to keep. "
    "Log in and try again."
)

_csrf = CsrfViewMiddleware(lambda request: HttpResponse())


def keep_when_signed_out(view):
    """Like login_required, but an anonymous post is kept for the author, not thrown away."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        rejected = _csrf.process_view(request, view, args, kwargs)
        if rejected is None and request.user.is_authenticated:
            response = view(request, *args, **kwargs)
            _forget_if_resubmitted(request, response)
            return response
        if request.method != "POST":
            return redirect_to_login(request.get_full_path())
        if rejected is not None and not _from_this_site(request):
            return rejected
        return _keep(request)

    return csrf_exempt(wrapper)


def _from_this_site(request: HttpRequest) -> bool:
    """The browser says the post came from one of this site's pages."""
    origin = request.META.get("HTTP_ORIGIN")
    if origin:
        own = f"{request.scheme}://{request.get_host()}"
        return origin == own or origin in settings.CSRF_TRUSTED_ORIGINS
    return request.META.get("HTTP_SEC_FETCH_SITE") == "same-origin"


def _keep(request: HttpRequest) -> HttpResponse:
    signed_in = request.user.is_authenticated
    data = {
        "fields": [
            [name, [value.replace("\x00", "") for value in request.POST.getlist(name)]]
            for name in request.POST
            if name not in _NOT_KEPT
        ],
        "files": [upload.name for name in request.FILES for upload in request.FILES.getlist(name)],
        "user": request.user.pk if signed_in else None,
        "browser": browser_id(request) or secrets.token_urlsafe(16),
    }
    too_big = len(json.dumps(data, ensure_ascii=False).encode()) > MAX_BYTES
    if too_big or exceeded("pending-post", client_address(request), *PER_ADDRESS):
        messages.error(request, NOT_KEPT_MESSAGE)
        return redirect_to_login(request.path)
    forget_stale()
    submission = PendingSubmission.objects.create(action_path=request.path, data=data)
    url = reverse("archive:pending_submission", args=[token_for(submission)])
    if signed_in:
        messages.warning(request, STALE_FORM_MESSAGE)
        response = redirect(url)
    else:
        messages.info(request, KEPT_MESSAGE)
        response = redirect_to_login(url)
    response.set_signed_cookie(
        BROWSER_COOKIE,
        data["browser"],
        salt=SALT,
        max_age=int(MAX_AGE.total_seconds()),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def browser_id(request: HttpRequest) -> str | None:
    """This browser's id for kept posts, if it ever had one."""
    return request.get_signed_cookie(BROWSER_COOKIE, default=None, salt=SALT)


def token_for(submission: PendingSubmission) -> str:
    return signing.dumps(submission.pk, salt=SALT)


def load(token: str, user, browser: str | None) -> PendingSubmission | None:
    """The kept post behind this token if it is fresh and this browser's and member's.

    The first member to open it in the browser that posted it claims it.
    """
    try:
        pk = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return None
    submission = PendingSubmission.objects.filter(
        pk=pk, created_at__gte=timezone.now() - MAX_AGE
    ).first()
    if submission is None or not browser or submission.data.get("browser") != browser:
        return None
    owner = submission.data.get("user")
    if owner is None:
        submission.data["user"] = user.pk
        submission.save(update_fields=["data"])
    elif owner != user.pk:
        return None
    return submission


def fields_of(submission: PendingSubmission) -> list[dict]:
    """Each kept value as the pending page shows it: long text in a box to copy from."""
    return [
        {
            "name": name,
            "label": name.replace("_", " ").replace("-", " ").strip().capitalize() or name,
            "value": value,
            "long": "\n" in value or len(value) > 120,
        }
        for name, values in submission.data.get("fields", [])
        for value in values
    ]


def forget_stale() -> None:
    """Rows older than MAX_AGE can no longer be opened; delete them when passing by."""
    PendingSubmission.objects.filter(created_at__lt=timezone.now() - MAX_AGE).delete()


def _forget_if_resubmitted(request: HttpRequest, response: HttpResponse) -> None:
    """A resubmission the view accepted (it redirects) no longer needs its kept copy."""
    token = request.POST.get(TOKEN_FIELD) if request.method == "POST" else None
    if token and response.status_code in (301, 302, 303):
        try:
            pk = signing.loads(token, salt=SALT, max_age=MAX_AGE)
        except signing.BadSignature:
            return
        PendingSubmission.objects.filter(pk=pk, data__user=request.user.pk).delete()
