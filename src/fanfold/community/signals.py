"""Community counts that follow events raised by the apps above."""

from django.db import transaction
from django.dispatch import receiver

from fanfold.accounts.signals import account_closing
from fanfold.community import counts
from fanfold.community.models import Favorite


@receiver(account_closing)
def _recount_favorites_of_closing_account(sender, user, **kwargs) -> None:
    """A closing member's favorites go with the account; the stories' counts follow."""
    story_ids = list(
        Favorite.objects.filter(user=user, story__isnull=False).values_list("story_id", flat=True)
    )
    has_series = Favorite.objects.filter(user=user, series__isnull=False).exists()

    def recount() -> None:
        counts.refresh_stories(story_ids)
        if has_series:
            counts.refresh_series()

    transaction.on_commit(recount)
