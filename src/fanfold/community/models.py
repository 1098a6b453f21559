"""Reviews and favorites. Read-only in the foundation; the community issue adds posting."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from fanfold.archive.models import Chapter, Series, Story


class ReviewQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(status=Review.Status.PUBLISHED)

    def for_display(self):
        """Visible reviews with what a review list shows, and nothing more."""
        return (
            self.visible()
            .select_related("reviewer__profile")
            .only(
                "reviewer_name", "text", "rating", "response", "created_at", "chapter_id",
                "story_id", "reviewer__username", "reviewer__profile__pen_name",
            )
        )  # fmt: skip


class Review(models.Model):
    """A review of a chapter (and so of its story), a whole story, or a series."""

    class Status(models.TextChoices):
        PUBLISHED = "published", "Published"
        PENDING = "pending", "Awaiting moderation"
        HIDDEN = "hidden", "Hidden"

    story = models.ForeignKey(
        Story, null=True, blank=True, on_delete=models.CASCADE, related_name="reviews"
    )
    chapter = models.ForeignKey(
        Chapter, null=True, blank=True, on_delete=models.CASCADE, related_name="reviews"
    )
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.CASCADE, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviews",
    )
    # The name an anonymous reviewer gave; empty for members.
    reviewer_name = models.CharField(max_length=100, blank=True)
    text = models.TextField(help_text="Sanitized HTML.")
    # eFiction's review rating: 1–10 stars, or 1 like / 0 dislike; None when not rated.
    rating = models.SmallIntegerField(null=True, blank=True)
    response = models.TextField(blank=True, help_text="The author's response, sanitized HTML.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    created_at = models.DateTimeField(default=timezone.now)
    legacy_reviewid = models.PositiveIntegerField(null=True, blank=True, unique=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["chapter", "status", "created_at"]),
            models.Index(fields=["story", "status", "created_at"]),
            models.Index(fields=["series", "status", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(story__isnull=False) | Q(series__isnull=False),
                name="review_has_target",
            )
        ]

    def __str__(self) -> str:
        return f"Review {self.pk}"

    @property
    def reviewer_display(self) -> str:
        if self.reviewer_id:
            return self.reviewer.profile.pen_name
        return self.reviewer_name or "Anonymous"


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
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(story__isnull=False, author__isnull=True, series__isnull=True)
                    | Q(story__isnull=True, author__isnull=False, series__isnull=True)
                    | Q(story__isnull=True, author__isnull=True, series__isnull=False)
                ),
                name="favorite_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "story"], condition=Q(story__isnull=False), name="unique_fav_story"
            ),
            models.UniqueConstraint(
                fields=["user", "author"],
                condition=Q(author__isnull=False),
                name="unique_fav_author",
            ),
            models.UniqueConstraint(
                fields=["user", "series"],
                condition=Q(series__isnull=False),
                name="unique_fav_series",
            ),
        ]

    def __str__(self) -> str:
        return f"Favorite {self.pk}"
