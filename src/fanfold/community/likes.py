"""Liking a story (AO3's kudos) and taking the like back: the one place for what that does.

Likes are for members only, one per member and story. The model could also hold a
visitor's like (keyed by a hash of their session), but visitors' pages come from the shared
page cache and carry no form, and a like per session is easy to repeat from a fresh
browser: a count people can inflate at will would make "Most liked" meaningless.

Each change runs in one transaction that first locks the story row and then recounts the
likes from the rows (never `+= 1`): concurrent likes of one story queue on that lock, so
the count ends right, and liking twice (two tabs, a double click) leaves one like.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from fanfold.archive import pagecache
from fanfold.archive.models import Story, StoryAuthor
from fanfold.community import counts, permissions
from fanfold.community.models import Like


def is_own_work(user, story: Story) -> bool:
    """Authors and co-authors do not like their own story (as on AO3). Uses the story's
    prefetched `author_list` when it has one (story pages do), so pages pay no query."""
    if hasattr(story, "author_list"):
        return any(authorship.user_id == user.pk for authorship in story.author_list)
    return StoryAuthor.objects.filter(story=story, user=user).exists()


def check_may_like(user, story: Story) -> None:
    """Signed-in, active members like other people's stories, unless an author blocked
    them: a block keeps a member away from the blocker's work, likes included (as AO3's
    blocks stop kudos). The caller has checked the member may read the story."""
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied("Log in to like stories.")
    if is_own_work(user, story):
        raise PermissionDenied("Authors cannot like their own story.")
    if permissions.is_blocked(user, permissions.target_owner_ids(story_id=story.pk)):
        raise PermissionDenied("An author of this story has blocked you.")


def like(user, story: Story) -> bool:
    """The member likes the story; asking again changes nothing. True when the like is new."""
    check_may_like(user, story)
    with transaction.atomic():
        counts.lock_counted(story_id=story.pk)
        _, created = Like.objects.get_or_create(story=story, user=user)
        if created:
            _recount(story.pk)
    return created


def unlike(user, story_id: int) -> bool:
    """Take the member's like back (always allowed); True when there was one."""
    with transaction.atomic():
        counts.lock_counted(story_id=story_id)
        removed, _ = Like.objects.filter(story_id=story_id, user=user).delete()
        if removed:
            _recount(story_id)
    return bool(removed)


def _recount(story_id: int) -> None:
    counts.refresh_like_count(story_id)
    # The count shows on cached story pages and listings.
    pagecache.story_changed(story_id)


class LikesOf:
    """What the like button asks about one signed-in member, only when a page asks:
    `{% if story in my_likes %}` (one query) and `{% if story in my_likes.own %}` (none on
    story pages). Put in the template context for members; visitors get nothing."""

    def __init__(self, user):
        self.user = user
        self.own = _OwnWork(user)

    def __contains__(self, story: Story) -> bool:
        return Like.objects.filter(story_id=story.pk, user=self.user).exists()


class _OwnWork:
    def __init__(self, user):
        self.user = user

    def __contains__(self, story: Story) -> bool:
        return is_own_work(self.user, story)
