"""Who holds which archive-wide role. Object rules (who may edit a story) live in their app."""


def is_moderator(user) -> bool:
    """Moderators validate submissions and may change any story."""
    return bool(user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser))
