"""What authoring does to stories and chapters: the one place for each of these rules.

Views, the moderation queue and commands call these functions; each runs in one
transaction, keeps the denormalized counts right (fanfold.archive.counts) and invalidates
cached pages. Permission checks stay in the views (fanfold.archive.permissions).
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from fanfold.archive import coauthors, counts, pagecache, series_items, signals
from fanfold.archive.models import Chapter, Status, Story, StoryAuthor
from fanfold.core.models import ArchiveSettings
from fanfold.core.permissions import is_moderator
from fanfold.lib.ratelimit import exceeded


def status_on_submit(user) -> str:
    """What a posted chapter becomes: published, or pending while validation is on.

    Trusted authors and moderators skip validation (eFiction's "validated" authors).
    """
    if not ArchiveSettings.current().validate_submissions or is_moderator(user):
        return Status.PUBLISHED
    profile = getattr(user, "profile", None)
    return Status.PUBLISHED if profile is not None and profile.trusted else Status.PENDING


def posting_limited(user, model: type[Story] | type[Chapter], submission_key) -> bool:
    """Count a post (a new story or chapter) against the member's hourly limit; True
    once over it. A repeat of a post already saved (same submission key) creates
    nothing, so it is not counted."""
    if submission_key and model.objects.filter(submission_key=submission_key).exists():
        return False
    limit, window = settings.RATELIMIT_POST_PER_ACCOUNT
    return exceeded("post", str(user.pk), limit, window)


@dataclass(frozen=True)
class ChapterText:
    """A chapter's sanitized parts, as the chapter form produces them."""

    title: str
    notes: str
    body: str
    body_text: str
    word_count: int
    end_notes: str


def refresh_counts(
    story_ids: list[int], *, labels: bool = False, before: counts.Labels | None = None
) -> None:
    """Counts after a change to these stories; refreshing counts invalidates their pages.

    `labels` when the change may add or remove the stories on listings (publishing,
    deleting chapters): then the story counts of the categories, authors, series… they
    touch are recomputed, and those of `before` (counts.labels_of() taken before an edit)
    too, so a label a story left is recounted. Only those rows, never the whole archive.
    """
    counts.refresh_stories(story_ids)
    if labels or before is not None:
        counts.refresh_labels_of(story_ids, before or counts.Labels())


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
    before = counts.labels_of([story.pk])
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
    # Most edits change the text, not the labels: then no label count can have moved.
    labels_changed = counts.labels_of([story.pk]) != before
    refresh_counts([story.pk], before=before if labels_changed else None)


def set_labels(story: Story, labels: dict) -> None:
    """Categories, characters and classifications: each a list of rows."""
    story.categories.set(labels.get("categories", []))
    story.characters.set(labels.get("characters", []))
    story.classifications.set(labels.get("classifications", []))


def delete_story(story: Story) -> None:
    """The story, its chapters and its places in series; counts everywhere follow."""
    story_id = story.pk
    before = counts.labels_of([story_id])
    with transaction.atomic():
        story.delete()
    counts.refresh_labels_of([], before)
    pagecache.story_changed(story_id)


def submit_story(story: Story, user) -> int:
    """Post every draft chapter of the story; returns how many were posted.

    Counts are refreshed once, after the last chapter.
    """
    drafts = list(story.chapters.filter(status=Status.DRAFT).order_by("position"))
    posted = [_post_chapter(chapter, user) for chapter in drafts]
    if any(posted):
        refresh_counts([story.pk], labels=Status.PUBLISHED in posted)
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
        refresh_counts([story.pk])
    return chapter, True


def update_chapter(chapter: Chapter, text: ChapterText, *, revision: int) -> bool:
    """Save new text only if nobody saved since `revision` was loaded; False on a conflict."""
    return save_chapter(chapter, None, text, revision=revision)


def save_chapter(
    chapter: Chapter, user, text: ChapterText, *, revision: int, submit: bool = False
) -> bool:
    """An edit of the chapter form: save the text, and post the chapter if `submit`.

    The text is saved only if nobody saved since `revision` was loaded; False on such a
    conflict, and nothing is saved or posted. One conditional UPDATE … WHERE revision = n:
    of two editors, exactly one wins and the other is shown both texts, never overwritten.
    """
    now = timezone.now()
    with transaction.atomic():
        saved = Chapter.objects.filter(pk=chapter.pk, revision=revision).update(
            **vars(text), updated_at=now, revision=F("revision") + 1
        )
        if saved and chapter.status == Status.PUBLISHED:
            Story.objects.filter(pk=chapter.story_id).update(updated_at=now)
    if not saved:
        return False
    signals.chapter_text_saved.send(sender=Chapter, story_id=chapter.story_id)
    chapter.refresh_from_db()
    posted = _post_chapter(chapter, user) if submit else None
    refresh_counts([chapter.story_id], labels=posted == Status.PUBLISHED)
    return True


def submit_chapter(chapter: Chapter, user) -> str:
    """Post a draft: published, or pending validation; the story follows its chapters.

    Returns the chapter's new status. Published and hidden chapters stay as they are.
    """
    status = _post_chapter(chapter, user)
    if status is None:
        return chapter.status
    refresh_counts([chapter.story_id], labels=status == Status.PUBLISHED)
    return status


def _post_chapter(chapter: Chapter, user) -> str | None:
    """Submit without refreshing counts; the new status, or None if it was no draft."""
    if chapter.status != Status.DRAFT:
        return None
    status = status_on_submit(user)
    if status == Status.PUBLISHED:
        publish_chapter(chapter)
        return status
    with transaction.atomic():
        story = Story.objects.select_for_update().get(pk=chapter.story_id)
        chapter.status = status
        chapter.updated_at = timezone.now()
        chapter.save(update_fields=["status", "updated_at"])
        settle_story_status(story)
    return status


def publish_chapter(chapter: Chapter) -> Story:
    """Make the chapter public: posting a trusted author's draft, or a moderator approving.

    The story is updated now and follows its chapters (settle_story_status). Callers
    refresh counts (refresh_counts(..., labels=True)) once their transaction is done.
    Subscribers hear of it through `story_published` (the story's first time in public)
    or `chapter_published`, sent in the same transaction; a hidden story tells nobody.
    """
    now = timezone.now()
    with transaction.atomic():
        story = Story.objects.select_for_update().get(pk=chapter.story_id)
        first_time = story.published_at is None
        chapter.status = Status.PUBLISHED
        chapter.published_at = chapter.published_at or now
        chapter.updated_at = now
        chapter.save(update_fields=["status", "published_at", "updated_at"])
        story.updated_at = now
        story.save(update_fields=["updated_at"])
        settle_story_status(story)
        if story.status == Status.PUBLISHED:
            if first_time:
                signals.story_published.send(Story, story=story)
            else:
                signals.chapter_published.send(Chapter, chapter=chapter)
    return story


def settle_story_status(story: Story) -> None:
    """The one rule for a story's status: it follows its chapters.

    Published if any chapter is published, else pending if any waits for validation,
    else a draft (never an empty page); published_at is set the first time. A story a
    moderator hid stays hidden. Call with the story row locked, after changing chapters.
    """
    if story.status == Status.HIDDEN:
        return
    statuses = set(Chapter.objects.filter(story_id=story.pk).values_list("status", flat=True))
    if Status.PUBLISHED in statuses:
        status = Status.PUBLISHED
    elif Status.PENDING in statuses:
        status = Status.PENDING
    else:
        status = Status.DRAFT
    changed = []
    if story.status != status:
        story.status = status
        changed.append("status")
    if status == Status.PUBLISHED and story.published_at is None:
        story.published_at = timezone.now()
        changed.append("published_at")
    if changed:
        story.save(update_fields=changed)


def delete_chapter(chapter: Chapter) -> None:
    """Remove a chapter and close the gap it leaves in the numbering."""
    story_id = chapter.story_id
    with transaction.atomic():
        story = Story.objects.select_for_update().get(pk=story_id)
        chapter.delete()
        _renumber(story_id, list(Chapter.objects.filter(story_id=story_id).order_by("position")))
        settle_story_status(story)
    refresh_counts([story_id], labels=True)


def reorder_chapters(story: Story, chapter_ids: list[int]) -> None:
    """Put the story's chapters in this order, numbered 1..n, in one transaction.

    Ids not given keep their relative order after the given ones; unknown ids are ignored.
    """
    with transaction.atomic():
        chapters = {c.pk: c for c in Chapter.objects.select_for_update().filter(story=story)}
        ordered = [chapters.pop(pk) for pk in dict.fromkeys(chapter_ids) if pk in chapters]
        ordered += sorted(chapters.values(), key=lambda c: c.position)
        _renumber(story.pk, ordered)
    refresh_counts([story.pk])


def _renumber(story_id: int, ordered: list[Chapter]) -> None:
    changed = [c for n, c in enumerate(ordered, start=1) if c.position != n]
    for number, chapter in enumerate(ordered, start=1):
        chapter.position = number
    if changed:
        Chapter.objects.bulk_update(changed, ["position"])
