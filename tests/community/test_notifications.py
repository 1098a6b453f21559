"""Notifications: what is recorded in the request, who the worker tells, and the emails.

The task runs in-process here (`deliver.call`); tests/community/test_worker.py runs and
kills real worker processes.
"""

from contextlib import contextmanager
from email.utils import parseaddr

import pytest
from django.contrib.auth.hashers import make_password
from django.tasks import signals as task_signals

from fanfold.accounts.models import Preferences, User
from fanfold.archive import actions
from fanfold.archive.models import Status, StoryAuthor
from fanfold.community import notify
from fanfold.community.models import Delivery, Event, Review, Subscription
from fanfold.community.tasks import deliver, resume_unfinished
from tests.archive.authoring_support import chapter_data
from tests.factories import make_chapter, make_series, make_story, make_user
from tests.hostile import HOSTILE, executable_parts

pytestmark = pytest.mark.django_db

UNUSABLE = make_password(None)


def make_subscribers(
    count: int, prefix: str = "sub", *, emailed_every: int = 1, **target
) -> list[int]:
    """`count` members with addresses (no profiles: bulk and fast), subscribed to target.

    Only every `emailed_every`-th has a confirmed address (the others get no email).
    """
    users = User.objects.bulk_create(
        User(
            username=f"{prefix}{n}",
            email=f"{prefix}{n}@example.test",
            email_confirmed=n % emailed_every == 0,
            password=UNUSABLE,
        )
        for n in range(count)
    )
    ids = list(
        User.objects.filter(username__startswith=prefix).order_by("pk").values_list("pk", flat=True)
    )
    assert len(ids) == len(users)
    Subscription.objects.bulk_create(Subscription(user_id=pk, **target) for pk in ids)
    return ids


@contextmanager
def tasks_enqueued():
    """The tasks enqueued inside the block, as their results."""
    enqueued = []

    def record(sender, task_result, **kwargs):
        enqueued.append(task_result)

    task_signals.task_enqueued.connect(record)
    try:
        yield enqueued
    finally:
        task_signals.task_enqueued.disconnect(record)


def recipients(event: Event) -> set[int]:
    return set(event.deliveries.values_list("recipient_id", flat=True))


def member(pen_name: str, **preferences) -> User:
    user = make_user(pen_name, email=f"{pen_name.lower().replace(' ', '.')}@example.test")
    if preferences:
        user.profile.save_preferences(Preferences(**preferences))
    return user


@pytest.fixture
def story():
    return make_story("The Long Road", authors=[member("Author")], chapters=1)


# Recording in the request ---------------------------------------------------------------


