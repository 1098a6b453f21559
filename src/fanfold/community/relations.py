"""Muting and blocking: what a member keeps away from themselves.

- **Mute** an author: their stories leave the member's listings and search
  (`Story.objects.listed_for`) and the member hears of no new story or chapter of theirs
  (`tasks.recipients_of`). A co-authored story goes if any of its authors is muted.
  Stories stay readable at their own URLs; nobody else is affected.
- **Block** a member: they may not review or like the blocker's stories, edit old
  reviews there, nor reply to the blocker's reviews (`permissions`), and nothing they
  write notifies the blocker.

Each action is idempotent (muting twice keeps one row, unmuting what is not muted is
not an error) and refuses the member themselves. Neither changes a page anyone else
sees, so no shared page is touched; a mute renews the member's own facet counts.
"""

from django.db import IntegrityError, transaction

from fanfold.accounts.models import User
from fanfold.archive import pagecache
from fanfold.community.models import Block, Mute


class SelfRelationError(ValueError):
    """A member tried to mute or block themselves."""


def mute(user: User, author: User) -> None:
    _refuse_self(user, author, "mute")
    _add(Mute, user=user, author=author)
    pagecache.mutes_changed(user.pk)


def unmute(user: User, author: User) -> None:
    Mute.objects.filter(user=user, author=author).delete()
    pagecache.mutes_changed(user.pk)


def block(user: User, member: User) -> None:
    _refuse_self(user, member, "block")
    _add(Block, user=user, blocked=member)


def unblock(user: User, member: User) -> None:
    Block.objects.filter(user=user, blocked=member).delete()


def _refuse_self(user: User, other: User, verb: str) -> None:
    if user.pk == other.pk:
        raise SelfRelationError(f"You cannot {verb} yourself.")


def _add(model, **pair) -> None:
    """One row per pair, even when the same button is pressed twice at once."""
    try:
        with transaction.atomic():
            model.objects.get_or_create(**pair)
    except IntegrityError:  # the other press won the race: the row is there
        pass


class _Related:
    """`{% if member.pk in relations.muted %}`: one query, only when a template asks."""

    def __init__(self, user: User, model, field: str):
        self.user, self.model, self.field = user, model, field

    def __contains__(self, pk) -> bool:
        return self.model.objects.filter(user=self.user, **{self.field: pk}).exists()


class Relations:
    """What the signed-in member muted and blocked, asked lazily by templates."""

    def __init__(self, user: User):
        self.muted = _Related(user, Mute, "author_id")
        self.blocked = _Related(user, Block, "blocked_id")


def context(request) -> dict:
    """Context processor: `relations` for members; nothing (and no query) for visitors."""
    if not request.user.is_authenticated:
        return {}
    return {"relations": Relations(request.user)}
