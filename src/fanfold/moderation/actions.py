"""Validation: what approving or rejecting a submitted chapter does, in one place.

Views, the admin and commands call these. Each decision runs in one transaction that
locks the story and then the chapter, and acts only on a chapter still awaiting
validation, so a double post or two moderators deciding at once change nothing twice.
"""

import logging
from smtplib import SMTPException

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from fanfold.accounts.models import Profile
from fanfold.archive import actions as archive_actions
from fanfold.archive.models import Chapter, Status, Story, StoryAuthor
from fanfold.core.permissions import is_moderator
from fanfold.moderation.models import ModerationDecision

logger = logging.getLogger(__name__)


def approve(chapter: Chapter, moderator, trust: bool = False) -> ModerationDecision | None:
    """Publish a pending chapter (and its story, if the story waited too).

    `trust` also marks every author of the story as trusted, so their next submissions
    skip the queue. Returns None when the chapter no longer awaits validation.
    """
    _check(moderator)
    with transaction.atomic():
        story, chapter = _lock(chapter)
        if chapter.status != Status.PENDING:
            return None
        story = archive_actions.publish_chapter(chapter)
        if trust:
            Profile.objects.filter(user__authorships__story=story).update(trusted=True)
        decision = ModerationDecision.objects.create(
            story=story,
            chapter=chapter,
            moderator=moderator,
            action=ModerationDecision.Action.APPROVED,
            subject=_subject(story, chapter),
            trusted_authors=trust,
        )
    archive_actions.refresh_counts([story.pk], labels=True)
    return decision


def reject(
    chapter: Chapter, moderator, message: str, *, site_url: str = ""
) -> ModerationDecision | None:
    """Send a pending chapter back to its authors as a draft, with the moderator's reason.

    The story goes back to draft too when nothing else of it is published or waiting.
    Every author with an address gets the message by email, with a link to where they
    can edit (absolute when `site_url`, e.g. "https://archive.example", is given).
    Returns None when the chapter no longer awaits validation.
    """
    _check(moderator)
    message = message.strip()
    if not message:
        raise ValueError("A rejection needs a message for the authors.")
    with transaction.atomic():
        story, chapter = _lock(chapter)
        if chapter.status != Status.PENDING:
            return None
        chapter.status = Status.DRAFT
        chapter.save(update_fields=["status"])
        archive_actions.settle_story_status(story)
        decision = ModerationDecision.objects.create(
            story=story,
            chapter=chapter,
            moderator=moderator,
            action=ModerationDecision.Action.REJECTED,
            subject=_subject(story, chapter),
            message=message,
        )
    archive_actions.refresh_counts([story.pk], labels=True)
    # After the commit: a slow or failing mail server never undoes the decision.
    decision.authors_notified = _email_rejection(story, chapter, message, site_url)
    decision.save(update_fields=["authors_notified"])
    return decision


def _check(moderator) -> None:
    if not is_moderator(moderator):
        raise PermissionDenied("Only moderators validate submissions.")


def _lock(chapter: Chapter) -> tuple[Story, Chapter]:
    """Story first, then chapter: the same order everywhere, so lockers never deadlock."""
    story = Story.objects.select_for_update().get(pk=chapter.story_id)
    return story, Chapter.objects.select_for_update().get(pk=chapter.pk)


def _subject(story: Story, chapter: Chapter) -> str:
    return f"{story.title} — {chapter.display_title}"[:500]


def edit_link(story: Story) -> str:
    """Where an author fixes a rejected chapter: the story's edit page when it exists."""
    for name, args in (("archive:story_edit", [story.pk]), ("archive:my_stories", [])):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return story.get_absolute_url()


def _email_rejection(story: Story, chapter: Chapter, message: str, site_url: str) -> bool:
    """One email per author (addresses stay private among co-authors); False if it failed."""
    authorships = StoryAuthor.objects.filter(story=story).select_related("user__profile")
    link = site_url.rstrip("/") + edit_link(story)
    emails = []
    for authorship in authorships:
        user = authorship.user
        if not user.email:
            continue
        profile = getattr(user, "profile", None)
        context = {
            "pen_name": profile.pen_name if profile else user.get_username(),
            "story": story,
            "chapter": chapter,
            "message": message,
            "link": link,
            "site_name": settings.SITE_NAME,
        }
        subject = render_to_string("moderation/email/rejected_subject.txt", context)
        email = EmailMultiAlternatives(
            " ".join(subject.split()),  # headers hold one line, whatever the title holds
            render_to_string("moderation/email/rejected.txt", context),
            to=[user.email],
        )
        email.attach_alternative(
            render_to_string("moderation/email/rejected.html", context), "text/html"
        )
        emails.append(email)
    if not emails:
        return False
    try:
        mailers.default.send_messages(emails)
    except (SMTPException, OSError):
        logger.exception("Could not email the rejection of chapter %s", chapter.pk)
        return False
    return True
