"""The anonymous page cache: the read path's answer to "ten times eFiction".

Visitors without a session cookie get pages from the shared cache, before sessions,
authentication and CSRF run. Views opt in with `cacheable(response, story_id=…)`; the
age-consent cookie is the only thing besides the URL that varies a cached page. Changes
invalidate precisely through version scopes (fanfold.lib.pagecache).
"""

import re

from django.conf import settings
from django.core.cache import cache
from django.core.signing import BadSignature
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified

from fanfold.archive import hits
from fanfold.lib import pagecache

_STORY_PATH = re.compile(r"^/stories/(\d+)[-/]")
CONSENT_SALT = "fanfold.consent"


def has_consent(request: HttpRequest) -> bool:
    try:
        return request.get_signed_cookie(settings.CONSENT_COOKIE_NAME, salt=CONSENT_SALT) == "yes"
    except (KeyError, BadSignature):
        return False


def scopes_for(path: str) -> list[str]:
    match = _STORY_PATH.match(path)
    if match:
        return ["site", f"story:{int(match.group(1))}"]
    return ["site", "listings"]


def cacheable(response: HttpResponse, *, story_id: int | None = None) -> HttpResponse:
    """Mark a response as safe to serve to every anonymous visitor; count hits on story_id."""
    response.fanfold_cacheable = True
    response.fanfold_hit_story = story_id
    return response


def story_changed(story_id: int) -> None:
    pagecache.bump(f"story:{story_id}", "listings")


def listings_changed() -> None:
    pagecache.bump("listings")


def everything_changed() -> None:
    pagecache.bump("site")


def _is_anonymous(request: HttpRequest) -> bool:
    return settings.SESSION_COOKIE_NAME not in request.COOKIES


def _serve(request: HttpRequest, entry: dict) -> HttpResponse:
    if request.META.get("HTTP_IF_NONE_MATCH") == entry["etag"]:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(entry["content"], content_type=entry["content_type"])
    response["ETag"] = entry["etag"]
    response["Vary"] = "Cookie"
    response["Cache-Control"] = "no-cache"
    response["X-Page-Cache"] = "hit"
    return response


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method not in ("GET", "HEAD")
            or not settings.PAGE_CACHE_SECONDS
            or not _is_anonymous(request)
        ):
            return self.get_response(request)

        variant = "consent" if has_consent(request) else "-"
        key = pagecache.page_key(
            request.path, request.META.get("QUERY_STRING", ""), variant, scopes_for(request.path)
        )
        entry = cache.get(key)
        if entry is not None:
            if entry["hit_story"]:
                hits.record(entry["hit_story"])
            return _serve(request, entry)

        response = self.get_response(request)
        if (
            getattr(response, "fanfold_cacheable", False)
            and response.status_code == 200
            and not response.cookies
            and not response.streaming
        ):
            entry = {
                "content": response.content,
                "content_type": response["Content-Type"],
                "etag": pagecache.etag_for(response.content),
                "hit_story": response.fanfold_hit_story,
            }
            cache.set(key, entry, settings.PAGE_CACHE_SECONDS)
            response["ETag"] = entry["etag"]
            response["Vary"] = "Cookie"
            response["Cache-Control"] = "no-cache"
            response["X-Page-Cache"] = "miss"
        return response
