"""Who is not told: members who muted a story's author, members who blocked the one who
acted, and members who switched email off after the fan-out (read again at send time).

The task runs in-process (`deliver.call`), as in test_notifications.py.
"""

from email.utils import parseaddr

import pytest

from fanfold.accounts.models import Preferences, User
from fanfold.archive import actions
from fanfold.archive.models import Status
from fanfold.community import notify, relations
from fanfold.community.models import Delivery, Event, Review, Subscription
from fanfold.community.tasks import deliver
from fanfold.lib.env import mailers_from_url
from tests.community.test_notifications import member, recipients
from tests.factories import make_chapter, make_series, make_story

pytestmark = pytest.mark.django_db


@pytest.fixture
def author():
    return member("Author")


@pytest.fixture
def story(author):
    return make_story("The Long Road", authors=[author], chapters=1)


def addresses(mailbox) -> list[str]:
    return sorted(parseaddr(message["To"])[1] for message in mailbox.messages)


class TestMutes:
    def test_a_new_chapter_skips_subscribers_who_muted_an_author(self, story, author):
        coauthor = member("Coauthor")
        story.authorships.create(user=coauthor, position=1)
        muter, comuter, fan = member("Muter"), member("Comuter"), member("Fan")
        for user in (muter, comuter, fan):
            Subscription.objects.create(user=user, story=story)
        relations.mute(muter, author)
        relations.mute(comuter, coauthor)  # any author of the story counts

        event = notify.chapter_published(make_chapter(story, "Two."))
        deliver.call(event.pk)
        assert recipients(event) == {fan.pk}

    def test_a_new_story_skips_author_and_series_subscribers_who_muted_it(
        self, author, django_capture_on_commit_callbacks
    ):
        series = make_series(author, "Saga")
        by_author, by_series, fan = member("By Author"), member("By Series"), member("Fan")
        Subscription.objects.create(user=by_author, author=author)
        Subscription.objects.create(user=by_series, series=series)
        Subscription.objects.create(user=fan, author=author)
        relations.mute(by_author, author)
        relations.mute(by_series, author)
        draft = make_story(
            "Fresh", authors=[author], chapters=0, status=Status.DRAFT, published_at=None
        )
        series.items.create(story=draft, position=1)
        with django_capture_on_commit_callbacks(execute=True):
            actions.submit_chapter(make_chapter(draft, "Once.", status=Status.DRAFT), author)

        event = Event.objects.get(kind="new_story")
        deliver.call(event.pk)
        assert recipients(event) == {fan.pk}

    def test_muting_an_unrelated_author_changes_nothing(self, story):
        fan = member("Fan")
        Subscription.objects.create(user=fan, story=story)
        relations.mute(fan, member("Someone Else"))
        event = notify.chapter_published(make_chapter(story, "Two."))
        deliver.call(event.pk)
        assert recipients(event) == {fan.pk}

    def test_a_muted_author_still_hears_of_reviews_and_muters_of_their_responses(
        self, story, author
    ):
        """Muting is about stories in listings; conversation is what blocking is for."""
        reader = member("Reader")
        relations.mute(author, reader)
        relations.mute(reader, author)
        review = Review.objects.create(story=story, reviewer=reader, text="<p>x</p>")
        event = notify.review_posted(review)
        deliver.call(event.pk)
        assert recipients(event) == {author.pk}

        review.response, review.responded_by = "<p>Thanks</p>", author
        review.save()
        event = notify.review_responded(review)
        deliver.call(event.pk)
        assert recipients(event) == {reader.pk}


class TestBlocks:
    def test_a_blocked_members_review_does_not_tell_the_blocker(self, story, author):
        coauthor = member("Coauthor")
        story.authorships.create(user=coauthor, position=1)
        pest = member("Pest")
        # Written before the block (or by a moderator's approval later): no notice.
        review = Review.objects.create(story=story, reviewer=pest, text="<p>x</p>")
        relations.block(author, pest)
        event = notify.review_posted(review)
        deliver.call(event.pk)
        assert recipients(event) == {coauthor.pk}

    def test_a_blocked_members_reply_does_not_tell_the_blocker(self, story, author):
        reader, second, pest = member("Reader"), member("Second"), member("Pest")
        review = Review.objects.create(
            story=story, reviewer=reader, text="<p>x</p>", response="<p>y</p>", responded_by=author
        )
        Review.objects.create(story=story, parent=review, reviewer=second, text="<p>+1</p>")
        reply = Review.objects.create(story=story, parent=review, reviewer=pest, text="<p>!</p>")
        relations.block(reader, pest)
        event = notify.review_replied(reply)
        deliver.call(event.pk)
        assert recipients(event) == {second.pk, author.pk}

    def test_a_response_by_an_author_the_reviewer_blocked_does_not_tell_them(self, story, author):
        reader = member("Reader")
        review = Review.objects.create(
            story=story, reviewer=reader, text="<p>x</p>", response="<p>y</p>", responded_by=author
        )
        relations.block(reader, author)
        event = notify.review_responded(review)
        deliver.call(event.pk)
        assert recipients(event) == set()

    def test_a_block_the_other_way_round_changes_nothing(self, story, author):
        reader = member("Reader")
        relations.block(reader, author)  # the reviewer blocked the author, not vice versa
        review = Review.objects.create(story=story, reviewer=reader, text="<p>x</p>")
        event = notify.review_posted(review)
        deliver.call(event.pk)
        assert recipients(event) == {author.pk}


class TestSwitchesAtSendTime:
    """Deliveries wait in the queue while the mail server is down; what the members say
    meanwhile decides what is sent when it is back."""

    @pytest.fixture
    def queued(self, story, settings):
        settings.MAILERS = mailers_from_url("smtp://127.0.0.1:9?timeout=2", "")  # nobody there
        people = {name: member(name) for name in ("Keeps", "Declines", "Moves", "Leaves")}
        for user in people.values():
            Subscription.objects.create(user=user, story=story)
        event = notify.chapter_published(make_chapter(story, "Two."))
        deliver.call(event.pk)
        assert set(event.deliveries.values_list("email", flat=True)) == {"queued"}
        return event, people

    def test_switching_email_off_stops_queued_emails_but_keeps_the_inbox(self, queued, mailbox):
        event, people = queued
        people["Declines"].profile.save_preferences(Preferences(notify_subscriptions=False))
        User.objects.filter(pk=people["Moves"].pk).update(
            email="new@example.test", email_confirmed=False
        )
        User.objects.filter(pk=people["Leaves"].pk).update(is_active=False)

        deliver.call(event.pk)
        assert addresses(mailbox) == ["keeps@example.test"]
        states = dict(event.deliveries.values_list("recipient__profile__pen_name", "email"))
        assert states == {"Keeps": "sent", "Declines": "none", "Moves": "none", "Leaves": "none"}
        assert event.deliveries.count() == 4  # every inbox entry stays

    def test_switching_it_back_on_does_not_resend(self, queued, mailbox):
        event, people = queued
        declines = people["Declines"]
        declines.profile.save_preferences(Preferences(notify_subscriptions=False))
        deliver.call(event.pk)
        declines.profile.save_preferences(Preferences(notify_subscriptions=True))
        deliver.call(event.pk)
        assert "declines@example.test" not in addresses(mailbox)
        assert Delivery.objects.get(recipient=declines).email == "none"
