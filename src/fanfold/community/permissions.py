"""Who may do what with reviews, replies and responses: the one place these rules live.

Roles: visitors, members, the story's authors and co-authors (a series' owner for series
reviews), members an author blocked, and moderators. Views, templates (through the
`ReviewRights.on(review)` answers the views pass on) and actions all ask here.
"""

from dataclasses import dataclass

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
    return ReviewRights(user, target_owner_ids(story_id=story_id, series=series)).review()


def review_owner_ids(review: Review) -> set[int]:
    return target_owner_ids(story_id=review.story_id, series=review.series)


def _rights_over(user, review: Review) -> "ReviewRights":
    thread = review.parent if review.parent_id else review
    return ReviewRights(user, review_owner_ids(review), [thread.reviewer_id])


def can_reply(user, review: Review) -> bool:
    return _member(user) and _rights_over(user, review).reply(review)


def can_respond(user, review: Review) -> bool:
    return _member(user) and _rights_over(user, review).respond(review)


def can_edit_review(user, review: Review) -> bool:
    return _member(user) and _rights_over(user, review).edit(review)


def can_delete_review(user, review: Review) -> bool:
    return _member(user) and _rights_over(user, review).delete(review)


def can_moderate_reviews(user) -> bool:
    """Hiding, restoring, approving held reviews: moderators only, and every act is logged."""
    return is_moderator(user)


class ReviewRights:
    """What one person may do with the reviews of one work: the rules themselves.

    Built once per page from the work's owners and the reviewers on it, with at most one
    query (the blocks among them), so a page of 25 threads costs the same as one review.
    The `can_*` functions above ask it about a single review.
    """

    def __init__(self, user, owner_ids: set[int], reviewer_ids=()):
        self.user = user
        self.member = _member(user)
        self.moderator = is_moderator(user)
        self.owner_ids = set(owner_ids)
        blockers = (self.owner_ids | set(reviewer_ids)) - {None}
        self.blocked_by: set[int] = (
            set(
                Block.objects.filter(user_id__in=blockers, blocked=user).values_list(
                    "user_id", flat=True
                )
            )
            if self.member and blockers
            else set()
        )

    def review(self) -> bool:
        """A new review of the work (visitors: when the archive allows anonymous ones).
        Authors answer reviews of their own work; they do not review it (as with likes)."""
        if not self.user.is_authenticated:
            return ArchiveSettings.current().anonymous_reviews
        return (
            self.member
            and self.user.pk not in self.owner_ids
            and not self.blocked_by & self.owner_ids
        )

    def reply(self, review: Review) -> bool:
        """Members reply under a published top-level review, unless the reviewer or the
        work's authors blocked them. Replies are one level deep, so replies take none."""
        if not self.member or review.parent_id or review.status != Review.Status.PUBLISHED:
            return False
        return not self.blocked_by & (self.owner_ids | {review.reviewer_id})

    def respond(self, review: Review) -> bool:
        """The author's response (eFiction's "Author's Response"): the work's authors, on
        top-level reviews, unless the reviewer blocked them."""
        return (
            self.member
            and not review.parent_id
            and self.user.pk in self.owner_ids
            and review.reviewer_id not in self.blocked_by
        )

    def edit(self, review: Review) -> bool:
        """Reviewers edit their own words (not once the work's authors blocked them);
        nobody edits someone else's."""
        return (
            self.member
            and review.reviewer_id == self.user.pk
            and not self.blocked_by & self.owner_ids
        )

    def delete(self, review: Review) -> bool:
        """Reviewers delete their own; moderators any; authors those on their own work when
        the archive allows it (eFiction's revdelete)."""
        if not self.member:
            return False
        if review.reviewer_id == self.user.pk or self.moderator:
            return True
        return ArchiveSettings.current().authors_delete_reviews and self.user.pk in self.owner_ids

    def on(self, review: Review) -> "Allowed":
        """Everything a page offers on one review, for templates."""
        return Allowed(
            reply=self.reply(review),
            respond=self.respond(review),
            edit=self.edit(review),
            delete=self.delete(review),
        )


@dataclass(frozen=True)
class Allowed:
    reply: bool
    respond: bool
    edit: bool
    delete: bool
