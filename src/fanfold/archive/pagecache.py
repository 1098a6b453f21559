"""The anonymous page cache: the read path's answer to "ten times eFiction".

Visitors without a session cookie get pages from the shared cache, before sessions,
authentication and CSRF run. Views opt in with `cacheable(response, story_id=…)`; the
age-consent cookie is the only thing besides the URL that varies a cached page. Changes
invalidate precisely through version scopes (fanfold.lib.pagecache).
"""

import re
import threading
import time
from collections import OrderedDict

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


def mutes_changed(user_id: int) -> None:
    """What this member sees listed changed (their own uncached listings' facet counts)."""
    pagecache.bump(f"mutes:{user_id}")


def everything_changed() -> None:
    pagecache.bump("site")


class _LocalPages:
    """This process's most recently served pages, in front of the shared cache.

    Safe without any invalidation of its own: keys contain the current version tokens read
    from the shared cache on every request, so a bumped scope makes old entries unreachable
    here exactly as in the shared cache. Bounded by bytes, least recently used out first,
    and by PAGE_CACHE_SECONDS like the shared entries.
    """

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[float, dict]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> dict | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            expires, entry = found
            if expires < time.monotonic():
                del self._entries[key]
                self._bytes -= len(entry["content"])
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: dict) -> None:
        limit = settings.PAGE_CACHE_LOCAL_BYTES
        size = len(entry["content"])
        if size > limit:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = (time.monotonic() + settings.PAGE_CACHE_SECONDS, entry)
            self._bytes += size
            while self._bytes > limit:
                _, (_, old) = self._entries.popitem(last=False)
                self._bytes -= len(old["content"])

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


local_pages = _LocalPages()


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
        entry = local_pages.get(key)
        if entry is None:
            entry = cache.get(key)
            if entry is not None:
                local_pages.put(key, entry)
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
            local_pages.put(key, entry)
            response["ETag"] = entry["etag"]
            response["Vary"] = "Cookie"
            response["Cache-Control"] = "no-cache"
            response["X-Page-Cache"] = "miss"
        return response
