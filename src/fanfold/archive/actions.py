"""What authoring does to stories and chapters: the one place for each of these rules.

Views, the moderation queue and commands call these functions; each runs in one
transaction, keeps the denormalized counts right (fanfold.archive.counts) and invalidates
cached pages. Permission checks stay in the views (fanfold.archive.permissions).
"""

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from fanfold.archive import coauthors, counts, pagecache, series_items
from fanfold.archive.models import Chapter, Status, Story, StoryAuthor
from fanfold.core.models import ArchiveSettings
from fanfold.core.permissions import is_moderator


def status_on_submit(user) -> str:
    """What a posted chapter becomes: published, or pending while validation is on.

    Trusted authors and moderators skip validation (eFiction's "validated" authors).
    """
    if not ArchiveSettings.current().validate_submissions or is_moderator(user):
        return Status.PUBLISHED
    profile = getattr(user, "profile", None)
    return Status.PUBLISHED if profile is not None and profile.trusted else Status.PENDING


@dataclass(frozen=True)
class ChapterText:
    """A chapter's sanitized parts, as the chapter form produces them."""

    title: str
    notes: str
    body: str
    body_text: str
    word_count: int
    end_notes: str


def _refresh(story_ids: list[int], *, taxonomy: bool = False) -> None:
    """Counts after a change to these stories; refreshing counts invalidates their pages.

    `taxonomy` when the change may add or remove a story on listings (publishing, labels,
    deleting): those counts are recomputed for the whole archive, so not on every edit.
    """
    counts.refresh_stories(story_ids)
    if taxonomy:
        counts.refresh_taxonomy()


# Stories ---------------------------------------------------------------------------------


def create_story(
    user,
    fields: dict,
    labels: dict,
    *,
    series=None,
    invitees=(),
    submission_key: uuid.UUID | None = None,
) -> tuple[Story, bool]:
    """A new draft story owned by `user`; (story, created).

    A form posted twice carries the same submission key: the unique key refuses the second
    insert, also when both arrive at the same moment, and the second post gets the story
    the first one created.
    """
    try:
        with transaction.atomic():
            story = Story.objects.create(
                **fields, status=Status.DRAFT, submission_key=submission_key
            )
            StoryAuthor.objects.create(story=story, user=user, is_owner=True, position=0)
            set_labels(story, labels)
            if series is not None:
                series_items.add_story(series, story)
            if invitees:
                coauthors.invite(story, user, list(invitees))
    except IntegrityError:
        first = Story.objects.filter(submission_key=submission_key).first()
        if submission_key is None or first is None:
            raise
        return first, False
    return story, True


def update_story(
    story: Story, user, fields: dict, labels: dict, *, series=None, invitees=()
) -> None:
    with transaction.atomic():
        for name, value in fields.items():
            setattr(story, name, value)
        story.updated_at = timezone.now()
        story.save()
        set_labels(story, labels)
        if series is not None:
            series_items.add_story(series, story)
        if invitees:
            coauthors.invite(story, user, list(invitees))
    _refresh([story.pk], taxonomy=True)


def set_labels(story: Story, labels: dict) -> None:
    """Categories, characters and classifications: each a list of rows."""
    story.categories.set(labels.get("categories", []))
    story.characters.set(labels.get("characters", []))
    story.classifications.set(labels.get("classifications", []))


def delete_story(story: Story) -> None:
    """The story, its chapters and its places in series; counts everywhere follow."""
    story_id = story.pk
    with transaction.atomic():
        story.delete()
    counts.refresh_taxonomy()
    pagecache.story_changed(story_id)


def submit_story(story: Story, user) -> int:
    """Post every draft chapter of the story; returns how many were posted."""
    drafts = list(story.chapters.filter(status=Status.DRAFT).order_by("position"))
    for chapter in drafts:
        submit_chapter(chapter, user)
    return len(drafts)


# Chapters --------------------------------------------------------------------------------


