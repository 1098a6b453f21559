from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from fanfold.accounts.models import PEN_NAME_KEY_LENGTH, Profile, User
from fanfold.lib.names import name_key


def confirmed_by_email(identifier: str):
    """The accounts an email address signs in to: those that confirmed it. Anyone can
    register a stranger's address, so an unconfirmed account (which signs in by pen name)
    must neither take the address over nor show that it has an account."""
    return User.objects.filter(email__iexact=identifier, email_confirmed=True)


class PenNameBackend(ModelBackend):
    """Sign in with a pen name (compared the way pen names clash) or an email address.

    An email works only when exactly one confirmed account has it (case-insensitive):
    imported archives share addresses, and SignInForm then asks for the pen name. Accounts without
    a profile (a superuser made by `createsuperuser`) sign in with their username, as
    Django's own backend does. A name an import took from a member to settle a clash
    still signs that member in (Profile.former_name_key).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        members = self._members(username)
        if not members:
            return super().authenticate(request, username=username, password=password, **kwargs)
        for user in members:
            if user.check_password(password) and self.user_can_authenticate(user):
                return user
        return None

    def _members(self, identifier: str) -> list[User]:
        """The accounts a pen name or address may mean, in the order to try them.

        A pen name means its holder and then any member an import renamed away from it
        ("Name" became "Name (uid)" to settle a clash): the old name still signs them in,
        with their own password.
        """
        key = name_key(identifier)[:PEN_NAME_KEY_LENGTH]
        if key:
            profiles = Profile.objects.select_related("user").filter(
                Q(pen_name_key=key) | Q(former_name_key=key)
            )
            by_holder_first = sorted(profiles, key=lambda p: (p.pen_name_key != key, p.pk))
            if by_holder_first:
                return [profile.user for profile in by_holder_first]
        if "@" in identifier:
            matches = list(confirmed_by_email(identifier)[:2])
            if len(matches) == 1:
                return matches
        return []
