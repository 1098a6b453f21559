"""Keeping the search index in step with the archive: the one module that writes it.

Every story has one document (title, summary, notes, author pen names, and the titles,
notes and text of its published chapters), whatever its status: who may see a story is
decided when searching (Story.objects.listed_for), so hiding, validating or publishing a
story needs no reindexing, only a change of its text does. Saves through the ORM update
the document at once, in the same transaction (the receivers below); bulk writers (demo
data, imports) call rebuild() when they are done.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from fanfold.accounts.models import Profile
from fanfold.archive import pagecache
from fanfold.archive.models import Chapter, Story, StoryAuthor
from fanfold.archive.signals import chapter_text_saved
from fanfold.lib.markup import html_to_text
from fanfold.lib.progress import ProgressBar
from fanfold.search.backends import Document, backend, without_marks
from fanfold.search.models import SearchTerms

BATCH = 200
# Saves that touch only these story fields leave its document as it was.
_STORY_TEXT_FIELDS = {"title", "summary", "notes"}


def documents(story_ids: Iterable[int]) -> list[Document]:
    """Documents of these stories in four queries; a missing story has none."""
    ids = list(story_ids)
    authors = defaultdict(list)
    for story_id, pen_name, username in StoryAuthor.objects.filter(story_id__in=ids).values_list(
        "story_id", "user__profile__pen_name", "user__username"
    ):
        authors[story_id].append(pen_name or username)
    chapters = defaultdict(list)
    for story_id, title, notes, body_text, end_notes in (
        Chapter.objects.published()
        .filter(story_id__in=ids)
        .order_by("story_id", "position")
        .values_list("story_id", "title", "notes", "body_text", "end_notes")
    ):
        chapters[story_id] += [title, html_to_text(notes), body_text, html_to_text(end_notes)]
    return [
        Document(
            story_id=story.pk,
            title=without_marks(story.title),
            summary=without_marks(html_to_text(story.summary)),
            notes=without_marks(html_to_text(story.notes)),
            authors=without_marks("\n".join(authors[story.pk])),
            body=without_marks("\n\n".join(part for part in chapters[story.pk] if part)),
        )
        for story in Story.objects.filter(pk__in=ids).only("title", "summary", "notes")
    ]


def update(story_ids: Iterable[int]) -> None:
    """Rewrite the documents of these stories; a deleted story's document goes."""
    ids = list(story_ids)
    engine = backend()
    with transaction.atomic():
        found = documents(ids)
        engine.delete(sorted(set(ids) - {d.story_id for d in found}))
        engine.write(found)


def rebuild(
    story_ids: Iterable[int] | None = None,
    *,
    progress: Callable[..., ProgressBar] | None = None,
) -> int:
    """Rebuild the documents of these stories, or of every story; returns how many.

    For bulk writers that bypass signals (the demo generator, the eFiction importer) and
    for `fanfold reindex`. Each batch is its own transaction: searches meanwhile find
    every story, by its old or its new document. `progress` makes a tqdm-style bar
    (fanfold.lib.progress.progress_bar).
    """
    everything = story_ids is None
    if everything:
        story_ids = Story.objects.order_by("pk").values_list("pk", flat=True)
    ids = list(story_ids)
    progress = progress or (lambda **kwargs: ProgressBar(disable=True, **kwargs))
    with progress(total=len(ids), desc="search index", unit="story") as bar:
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            update(batch)
            bar.update(len(batch))
    if everything:
        # NOT EXISTS: PostgreSQL ran NOT IN as a rescan of every story id per document
        # when its statistics were stale (minutes at 100,000 stories).
        orphans = ~Exists(Story.objects.filter(pk=OuterRef("story_id")))
        SearchTerms.objects.filter(orphans).delete()
        backend().optimize()
    pagecache.listings_changed()
    return len(ids)


# Receivers: saves and deletions through the ORM --------------------------------------


@receiver(post_save, sender=Story)
def _story_saved(sender, instance, update_fields=None, **kwargs):
    if update_fields is None or _STORY_TEXT_FIELDS & set(update_fields):
        update([instance.pk])


@receiver(post_delete, sender=Story)
def _story_deleted(sender, instance, **kwargs):
    backend().delete([instance.pk])


@receiver([post_save, post_delete], sender=Chapter)
@receiver([post_save, post_delete], sender=StoryAuthor)
def _story_part_changed(sender, instance, origin=None, **kwargs):
    if isinstance(origin, Story) or getattr(origin, "model", None) is Story:
        return  # the story itself is being deleted, and its document with it
    update([instance.story_id])


@receiver(chapter_text_saved)
def _chapter_text_saved(sender, story_id, **kwargs):
    update([story_id])


@receiver(post_save, sender=Profile)
def _pen_name_changed(sender, instance, update_fields=None, **kwargs):
    if update_fields is None or "pen_name" in update_fields:
        update(
            StoryAuthor.objects.filter(user_id=instance.user_id).values_list("story_id", flat=True)
        )
