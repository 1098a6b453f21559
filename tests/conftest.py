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
