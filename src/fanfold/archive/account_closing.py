"""What happens to a closing member's stories (accounts sends `account_closing`).

Kept stories pass to one shared "Orphan Account" (as on the Archive of Our Own), with the
member's series; otherwise the stories only they wrote are deleted and co-authored ones
just lose them. Runs inside the deleting transaction, before the account row goes.
"""

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.dispatch import receiver

from fanfold.accounts.models import ORPHAN_PEN_NAME, ORPHAN_USERNAME, Profile, User
from fanfold.accounts.signals import account_closing
from fanfold.archive import counts, pagecache
from fanfold.archive.models import Series, Story, StoryAuthor
from fanfold.lib.names import name_key


def orphan_account() -> User:
    """The account that holds orphaned stories, created on first use; nobody signs in.

    Found by its username alone. Registration reserves its pen name, but an older or
    imported member may hold it (or a look-alike); the orphan account then gets a
    distinct one rather than failing the member's account closing.
    """
    user, _ = User.objects.get_or_create(
        username=ORPHAN_USERNAME, defaults={"password": make_password(None)}
    )
    if not Profile.objects.filter(user=user).exists():
        pen_name = ORPHAN_PEN_NAME
        if Profile.objects.filter(pen_name_key=name_key(pen_name)).exists():
            pen_name = f"{ORPHAN_PEN_NAME} ({ORPHAN_USERNAME})"
        Profile.objects.create(user=user, pen_name=pen_name)
    return user


@receiver(account_closing)
def _close(sender, user, keep_stories: bool, **kwargs) -> None:
    story_ids = list(StoryAuthor.objects.filter(user=user).values_list("story_id", flat=True))
    before = counts.labels_of(story_ids)
    if keep_stories:
        _orphan(user)
    else:
        story_ids = _delete_own(user, story_ids)
    counts.refresh_stories(story_ids)
    # Only the categories, authors, series… these stories touched, before and after.
    counts.refresh_labels_of(story_ids, before)
    # Invalidated again once the change is visible: a reader's request served between an
    # in-transaction bump and the commit would cache the old pages under the new versions.
    # Author names change on every page that shows them, so the whole site goes.
    transaction.on_commit(pagecache.everything_changed)


def _orphan(user) -> None:
    orphan = orphan_account()
    mine = StoryAuthor.objects.filter(user=user)
    # A story the orphan account already co-authors keeps that one byline, which becomes
    # the owner when the leaving member owned the story.
    owned_with_orphan = mine.filter(is_owner=True, story__authorships__user=orphan)
    StoryAuthor.objects.filter(
        user=orphan, story_id__in=list(owned_with_orphan.values_list("story_id", flat=True))
    ).update(is_owner=True)
    mine.exclude(story__authorships__user=orphan).update(user=orphan)
    mine.delete()
    Series.objects.filter(owner=user).update(owner=orphan)


def _delete_own(user, story_ids: list[int]) -> list[int]:
    """Delete the stories only this member wrote; returns the co-authored ones left."""
    stories = Story.objects.filter(pk__in=story_ids).annotate(n=Count("authorships"))
    alone = [s.pk for s in stories if s.n == 1]
    Story.objects.filter(pk__in=alone).delete()
    shared = [pk for pk in story_ids if pk not in alone]
    for authorship in StoryAuthor.objects.filter(user=user, story_id__in=shared, is_owner=True):
        successor = (
            StoryAuthor.objects.filter(story_id=authorship.story_id)
            .exclude(user=user)
            .order_by("position", "pk")
            .first()
        )
        StoryAuthor.objects.filter(pk=successor.pk).update(is_owner=True)
    StoryAuthor.objects.filter(user=user).delete()
    return shared