def create_chapter(
    story: Story,
    user,
    text: ChapterText,
    *,
    submit: bool,
    submission_key: uuid.UUID | None = None,
) -> tuple[Chapter, bool]:
    """A new chapter at the end of the story, as a draft or posted; (chapter, created).

    A repeated submission key gives the chapter the first post created (see create_story).
    """
    try:
        with transaction.atomic():
            # Lock the story row so two new chapters never take the same position.
            Story.objects.select_for_update().filter(pk=story.pk).first()
            last = story.chapters.order_by("-position").values_list("position", flat=True)
            chapter = Chapter.objects.create(
                story=story,
                position=(last.first() or 0) + 1,
                status=Status.DRAFT,
                submission_key=submission_key,
                **vars(text),
            )
    except IntegrityError:
        first = Chapter.objects.filter(submission_key=submission_key).first()
        if submission_key is None or first is None:
            raise
        return first, False
    if submit:
        submit_chapter(chapter, user)
    else:
        _refresh([story.pk])
    return chapter, True


def update_chapter(chapter: Chapter, text: ChapterText, *, revision: int) -> bool:
    """Save new text only if nobody saved since `revision` was loaded; False on a conflict.

    One conditional UPDATE … WHERE revision = n: of two editors, exactly one wins and
    the other is shown both texts, never overwritten.
    """
    now = timezone.now()
    with transaction.atomic():
        saved = Chapter.objects.filter(pk=chapter.pk, revision=revision).update(
            **vars(text), updated_at=now, revision=F("revision") + 1
        )
        if saved and chapter.status == Status.PUBLISHED:
            Story.objects.filter(pk=chapter.story_id).update(updated_at=now)
    if saved:
        chapter.refresh_from_db()
        _refresh([chapter.story_id])
    return bool(saved)


def submit_chapter(chapter: Chapter, user) -> str:
    """Post a draft: published, or pending validation; the story follows its first chapter.

    Returns the chapter's new status. Published and hidden chapters stay as they are.
    """
    if chapter.status != Status.DRAFT:
        return chapter.status
    status = status_on_submit(user)
    now = timezone.now()
    with transaction.atomic():
        story = Story.objects.select_for_update().get(pk=chapter.story_id)
        chapter.status = status
        chapter.updated_at = now
        fields = ["status", "updated_at"]
        if status == Status.PUBLISHED:
            chapter.published_at = chapter.published_at or now
            fields.append("published_at")
        chapter.save(update_fields=fields)
        if status == Status.PUBLISHED:
            story.updated_at = now
            if story.status in (Status.DRAFT, Status.PENDING):
                story.status = Status.PUBLISHED
                story.published_at = story.published_at or now
            story.save(update_fields=["status", "published_at", "updated_at"])
        elif story.status == Status.DRAFT:
            story.status = Status.PENDING
            story.save(update_fields=["status"])
    _refresh([story.pk], taxonomy=status == Status.PUBLISHED)
    return status


def delete_chapter(chapter: Chapter) -> None:
    """Remove a chapter and close the gap it leaves in the numbering."""
    story_id = chapter.story_id
    with transaction.atomic():
        chapter.delete()
        _renumber(story_id, list(Chapter.objects.filter(story_id=story_id).order_by("position")))
        _unpublish_if_empty(story_id)
    _refresh([story_id], taxonomy=True)


def reorder_chapters(story: Story, chapter_ids: list[int]) -> None:
    """Put the story's chapters in this order, numbered 1..n, in one transaction.

    Ids not given keep their relative order after the given ones; unknown ids are ignored.
    """
    with transaction.atomic():
        chapters = {c.pk: c for c in Chapter.objects.select_for_update().filter(story=story)}
        ordered = [chapters.pop(pk) for pk in dict.fromkeys(chapter_ids) if pk in chapters]
        ordered += sorted(chapters.values(), key=lambda c: c.position)
        _renumber(story.pk, ordered)
    _refresh([story.pk])


def _renumber(story_id: int, ordered: list[Chapter]) -> None:
    changed = [c for n, c in enumerate(ordered, start=1) if c.position != n]
    for number, chapter in enumerate(ordered, start=1):
        chapter.position = number
    if changed:
        Chapter.objects.bulk_update(changed, ["position"])


def _unpublish_if_empty(story_id: int) -> None:
    """A published story whose last visible chapter went is a draft again, not an empty page."""
    if not Chapter.objects.filter(story_id=story_id).exclude(status=Status.DRAFT).exists():
        Story.objects.filter(pk=story_id, status__in=[Status.PUBLISHED, Status.PENDING]).update(
            status=Status.DRAFT
        )
