"""What posting, answering, editing, hiding and deleting a review does, in one place.

Views, the admin and tests call these; permission rules live in community.permissions.
Each change runs in one transaction that first locks the reviewed story (or series) row
(counts.lock_counted) and then recounts from the rows, so twenty reviews posted at once
give a count of twenty. Counts cover published top-level reviews
only; replies and authors' responses are conversation about a review, not reviews.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from fanfold.archive import pagecache
from fanfold.archive.models import Chapter, Series, Story
from fanfold.community import counts, notify, permissions
from fanfold.community.models import Event, Review
from fanfold.core.models import ArchiveSettings
from fanfold.lib.markup import html_to_text
from fanfold.moderation.models import ModerationDecision

Action = ModerationDecision.Action


def post(
    user,
    text: str,
    *,
    story: Story | None = None,
    chapter: Chapter | None = None,
    series: Series | None = None,
    rating: int | None = None,
    reviewer_name: str = "",
) -> Review:
    """A new top-level review of a chapter (give `chapter`), a whole story or a series.

    `text` is sanitized HTML (see community.forms). A visitor's review waits for a
    moderator when the archive says so; the authors hear of it once it is published.
    """
    if chapter is not None:
        story = chapter.story
    if not permissions.can_review(user, story_id=story.pk if story else None, series=series):
        raise PermissionDenied("You may not review this.")
    anonymous = not user.is_authenticated
    held = anonymous and ArchiveSettings.current().moderate_anonymous_reviews
    with transaction.atomic():
        counts.lock_counted(
            story_id=story.pk if story else None, series_id=series.pk if series else None
        )
        review = Review.objects.create(
            story=story,
            chapter=chapter,
            series=series,
            reviewer=None if anonymous else user,
            reviewer_name=reviewer_name.strip() if anonymous else "",
            text=text,
            rating=rating,
            status=Review.Status.PENDING if held else Review.Status.PUBLISHED,
        )
        _recount(review)
        notify.review_posted(review)
    return review


def reply(parent: Review, user, text: str) -> Review:
    """A reply in a review's thread (one level: replying to a reply answers its parent)."""
    if parent.parent_id:
        parent = parent.parent
    if not permissions.can_reply(user, parent):
        raise PermissionDenied("You may not reply to this review.")
    with transaction.atomic():  # replies change no count, so nothing to lock
        answer = Review.objects.create(
            story_id=parent.story_id,
            chapter_id=parent.chapter_id,
            series_id=parent.series_id,
            parent=parent,
            reviewer=user,
            text=text,
        )
        notify.review_replied(answer)
    _changed(answer)
    return answer


def respond(review: Review, user, text: str) -> Review:
    """The author's response, shown under the review; sending an empty one removes it."""
    if not permissions.can_respond(user, review):
        raise PermissionDenied("Only the authors respond to reviews of their work.")
    with transaction.atomic():
        # Locked and read afresh: two first responses at once notify the reviewer once.
        stored = Review.objects.select_for_update().filter(pk=review.pk).values("response")
        first = not stored.get()["response"]
        review.response = text
        review.responded_by = user if text else None
        review.responded_at = timezone.now() if text else None
        review.save(update_fields=["response", "responded_by", "responded_at"])
        if text and first:
            notify.review_responded(review)
    _changed(review)
    return review


def edit(review: Review, user, text: str, rating: int | None = None) -> Review:
    if not permissions.can_edit_review(user, review):
        raise PermissionDenied("Only the reviewer edits a review.")
    review.text = text
    review.rating = rating if not review.parent_id else None
    review.edited_at = timezone.now()
    review.save(update_fields=["text", "rating", "edited_at"])
    _changed(review)
    return review


def delete(review: Review, user) -> None:
    """Gone for good, with its replies. A moderator deleting someone else's is logged."""
    if not permissions.can_delete_review(user, review):
        raise PermissionDenied("You may not delete this review.")
    with transaction.atomic():
        counts.lock_counted(story_id=review.story_id, series_id=review.series_id)
        if review.reviewer_id != user.pk and permissions.can_moderate_reviews(user):
            _log(review, user, Action.REVIEW_DELETED)
        review.delete()
        _recount(review)


def hide(review: Review, moderator, reason: str = "") -> None:
    _set_status(review, moderator, Review.Status.HIDDEN, Action.REVIEW_HIDDEN, reason)


def restore(review: Review, moderator) -> None:
    """Hidden or held reviews back in public. The authors hear of a review the first time
    it is public (a held one hidden and later restored included), never twice."""
    was_pending = review.status == Review.Status.PENDING
    action = Action.REVIEW_APPROVED if was_pending else Action.REVIEW_RESTORED
    with transaction.atomic():
        published = _set_status(review, moderator, Review.Status.PUBLISHED, action)
        announced = Event.objects.filter(review=review, kind=Event.Kind.NEW_REVIEW).exists()
        if published and not announced:
            notify.review_posted(review)


def _set_status(review: Review, moderator, status: str, action: str, reason: str = "") -> bool:
    """False when the review already had that status (a double click, a second moderator)."""
    if not permissions.can_moderate_reviews(moderator):
        raise PermissionDenied("Only moderators hide or approve reviews.")
    with transaction.atomic():
        counts.lock_counted(story_id=review.story_id, series_id=review.series_id)
        current = Review.objects.filter(pk=review.pk).values_list("status", flat=True).first()
        if current is None or current == status:
            return False
        review.status = status
        review.save(update_fields=["status"])
        _log(review, moderator, action, reason)
        _recount(review)
    return True


def _recount(review: Review) -> None:
    counts.refresh_review_counts(review)
    _changed(review)


def _changed(review: Review) -> None:
    """Cached pages showing this review (or its count) are stale (again at the commit:
    lib.pagecache.bump)."""
    if review.story_id is not None:
        pagecache.story_changed(review.story_id)
    else:
        pagecache.listings_changed()


def _log(review: Review, moderator, action: str, reason: str = "") -> None:
    where = review.series.title if review.series_id else review.story.title
    if review.chapter_id:
        where = f"{where} — {review.chapter.display_title}"
    ModerationDecision.objects.create(
        story_id=review.story_id,
        chapter_id=review.chapter_id,
        moderator=moderator,
        action=action,
        subject=f"Review by {review.reviewer_display} of {where}"[:500],
        # What was said, so a deleted review can still be accounted for.
        message=(f"{reason}\n\n" if reason else "") + html_to_text(review.text)[:2000],
    )
