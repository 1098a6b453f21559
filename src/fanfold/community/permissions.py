"""Who may do what with reviews, replies and responses: the one place these rules live.

Roles: visitors, members, the story's authors and co-authors (a series' owner for series
reviews), members an author blocked, and moderators. Views, templates (through the
`review_permissions` helpers the views pass on) and actions all ask here.
"""

from fanfold.archive.models import StoryAuthor
from fanfold.community.models import Block, Review
from fanfold.core.models import ArchiveSettings
from fanfold.core.permissions import is_moderator


def _member(user) -> bool:
    return bool(user.is_authenticated and user.is_active)


def target_owner_ids(*, story_id: int | None = None, series=None) -> set[int]:
    """Whoever answers for the reviewed work: the story's (co-)authors or the series' owner."""
    if story_id is not None:
        return set(StoryAuthor.objects.filter(story_id=story_id).values_list("user_id", flat=True))
    if series is not None and series.owner_id:
        return {series.owner_id}
    return set()


def is_blocked(user, by_ids) -> bool:
    """Whether any member in `by_ids` blocked this user (visitors are never "blocked")."""
    if not user.is_authenticated or not by_ids:
        return False
    return Block.objects.filter(user_id__in=by_ids, blocked=user).exists()


def can_review(user, *, story_id: int | None = None, series=None) -> bool:
    """Members review what they can read unless an author blocked them; visitors only when
    the archive allows anonymous reviews. The caller has already checked the work is
    visible to this user."""
    if not user.is_authenticated:
        return ArchiveSettings.current().anonymous_reviews
    if not user.is_active:
        return False
    return not is_blocked(user, target_owner_ids(story_id=story_id, series=series))


def review_owner_ids(review: Review) -> set[int]:
    return target_owner_ids(story_id=review.story_id, series=review.series)


def can_reply(user, review: Review) -> bool:
    """Members reply under a published top-level review, unless the reviewer or the work's
    authors blocked them. Replies are one level deep, so replies take no replies."""
    if not _member(user) or review.parent_id or review.status != Review.Status.PUBLISHED:
        return False
    blockers = review_owner_ids(review)
    if review.reviewer_id:
        blockers.add(review.reviewer_id)
    return not is_blocked(user, blockers)


def can_respond(user, review: Review) -> bool:
    """The author's response (eFiction's "Author's Response"): the work's authors, on
    top-level reviews."""
    return _member(user) and not review.parent_id and user.pk in review_owner_ids(review)


def can_edit_review(user, review: Review) -> bool:
    """Reviewers edit their own words; nobody edits someone else's."""
    return _member(user) and review.reviewer_id == user.pk


def can_delete_review(user, review: Review) -> bool:
    """Reviewers delete their own; moderators any; authors those on their own work when the
    archive allows it (eFiction's revdelete)."""
    if not _member(user):
        return False
    if review.reviewer_id == user.pk or is_moderator(user):
        return True
    return ArchiveSettings.current().authors_delete_reviews and user.pk in review_owner_ids(review)


def can_moderate_reviews(user) -> bool:
    """Hiding, restoring, approving held reviews: moderators only, and every act is logged."""
    return is_moderator(user)
