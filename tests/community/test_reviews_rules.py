"""Rules found in review: blocks on responses and edits, authors and their own work,
announcements of reviews hidden or held, and the moderation log's plain text."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from fanfold.community import reviews
from fanfold.community.models import Block, Delivery, Event, Review
from fanfold.community.tasks import deliver
from fanfold.core.models import ArchiveSettings
from fanfold.moderation.models import ModerationDecision
from tests.community.test_notifications import member
from tests.factories import make_story, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def author():
    return member("Author")


@pytest.fixture
def story(author):
    return make_story("The Road", authors=[author], chapters=1)


@pytest.fixture
def chapter(story):
    return story.chapters.get()


@pytest.fixture
def moderator():
    return make_user("Moderator", is_staff=True)


class TestBlocksAndOwnWork:
    def test_authors_do_not_review_their_own_story(self, author, chapter):
        with pytest.raises(PermissionDenied):
            reviews.post(author, "<p>Mine is great.</p>", chapter=chapter)
        assert not Review.objects.exists()

    def test_an_author_the_reviewer_blocked_cannot_respond(self, author, chapter):
        reader = member("Reader")
        review = reviews.post(reader, "<p>Hm.</p>", chapter=chapter)
        Block.objects.create(user=reader, blocked=author)
        with pytest.raises(PermissionDenied):
            reviews.respond(review, author, "<p>Listen here.</p>")
        review.refresh_from_db()
        assert review.response == ""

    def test_a_member_the_author_blocked_cannot_edit_an_old_review(self, author, chapter):
        reader = member("Reader")
        review = reviews.post(reader, "<p>Fine.</p>", chapter=chapter)
        Block.objects.create(user=author, blocked=reader)
        with pytest.raises(PermissionDenied):
            reviews.edit(review, reader, "<p>Something nasty.</p>")
        # Deleting one's own words stays possible.
        reviews.delete(review, reader)
        assert not Review.objects.exists()


class TestAnnouncements:
    def test_a_review_hidden_before_the_worker_ran_reaches_nobody(
        self, chapter, moderator, django_capture_on_commit_callbacks
    ):
        review = reviews.post(member("Reader"), "<p>Spam spam.</p>", chapter=chapter)
        event = Event.objects.get(review=review)
        reviews.hide(review, moderator, "spam")
        deliver.call(event.pk)
        assert not Delivery.objects.exists()
        assert not Event.objects.filter(pk=event.pk).exists()

    def test_a_held_review_hidden_then_restored_is_announced_once(self, chapter, moderator, author):
        ArchiveSettings(pk=1, anonymous_reviews=True, moderate_anonymous_reviews=True).save()
        review = reviews.post(AnonymousUser(), "<p>Hi!</p>", chapter=chapter, reviewer_name="Guest")
        assert review.status == Review.Status.PENDING
        assert not Event.objects.exists()
        reviews.hide(review, moderator)
        reviews.restore(Review.objects.get(pk=review.pk), moderator)
        assert Event.objects.filter(review=review, kind=Event.Kind.NEW_REVIEW).count() == 1
        # Hidden and restored again: no second announcement.
        reviews.hide(Review.objects.get(pk=review.pk), moderator)
        reviews.restore(Review.objects.get(pk=review.pk), moderator)
        assert Event.objects.filter(review=review, kind=Event.Kind.NEW_REVIEW).count() == 1

    def test_a_second_first_response_notifies_once(self, author, chapter):
        review = reviews.post(member("Reader"), "<p>Good.</p>", chapter=chapter)
        stale = Review.objects.get(pk=review.pk)
        reviews.respond(review, author, "<p>Thanks!</p>")
        reviews.respond(stale, author, "<p>Thanks again!</p>")  # a second tab, same start
        assert Event.objects.filter(kind=Event.Kind.REVIEW_RESPONSE).count() == 1


def test_the_log_keeps_a_deleted_reviews_words_as_plain_text(chapter, moderator):
    review = reviews.post(member("Reader"), "<p>I &lt;3 this &amp; that</p>", chapter=chapter)
    reviews.delete(review, moderator)
    decision = ModerationDecision.objects.get(action="review_deleted")
    assert decision.message == "I <3 this & that"
