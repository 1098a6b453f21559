"""Co-authors: inviting members onto a story's byline, and what accepting changes.

An invitation is a CoauthorInvite row; the invitee becomes a StoryAuthor only by accepting,
so nobody appears on a byline without agreeing. Permission checks stay in the views
(`fanfold.archive.permissions.can_manage_authors`); these functions do the change.
"""

from django.db import transaction
from django.db.models import Max

from fanfold.accounts.models import Profile, User
from fanfold.archive import counts
from fanfold.archive.models import CoauthorInvite, Story, StoryAuthor
from fanfold.lib.names import name_key


def parse_pen_names(text: str) -> tuple[list[User], list[str]]:
    """Comma-separated pen names → (members found, names not found), in the order typed.

    Names compare the way pen names clash (`name_key`); blanks and repeats are ignored.
    Inactive accounts count as not found: they cannot accept.
    """
    names: dict[str, str] = {}
    for part in text.split(","):
        name = " ".join(part.split())
        key = name_key(name)
        if key and key not in names:
            names[key] = name
    profiles = Profile.objects.filter(
        pen_name_key__in=list(names), user__is_active=True
    ).select_related("user")
    found = {profile.pen_name_key: profile.user for profile in profiles}
    return (
        [found[key] for key in names if key in found],
        [name for key, name in names.items() if key not in found],
    )


def invite(story: Story, inviter: User, users) -> list[CoauthorInvite]:
    """Invite these members; anyone already an author or already invited is skipped."""
    skip = set(StoryAuthor.objects.filter(story=story).values_list("user_id", flat=True))
    skip |= set(CoauthorInvite.objects.filter(story=story).values_list("user_id", flat=True))
    invites = []
    for user in users:
        if user.pk not in skip:
            skip.add(user.pk)
            invites.append(CoauthorInvite(story=story, user=user, invited_by=inviter))
    # ignore_conflicts: an invitation sent at the same moment by another request stands.
    CoauthorInvite.objects.bulk_create(invites, ignore_conflicts=True)
    return invites


def accept(invite: CoauthorInvite) -> StoryAuthor:
    """The invitee joins the end of the byline; the invitation is used up."""
    with transaction.atomic():
        # Lock the story so two acceptances at once never take the same position.
        Story.objects.select_for_update().filter(pk=invite.story_id).first()
        last = StoryAuthor.objects.filter(story_id=invite.story_id).aggregate(n=Max("position"))
        author, _ = StoryAuthor.objects.get_or_create(
            story_id=invite.story_id,
            user_id=invite.user_id,
            defaults={"position": (last["n"] if last["n"] is not None else -1) + 1},
        )
        CoauthorInvite.objects.filter(pk=invite.pk).delete()
    _refresh(invite.story_id, invite.user_id)
    return author


def decline(invite: CoauthorInvite) -> None:
    invite.delete()


def remove_coauthor(story: Story, user: User) -> bool:
    """Take a co-author off the byline; the owner is never removed. True if removed."""
    removed, _ = StoryAuthor.objects.filter(story=story, user=user, is_owner=False).delete()
    if removed:
        _refresh(story.pk, user.pk)
    return bool(removed)


def _refresh(story_id: int, user_id: int) -> None:
    """The author's story count changed, and every page with the byline (bumped here)."""
    counts.refresh_stories([story_id])
    counts.refresh_authors([user_id])
