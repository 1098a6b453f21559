"""Taxonomy, stories, chapters and series: what the archive holds and how readers see it.

Counts on these models (`story_count`, `word_count`, …) are denormalized for listing
speed and written only by fanfold.archive.counts.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from fanfold.lib.names import initial, sort_key
from fanfold.lib.slugs import story_slug


class Category(models.Model):
    """A fandom or sub-fandom; eFiction's categories form a tree."""

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Sanitized HTML.")
    order = models.PositiveIntegerField(default=0)
    # A locked category takes no new stories except from moderators.
    locked = models.BooleanField(default=False)
    story_count = models.PositiveIntegerField(default=0)
    legacy_catid = models.PositiveIntegerField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("archive:category", args=[self.pk])


class Character(models.Model):
    name = models.CharField(max_length=200)
    categories = models.ManyToManyField(Category, blank=True, related_name="characters")
    story_count = models.PositiveIntegerField(default=0)
    legacy_charid = models.PositiveIntegerField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("archive:character", args=[self.pk])


class ClassificationType(models.Model):
    """A kind of label admins define: genres, warnings, pairings…"""

    name = models.CharField(max_length=100)
    order = models.PositiveIntegerField(default=0)
    legacy_classtype_id = models.PositiveIntegerField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("archive:classification_type", args=[self.pk])


class Classification(models.Model):
    type = models.ForeignKey(
        ClassificationType, on_delete=models.CASCADE, related_name="classifications"
    )
    name = models.CharField(max_length=200)
    story_count = models.PositiveIntegerField(default=0)
    legacy_class_id = models.PositiveIntegerField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["type__order", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("archive:classification", args=[self.pk])


class Rating(models.Model):
    name = models.CharField(max_length=100)
    order = models.PositiveIntegerField(default=0)
    # eFiction's rating flags: a warning page, age consent, members only.
    shows_warning = models.BooleanField(default=False)
    needs_consent = models.BooleanField(default=False)
    members_only = models.BooleanField(default=False)
    warning_text = models.TextField(blank=True, help_text="Sanitized HTML.")
    story_count = models.PositiveIntegerField(default=0)
    legacy_rid = models.PositiveIntegerField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("archive:rating", args=[self.pk])

    @property
    def is_gated(self) -> bool:
        """Readers see a warning and must continue before the text."""
        return self.shows_warning or self.needs_consent


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING = "pending", "Awaiting validation"
    PUBLISHED = "published", "Published"
    HIDDEN = "hidden", "Hidden by a moderator"


def with_author_list(through: str = "") -> models.Prefetch:
    """A story's authorships in byline order with profiles, as `story.author_list`;
    `through` prefetches them for the story of a related row ("story")."""
    return models.Prefetch(
        f"{through}__authorships" if through else "authorships",
        queryset=StoryAuthor.objects.select_related("user__profile").only(
            "story_id", "position", "user__username", "user__profile__pen_name"
        ),
        to_attr="author_list",
    )


def _has_author_muted_by(user) -> models.Exists:
    """Whether any author of the outer story is muted by this member: one correlated
    subquery, no extra round trip. Mute rows (community) are reached through the reverse
    relation `muted_by`, so archive imports nothing from community."""
    return models.Exists(
        StoryAuthor.objects.filter(story=models.OuterRef("pk"), user__muted_by__user=user)
    )


class StoryQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED, chapter_count__gt=0)

    def readable_by(self, user):
        """Published stories this visitor may read (and so review, like or follow):
        members read every rating, visitors not the members-only ones."""
        published = self.published()
        if not user.is_authenticated:
            return published.filter(rating__members_only=False)
        return published

    def listed_for(self, user):
        """Stories that appear on listings for this visitor: the ones they may read, and,
        for a member, by no author they muted (a co-authored story goes if any of its
        authors is muted). Muted stories stay readable at their own URLs."""
        readable = self.readable_by(user)
        if not user.is_authenticated:
            return readable
        return readable.filter(~_has_author_muted_by(user))

    def visible_to(self, user):
        """Stories this user may open: published ones, plus their own in any state."""
        visible = Q(status=Status.PUBLISHED, chapter_count__gt=0)
        if not user.is_authenticated:
            return self.filter(visible, rating__members_only=False)
        if user.is_staff:
            return self
        return self.filter(visible | Q(authors=user)).distinct()

    def for_listing(self):
        """What a blurb shows, in a fixed number of queries whatever the page size."""
        return (
            self.select_related("rating")
            .prefetch_related(with_author_list(), "categories")
            .defer("notes")
        )


