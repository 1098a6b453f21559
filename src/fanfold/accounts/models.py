from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse

from fanfold.lib.names import name_key


class User(AbstractUser):
    """The sign-in account. What readers see of a member lives on Profile.

    E-mail addresses are not unique: imported archives share them between accounts.
    """

    legacy_uid = models.PositiveIntegerField(null=True, blank=True, unique=True)
    # False until the member follows the emailed link (when the archive asks for it).
    email_confirmed = models.BooleanField(default=False)


class ProfileQuerySet(models.QuerySet):
    def with_stories(self):
        return self.filter(story_count__gt=0)

    def by_pen_name(self, pen_name: str):
        return self.get(pen_name_key=name_key(pen_name))


class Profile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    pen_name = models.CharField(max_length=100)
    # The pen name as compared for clashes; unique so look-alikes cannot coexist.
    pen_name_key = models.CharField(max_length=100, unique=True, editable=False)
    bio = models.TextField(blank=True, help_text="Sanitized HTML.")
    website = models.URLField(blank=True)
    preferences = models.JSONField(default=dict, blank=True)
    # Trusted authors publish without waiting in the validation queue.
    trusted = models.BooleanField(default=False)
    # Denormalized: published stories this member (co-)authors. Kept by archive.counts.
    story_count = models.PositiveIntegerField(default=0)
    legacy = models.JSONField(default=dict, blank=True)

    objects = ProfileQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["pen_name"]), models.Index(fields=["story_count"])]

    def __str__(self) -> str:
        return self.pen_name

    def save(self, *args, **kwargs):
        self.pen_name_key = name_key(self.pen_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "pen_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "pen_name_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("archive:author", args=[self.pen_name])

    @property
    def safe_website(self) -> str:
        """The website only when it is a web address (imported data may hold anything)."""
        return self.website if self.website.lower().startswith(("http://", "https://")) else ""
