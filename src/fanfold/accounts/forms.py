from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm

from fanfold.accounts.models import Profile, User
from fanfold.lib.names import name_key


class SignInForm(AuthenticationForm):
    username = forms.CharField(label="Pen name", max_length=100)
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That pen name and password do not match. Passwords are case-sensitive.",
    }


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
