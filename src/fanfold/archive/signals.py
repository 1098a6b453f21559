"""Signals the archive sends up to the apps above it, and page-cache invalidation when
archive rows change through the ORM.

Bulk writes (demo data, imports, recounts) bypass signals and invalidate themselves.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import Signal, receiver

from fanfold.accounts.models import Profile
from fanfold.archive import pagecache
from fanfold.archive.models import (
    Category,
    Chapter,
    Character,
    Classification,
    ClassificationType,
    Rating,
    Series,
    SeriesItem,
    Story,
    StoryAuthor,
)

# Sent by archive.actions inside the publishing transaction (the archive may not import
# community, which listens): `story_published` with `story` when a story becomes public
# for the first time, `chapter_published` with `chapter` when a chapter of an already
# public story does.
story_published = Signal()
chapter_published = Signal()
# Sent with `story_id` after a chapter's text was saved by a conditional UPDATE (which
# sends no post_save): the search index listens.
chapter_text_saved = Signal()


@receiver([post_save, post_delete], sender=Story)
def _story(sender, instance, **kwargs):
    pagecache.story_changed(instance.pk)


@receiver([post_save, post_delete], sender=Chapter)
@receiver([post_save, post_delete], sender=StoryAuthor)
def _story_part(sender, instance, **kwargs):
    pagecache.story_changed(instance.story_id)


@receiver(m2m_changed, sender=Story.categories.through)
@receiver(m2m_changed, sender=Story.characters.through)
@receiver(m2m_changed, sender=Story.classifications.through)
def _story_labels(sender, instance, **kwargs):
    if isinstance(instance, Story):
        pagecache.story_changed(instance.pk)
    else:
        pagecache.everything_changed()


# Names shown on every story page: a change anywhere may show anywhere.
@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=Character)
@receiver([post_save, post_delete], sender=Classification)
@receiver([post_save, post_delete], sender=ClassificationType)
@receiver([post_save, post_delete], sender=Rating)
@receiver([post_save, post_delete], sender=Series)
@receiver([post_save, post_delete], sender=SeriesItem)
@receiver([post_save, post_delete], sender=Profile)
def _shared_names(sender, instance, **kwargs):
    pagecache.everything_changed()
