"""A real `fanfold worker` killed half-way through a fan-out, then restarted.

Every subscriber must end with exactly one delivery, and everyone who wants email exactly
one email at the real SMTP server; only a message the worker was sending at the moment
of the kill may arrive twice. Run on the database backend and on RQ with the real Redis.
One subscriber in six wants email, which keeps the run short (each email costs the
worker and the test's SMTP server tens of milliseconds here).

The worker is another process, so it needs a database it can see: PostgreSQL, or SQLite
in a file (FANFOLD_TEST_SQLITE_NAME). On an in-memory SQLite test database these tests
skip; CI runs them on its PostgreSQL pass.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from email.utils import parseaddr

import pytest
from django.db import connection

from fanfold.archive import actions
from fanfold.archive.models import Status
from fanfold.community.models import Delivery, Event
from tests.community.test_notifications import make_subscribers
from tests.factories import make_chapter, make_story, make_user

SUBSCRIBERS = 3_000
BATCH = 500
EMAILED_EVERY = 6
KILL_WITHIN_SECONDS = 120
FINISH_WITHIN_SECONDS = 300

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _shared_database():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("a worker process cannot see an in-memory SQLite test database")


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_env(tmp_path, mailbox, settings):
    """What a worker process needs to share this test's database and SMTP server."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        DATABASE_URL=_database_url(),
        EMAIL_URL=f"smtp://127.0.0.1:{settings.MAILERS['default']['OPTIONS']['port']}",
        FANFOLD_VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY=settings.SECRET_KEY,
        NOTIFICATION_BATCH_SIZE=str(BATCH),
        NOTIFICATION_SENDING_TIMEOUT="0",
        DATABASE_CONN_MAX_AGE="0",
    )
    return env


@pytest.fixture
def rq(redis_url, settings):
    """This process and its workers on RQ, in the test Redis database, emptied."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    settings.RQ_QUEUES = {"default": {"URL": redis_url}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    yield redis_url
    client.flushdb()


def _start(env: dict, log) -> subprocess.Popen:
    # Its own process group: killing it takes RQ's forked work horse along.
    return subprocess.Popen(
        [sys.executable, "-m", "fanfold", "worker", "--batch"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        process_group=0,
    )


def _kill_mid_fan_out(worker: subprocess.Popen, mailbox) -> None:
    """SIGKILL the worker once its first batch is in and some of its emails went out."""
    deadline = time.monotonic() + KILL_WITHIN_SECONDS
    while not (Delivery.objects.count() >= BATCH and len(mailbox.messages) >= 10):
        assert worker.poll() is None, "the worker exited before it could be killed"
        assert time.monotonic() < deadline, "the worker never got through its first batch"
        time.sleep(0.02)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)


def _run_to_the_end(env: dict, log) -> None:
    worker = _start(env, log)
    try:
        assert worker.wait(timeout=FINISH_WITHIN_SECONDS) == 0
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)


def _kill_and_restart(worker_env, mailbox, tmp_path) -> None:
    author = make_user("Author")
    story = make_story("The Long Road", authors=[author])
    subscribers = make_subscribers(SUBSCRIBERS, story=story, emailed_every=EMAILED_EVERY)
    actions.submit_chapter(make_chapter(story, "Two.", status=Status.DRAFT), author)
    event = Event.objects.get()

    with (tmp_path / "worker.log").open("w+") as log:
        _kill_mid_fan_out(_start(worker_env, log), mailbox)
        event.refresh_from_db()
        delivered_before = Delivery.objects.count()
        sending = Delivery.objects.filter(email="sending").count()
        assert not event.fanned_out and delivered_before < SUBSCRIBERS, "killed too late"
        assert sending <= 1
        sent_before = len(mailbox.messages)

        _run_to_the_end(worker_env, log)
        log.seek(0)
        output = log.read()

    assert set(Delivery.objects.values_list("recipient_id", flat=True)) == set(subscribers)
    assert Delivery.objects.count() == SUBSCRIBERS, output
    emailed = {f"sub{n}@example.test" for n in range(0, SUBSCRIBERS, EMAILED_EVERY)}
    states = Counter(Delivery.objects.values_list("email", flat=True))
    assert states == {"sent": len(emailed), "none": SUBSCRIBERS - len(emailed)}, output
    received = Counter(parseaddr(message["To"])[1] for message in mailbox.messages)
    assert set(received) == emailed
    twice = [address for address, count in received.items() if count > 1]
    assert len(twice) <= sending, f"sent twice: {twice}"
    assert sent_before < len(mailbox.messages), "the restart sent nothing"


def test_database_backend_worker_killed_mid_fan_out(worker_env, mailbox, tmp_path):
    from django_tasks_db.models import DBTaskResult

    _kill_and_restart(worker_env, mailbox, tmp_path)
    # The killed task stays RUNNING forever (never reclaimed); the rest finished. (Each
    # start re-enqueues unfinished events, so a task may find its work already done.)
    statuses = Counter(DBTaskResult.objects.values_list("status", flat=True))
    assert statuses["RUNNING"] == 1 and set(statuses) == {"RUNNING", "SUCCESSFUL"}


def test_rq_worker_killed_mid_fan_out(worker_env, rq, mailbox, tmp_path):
    import redis

    _kill_and_restart({**worker_env, "REDIS_URL": rq}, mailbox, tmp_path)
    assert redis.Redis.from_url(rq).keys("rq:job:*"), "the tasks did not go through RQ"
