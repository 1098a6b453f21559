"""Subscriptions, and the events members are told about, delivered by the task worker.

An `Event` is recorded in the request (one row, one task enqueued); the worker fans it out
into one `Delivery` per recipient, unique on (event, recipient), and sends the emails.
A delivery is the member's inbox entry and the progress of its email, so a worker killed
half-way resumes without sending anyone the same email twice or skipping anyone.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from fanfold.archive.models import Chapter, Series, Story
from fanfold.community.models.library import one_target_per_row


class Subscription(models.Model):
    """A member following a story (new chapters), an author or a series (new stories)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    story = models.ForeignKey(
        Story, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscribers",
    )
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = one_target_per_row("subscription_one_target", "unique_sub")

    def __str__(self) -> str:
        return f"Subscription {self.pk}"


class Event(models.Model):
    class Kind(models.TextChoices):
        NEW_CHAPTER = "new_chapter", "New chapter"
        NEW_STORY = "new_story", "New story"
        NEW_REVIEW = "new_review", "New review"
        REVIEW_RESPONSE = "review_response", "Response to a review"
        REVIEW_REPLY = "review_reply", "Reply to a review"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    story = models.ForeignKey(
        Story, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    chapter = models.ForeignKey(
        Chapter, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    review = models.ForeignKey(
        "community.Review", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # True once every recipient has a Delivery; the worker resumes fan-outs still False.
    fanned_out = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], condition=Q(fanned_out=False), name="event_pending")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"


class Delivery(models.Model):
    """One recipient's notification: an inbox entry, and the state of its email."""

    class Email(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        # The member switched this kind of email off, or has no usable address.
        NONE = "none", "Not emailed"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deliveries"
    )
    email = models.CharField(max_length=10, choices=Email.choices, default=Email.QUEUED)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "recipient"], name="unique_delivery")
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="delivery_unread"
            ),
            models.Index(
                fields=["event"],
                condition=Q(email__in=["queued", "sending"]),
                name="delivery_unsent",
            ),
        ]

    def __str__(self) -> str:
        return f"Delivery {self.pk}"