class TestRecording:
    def test_publishing_a_chapter_records_one_event_and_enqueues_one_task(
        self, story, django_capture_on_commit_callbacks
    ):
        make_subscribers(3, story=story)
        chapter = make_chapter(story, "More words.", status=Status.DRAFT)
        with tasks_enqueued() as enqueued, django_capture_on_commit_callbacks(execute=True):
            actions.submit_chapter(chapter, story.authors.get())
        event = Event.objects.get()
        assert (event.kind, event.story_id, event.chapter_id) == (
            "new_chapter",
            story.pk,
            chapter.pk,
        )
        assert [result.args for result in enqueued] == [[event.pk]]
        assert not Delivery.objects.exists(), "the request must not fan out"

    def test_nothing_is_enqueued_before_the_commit_or_after_a_rollback(
        self, story, django_capture_on_commit_callbacks
    ):
        make_subscribers(2, story=story)
        chapter = make_chapter(story, "More.", status=Status.DRAFT)
        with tasks_enqueued() as enqueued:
            with django_capture_on_commit_callbacks() as callbacks:
                actions.submit_chapter(chapter, story.authors.get())
            assert enqueued == []  # waiting for the commit; a rollback drops it
            with django_capture_on_commit_callbacks(execute=True):
                for callback in callbacks:  # the commit
                    callback()
            assert len(enqueued) == 1

    def test_a_story_without_subscribers_records_nothing(
        self, story, django_capture_on_commit_callbacks
    ):
        chapter = make_chapter(story, "More.", status=Status.DRAFT)
        with tasks_enqueued() as enqueued, django_capture_on_commit_callbacks(execute=True):
            actions.submit_chapter(chapter, story.authors.get())
        assert not Event.objects.exists() and enqueued == []

    def test_a_new_story_is_told_to_its_authors_and_series_subscribers(
        self, django_capture_on_commit_callbacks
    ):
        author = member("Author")
        series = make_series(author, "Saga")
        author_fans = make_subscribers(2, "fan", author=author)
        series_fans = make_subscribers(2, "saga", series=series)
        draft = make_story(
            "Fresh", authors=[author], chapters=0, status=Status.DRAFT, published_at=None
        )
        series.items.create(story=draft, position=1)
        chapter = make_chapter(draft, "Once upon a time.", status=Status.DRAFT)
        with django_capture_on_commit_callbacks(execute=True):
            actions.submit_chapter(chapter, author)
        event = Event.objects.get()
        assert (event.kind, event.story_id, event.actor_id) == ("new_story", draft.pk, author.pk)
        deliver.call(event.pk)
        assert recipients(event) == {*author_fans, *series_fans}

    def test_a_chapter_waiting_for_validation_tells_nobody_until_approved(self, story):
        from fanfold.core.models import ArchiveSettings

        make_subscribers(1, story=story)
        settings = ArchiveSettings.current()
        settings.validate_submissions = True
        settings.save()
        chapter = make_chapter(story, "Pending.", status=Status.DRAFT)
        assert actions.submit_chapter(chapter, story.authors.get()) == Status.PENDING
        assert not Event.objects.exists()
        actions.publish_chapter(chapter)  # what a moderator's approval does
        assert Event.objects.get().chapter_id == chapter.pk

    def test_a_hidden_story_tells_nobody(self, story):
        make_subscribers(1, story=story)
        story.status = Status.HIDDEN
        story.save()
        actions.publish_chapter(make_chapter(story, "Hidden.", status=Status.DRAFT))
        assert not Event.objects.exists()


