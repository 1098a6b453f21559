import uuid

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.core.validators import URLValidator

from fanfold.accounts.backends import confirmed_by_email
from fanfold.accounts.models import (
    ORPHAN_PEN_NAME,
    PEN_NAME_KEY_LENGTH,
    TEXT_SIZES,
    Preferences,
    Profile,
    ProfileField,
    User,
)
from fanfold.core.models import ArchiveSettings
from fanfold.lib.markup import Format
from fanfold.lib.names import name_key
from fanfold.lib.ratelimit import client_address, exceeded

TOO_MANY_SIGN_INS = "Too many sign-in attempts. Please wait a few minutes and try again."
TOO_MANY_REGISTRATIONS = (
    "Too many accounts were registered from your address. Please try again in an hour."
)
TOO_MANY_EMAILS = "Too many emails were requested. Please wait an hour and try again."
PEN_NAME_TAKEN = (
    "That pen name is taken, or looks the same as one that is (pen names are compared "
    "ignoring case, width and look-alike letters from other alphabets). Please choose another."
)
ORPHAN_RESERVED = (
    "That pen name is reserved for the archive's orphaned stories. Please choose another."
)
SHARED_EMAIL = "Several accounts use that email address. Please log in with your pen name instead."
UNCONFIRMED = "Please confirm your email address first: follow the link in the email we sent you."
WRONG_PASSWORD = "That is not your current password."

# Story orders a member may choose as the default for listings; the values are the sort
# keys of archive.views.browse.SORTS (a test keeps the two in step).
STORY_SORTS = {
    "updated": "Recently updated",
    "published": "Recently published",
    "title": "Title",
    "words": "Words",
    "chapters": "Chapters",
    "reviews": "Reviews",
    "favorites": "Favorites",
    "likes": "Likes",
    "hits": "Hits",
}
BIO_FORMATS = [(Format.PLAIN, "Plain text"), (Format.MARKDOWN, "Markdown"), (Format.HTML, "HTML")]


def registration_limited(request) -> bool:
    """Count one registration attempt from this address; True once it is over the limit."""
    limit, window = settings.RATELIMIT_REGISTER_PER_ADDRESS
    return exceeded("register", client_address(request), limit, window)


def emails_limited(request, scope: str, identity: str) -> bool:
    """Count one request for an account email (reset, confirmation) per address and per
    account; True once either is over its limit (RATELIMIT_RESET_PER_*)."""
    per_address, address_window = settings.RATELIMIT_RESET_PER_ADDRESS
    per_account, account_window = settings.RATELIMIT_RESET_PER_ACCOUNT
    by_address = exceeded(f"{scope}-address", client_address(request), per_address, address_window)
    by_account = exceeded(f"{scope}-account", identity.casefold(), per_account, account_window)
    return by_address or by_account


def account_guesses_limited(identity: str) -> bool:
    """Count one password attempt against an account (identity: its pen name, or the name
    typed at sign-in); True once over RATELIMIT_LOGIN_PER_ACCOUNT. Sign-in and every form
    that asks for the current password share this counter, so none of them allows guessing."""
    limit, window = settings.RATELIMIT_LOGIN_PER_ACCOUNT
    return exceeded("login-account", name_key(identity), limit, window)


def _own_name(user: User) -> str:
    """What the account signs in with: its pen name (a superuser without one: its username)."""
    try:
        return user.profile.pen_name
    except Profile.DoesNotExist:
        return user.get_username()


def check_current_password(user: User, password: str) -> None:
    """Raise the form error for a wrong current password; refuse once guessing is limited."""
    if account_guesses_limited(_own_name(user)):
        raise forms.ValidationError(TOO_MANY_SIGN_INS, code="rate_limited")
    if not user.check_password(password):
        raise forms.ValidationError(WRONG_PASSWORD, code="password_incorrect")


def clean_pen_name(value: str, *, instance: Profile | None = None) -> str:
    """A pen name with spaces tidied, refused when it clashes with another member's."""
    pen_name = " ".join(value.split())
    key = name_key(pen_name)
    if not key:
        raise forms.ValidationError("Choose a pen name.")
    if len(key) > PEN_NAME_KEY_LENGTH:
        raise forms.ValidationError("That pen name is too long.")
    others = Profile.objects.filter(pen_name_key=key)
    if instance is not None:
        others = others.exclude(pk=instance.pk)
    if key == name_key(ORPHAN_PEN_NAME):
        raise forms.ValidationError(ORPHAN_RESERVED)
    if others.exists():
        raise forms.ValidationError(PEN_NAME_TAKEN)
    return pen_name


