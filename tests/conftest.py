import pytest

from fanfold.archive import hits


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
    yield
    hits._pending.clear()