class Story(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, allow_unicode=True, editable=False)
    # Derived from the title for the A–Z listing: see Story.derive_title_fields().
    title_key = models.CharField(max_length=200, editable=False, default="")
    title_letter = models.CharField(max_length=1, editable=False, default="#")
    summary = models.TextField(blank=True, help_text="Sanitized HTML.")
    notes = models.TextField(blank=True, help_text="Sanitized HTML.")
    rating = models.ForeignKey(Rating, on_delete=models.PROTECT, related_name="stories")
    categories = models.ManyToManyField(Category, blank=True, related_name="stories")
    characters = models.ManyToManyField(Character, blank=True, related_name="stories")
    classifications = models.ManyToManyField(Classification, blank=True, related_name="stories")
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="StoryAuthor", related_name="stories"
    )
    language = models.CharField(max_length=20, default="en")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    completed = models.BooleanField(default=False)
    featured = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    # Denormalized counts; see fanfold.archive.counts.
    word_count = models.PositiveIntegerField(default=0)
    chapter_count = models.PositiveIntegerField(default=0)
    review_count = models.PositiveIntegerField(default=0)
    favorite_count = models.PositiveIntegerField(default=0)
    like_count = models.PositiveIntegerField(default=0)
    hits = models.PositiveBigIntegerField(default=0)
    # The token of the form that created it, so a form posted twice creates one story.
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    legacy_sid = models.PositiveIntegerField(null=True, blank=True, unique=True)
    # Imported fields Fanfold has no column for yet, kept rather than dropped.
    legacy = models.JSONField(default=dict, blank=True)

    objects = StoryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "stories"
        indexes = [
            models.Index(fields=["status", "-updated_at"]),
            models.Index(fields=["status", "-published_at"]),
            models.Index(fields=["status", "title_key"]),
            models.Index(fields=["status", "title_letter", "title_key"]),
            models.Index(fields=["status", "-review_count"]),
            models.Index(fields=["status", "-favorite_count"]),
            models.Index(fields=["status", "-like_count"]),
            models.Index(fields=["status", "-hits"]),
            models.Index(fields=["status", "-word_count"]),
            models.Index(fields=["status", "completed", "-updated_at"]),
            models.Index(fields=["status", "featured", "-updated_at"]),
            models.Index(fields=["rating", "status", "-updated_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.derive_title_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "title" in update_fields:
            kwargs["update_fields"] = {*update_fields, "slug", "title_key", "title_letter"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("archive:story", args=[self.pk, self.slug])

    def derive_title_fields(self) -> None:
        """Slug and A–Z keys follow the title; bulk inserts call this before bulk_create."""
        self.slug = story_slug(self.title)
        self.title_key = sort_key(self.title)[:200]
        self.title_letter = initial(self.title)

    def chapter_url(self, number: int) -> str:
        return reverse("archive:chapter", args=[self.pk, number])

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED


class StoryAuthor(models.Model):
    """An author of a story; the owner created it, co-authors were invited."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="authorships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="authorships"
    )
    is_owner = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["story", "user"], name="unique_story_author")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.story}"


class ChapterQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)


class Chapter(models.Model):
    """One chapter; `position` is its number in the story, counted from 1."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="chapters")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True, help_text="Sanitized HTML shown before the text.")
    end_notes = models.TextField(blank=True, help_text="Sanitized HTML shown after the text.")
    body = models.TextField(help_text="Sanitized HTML.")
    body_text = models.TextField(help_text="Plain text of the body, for counts and search.")
    word_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    review_count = models.PositiveIntegerField(default=0)
    # Bumped by every edit; a save carrying an older revision is a conflict, not an overwrite.
    revision = models.PositiveIntegerField(default=1)
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    legacy_chapid = models.PositiveIntegerField(null=True, blank=True, unique=True)
    legacy = models.JSONField(default=dict, blank=True)

    objects = ChapterQuerySet.as_manager()

    class Meta:
        ordering = ["story", "position"]
        indexes = [models.Index(fields=["story", "status", "position"])]

    def __str__(self) -> str:
        return self.display_title

    def get_absolute_url(self) -> str:
        return reverse("archive:chapter", args=[self.story_id, self.position])

    @property
    def display_title(self) -> str:
        return self.title or f"Chapter {self.position}"


class Series(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="series"
    )
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text="Sanitized HTML.")
    # Open series accept stories by other authors (eFiction's "open" series).
    is_open = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    story_count = models.PositiveIntegerField(default=0)
    review_count = models.PositiveIntegerField(default=0)
    favorite_count = models.PositiveIntegerField(default=0)
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    legacy_seriesid = models.PositiveIntegerField(null=True, blank=True, unique=True)
    legacy = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "series"
        ordering = ["title"]
        indexes = [models.Index(fields=["-updated_at"]), models.Index(fields=["title"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("archive:series", args=[self.pk])


class SeriesItem(models.Model):
    """A story or a sub-series at a position in a series."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    story = models.ForeignKey(
        Story, null=True, blank=True, on_delete=models.CASCADE, related_name="series_items"
    )
    subseries = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.CASCADE, related_name="parent_items"
    )

    class Meta:
        ordering = ["series", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(story__isnull=False, subseries__isnull=True)
                | Q(story__isnull=True, subseries__isnull=False),
                name="series_item_story_xor_subseries",
            ),
            models.UniqueConstraint(fields=["series", "story"], name="unique_series_story"),
        ]

    def __str__(self) -> str:
        return f"{self.series} #{self.position}"


class CoauthorInvite(models.Model):
    """An invitation to co-author a story; the invitee becomes an author on accepting."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="coauthor_invites")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coauthor_invites"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["story", "user"], name="unique_coauthor_invite")
        ]

    def __str__(self) -> str:
        return f"{self.user} invited to {self.story}"


class PendingSubmission(models.Model):
    """Form data posted after the author's session expired, kept until they sign in again.

    Only its signed id travels through the sign-in page; the text stays on the server.
    """

    action_path = models.CharField(max_length=500)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"Pending post to {self.action_path}"
