"""What happens to a closing member's stories (accounts sends `account_closing`).

Kept stories pass to one shared "Orphan Account" (as on the Archive of Our Own), with the
member's series; otherwise the stories only they wrote are deleted and co-authored ones
just lose them. Runs inside the deleting transaction, before the account row goes.
"""

from django.contrib.auth.hashers import make_password
from django.db.models import Count
from django.dispatch import receiver

from fanfold.accounts.models import ORPHAN_PEN_NAME, ORPHAN_USERNAME, Profile, User
from fanfold.accounts.signals import account_closing
from fanfold.archive import counts, pagecache
from fanfold.archive.models import Series, Story, StoryAuthor


def orphan_account() -> User:
    """The account that holds orphaned stories, created on first use; nobody signs in."""
    user, _ = User.objects.get_or_create(
        username=ORPHAN_USERNAME, defaults={"password": make_password(None)}
    )
    Profile.objects.get_or_create(user=user, defaults={"pen_name": ORPHAN_PEN_NAME})
    return user


@receiver(account_closing)
def _close(sender, user, keep_stories: bool, **kwargs) -> None:
    story_ids = list(StoryAuthor.objects.filter(user=user).values_list("story_id", flat=True))
    if keep_stories:
        _orphan(user)
    else:
        story_ids = _delete_own(user, story_ids)
    counts.refresh_stories(story_ids)
    counts.refresh_taxonomy()
    pagecache.listings_changed()


def _orphan(user) -> None:
    orphan = orphan_account()
    mine = StoryAuthor.objects.filter(user=user)
    # A story the orphan account already co-authors keeps that one byline.
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