def _fits_a_shared_email(identifier: str, password: str) -> bool:
    """True when this is not a pen name, several confirmed accounts share it as their email
    and the password is one of theirs. Only then may the form say the address is shared:
    saying it sooner would tell a stranger which addresses have accounts."""
    key = name_key(identifier)[:PEN_NAME_KEY_LENGTH]
    if "@" not in identifier or Profile.objects.filter(pen_name_key=key).exists():
        return False
    accounts = list(confirmed_by_email(identifier).filter(is_active=True))
    return len(accounts) > 1 and any(user.check_password(password) for user in accounts)


class SignInForm(AuthenticationForm):
    username = forms.CharField(label="Pen name or email", max_length=254)
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That pen name (or email) and password do not match. "
        "Passwords are case-sensitive.",
        "rate_limited": TOO_MANY_SIGN_INS,
        "shared_email": SHARED_EMAIL,
        "unconfirmed": UNCONFIRMED,
    }

    def clean(self):
        """Refuse guessing before checking the password: per address and per pen name."""
        identifier = self.cleaned_data.get("username") or ""
        per_address, address_window = settings.RATELIMIT_LOGIN_PER_ADDRESS
        by_address = exceeded(
            "login-address", client_address(self.request), per_address, address_window
        )
        by_account = account_guesses_limited(identifier)
        if by_address or by_account:
            raise forms.ValidationError(TOO_MANY_SIGN_INS, code="rate_limited")
        try:
            return super().clean()
        except forms.ValidationError as error:
            password = self.cleaned_data.get("password") or ""
            if error.code == "invalid_login" and _fits_a_shared_email(identifier, password):
                raise forms.ValidationError(SHARED_EMAIL, code="shared_email") from None
            raise

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.email_confirmed and ArchiveSettings.current().confirm_email:
            raise forms.ValidationError(UNCONFIRMED, code="unconfirmed")


