from functools import cache

from django.conf import settings
from django.urls import reverse

from fanfold.core.models import ArchiveSettings
from fanfold.core.permissions import is_moderator


@cache
def _site_links() -> dict[str, str]:
    """URLs every page links to, reversed once per process rather than on every render."""
    names = ["archive:front", "archive:browse", "archive:recent", "archive:titles",
             "archive:authors", "archive:series_list", "accounts:login", "accounts:register",
             "accounts:logout", "accounts:account", "accounts:profile_edit",
             "archive:my_stories", "archive:story_new", "archive:my_series",
             "archive:invitations", "moderation:queue", "core:rules", "core:terms",
             "search:search", "community:favorites", "community:history",
             "community:read_later", "moderation:reviews"]  # fmt: skip
    return {name.split(":")[1]: reverse(name) for name in names}


def archive(request):
    """Values every page shows: the archive's name, its main links, the member's role.

    The owner's settings come from the cache (ArchiveSettings.current), not a query.
    """
    archive_settings = ArchiveSettings.current()
    return {
        "archive_settings": archive_settings,
        "site_name": archive_settings.site_name or settings.SITE_NAME,
        "links": _site_links(),
        "is_moderator": is_moderator(request.user),
    }
