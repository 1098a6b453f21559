"""A member's reading history: where they stopped in each story.

Only members have one (visitors' pages come from the shared cache and write nothing).
Recording costs a signed-in chapter view one UPDATE, or an INSERT the first time.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from fanfold.archive.models import Chapter, Story
from fanfold.community.models import ReadingPosition


def record_reading(user, story: Story, chapter: Chapter) -> None:
    if not user.is_authenticated:
        return
    now = timezone.now()
    moved = ReadingPosition.objects.filter(user=user, story=story).update(
        chapter=chapter, read_at=now
    )
    if moved:
        return
    try:
        with transaction.atomic():
            ReadingPosition.objects.create(user=user, story=story, chapter=chapter, read_at=now)
    except IntegrityError:  # the same member opened a chapter in another tab just now
        ReadingPosition.objects.filter(user=user, story=story).update(chapter=chapter, read_at=now)


def position_for(user, story: Story) -> Chapter | None:
    """The chapter a member last opened in this story ("continue reading"); no query for
    visitors."""
    if not user.is_authenticated:
        return None
    position = (
        ReadingPosition.objects.filter(user=user, story=story, chapter__isnull=False)
        .select_related("chapter")
        .only("chapter__id", "chapter__story_id", "chapter__position", "chapter__title")
        .first()
    )
    return position.chapter if position else None
