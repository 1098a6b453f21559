import os

import pytest
from hypothesis import settings as hypothesis_settings

from fanfold.archive import hits
from fanfold.archive.pagecache import local_pages

# A small hypothesis profile for CI; .ci/run sets HYPOTHESIS_PROFILE=ci.
hypothesis_settings.register_profile("ci", max_examples=25, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _isolated_archive(settings, tmp_path):
    """Each test gets an empty shared cache, explicit hit flushing and a fast hasher."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    settings.HITS_FLUSH_SECONDS = 0
    # Argon2 costs ~0.1 s a hash here; production settings keep it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    hits._pending.clear()
    local_pages.clear()
    yield
    hits._pending.clear()
    local_pages.clear()


@pytest.fixture
def redis_url() -> str:
    """The real Redis on this machine; tests that need it fail in CI when it is down."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis does not answer at {url}", pytrace=False)
        pytest.skip(f"Redis does not answer at {url}")
    return url
