"""Who may change what in the archive: the one place these rules live."""

from fanfold.archive.models import Series, Story, StoryAuthor
from fanfold.core.permissions import is_moderator


def can_edit_story(user, story: Story) -> bool:
    """Authors and co-authors change their story; moderators change any."""
    if not user.is_authenticated or not user.is_active:
        return False
    return is_moderator(user) or StoryAuthor.objects.filter(story=story, user=user).exists()


def can_manage_authors(user, story: Story) -> bool:
    """Inviting or removing co-authors is the owner's decision (or a moderator's)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return (
        is_moderator(user)
        or StoryAuthor.objects.filter(story=story, user=user, is_owner=True).exists()
    )


def can_edit_series(user, series: Series) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return is_moderator(user) or series.owner_id == user.pk


def can_add_to_series(user, series: Series) -> bool:
    """Open series take stories from any member; closed ones only from their owner."""
    return can_edit_series(user, series) or (
        series.is_open and user.is_authenticated and user.is_active
    )
