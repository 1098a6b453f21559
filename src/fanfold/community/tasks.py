"""Notification delivery in the task worker: recipients, fan-out in batches, emails.

`deliver(event_id)` is the one task. It may run twice, concurrently, or again after a
worker was killed at any point, and still gives every recipient exactly one `Delivery`
and one email:

- fan-out: recipients in id order, a batch at a time; each batch's deliveries are one
  `bulk_create(ignore_conflicts=True)` against the (event, recipient) unique constraint,
  so a re-run creates nothing twice and, walking the same order, skips no one;
- email: a delivery is claimed (queued → sending) by a conditional UPDATE that only one
  worker can win, sent, then marked sent. The member's switch and address are read again
  just before the claim, so switching email off stops what is still queued. A worker
  killed between claim and mark leaves it "sending": the next worker to start notes it and,
  if it is still "sending" `NOTIFICATION_SENDING_TIMEOUT` later (`release_stuck`), queues
  it again, so that one message may go twice (the only duplicate allowed) and none is
  lost. A claim only spans one SMTP send (seconds), so a worker starting next to a live one
  never takes back what the live one is sending.

Neither django-tasks-db nor RQ re-runs a task whose worker died, hence `resume_unfinished`.
"""

import logging
from datetime import timedelta
from smtplib import SMTPException, SMTPRecipientsRefused

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, mailers
from django.db.models import Q
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from fanfold.accounts.models import Preferences, User
from fanfold.archive.models import Series, SeriesItem, StoryAuthor
from fanfold.community.models import Block, Delivery, Event, Mute, Review, Subscription
from fanfold.core.models import ArchiveSettings

logger = logging.getLogger(__name__)

Kind = Event.Kind
# How long a delivery waits before trying again when the mail server does not answer.
MAIL_RETRY_AFTER = timedelta(minutes=5)
UNSUBSCRIBE_SALT = "fanfold.community.unsubscribe"

# The member's switch (accounts.models.Preferences) that decides whether a kind is emailed;
# the inbox gets every kind.
EMAIL_SWITCHES = {
    Kind.NEW_CHAPTER: "notify_subscriptions",
    Kind.NEW_STORY: "notify_subscriptions",
    Kind.NEW_REVIEW: "notify_review",
    Kind.REVIEW_RESPONSE: "notify_review_response",
    Kind.REVIEW_REPLY: "notify_review_response",
}


@task
def deliver(event_id: int) -> None:
    """Fan an event out to its recipients and email those who want email."""
    event = (
        Event.objects.select_related("story", "chapter", "series", "review", "actor__profile")
        .defer("chapter__body", "chapter__body_text", "chapter__notes", "chapter__end_notes")
        .filter(pk=event_id)
        .first()
    )
    if event is None:  # its story, chapter or review was deleted since
        return
    if event.review_id and event.review.status != Review.Status.PUBLISHED:
        # Hidden (or held again) since it was posted: nobody hears of a review they cannot
        # read. Restoring it announces it afresh (community.reviews.restore).
        event.delete()
        return
    try:
        if not event.fanned_out:
            for recipient_ids in _batches(recipients_of(event)):
                _add_deliveries(event, recipient_ids)
                _email(event, event.deliveries.filter(recipient_id__in=recipient_ids))
            Event.objects.filter(pk=event.pk).update(fanned_out=True)
        _email(event, event.deliveries.all())
    except (SMTPException, OSError):
        logger.warning("Mail server unavailable; event %s retries later", event_id, exc_info=True)
        deliver.using(run_after=timezone.now() + MAIL_RETRY_AFTER).enqueue(event_id)


def resume_unfinished() -> int:
    """Enqueue every event a stopped or killed worker left unfinished; how many.

    `fanfold worker` calls it as it starts, possibly while other workers are busy. A
    delivery "sending" now is either being sent by a live worker or was claimed by one
    that died; which, only time tells: `release_stuck` looks again after the timeout.
    """
    sending = list(
        Delivery.objects.filter(email=Delivery.Email.SENDING).values_list("pk", flat=True)
    )
    if sending:
        timeout = sending_timeout()
        if timeout:
            release_stuck.using(run_after=timezone.now() + timeout).enqueue(sending)
        else:  # told no other worker can be busy: take them back now (enqueued below)
            _take_back(sending)
    unfinished = set(Event.objects.filter(fanned_out=False).values_list("pk", flat=True))
    unfinished.update(
        Delivery.objects.filter(email=Delivery.Email.QUEUED).values_list("event_id", flat=True)
    )
    for event_id in sorted(unfinished):
        deliver.enqueue(event_id)
    return len(unfinished)


@task
def release_stuck(delivery_ids: list[int]) -> None:
    """Queue again those of these deliveries still "sending" a timeout after a worker
    start saw them so: their worker died mid-send (a live one is done in seconds)."""
    for event_id in _take_back(delivery_ids):
        deliver.enqueue(event_id)


