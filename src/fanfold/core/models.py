"""Archive-wide settings the owner changes at run time (in the admin), not in the environment."""

from django.core.cache import cache
from django.db import models, transaction

from fanfold.lib import pagecache
from fanfold.lib.markup import sanitize

_CACHE_KEY = "core:archive-settings:v1"


class ArchiveSettings(models.Model):
    """One row of switches; read through `ArchiveSettings.current()`, which is cached."""

    confirm_email = models.BooleanField(
        default=True,
        help_text="New members confirm their email address before they can log in.",
    )
    validate_submissions = models.BooleanField(
        default=False,
        help_text="New stories and chapters by authors who are not trusted wait for a "
        "moderator (eFiction's validation).",
    )
    allow_coauthors = models.BooleanField(default=True)
    anonymous_reviews = models.BooleanField(
        default=False,
        help_text="Visitors who are not signed in may review (eFiction's anonymous reviews).",
    )
    moderate_anonymous_reviews = models.BooleanField(
        default=True, help_text="Reviews by visitors wait for a moderator before they show."
    )
    authors_delete_reviews = models.BooleanField(
        default=False,
        help_text="Authors may delete reviews of their own stories (eFiction's revdelete).",
    )
    site_name = models.CharField(
        max_length=100, blank=True, help_text="Shown in the header; empty: the SITE_NAME setting."
    )
    slogan = models.CharField(max_length=200, blank=True)
    rules = models.TextField(blank=True, help_text="Submission rules, sanitized HTML.")
    terms = models.TextField(blank=True, help_text="Terms of service, sanitized HTML.")
    # Imported eFiction settings Fanfold has no switch for yet, kept rather than dropped.
    legacy = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "archive settings"

    def __str__(self) -> str:
        return "Archive settings"

    def save(self, *args, **kwargs):
        self.pk = 1
        # Pages show these as HTML, whoever wrote them (the admin form, the importer).
        self.rules = sanitize(self.rules)
        self.terms = sanitize(self.terms)
        super().save(*args, **kwargs)
        # Every page shows the name and slogan. Forgotten now, so this transaction sees
        # the change, and again on commit, in case another process cached the old row
        # in between.
        _settings_changed()
        transaction.on_commit(_settings_changed)

    @classmethod
    def current(cls) -> "ArchiveSettings":
        found = cache.get(_CACHE_KEY)
        if found is None:
            found = cls.objects.filter(pk=1).first() or cls(pk=1)
            cache.set(_CACHE_KEY, found, 300)
        return found


def _settings_changed() -> None:
    cache.delete(_CACHE_KEY)
    pagecache.bump("site")