def test_the_authors_request_is_bounded_with_10000_subscribers(
    client, story, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    """Publishing returns at once: no more queries for 10,000 subscribers than for one,
    and one task enqueued."""
    author = story.authors.get()
    client.force_login(author)
    make_subscribers(1, "first", story=story)
    with (
        django_assert_max_num_queries(60) as few,
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(f"/my/stories/{story.pk}/chapters/new/", chapter_data(action="post"))

    make_subscribers(10_000, story=story)
    with (
        tasks_enqueued() as enqueued,
        django_assert_max_num_queries(len(few.captured_queries)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            f"/my/stories/{story.pk}/chapters/new/", chapter_data(title="Three", action="post")
        )
    assert response.status_code == 302
    assert len(enqueued) == 1
    assert not Delivery.objects.filter(event=Event.objects.latest("pk")).exists()


# Who hears of what ----------------------------------------------------------------------


class TestRecipients:
    def test_a_new_chapter_reaches_subscribers_but_never_the_authors(self, story):
        author = story.authors.get()
        coauthor = member("Coauthor")
        StoryAuthor.objects.create(story=story, user=coauthor, position=1)
        fans = make_subscribers(3, story=story)
        Subscription.objects.create(user=coauthor, story=story)
        other_story = make_story("Other", authors=[author])
        make_subscribers(2, "elsewhere", story=other_story)
        make_subscribers(1, "gone", story=story)
        User.objects.filter(username="gone0").update(is_active=False)

        event = notify.chapter_published(make_chapter(story, "Two."))
        deliver.call(event.pk)
        assert recipients(event) == set(fans)

    def test_a_review_reaches_the_storys_authors_never_the_reviewer(self, story):
        author = story.authors.get()
        coauthor = member("Coauthor")
        StoryAuthor.objects.create(story=story, user=coauthor, position=1)
        review = Review.objects.create(story=story, reviewer=coauthor, text="<p>Self</p>")
        event = notify.review_posted(review)
        deliver.call(event.pk)
        assert recipients(event) == {author.pk}

    def test_a_held_review_tells_nobody(self, story):
        review = Review.objects.create(
            story=story, reviewer_name="Guest", text="<p>x</p>", status=Review.Status.PENDING
        )
        assert notify.review_posted(review) is None

    def test_a_series_review_reaches_the_series_owner(self):
        owner = member("Owner")
        series = make_series(owner, "Saga")
        review = Review.objects.create(series=series, reviewer=member("Reader"), text="<p>x</p>")
        event = notify.review_posted(review)
        deliver.call(event.pk)
        assert recipients(event) == {owner.pk}

    def test_a_response_reaches_the_reviewer(self, story):
        reader = member("Reader")
        review = Review.objects.create(story=story, reviewer=reader, text="<p>x</p>")
        review.response, review.responded_by = "<p>Thanks</p>", story.authors.get()
        review.save()
        event = notify.review_responded(review)
        deliver.call(event.pk)
        assert recipients(event) == {reader.pk}

    def test_a_reply_reaches_everyone_in_the_thread_but_its_writer(self, story):
        author, reader, second, third = (
            story.authors.get(), member("Reader"), member("Second"), member("Third")
        )  # fmt: skip
        review = Review.objects.create(
            story=story, reviewer=reader, text="<p>x</p>", response="<p>y</p>", responded_by=author
        )
        Review.objects.create(story=story, parent=review, reviewer=second, text="<p>me too</p>")
        Review.objects.create(story=story, reviewer=member("Elsewhere"), text="<p>other</p>")
        reply = Review.objects.create(story=story, parent=review, reviewer=third, text="<p>!</p>")
        event = notify.review_replied(reply)
        deliver.call(event.pk)
        assert recipients(event) == {reader.pk, second.pk, author.pk}


# Fan-out and email ------------------------------------------------------------------------


class TestDelivery:
    def test_every_subscriber_gets_one_delivery_and_one_email(self, story, mailbox, settings):
        settings.NOTIFICATION_BATCH_SIZE = 4  # several batches and SMTP connections
        fans = make_subscribers(10, story=story)
        event = notify.chapter_published(make_chapter(story, "Two."))
        deliver.call(event.pk)

        assert recipients(event) == set(fans)
        assert set(event.deliveries.values_list("email", flat=True)) == {"sent"}
        addresses = [parseaddr(m["To"])[1] for m in mailbox.messages]
        assert sorted(addresses) == sorted(f"sub{n}@example.test" for n in range(10))
        assert Event.objects.get().fanned_out

    def test_running_again_sends_nothing_twice(self, story, mailbox, settings):
        settings.NOTIFICATION_BATCH_SIZE = 3
        make_subscribers(7, story=story)
        event = notify.chapter_published(make_chapter(story, "Two."))
        deliver.call(event.pk)
        Event.objects.filter(pk=event.pk).update(fanned_out=False)  # as if killed at the end
        deliver.call(event.pk)
        assert event.deliveries.count() == 7
        assert len(mailbox.messages) == 7

    def test_a_delivery_another_worker_claimed_is_left_to_it(self, story, mailbox):
        make_subscribers(2, story=story)
        event = notify.chapter_published(make_chapter(story, "Two."))
        deliver.call(event.pk)
        first = event.deliveries.order_by("pk").first()
        Delivery.objects.filter(pk=first.pk).update(email="sending")
        deliver.call(event.pk)
        assert len(mailbox.messages) == 2

    def test_restart_requeues_half_sent_deliveries_and_unfinished_events(
        self, story, mailbox, django_capture_on_commit_callbacks, settings
    ):
        settings.NOTIFICATION_SENDING_TIMEOUT = 0
        make_subscribers(3, story=story)
        with django_capture_on_commit_callbacks(execute=True):
            event = notify.chapter_published(make_chapter(story, "Two."))
        deliver.call(event.pk)
        Delivery.objects.filter(pk=event.deliveries.earliest("pk").pk).update(email="sending")
        unfinished = notify.chapter_published(make_chapter(story, "Three."))

        with tasks_enqueued() as enqueued:
            assert resume_unfinished() == 2
        assert sorted(result.args[0] for result in enqueued) == [event.pk, unfinished.pk]
        for result in enqueued:
            deliver.call(*result.args)
        # The half-sent one goes again: the one duplicate allowed.
        assert len(mailbox.messages) == 3 + 1 + 3
        assert set(Delivery.objects.values_list("email", flat=True)) == {"sent"}

    def test_switches_decide_email_and_the_inbox_gets_everything(self, story, mailbox):
        wants = member("Wants")
        declines = member("Declines", notify_subscriptions=False)
        unconfirmed = member("Unconfirmed")
        User.objects.filter(pk=unconfirmed.pk).update(email_confirmed=False)
        no_address = make_user("No Address")
        for user in (wants, declines, unconfirmed, no_address):
            Subscription.objects.create(user=user, story=story)
        event = notify.chapter_published(make_chapter(story, "Two."))
        deliver.call(event.pk)

        states = dict(event.deliveries.values_list("recipient_id", "email"))
        assert states == {
            wants.pk: "sent", declines.pk: "none", unconfirmed.pk: "none", no_address.pk: "none"
        }  # fmt: skip
        assert [m["To"] for m in mailbox.messages] == [wants.email]

    def test_review_switch(self, story, mailbox):
        author = story.authors.get()
        author.profile.save_preferences(Preferences(notify_review=False))
        review = Review.objects.create(story=story, reviewer=member("Reader"), text="<p>x</p>")
        event = notify.review_posted(review)
        deliver.call(event.pk)
        assert event.deliveries.get().email == "none"
        assert mailbox.messages == []

    def test_a_mail_server_that_does_not_answer_keeps_emails_queued_and_retries(
        self, story, settings
    ):
        from fanfold.lib.env import mailers_from_url

        settings.MAILERS = mailers_from_url("smtp://127.0.0.1:9?timeout=2", "")  # nobody there
        make_subscribers(2, story=story)
        event = notify.chapter_published(make_chapter(story, "Two."))
        with tasks_enqueued() as enqueued:
            deliver.call(event.pk)
        assert set(event.deliveries.values_list("email", flat=True)) == {"queued"}
        [retry] = enqueued
        assert retry.args == [event.pk] and retry.task.run_after is not None

    def test_the_email_names_the_chapter_links_to_it_and_offers_one_click_unsubscribe(
        self, story, mailbox, settings
    ):
        settings.SITE_URL = "https://archive.example"
        reader = member("Reader")
        Subscription.objects.create(user=reader, story=story)
        chapter = make_chapter(story, "Two.", title="The Ford")
        deliver.call(notify.chapter_published(chapter).pk)

        [message] = mailbox.messages
        assert message["Subject"] == "New chapter of The Long Road: The Ford · Fanfold"
        body = message.get_body(preferencelist=("plain",)).get_content()
        assert "Hello Reader," in body
        assert f"https://archive.example/stories/{story.pk}/chapters/2/" in body
        unsubscribe = message["List-Unsubscribe"].strip("<>")
        assert unsubscribe.startswith("https://archive.example/unsubscribe/")
        assert unsubscribe in body
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_hostile_titles_stay_text_in_emails_and_the_inbox(client, mailbox):
    reader = member("Reader")
    for n, text in enumerate(HOSTILE):
        story = make_story(text, authors=[member(f"Author {n}")])
        Subscription.objects.create(user=reader, story=story)
        deliver.call(notify.chapter_published(make_chapter(story, "x", title=text)).pk)

    assert len(mailbox.messages) == len(HOSTILE)
    for message, text in zip(mailbox.messages, HOSTILE, strict=True):
        assert "\n" not in message["Subject"]
        assert text in message.get_body(preferencelist=("plain",)).get_content()
        assert executable_parts(message.get_body(preferencelist=("html",)).get_content()) == []

    client.force_login(reader)
    page = client.get("/notifications/?page=1").content.decode()
    assert executable_parts(page) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
