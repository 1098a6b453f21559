from django.contrib.auth.backends import ModelBackend

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
    Django's own backend does.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        user = self._member(username)
        if user is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def _member(self, identifier: str) -> User | None:
        key = name_key(identifier)[:PEN_NAME_KEY_LENGTH]
        profile = Profile.objects.select_related("user").filter(pen_name_key=key).first()
        if profile is not None:
            return profile.user
        if "@" in identifier:
            matches = list(confirmed_by_email(identifier)[:2])
            if len(matches) == 1:
                return matches[0]
        return None
