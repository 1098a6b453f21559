from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm

from fanfold.accounts.models import Profile, User
from fanfold.lib.names import name_key
from fanfold.lib.ratelimit import client_address, exceeded

TOO_MANY_SIGN_INS = "Too many sign-in attempts. Please wait a few minutes and try again."
TOO_MANY_REGISTRATIONS = (
    "Too many accounts were registered from your address. Please try again in an hour."
)


def registration_limited(request) -> bool:
    """Count one registration attempt from this address; True once it is over the limit."""
    limit, window = settings.RATELIMIT_REGISTER_PER_ADDRESS
    return exceeded("register", client_address(request), limit, window)


class SignInForm(AuthenticationForm):
    username = forms.CharField(label="Pen name", max_length=100)
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That pen name and password do not match. Passwords are case-sensitive.",
        "rate_limited": TOO_MANY_SIGN_INS,
    }

    def clean(self):
        """Refuse guessing before checking the password: per address and per pen name."""
        pen_name = self.cleaned_data.get("username") or ""
        per_address, address_window = settings.RATELIMIT_LOGIN_PER_ADDRESS
        per_account, account_window = settings.RATELIMIT_LOGIN_PER_ACCOUNT
        by_address = exceeded(
            "login-address", client_address(self.request), per_address, address_window
        )
        by_account = exceeded("login-account", name_key(pen_name), per_account, account_window)
        if by_address or by_account:
            raise forms.ValidationError(TOO_MANY_SIGN_INS, code="rate_limited")
        return super().clean()


class RegistrationForm(forms.Form):
    pen_name = forms.CharField(label="Pen name", max_length=100)
    email = forms.EmailField(label="Email")
    password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)

    def clean_pen_name(self) -> str:
        pen_name = " ".join(self.cleaned_data["pen_name"].split())
        if not name_key(pen_name):
            raise forms.ValidationError("Choose a pen name.")
        if Profile.objects.filter(pen_name_key=name_key(pen_name)).exists():
            raise forms.ValidationError(
                "That pen name is taken (pen names are compared ignoring case)."
            )
        return pen_name

    def clean(self):
        cleaned = super().clean()
        if "password" in cleaned and "pen_name" in cleaned:
            candidate = User(username=cleaned["pen_name"], email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(cleaned["password"], candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned

    def save(self) -> User:
        data = self.cleaned_data
        user = User.objects.create_user(
            username=name_key(data["pen_name"])[:150],
            email=data["email"],
            password=data["password"],
        )
        Profile.objects.create(user=user, pen_name=data["pen_name"])
        return user
