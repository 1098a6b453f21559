"""Signed, time-limited email confirmation links (no table: the link carries its data).

A link says "account u may change its address from A to B". Registration sends A = B;
an email change sends the old and the new address. A link works only while the account
still has address A and, for a change, still waits for B (User.pending_email, cleared on
use), so neither an older nor a used change link can be replayed.
"""

from dataclasses import dataclass

from django.core import signing

SALT = "fanfold.accounts.confirm-email"
MAX_AGE = 3 * 24 * 3600


@dataclass(frozen=True)
class Confirmation:
    user_id: int
    old: str
    new: str


def make(user, new_email: str) -> str:
    return signing.dumps({"u": user.pk, "from": user.email, "to": new_email}, salt=SALT)


def fits(found: Confirmation, user) -> bool:
    """Whether the account is still in the state the link was made for."""
    if user.email != found.old:
        return False
    return found.old == found.new or user.pending_email == found.new


def read(token: str) -> Confirmation | None:
    """The confirmation a token carries, or None when it is forged, broken or expired."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
        return Confirmation(int(data["u"]), str(data["from"]), str(data["to"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
