"""Where a form sends the browser back to, without becoming an open redirect."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def back(request: HttpRequest, fallback: str) -> str:
    """The page the form came from (POST or GET `next`, this site only), else the fallback
    (a URL or a URL name, as `redirect` takes)."""
    target = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
