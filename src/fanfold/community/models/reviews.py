"""Reviews (with replies and authors' responses) and likes."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from fanfold.archive.models import Chapter, Series, Story
from fanfold.core.permissions import is_moderator


class ReviewQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(status=Review.Status.PUBLISHED)

    def shown_to(self, user):
        """What a review list shows this person: published reviews; moderators also see
        hidden and held ones (marked as such), so they can restore or approve them."""
        if is_moderator(user):
            return self.all()
        return self.visible()

    def top_level(self):
        return self.filter(parent__isnull=True)

    def newest_first(self):
        return self.order_by("-created_at", "-pk")

    def for_display(self, *, with_chapter: bool = False):
        """What a review list shows, and nothing more (pen names, not whole profiles)."""
        fields = [
            "reviewer_name", "text", "rating", "response", "created_at", "edited_at",
            "status", "parent_id", "chapter_id", "story_id", "series_id",
            "reviewer__username", "reviewer__profile__pen_name",
        ]  # fmt: skip
        related = ["reviewer__profile"]
        if with_chapter:
            related.append("chapter")
            fields += ["chapter__story_id", "chapter__position", "chapter__title"]
        return self.select_related(*related).only(*fields)

    def threads(self, top_ids, *, with_chapter: bool = False) -> list["Review"]:
        """The reviews `top_ids` names (a sliced `values("pk")` of top-level reviews: one
        page), newest first, each with its replies in `reply_list`, oldest first.

        One query for the page and every reply on it, however many: the page's ids are a
        subquery (PostgreSQL and SQLite both allow LIMIT inside IN).
        """
        rows = list(
            self.filter(Q(pk__in=top_ids) | Q(parent__in=top_ids)).for_display(
                with_chapter=with_chapter
            )
        )
        tops = [row for row in rows if row.parent_id is None]
        tops.sort(key=lambda row: (row.created_at, row.pk), reverse=True)
        by_id = {top.pk: top for top in tops}
        for top in tops:
            top.reply_list = []
        for row in sorted(rows, key=lambda row: (row.created_at, row.pk)):
            if row.parent_id in by_id:
                by_id[row.parent_id].reply_list.append(row)
        return tops


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
    # A reply to another review (replies are one level deep: a reply's parent is never a
    # reply). Replies share the parent's story, chapter or series.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    # The name an anonymous reviewer gave; empty for members.
    reviewer_name = models.CharField(max_length=100, blank=True)
    text = models.TextField(help_text="Sanitized HTML.")
    # eFiction's review rating: 1–10 stars, or 1 like / 0 dislike; None when not rated.
    rating = models.SmallIntegerField(null=True, blank=True)
    response = models.TextField(blank=True, help_text="The author's response, sanitized HTML.")
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    legacy_reviewid = models.PositiveIntegerField(null=True, blank=True, unique=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["chapter", "status", "created_at"]),
            models.Index(fields=["story", "status", "created_at"]),
            models.Index(fields=["series", "status", "created_at"]),
            models.Index(fields=["reviewer", "created_at"]),
            # The moderators' queue: held and hidden reviews only, a small part of all.
            models.Index(
                fields=["status", "created_at"],
                condition=~Q(status="published"),
                name="review_moderation_queue",
            ),
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


class Like(models.Model):
    """One member's (or one visitor session's) like of a story, as AO3's kudos."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="likes",
    )
    # For visitors: a hash of their session key; empty for members.
    visitor_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["story", "user"], condition=Q(user__isnull=False), name="unique_member_like"
            ),
            models.UniqueConstraint(
                fields=["story", "visitor_key"],
                condition=Q(user__isnull=True),
                name="unique_visitor_like",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False, visitor_key="")
                | Q(user__isnull=True) & ~Q(visitor_key=""),
                name="like_member_or_visitor",
            ),
        ]

    def __str__(self) -> str:
        return f"Like {self.pk}"
