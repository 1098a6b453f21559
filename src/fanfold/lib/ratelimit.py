"""Fixed-window rate limits kept in the shared cache, so every process counts together."""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def exceeded(scope: str, identity: str, limit: int, window: int) -> bool:
    """Count one attempt for identity in scope; True when it is past `limit` per `window` s.

    Identities (addresses, pen names) are hashed so the cache holds no personal data.
    RATELIMIT_ENABLE=false switches every limit off (load tests, automated checks).
    """
    if not settings.RATELIMIT_ENABLE:
        return False
    bucket = int(time.time() // window)
    digest = hashlib.blake2b(identity.encode(), digest_size=12).hexdigest()
    key = f"rl:{scope}:{digest}:{bucket}"
    if cache.add(key, 1, window):
        return limit < 1
    try:
        return cache.incr(key) > limit
    except ValueError:  # the window ended between add and incr
        cache.add(key, 1, window)
        return False


def client_address(request) -> str:
    """The visitor's address: REMOTE_ADDR, which a trusted proxy must set correctly."""
    return request.META.get("REMOTE_ADDR", "")