class RegistrationForm(forms.Form):
    pen_name = forms.CharField(label="Pen name", max_length=100)
    email = forms.EmailField(label="Email")
    password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)

    def clean_pen_name(self) -> str:
        return clean_pen_name(self.cleaned_data["pen_name"])

    def clean(self):
        cleaned = super().clean()
        if "password" in cleaned and "pen_name" in cleaned:
            candidate = User(username=cleaned["pen_name"], email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(cleaned["password"], candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned

    def save(self, *, confirmed: bool) -> User:
        data = self.cleaned_data
        profile = Profile(pen_name=data["pen_name"])
        profile.derive_name_fields()
        user = User.objects.create_user(
            # An internal handle only; members sign in with their pen name or email.
            username=f"{profile.pen_name_key[:100]}~{uuid.uuid4().hex[:8]}",
            email=data["email"],
            password=data["password"],
            email_confirmed=confirmed,
        )
        profile.user = user
        profile.save()
        return user


class ResendConfirmationForm(forms.Form):
    identifier = forms.CharField(label="Pen name or email", max_length=254)

    def unconfirmed_users(self) -> list[User]:
        """The account with this pen name, else every account with this email address."""
        identifier = self.cleaned_data["identifier"]
        waiting = User.objects.filter(email_confirmed=False).exclude(email="")
        key = name_key(identifier)[:PEN_NAME_KEY_LENGTH]
        by_name = list(waiting.filter(profile__pen_name_key=key))
        return by_name or list(waiting.filter(email__iexact=identifier))


class ResetForm(PasswordResetForm):
    """Django's reset form, also for imported accounts whose password is unusable."""

    email = forms.EmailField(label="Email", max_length=254)

    def get_users(self, email):
        return User.objects.filter(email__iexact=email, is_active=True).select_related("profile")


class _PasswordConfirmedForm(forms.Form):
    """A change that asks for the member's password first (counted as a sign-in guess)."""

    password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        check_current_password(self.user, self.cleaned_data["password"])
        return self.cleaned_data["password"]


class EmailChangeForm(_PasswordConfirmedForm):
    email = forms.EmailField(label="New email")
    password = forms.CharField(label="Current password", widget=forms.PasswordInput, strip=False)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if email.casefold() == self.user.email.casefold():
            raise forms.ValidationError("That is already your email address.")
        return email


class PasswordChangeForm(DjangoPasswordChangeForm):
    """Django's form; the old password counts against the account's sign-in limit."""

    def clean_old_password(self) -> str:
        if account_guesses_limited(_own_name(self.user)):
            raise forms.ValidationError(TOO_MANY_SIGN_INS, code="rate_limited")
        return super().clean_old_password()


class DeleteAccountForm(_PasswordConfirmedForm):
    KEEP, DELETE = "orphan", "delete"
    stories = forms.ChoiceField(
        label="My stories",
        widget=forms.RadioSelect,
        choices=[
            (KEEP, "Keep them on the archive under “Orphan Account”"),
            (DELETE, "Delete the stories only I wrote (co-authored ones stay, without me)"),
        ],
    )
    password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)


def _web_address(value: str) -> None:
    URLValidator(schemes=["http", "https"])(value)


class ProfileForm(forms.Form):
    """Pen name, bio, website and the custom fields admins defined (named field_<id>)."""

    pen_name = forms.CharField(label="Pen name", max_length=100)
    bio = forms.CharField(label="Bio", widget=forms.Textarea(attrs={"rows": 8}), required=False)
    bio_format = forms.ChoiceField(label="Bio format", choices=BIO_FORMATS)
    website = forms.URLField(
        label="Website",
        required=False,
        assume_scheme="https",
        validators=[_web_address],
        help_text="A web address starting with http:// or https://.",
        max_length=200,
    )

    def __init__(self, profile: Profile, *args, **kwargs):
        self.profile = profile
        self.custom = list(ProfileField.objects.filter(is_active=True))
        stored = {v.field_id: v.value for v in profile.field_values.all()}
        is_html = profile.bio and not profile.bio_source
        kwargs.setdefault(
            "initial",
            {
                "pen_name": profile.pen_name,
                "bio": profile.bio if is_html else profile.bio_source,
                "bio_format": Format.HTML if is_html else profile.bio_format,
                "website": profile.website,
                **{f"field_{f.pk}": stored.get(f.pk, "") for f in self.custom},
            },
        )
        super().__init__(*args, **kwargs)
        for field in self.custom:
            self.fields[f"field_{field.pk}"] = _custom_field(field)
            if field.kind == ProfileField.Kind.YES_NO and not self.is_bound:
                self.initial[f"field_{field.pk}"] = stored.get(field.pk) == "yes"

    def clean_pen_name(self) -> str:
        return clean_pen_name(self.cleaned_data["pen_name"], instance=self.profile)

    def custom_values(self) -> dict[ProfileField, str]:
        values = {}
        for field in self.custom:
            value = self.cleaned_data[f"field_{field.pk}"]
            if field.kind == ProfileField.Kind.YES_NO:
                value = "yes" if value else "no"
            values[field] = value or ""
        return values

    def custom_bound_fields(self):
        return [self[f"field_{field.pk}"] for field in self.custom]


def _custom_field(field: ProfileField) -> forms.Field:
    common = {"label": field.name, "required": False, "help_text": field.help_text}
    if field.kind == ProfileField.Kind.URL:
        return forms.URLField(
            assume_scheme="https", validators=[_web_address], max_length=1000, **common
        )
    if field.kind == ProfileField.Kind.YES_NO:
        return forms.BooleanField(**common)
    if field.kind == ProfileField.Kind.CHOICE:
        options = [("", "—")] + [(choice, choice) for choice in field.choice_list]
        return forms.ChoiceField(choices=options, **common)
    return forms.CharField(max_length=1000, **common)


class PreferencesForm(forms.Form):
    age_consent = forms.BooleanField(
        label="Show stories of every rating without a warning page (I am old enough)",
        required=False,
    )
    default_sort = forms.ChoiceField(label="Sort story lists by", choices=STORY_SORTS.items())
    index_first = forms.BooleanField(
        label="Open stories at their index (off: at the first chapter)", required=False
    )
    text_size = forms.ChoiceField(label="Reading text size", choices=TEXT_SIZES.items())
    notify_review = forms.BooleanField(label="Email me about reviews of my stories", required=False)
    notify_review_response = forms.BooleanField(
        label="Email me when an author responds to my review", required=False
    )
    notify_subscriptions = forms.BooleanField(
        label="Email me about new stories and chapters I subscribed to", required=False
    )
    favorites_public = forms.BooleanField(
        label="Show my favorites on my profile page",
        help_text="Off, only you see them there.",
        required=False,
    )

    def preferences(self) -> Preferences:
        return Preferences(**self.cleaned_data)
