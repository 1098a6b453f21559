"""The one API other code calls when something members may want to hear of happens.

Each call runs inside the caller's transaction and costs the request a few queries and
one task: an `Event` row, and `tasks.deliver` enqueued once the transaction commits (a
rolled-back change tells nobody, and the worker never looks for a row that is not there
yet). The worker works out the recipients (`tasks.recipients_of`) and fans out in
batches; the request never touches them, however many there are.
"""

from django.db import transaction

from fanfold.archive.models import Chapter, Story, StoryAuthor
from fanfold.community.models import Event, Review, Subscription
from fanfold.community.tasks import deliver, story_subscriptions

Kind = Event.Kind


def chapter_published(chapter: Chapter) -> Event | None:
    """A new chapter of a public story: its subscribers hear of it."""
    if not Subscription.objects.filter(story_id=chapter.story_id).exists():
        return None
    return _record(Kind.NEW_CHAPTER, story_id=chapter.story_id, chapter=chapter)


def story_published(story: Story) -> Event | None:
    """A story in public for the first time: its authors' and its series' subscribers."""
    if not story_subscriptions(story.pk).exists():
        return None
    owner = StoryAuthor.objects.filter(story=story, is_owner=True).first()
    return _record(Kind.NEW_STORY, actor_id=owner.user_id if owner else None, story=story)


def review_posted(review: Review) -> Event | None:
    """A review others can read (call it again when a held review is approved)."""
    if review.status != Review.Status.PUBLISHED:
        return None
    return _record(Kind.NEW_REVIEW, actor_id=review.reviewer_id, **_about(review))


def review_responded(review: Review) -> Event:
    """An author's response to a review: the reviewer hears of it."""
    return _record(Kind.REVIEW_RESPONSE, actor_id=review.responded_by_id, **_about(review))


def review_replied(reply: Review) -> Event:
    """A reply in a review's thread: the reviewer and everyone else in the thread."""
    return _record(Kind.REVIEW_REPLY, actor_id=reply.reviewer_id, **_about(reply))


def _about(review: Review) -> dict:
    return {
        "review": review,
        "story_id": review.story_id,
        "chapter_id": review.chapter_id,
        "series_id": review.series_id,
    }


def _record(kind: str, **fields) -> Event:
    event = Event.objects.create(kind=kind, **fields)
    transaction.on_commit(lambda: deliver.enqueue(event.pk))
    return event
