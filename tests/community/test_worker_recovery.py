"""A worker starting takes back only deliveries stuck in "sending" for longer than the
timeout: never one a live worker is sending, always one a killed worker left.

In-process tests drive `resume_unfinished` and `release_stuck` directly. The process tests
run real `fanfold worker` processes against a real SMTP server that holds the first message
until the test lets it go, so a delivery is "sending" for as long as the test needs: a
second worker starts meanwhile (and must not send it too), or the first is killed (and
the message goes out again only once the timeout has passed). Like test_worker.py, they
need a database another process can see, and run on the database backend and on RQ.
"""

import asyncio
import email
import os
import signal
import socket
import threading
import time
from collections import Counter
from datetime import timedelta
from email import policy
from email.utils import parseaddr

import pytest
from django.conf import settings
from django.utils import timezone

from fanfold.archive import actions
from fanfold.archive.models import Status
from fanfold.community import notify
from fanfold.community.models import Delivery, Subscription
from fanfold.community.tasks import deliver, release_stuck
from fanfold.community.tasks import resume_unfinished as worker_starts
from tests.community.test_notifications import make_subscribers, member, tasks_enqueued
from tests.community.test_worker import (
    _database_url,
    _start,
    rq,  # noqa: F401 (fixture)
)
from tests.factories import make_chapter, make_story, make_user

SUBSCRIBERS = 5
WAIT_SECONDS = 120


def named(enqueued, task) -> list:
    return [result for result in enqueued if result.task.name == task.name]


def run(enqueued) -> None:
    """Run enqueued tasks in-process, as a worker would, and what they enqueue in turn."""
    while enqueued:
        result = enqueued.pop(0)
        with tasks_enqueued() as more:
            result.task.call(*result.args)
        enqueued.extend(more)


# In-process --------------------------------------------------------------------------------


@pytest.mark.django_db
class TestStartingWorker:
    @pytest.fixture
    def half_sent(self, mailbox):
        """An event whose first delivery a worker claimed and is (or was) sending."""
        story = make_story("The Long Road", authors=[member("Author")])
        for name in ("First", "Second", "Third"):
            Subscription.objects.create(user=member(name), story=story)
        event = notify.chapter_published(make_chapter(story, "Two."))
        deliver.call(event.pk)
        mailbox.messages.clear()
        first = event.deliveries.order_by("pk").first()
        Delivery.objects.filter(pk=first.pk).update(email="sending")
        Delivery.objects.exclude(pk=first.pk).update(email="queued")
        return event, first

    def test_leaves_a_delivery_being_sent_to_its_worker(self, half_sent, mailbox):
        event, first = half_sent
        with tasks_enqueued() as enqueued:
            assert worker_starts() == 1
        [release] = named(enqueued, release_stuck)
        assert release.args == [[first.pk]]
        expected = timezone.now() + timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT)
        assert abs(release.task.run_after - expected) < timedelta(seconds=30)

        run(named(enqueued, deliver))  # the starting worker's own work
        assert Delivery.objects.get(pk=first.pk).email == "sending"
        assert sorted(parseaddr(m["To"])[1] for m in mailbox.messages) == [
            "second@example.test",
            "third@example.test",
        ]

        # The live worker finishes; when the timeout comes, there is nothing to take back.
        Delivery.objects.filter(pk=first.pk).update(email="sent")
        with tasks_enqueued() as more:
            release_stuck.call(*release.args)
        assert more == [] and Delivery.objects.get(pk=first.pk).email == "sent"
        assert len(mailbox.messages) == 2

    def test_sends_again_what_is_still_sending_after_the_timeout(self, half_sent, mailbox):
        event, first = half_sent
        with tasks_enqueued() as enqueued:
            worker_starts()
        [release] = named(enqueued, release_stuck)
        run(named(enqueued, deliver))
        with tasks_enqueued() as more:
            release_stuck.call(*release.args)  # as the worker runs it, the timeout later
        assert [result.args for result in more] == [[event.pk]]
        run(more)
        assert Delivery.objects.get(pk=first.pk).email == "sent"
        addresses = Counter(parseaddr(m["To"])[1] for m in mailbox.messages)
        assert addresses == {f"{n}@example.test": 1 for n in ("first", "second", "third")}

    def test_a_zero_timeout_takes_them_back_as_the_worker_starts(
        self, half_sent, settings, mailbox
    ):
        """For a lone worker (and the kill tests in test_worker.py)."""
        settings.NOTIFICATION_SENDING_TIMEOUT = 0
        event, first = half_sent
        with tasks_enqueued() as enqueued:
            assert worker_starts() == 1
        assert named(enqueued, release_stuck) == []
        assert Delivery.objects.get(pk=first.pk).email == "queued"
        run(enqueued)
        assert len(mailbox.messages) == 3
        assert set(event.deliveries.values_list("email", flat=True)) == {"sent"}

    def test_nothing_sending_enqueues_no_release(self, half_sent):
        Delivery.objects.update(email="sent")
        with tasks_enqueued() as enqueued:
            assert worker_starts() == 0
        assert enqueued == []


# Real worker processes ----------------------------------------------------------------------


