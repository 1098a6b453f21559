from dataclasses import asdict, dataclass, fields

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse

from fanfold.lib import pagecache
from fanfold.lib.markup import Format
from fanfold.lib.names import name_key, sort_key

PEN_NAME_KEY_LENGTH = 255
# Stories whose authors closed their accounts and kept the stories belong to this account
# (created on first use by fanfold.archive.account_closing); nobody may register the name.
ORPHAN_USERNAME = "orphan_account"
ORPHAN_PEN_NAME = "Orphan Account"


class User(AbstractUser):
    """The sign-in account. What readers see of a member lives on Profile.

    E-mail addresses are not unique: imported archives share them between accounts.
    """

    legacy_uid = models.PositiveIntegerField(null=True, blank=True, unique=True)
    # False only for members who registered while the archive asks for confirmation and
    # have not followed the emailed link yet. Accounts made any other way (admin,
    # createsuperuser, demo, import) count as confirmed.
    email_confirmed = models.BooleanField(default=True)
    # The address an email change waits to confirm; only its newest link works, once.
    pending_email = models.EmailField(blank=True, default="")


class ProfileQuerySet(models.QuerySet):
    def with_stories(self):
        return self.filter(story_count__gt=0)

    def by_pen_name(self, pen_name: str):
        return self.get(pen_name_key=name_key(pen_name)[:PEN_NAME_KEY_LENGTH])

    def renamed_from(self, pen_name: str) -> "Profile | None":
        """The member an import renamed away from `pen_name` to settle a pen-name clash
        ("Name" became "Name (uid)"), so `/authors/<old name>/` still leads to them.

        For when no member holds the name now (while one does, the page is theirs). None
        when the name was nobody's, or several members': which one a link meant is unknown.
        """
        key = name_key(pen_name)[:PEN_NAME_KEY_LENGTH]
        if not key:
            return None
        renamed = list(self.filter(former_name_key=key).order_by("pk")[:2])
        return renamed[0] if len(renamed) == 1 else None


TEXT_SIZES = {"small": "Small", "medium": "Medium", "large": "Large", "x-large": "Extra large"}


@dataclass(frozen=True)
class Preferences:
    """A member's settings with their defaults; stored as JSON in Profile.preferences.

    Unknown or malformed stored values fall back to the default, so older rows and
    imported data never break a page.
    """

    # Agreed once to rating warnings: no warning page for this member.
    age_consent: bool = False
    # Story listings without a ?sort= use this (a key of archive.views.browse.SORTS).
    default_sort: str = "updated"
    # Opening a story shows its index; off, it opens at the first chapter.
    index_first: bool = True
    text_size: str = "medium"
    notify_review: bool = True
    notify_review_response: bool = True
    notify_subscriptions: bool = True
    # Favorites listed on the member's profile page; off, only the member sees them there.
    favorites_public: bool = True

    @classmethod
    def from_json(cls, stored) -> "Preferences":
        stored = stored if isinstance(stored, dict) else {}
        values = {}
        for each in fields(cls):
            value = stored.get(each.name, each.default)
            values[each.name] = value if isinstance(value, type(each.default)) else each.default
        if values["text_size"] not in TEXT_SIZES:
            values["text_size"] = cls.text_size
        return cls(**values)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def for_user(cls, user) -> "Preferences":
        """A signed-in member's preferences; the defaults for visitors, without a query."""
        if not user.is_authenticated:
            return cls()
        try:
            return user.profile.prefs
        except Profile.DoesNotExist:
            return cls()


