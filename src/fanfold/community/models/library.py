"""What a member keeps: favorites, reading history, the read-later list, mutes and blocks."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from fanfold.archive.models import Chapter, Series, Story


def one_target_per_row(check_name: str, unique_prefix: str) -> list[models.BaseConstraint]:
    """A row points at exactly one of story, author or series, once per member.

    Favorites and subscriptions share this shape (eFiction favorites the same three).
    """
    return [
        models.CheckConstraint(
            condition=(
                Q(story__isnull=False, author__isnull=True, series__isnull=True)
                | Q(story__isnull=True, author__isnull=False, series__isnull=True)
                | Q(story__isnull=True, author__isnull=True, series__isnull=False)
            ),
            name=check_name,
        ),
        *(
            models.UniqueConstraint(
                fields=["user", target],
                condition=Q(**{f"{target}__isnull": False}),
                name=f"{unique_prefix}_{target}",
            )
            for target in ("story", "author", "series")
        ),
    ]


class Favorite(models.Model):
    """A member's favorite story, author or series, with eFiction's optional comment."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorites"
    )
    story = models.ForeignKey(
        Story, null=True, blank=True, on_delete=models.CASCADE, related_name="favorites"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="favorited_by",
    )
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.CASCADE, related_name="favorites"
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = one_target_per_row("favorite_one_target", "unique_fav")

    def __str__(self) -> str:
        return f"Favorite {self.pk}"


class ReadingPosition(models.Model):
    """The last chapter a member opened in a story: "continue reading" and their history."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reading_positions"
    )
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="+")
    chapter = models.ForeignKey(Chapter, null=True, on_delete=models.SET_NULL, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "story"], name="unique_reading_position")
        ]
        indexes = [models.Index(fields=["user", "-read_at"])]

    def __str__(self) -> str:
        return f"{self.user} reading {self.story_id}"


class ReadLater(models.Model):
    """A story a member marked for later."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="read_later"
    )
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "story"], name="unique_read_later")]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user} later {self.story_id}"


class Mute(models.Model):
    """A member who does not want to see an author's stories in listings and search."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mutes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="muted_by"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "author"], name="unique_mute")]

    def __str__(self) -> str:
        return f"{self.user} mutes {self.author}"


class Block(models.Model):
    """A member who may not review the blocker's stories or reply to the blocker."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocked_by"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "blocked"], name="unique_block")]

    def __str__(self) -> str:
        return f"{self.user} blocks {self.blocked}"
