"""Account changes that take more than one step: confirming addresses, closing accounts."""

from django.db import transaction
from django.urls import reverse

from fanfold.accounts import mail, tokens
from fanfold.accounts.models import Profile, ProfileField, ProfileFieldValue, User
from fanfold.accounts.signals import account_closing
from fanfold.lib.markup import convert


def request_email_change(request, user: User, new_email: str) -> None:
    """Remember the new address as the one waiting (older links stop working) and send
    its confirmation link."""
    user.pending_email = new_email
    user.save(update_fields=["pending_email"])
    send_confirmation(request, user, new_email)


def send_confirmation(request, user: User, new_email: str | None = None) -> None:
    """Email a confirmation link: for the account's own address, or for a new one."""
    to = new_email or user.email
    link = request.build_absolute_uri(reverse("accounts:confirm", args=[tokens.make(user, to)]))
    template = "confirm_change" if new_email else "confirm"
    mail.send(to, template, {"user": user, "link": link, "days": tokens.MAX_AGE // 86400})


def confirm_email(request, token: str) -> User | None:
    """Apply a confirmation link: the address is confirmed (and, for a change, replaces the
    old one, which is told so). None when the link is broken, expired, or no longer
    matches the account."""
    found = tokens.read(token)
    if found is None:
        return None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=found.user_id).first()
        if user is None or not tokens.fits(found, user):
            return None
        user.email = found.new
        user.email_confirmed = True
        user.pending_email = ""
        user.save(update_fields=["email", "email_confirmed", "pending_email"])
    if found.old != found.new and found.old:
        reset = request.build_absolute_uri(reverse("accounts:password_reset"))
        mail.send(
            found.old, "email_changed", {"user": user, "new_email": found.new, "reset": reset}
        )
    return user


def update_profile(profile: Profile, data: dict, values: dict[ProfileField, str]) -> None:
    """Save pen name, bio, website and custom fields together.

    Saving the profile sends post_save, which invalidates cached pages that show it
    (archive/signals.py), custom field values included.
    """
    rendered = convert(data["bio"], data["bio_format"]).html if data["bio"].strip() else ""
    with transaction.atomic():
        for field, value in values.items():
            if value:
                ProfileFieldValue.objects.update_or_create(
                    profile=profile, field=field, defaults={"value": value}
                )
            else:
                ProfileFieldValue.objects.filter(profile=profile, field=field).delete()
        profile.pen_name = data["pen_name"]
        profile.bio_source = data["bio"]
        profile.bio_format = data["bio_format"]
        profile.bio = rendered
        profile.website = data["website"]
        profile.save()


def close_account(user: User, *, keep_stories: bool) -> None:
    """Delete an account; its stories are orphaned or deleted by the archive's receiver."""
    with transaction.atomic():
        account_closing.send(sender=User, user=user, keep_stories=keep_stories)
        user.delete()
