"""Versioned keys for the shared page cache.

A cached page's key contains the current version token of every scope it depends on;
bumping a scope makes all its pages unreachable at once, in every process, without
finding or deleting them. Scopes: "site" (everything), "listings" (front page and
browse pages), "story:<id>" (one story's index, chapters and full view) and "mutes:<id>"
(what one member muted: their own listings). `remember` keeps computed values the same way.
"""

import hashlib
import uuid
from functools import partial

from django.core.cache import cache
from django.db import transaction

_PREFIX = "pc:"


def _version_key(scope: str) -> str:
    return f"{_PREFIX}v:{scope}"


def versions(scopes: list[str]) -> list[str]:
    """Current version tokens; a missing one is created (never reused after eviction)."""
    keys = [_version_key(scope) for scope in scopes]
    found = cache.get_many(keys)
    tokens = []
    for key in keys:
        token = found.get(key)
        if token is None:
            cache.add(key, uuid.uuid4().hex[:12], None)
            token = cache.get(key)
        tokens.append(token)
    return tokens


def bump(*scopes: str) -> None:
    """Invalidate every cached page and value that depends on one of these scopes.

    Inside a transaction, again once it commits: a request served between the first bump
    and the commit still read the old rows, and would have cached them as current.
    """
    _new_versions(scopes)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(partial(_new_versions, scopes))


def _new_versions(scopes) -> None:
    cache.set_many({_version_key(scope): uuid.uuid4().hex[:12] for scope in scopes}, None)


def remember(name: str, parts: list[str], scopes: list[str], compute, seconds: int):
    """compute(), kept `seconds` under a key of these parts and the scopes' versions: a
    value that stays right until one of the scopes is bumped. Never cached at 0."""
    if not seconds:
        return compute()
    raw = "|".join([name, *parts, *versions(scopes)])
    key = _PREFIX + "r:" + hashlib.blake2b(raw.encode(), digest_size=20).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


def page_key(path: str, query: str, variant: str, scopes: list[str]) -> str:
    raw = "|".join([path, query, variant, *versions(scopes)])
    return _PREFIX + "p:" + hashlib.blake2b(raw.encode(), digest_size=20).hexdigest()


def etag_for(content: bytes) -> str:
    return '"' + hashlib.blake2b(content, digest_size=12).hexdigest() + '"'
