import os

import pytest
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings

from fanfold.archive import hits
from fanfold.archive.pagecache import local_pages
from fanfold.core.models import _CACHE_KEY as ARCHIVE_SETTINGS_CACHE_KEY
from fanfold.core.models import ArchiveSettings

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
    # Pages read the archive settings through a long-lived cache; start each test as a
    # warm process would, so query counts measure the page, not the first cache fill.
    cache.set(ARCHIVE_SETTINGS_CACHE_KEY, ArchiveSettings(pk=1), None)
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


class _Mailbox:
    """What a real local SMTP server received, as parsed email messages."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        import email
        from email import policy

        message = email.message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def bodies(self) -> list[str]:
        return [m.get_body(preferencelist=("plain",)).get_content() for m in self.messages]

    def wait_for(self, count: int = 1, timeout: float = 10.0):
        import time

        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.messages) >= count, f"expected {count} emails, got {len(self.messages)}"
        return self.messages


@pytest.fixture
def mailbox(settings):
    """A real SMTP server (aiosmtpd) on a free local port; the archive's mail goes to it."""
    import socket

    from aiosmtpd.controller import Controller

    from fanfold.lib.env import mailers_from_url

    # Controller(port=0) does not report the port it bound, so pick a free one first.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = _Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = mailers_from_url(f"smtp://127.0.0.1:{port}", "")
    try:
        yield box
    finally:
        controller.stop()
