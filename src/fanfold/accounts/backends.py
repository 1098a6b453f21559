from django.contrib.auth.backends import ModelBackend

from fanfold.accounts.models import Profile


class PenNameBackend(ModelBackend):
    """Sign in with a pen name, compared the way pen names clash (case and NFKC).

    Accounts without a profile (a superuser made by `createsuperuser`) sign in with
    their username, as Django's own backend does.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        try:
            user = Profile.objects.select_related("user").by_pen_name(username).user
        except Profile.DoesNotExist:
            return super().authenticate(request, username=username, password=password, **kwargs)
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
