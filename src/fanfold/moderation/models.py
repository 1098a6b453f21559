"""What moderators decided (the start of the archive's action log) and what awaits them."""

from django.conf import settings
from django.db import models
from django.db.models import Prefetch
from django.utils import timezone

from fanfold.archive.models import Category, Chapter, Status, with_author_list


def awaiting_validation():
    """Submitted chapters, oldest first, with what a queue row shows and nothing more.

    New stories wait as their pending first chapter(s); "submitted" is the chapter's last
    change by its authors (`updated_at`).
    """
    return (
        Chapter.objects.filter(status=Status.PENDING)
        .select_related("story")
        .only(
            "pk",
            "position",
            "title",
            "word_count",
            "status",
            "updated_at",
            "story_id",
            "story__title",
            "story__slug",
            "story__status",
        )  # fmt: skip
        .prefetch_related(
            Prefetch(
                "story__authorships",
                queryset=with_author_list().queryset,
                to_attr="author_list",
            ),
            Prefetch("story__categories", queryset=Category.objects.only("pk", "name")),
        )
        .order_by("updated_at", "pk")
    )


class ModerationDecision(models.Model):
    """One moderator's decision, kept after its subject changes: approving or rejecting a
    submitted chapter, or approving, hiding, restoring or deleting a review.

    `subject` records what was decided on in words, so the log still reads when the story
    or chapter is later deleted (their foreign keys then become empty).
    """

    class Action(models.TextChoices):
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        REVIEW_APPROVED = "review_approved", "Review approved"
        REVIEW_HIDDEN = "review_hidden", "Review hidden"
        REVIEW_RESTORED = "review_restored", "Review restored"
        REVIEW_DELETED = "review_deleted", "Review deleted"

    story = models.ForeignKey(
        "archive.Story", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    chapter = models.ForeignKey(
        "archive.Chapter", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_decisions",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    subject = models.CharField(max_length=500)
    # The reason sent to the authors (rejections), or the moderator's reason and the
    # review's text (reviews); plain text, never rendered as HTML.
    message = models.TextField(blank=True)
    # True when the moderator also marked the story's authors as trusted.
    trusted_authors = models.BooleanField(default=False)
    # For rejections: whether the email reached the mail server (False: tell them another way).
    authors_notified = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.subject}"