class HoldingMailbox:
    """A real SMTP server (aiosmtpd) that holds the first message until `let_go()`: its
    sender's delivery stays "sending" meanwhile."""

    def __init__(self):
        self.messages = []
        self.holding = threading.Event()
        self._released = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if not self.holding.is_set():
            self.holding.set()
            while not self._released.is_set():
                await asyncio.sleep(0.02)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def let_go(self) -> None:
        self._released.set()

    def received(self) -> Counter:
        return Counter(parseaddr(message["To"])[1] for message in self.messages)


@pytest.fixture
def holding_mailbox():
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = HoldingMailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.port = port
    try:
        yield box
    finally:
        box.let_go()
        controller.stop()


@pytest.fixture
def env(holding_mailbox, settings, tmp_path):
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("a worker process cannot see an in-memory SQLite test database")
    variables = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    variables.update(
        DATABASE_URL=_database_url(),
        # Longer than the test holds a message, so the held send never times out.
        EMAIL_URL=f"smtp://127.0.0.1:{holding_mailbox.port}?timeout={WAIT_SECONDS}",
        FANFOLD_VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY=settings.SECRET_KEY,
        DATABASE_CONN_MAX_AGE="0",
    )
    return variables


def _publish_to_subscribers() -> set[str]:
    author = make_user("Author")
    story = make_story("The Long Road", authors=[author])
    make_subscribers(SUBSCRIBERS, story=story)
    actions.submit_chapter(make_chapter(story, "Two.", status=Status.DRAFT), author)
    return {f"sub{n}@example.test" for n in range(SUBSCRIBERS)}


def _wait_until_holding(worker, box) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not (box.holding.is_set() and Delivery.objects.filter(email="sending").exists()):
        assert worker.poll() is None, "the worker exited before sending"
        assert time.monotonic() < deadline, "the worker never started sending"
        time.sleep(0.05)


def _finish(worker) -> None:
    try:
        assert worker.wait(timeout=WAIT_SECONDS) == 0
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)


def _let_the_timeout_pass(redis_url: str | None) -> None:
    """Make the delayed `release_stuck` due now, as if the timeout had passed."""
    if redis_url is None:
        from django_tasks_db.models import DBTaskResult

        delayed = DBTaskResult.objects.filter(task_path__endswith="release_stuck", status="READY")
        assert delayed.update(run_after=timezone.now()) >= 1
        return
    import django_rq
    from django_tasks_rq import Job

    queue = django_rq.get_queue("default", job_class=Job)
    registry = queue.scheduled_job_registry
    job_ids = registry.get_job_ids()
    assert job_ids, "no delayed release was scheduled"
    for job_id in job_ids:
        job = queue.fetch_job(job_id)
        registry.remove(job)
        queue.enqueue_job(job)


def _second_worker_starts_mid_send(env, box, tmp_path) -> None:
    emailed = _publish_to_subscribers()
    with (tmp_path / "workers.log").open("w+") as log:
        first = _start(env, log)
        try:
            _wait_until_holding(first, box)
            _finish(_start(env, log))  # the second worker does its part and exits
            held = Delivery.objects.get(email="sending")  # left to the live worker
            box.let_go()
        finally:
            box.let_go()
            _finish(first)
        log.seek(0)
        output = log.read()
    assert box.received() == dict.fromkeys(emailed, 1), output
    assert Delivery.objects.get(pk=held.pk).email == "sent"
    assert set(Delivery.objects.values_list("email", flat=True)) == {"sent"}


def _killed_worker_then_timeout(env, box, tmp_path, redis_url=None) -> None:
    emailed = _publish_to_subscribers()
    with (tmp_path / "workers.log").open("w+") as log:
        first = _start(env, log)
        _wait_until_holding(first, box)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        held = Delivery.objects.get(email="sending")

        _finish(_start(env, log))  # restarted at once: the claim is too young to take
        assert Delivery.objects.get(pk=held.pk).email == "sending"
        assert set(Delivery.objects.exclude(pk=held.pk).values_list("email", flat=True)) == {"sent"}

        box.let_go()  # the server had the message: it may arrive once more below
        _let_the_timeout_pass(redis_url)
        _finish(_start(env, log))
        log.seek(0)
        output = log.read()
    assert Delivery.objects.get(pk=held.pk).email == "sent", output
    received = box.received()
    assert set(received) == emailed
    twice = {address for address, count in received.items() if count > 1}
    assert twice <= {held.recipient.email}, f"sent twice: {twice}"


@pytest.mark.django_db(transaction=True)
class TestWorkerProcesses:
    def test_database_backend_second_worker_leaves_the_live_send(
        self, env, holding_mailbox, tmp_path
    ):
        _second_worker_starts_mid_send(env, holding_mailbox, tmp_path)

    def test_rq_second_worker_leaves_the_live_send(self, env, rq, holding_mailbox, tmp_path):  # noqa: F811
        _second_worker_starts_mid_send({**env, "REDIS_URL": rq}, holding_mailbox, tmp_path)

    def test_database_backend_killed_send_goes_again_after_the_timeout(
        self, env, holding_mailbox, tmp_path
    ):
        _killed_worker_then_timeout(env, holding_mailbox, tmp_path)

    def test_rq_killed_send_goes_again_after_the_timeout(
        self,
        env,
        rq,  # noqa: F811
        holding_mailbox,
        tmp_path,
    ):
        _killed_worker_then_timeout({**env, "REDIS_URL": rq}, holding_mailbox, tmp_path, rq)
