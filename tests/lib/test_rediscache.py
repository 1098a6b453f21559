"""The Redis cache backend used when REDIS_URL is set, against the real Redis here."""

import threading
import uuid

import pytest

from fanfold.lib.rediscache import SharedRedisCache


@pytest.fixture
def cache(redis_url):
    backend = SharedRedisCache(redis_url, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    yield backend
    backend.delete_many(["page", "a", "b", "n"])


def test_behaves_like_a_django_cache(cache):
    cache.set("page", {"content": "“Stay,” she said… ’til dawn."}, 30)
    assert cache.get("page") == {"content": "“Stay,” she said… ’til dawn."}
    assert cache.add("a", 1) is True
    assert cache.add("a", 2) is False
    cache.set_many({"a": "x", "b": "y"})
    assert cache.get_many(["a", "b", "missing"]) == {"a": "x", "b": "y"}
    cache.delete("page")
    assert cache.get("page") is None


def test_one_client_is_shared_safely_between_threads(cache):
    cache.set("n", 0)

    def bump():
        for _ in range(200):
            cache.incr("n")

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.get("n") == 800
    assert cache._cache.get_client() is cache._cache.get_client()
