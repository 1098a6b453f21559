"""Community's answers to events raised by the apps below it and by the task worker."""

from django.db import transaction
from django.dispatch import receiver

from fanfold.accounts.signals import account_closing
from fanfold.archive.signals import chapter_published, story_published
from fanfold.community import counts, notify, tasks
from fanfold.community.models import Favorite, Like
from fanfold.core.management.commands.worker import worker_starting


@receiver(account_closing)
def _recount_favorites_of_closing_account(sender, user, **kwargs) -> None:
    """A closing member's favorites and likes go with the account; the counts follow."""
    story_ids = list(
        Favorite.objects.filter(user=user, story__isnull=False).values_list("story_id", flat=True)
    ) + list(Like.objects.filter(user=user).values_list("story_id", flat=True))
    has_series = Favorite.objects.filter(user=user, series__isnull=False).exists()

    def recount() -> None:
        counts.refresh_stories(story_ids)
        if has_series:
            counts.refresh_series()

    transaction.on_commit(recount)


@receiver(chapter_published)
def _tell_story_subscribers(sender, chapter, **kwargs) -> None:
    notify.chapter_published(chapter)


@receiver(story_published)
def _tell_author_and_series_subscribers(sender, story, **kwargs) -> None:
    notify.story_published(story)


@receiver(worker_starting)
def _resume_deliveries(sender, **kwargs) -> None:
    tasks.resume_unfinished()