class Profile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    pen_name = models.CharField(max_length=100)
    # The pen name as compared for clashes (lib.names.name_key: case, width and Unicode
    # look-alikes folded); unique so look-alikes cannot coexist.
    pen_name_key = models.CharField(max_length=PEN_NAME_KEY_LENGTH, unique=True, editable=False)
    # How the authors list orders and files pen names A–Z (accents and case ignored).
    pen_name_sort = models.CharField(max_length=200, default="", editable=False, db_index=True)
    bio = models.TextField(blank=True, help_text="Sanitized HTML.")
    # What the member typed, in bio_format; bio is rendered from it on save.
    bio_source = models.TextField(blank=True)
    bio_format = models.CharField(max_length=10, choices=Format.CHOICES, default=Format.PLAIN)
    website = models.URLField(blank=True)
    # Read through `profile.prefs` (defaults filled in); see Preferences.
    preferences = models.JSONField(default=dict, blank=True)
    # Trusted authors publish without waiting in the validation queue.
    trusted = models.BooleanField(default=False)
    # Denormalized: published stories this member (co-)authors. Kept by archive.counts.
    story_count = models.PositiveIntegerField(default=0)
    # The name key this member signed in with before an import renamed them to settle a
    # pen-name clash ("Name" became "Name (uid)"); the old name keeps working for sign-in.
    former_name_key = models.CharField(max_length=PEN_NAME_KEY_LENGTH, blank=True, db_index=True)
    legacy = models.JSONField(default=dict, blank=True)

    objects = ProfileQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["pen_name"]), models.Index(fields=["story_count"])]

    def __str__(self) -> str:
        return self.pen_name

    def save(self, *args, **kwargs):
        self.derive_name_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "pen_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "pen_name_key", "pen_name_sort"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("archive:author", args=[self.pen_name])

    def derive_name_fields(self) -> None:
        """Keys follow the pen name; bulk inserts (demo, importer) call this before bulk_create."""
        self.pen_name_key = name_key(self.pen_name)[:PEN_NAME_KEY_LENGTH]
        self.pen_name_sort = sort_key(self.pen_name)[:200]

    @property
    def safe_website(self) -> str:
        """The website only when it is a web address (imported data may hold anything)."""
        return self.website if self.website.lower().startswith(("http://", "https://")) else ""

    @property
    def prefs(self) -> Preferences:
        return Preferences.from_json(self.preferences)

    def save_preferences(self, prefs: Preferences) -> None:
        """Store preferences without a save signal: they change no page anyone else sees,
        so they must not invalidate the page cache the way a pen name or bio does; except
        the one public switch, whether the profile shows the member's favorites."""
        shown_before = self.prefs.favorites_public
        self.preferences = prefs.to_json()
        Profile.objects.filter(pk=self.pk).update(preferences=self.preferences)
        if prefs.favorites_public != shown_before:
            pagecache.bump("listings")


class ProfileField(models.Model):
    """An extra profile field the archive's admins define (eFiction's "author fields")."""

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        URL = "url", "Web address"
        YES_NO = "yesno", "Yes / no"
        CHOICE = "choice", "Choice from a list"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEXT)
    choices = models.TextField(blank=True, help_text="For a choice list: one choice per line.")
    help_text = models.CharField(max_length=200, blank=True)
    order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True, help_text="Inactive fields are hidden.")
    legacy_field_id = models.PositiveIntegerField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class ProfileFieldValueQuerySet(models.QuerySet):
    def shown(self):
        """Values worth showing on an author page, in the admins' field order."""
        return (
            self.filter(field__is_active=True)
            .exclude(value="")
            .select_related("field")
            .order_by("field__order", "field__pk")
        )


class ProfileFieldValue(models.Model):
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="field_values")
    field = models.ForeignKey(ProfileField, on_delete=models.CASCADE, related_name="values")
    # Text as typed (escaped on output); "yes"/"no" for yes/no fields; a URL is http(s) only.
    value = models.CharField(max_length=1000, blank=True)

    objects = ProfileFieldValueQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "field"], name="unique_profile_field")
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.value}"

    @property
    def safe_url(self) -> str:
        """A URL field's value only when it is a web address (imported data may hold anything)."""
        if self.field.kind == ProfileField.Kind.URL and self.value.lower().startswith(
            ("http://", "https://")
        ):
            return self.value
        return ""

    @property
    def display(self) -> str:
        if self.field.kind == ProfileField.Kind.YES_NO:
            return "Yes" if self.value == "yes" else "No"
        return self.value
