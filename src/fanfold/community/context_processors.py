"""What every page may show a signed-in member of their notifications and subscriptions."""

from functools import cache
from types import SimpleNamespace

from django.urls import reverse

from fanfold.community.likes import LikesOf
from fanfold.community.models import Delivery, Subscription


@cache
def _inbox_url() -> str:
    """Reversed once per process, like the other header links."""
    return reverse("community:notifications")


class _SubscribedTo:
    """`{% if story.pk in subscribed.story %}`: one query, only when a page asks."""

    def __init__(self, user, field: str):
        self.user = user
        self.field = field

    def __contains__(self, pk) -> bool:
        return Subscription.objects.filter(user=self.user, **{self.field: pk}).exists()


def notifications(request):
    """Nothing for visitors (and no query); for members, values evaluated only when a
    template uses them: the unread count in the header, and what they subscribe to."""
    user = request.user
    if not user.is_authenticated:
        return {}
    return {
        "notifications_url": _inbox_url(),
        "unread_notifications": cache(
            lambda: Delivery.objects.filter(recipient=user, read_at__isnull=True).count()
        ),
        "my_likes": LikesOf(user),
        "subscribed": SimpleNamespace(
            story=_SubscribedTo(user, "story_id"),
            author=_SubscribedTo(user, "author_id"),
            series=_SubscribedTo(user, "series_id"),
        ),
    }