def _take_back(delivery_ids: list[int]) -> list[int]:
    """Queue again those of these deliveries still "sending"; the ids of their events."""
    stuck = Delivery.objects.filter(pk__in=delivery_ids, email=Delivery.Email.SENDING)
    event_ids = sorted(set(stuck.values_list("event_id", flat=True)))
    stuck.update(email=Delivery.Email.QUEUED)
    return event_ids


def sending_timeout() -> timedelta:
    """How long a delivery may stay "sending" before a restarted worker takes it back: far
    longer than one SMTP send (EMAIL_URL's timeout, 10 s by default, per network step).
    0 takes them back as the worker starts (only right when no other worker can be busy)."""
    return timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT)


# Recipients ------------------------------------------------------------------------------


def story_subscriptions(story_id: int):
    """Subscriptions to any author of the story or to any series it is in."""
    authors = StoryAuthor.objects.filter(story_id=story_id).values("user_id")
    series = SeriesItem.objects.filter(story_id=story_id).values("series_id")
    return Subscription.objects.filter(Q(author_id__in=authors) | Q(series_id__in=series))


def recipients_of(event: Event):
    """The members an event reaches: active, never its actor, never told of their own work.

    New chapter: the story's subscribers; new story: its authors' and its series'
    subscribers; new review: the story's authors (a series review: the series' owner);
    response: the reviewer; reply: everyone in the thread.
    """
    if event.kind == Kind.NEW_CHAPTER:
        wanted = Q(pk__in=Subscription.objects.filter(story_id=event.story_id).values("user_id"))
    elif event.kind == Kind.NEW_STORY:
        wanted = Q(pk__in=story_subscriptions(event.story_id).values("user_id"))
    elif event.kind == Kind.NEW_REVIEW and event.story_id:
        wanted = Q(pk__in=StoryAuthor.objects.filter(story_id=event.story_id).values("user_id"))
    elif event.kind == Kind.NEW_REVIEW:
        wanted = Q(pk__in=Series.objects.filter(pk=event.series_id).values("owner_id"))
    elif event.kind == Kind.REVIEW_RESPONSE:
        wanted = Q(pk__in=Review.objects.filter(pk=event.review_id).values("reviewer_id"))
    else:
        # A reply: the review it answers, the author's response to it and every reply.
        thread = Review.objects.filter(pk=event.review_id).values("parent_id")
        in_thread = Review.objects.filter(Q(pk__in=thread) | Q(parent_id__in=thread))
        wanted = Q(pk__in=in_thread.values("reviewer_id")) | Q(
            pk__in=in_thread.filter(responded_by__isnull=False).values("responded_by_id")
        )
    recipients = User.objects.filter(wanted, is_active=True)
    if event.kind in (Kind.NEW_CHAPTER, Kind.NEW_STORY):
        recipients = recipients.exclude(
            pk__in=StoryAuthor.objects.filter(story_id=event.story_id).values("user_id")
        )
    return _without_unwanted(event, recipients)


def _without_unwanted(event: Event, recipients):
    """Never the actor, nor a member who blocked the actor (their reviews, replies,
    responses and new stories stay out of the blocker's inbox); news of a story (a new
    story or chapter) never reaches a member who muted any of its authors."""
    if event.actor_id:
        blockers = Block.objects.filter(blocked_id=event.actor_id).values("user_id")
        recipients = recipients.exclude(pk=event.actor_id).exclude(pk__in=blockers)
    if event.kind in (Kind.NEW_CHAPTER, Kind.NEW_STORY):
        authors = StoryAuthor.objects.filter(story_id=event.story_id).values("user_id")
        muters = Mute.objects.filter(author_id__in=authors).values("user_id")
        recipients = recipients.exclude(pk__in=muters)
    return recipients


def _batches(recipients):
    """Recipient ids in id order, a batch at a time (keyset paging: no OFFSET drift)."""
    last = 0
    while True:
        ids = list(
            recipients.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[: settings.NOTIFICATION_BATCH_SIZE]
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def _add_deliveries(event: Event, recipient_ids: list[int]) -> None:
    """One delivery per recipient; emailed only to confirmed addresses whose switch is on."""
    rows = User.objects.filter(pk__in=recipient_ids).values_list(
        "pk", "email", "email_confirmed", "profile__preferences"
    )
    Delivery.objects.bulk_create(
        [
            Delivery(
                event=event,
                recipient_id=pk,
                email=Delivery.Email.QUEUED
                if _wants_email(event, email, confirmed, prefs)
                else Delivery.Email.NONE,
            )
            for pk, email, confirmed, prefs in rows
        ],
        ignore_conflicts=True,
    )


def _wants_email(event: Event, address: str, confirmed: bool, prefs) -> bool:
    """A confirmed address and the switch for this kind of event on (prefs: the profile's
    JSON, None without a profile)."""
    switch = EMAIL_SWITCHES[event.kind]
    return bool(address and confirmed and getattr(Preferences.from_json(prefs), switch))


# Email -----------------------------------------------------------------------------------


def _email(event: Event, deliveries) -> None:
    """Send the queued ones among these deliveries, a batch per SMTP connection."""
    last = 0
    while True:
        batch = list(
            deliveries.filter(email=Delivery.Email.QUEUED, pk__gt=last)
            .select_related("recipient__profile")
            .only(
                "recipient__email", "recipient__email_confirmed", "recipient__is_active",
                "recipient__username", "recipient__profile__pen_name",
                "recipient__profile__preferences",
            )
            .order_by("pk")[: settings.NOTIFICATION_BATCH_SIZE]
        )  # fmt: skip
        if not batch:
            return
        last = batch[-1].pk
        # Read now, not at fan-out: a member who switched email off (or left) since then
        # is not emailed; the inbox entry stays.
        unwanted = [d.pk for d in batch if not _still_wants_email(event, d.recipient)]
        if unwanted:
            Delivery.objects.filter(pk__in=unwanted, email=Delivery.Email.QUEUED).update(
                email=Delivery.Email.NONE
            )
            batch = [d for d in batch if d.pk not in unwanted]
            if not batch:
                continue
        targets = _unsubscribe_targets(event, [d.recipient_id for d in batch])
        with mailers.default as connection:
            for delivery in batch:
                message = _message(event, delivery.recipient, targets[delivery.recipient_id])
                _send_once(delivery, message, connection)


def _still_wants_email(event: Event, recipient: User) -> bool:
    profile = getattr(recipient, "profile", None)
    prefs = profile.preferences if profile else None
    return recipient.is_active and _wants_email(
        event, recipient.email, recipient.email_confirmed, prefs
    )


def _send_once(delivery: Delivery, message: EmailMultiAlternatives, connection) -> None:
    """Claim, send, mark sent: of two workers holding the same delivery, one sends."""
    claimed = Delivery.objects.filter(pk=delivery.pk, email=Delivery.Email.QUEUED).update(
        email=Delivery.Email.SENDING
    )
    if not claimed:
        return
    try:
        connection.send_messages([message])
    except SMTPRecipientsRefused:
        # This address only: the others still go, and retrying would not help.
        logger.warning("Mail server refused %s (delivery %s)", message.to, delivery.pk)
        Delivery.objects.filter(pk=delivery.pk).update(email=Delivery.Email.NONE)
        return
    except Exception:
        # Not known to have left: queued again for the retry (if it had, this is the
        # one duplicate allowed).
        Delivery.objects.filter(pk=delivery.pk).update(email=Delivery.Email.QUEUED)
        raise
    Delivery.objects.filter(pk=delivery.pk).update(email=Delivery.Email.SENT)


def _unsubscribe_targets(event: Event, recipient_ids: list[int]) -> dict[int, tuple[str, int]]:
    """What each recipient's one-click unsubscribe link stops.

    A subscription email stops the subscription that brought it; a review email turns its
    switch off.
    """
    if event.kind == Kind.NEW_CHAPTER:
        return dict.fromkeys(recipient_ids, ("story", event.story_id))
    if event.kind != Kind.NEW_STORY:
        return dict.fromkeys(recipient_ids, (EMAIL_SWITCHES[event.kind], 0))
    targets = {}
    subscriptions = story_subscriptions(event.story_id).filter(user_id__in=recipient_ids)
    for user_id, author_id, series_id in subscriptions.values_list(
        "user_id", "author_id", "series_id"
    ):
        targets.setdefault(user_id, ("author", author_id) if author_id else ("series", series_id))
    # Unsubscribed since the fan-out: the link still turns new-story emails off.
    return {pk: targets.get(pk, (EMAIL_SWITCHES[event.kind], 0)) for pk in recipient_ids}


def unsubscribe_token(user_id: int, what: str, target_id: int) -> str:
    """A signed, non-expiring token naming a member and what to stop (see views)."""
    return signing.dumps([user_id, what, target_id], salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> tuple[int, str, int] | None:
    """(user id, what, target id), or None when the token was not made by us."""
    try:
        user_id, what, target_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return user_id, what, target_id


def _message(event: Event, recipient: User, target: tuple[str, int]) -> EmailMultiAlternatives:
    site = settings.SITE_URL
    unsubscribe = site + reverse(
        "community:unsubscribe_link", args=[unsubscribe_token(recipient.pk, *target)]
    )
    profile = getattr(recipient, "profile", None)
    context = {
        "site_name": ArchiveSettings.current().site_name or settings.SITE_NAME,
        "site_url": site,
        "event": event,
        "pen_name": profile.pen_name if profile else recipient.get_username(),
        "unsubscribe_url": unsubscribe,
        "unsubscribes_switch": target[0] in EMAIL_SWITCHES.values(),
        "inbox_url": site + reverse("community:notifications"),
    }
    subject = render_to_string("community/email/notification_subject.txt", context)
    message = EmailMultiAlternatives(
        " ".join(subject.split()),  # a header holds one line, whatever a title holds
        render_to_string("community/email/notification.txt", context),
        to=[recipient.email],
        headers={
            # RFC 8058: mail programs show an unsubscribe button that POSTs here.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(
        render_to_string("community/email/notification.html", context), "text/html"
    )
    return message
