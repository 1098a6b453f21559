"""Sign-in, registration, confirmation, password reset and a member's own account pages."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters

from fanfold.accounts import actions
from fanfold.accounts.forms import (
    PEN_NAME_TAKEN,
    TOO_MANY_EMAILS,
    TOO_MANY_REGISTRATIONS,
    DeleteAccountForm,
    EmailChangeForm,
    PasswordChangeForm,
    PreferencesForm,
    ProfileForm,
    RegistrationForm,
    ResendConfirmationForm,
    ResetForm,
    SignInForm,
    emails_limited,
    registration_limited,
)
from fanfold.accounts.models import Profile
from fanfold.core.models import ArchiveSettings


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "rate_limited"):
            response.status_code = 429
        return response


class PasswordChangeView(auth_views.PasswordChangeView):  # requires sign-in itself
    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("accounts:password_change_done")

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if _guessing_limited(form):
            response.status_code = 429
        return response


def _guessing_limited(form) -> bool:
    """Whether a form asking for the current password refused because of the sign-in limit."""
    return any(
        error.code == "rate_limited"
        for errors in form.errors.as_data().values()
        for error in errors
    )


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@sensitive_post_parameters("password")
def register(request: HttpRequest) -> HttpResponse:
    form = RegistrationForm(request.POST or None)
    limited = request.method == "POST" and registration_limited(request)
    if limited:
        form.is_valid()  # still show what else is wrong, with everything typed kept
        form.add_error(None, TOO_MANY_REGISTRATIONS)
    elif request.method == "POST" and form.is_valid():
        confirm = ArchiveSettings.current().confirm_email
        try:
            with transaction.atomic():
                user = form.save(confirmed=not confirm)
        except IntegrityError:
            form.add_error("pen_name", PEN_NAME_TAKEN)
        else:
            if confirm:
                actions.send_confirmation(request, user)
                return redirect("accounts:confirm_sent")
            login(request, user, backend="fanfold.accounts.backends.PenNameBackend")
            return redirect(_safe_next(request))
    context = {"form": form, "next": _safe_next(request)}
    return render(request, "accounts/register.html", context, status=429 if limited else 200)


def confirm_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/confirm_sent.html")


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    user = actions.confirm_email(request, token)
    status = 200 if user else 400
    return render(request, "accounts/confirmed.html", {"confirmed": user}, status=status)


def confirm_resend(request: HttpRequest) -> HttpResponse:
    form = ResendConfirmationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if emails_limited(request, "confirm", form.cleaned_data["identifier"]):
            form.add_error(None, TOO_MANY_EMAILS)
            return render(request, "accounts/confirm_resend.html", {"form": form}, status=429)
        for user in form.unconfirmed_users():
            actions.send_confirmation(request, user)
        return redirect("accounts:confirm_sent")
    return render(request, "accounts/confirm_resend.html", {"form": form})


class ResetView(auth_views.PasswordResetView):
    """Emails a link to every account with the address, naming its pen name. The answer
    is the same whether or not the address is known."""

    form_class = ResetForm
    template_name = "accounts/password_reset.html"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    email_template_name = "accounts/email/password_reset.txt"
    html_email_template_name = "accounts/email/password_reset.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    @property
    def extra_email_context(self):
        return {"archive_name": settings.SITE_NAME}

    def form_valid(self, form):
        if emails_limited(self.request, "reset", form.cleaned_data["email"]):
            form.add_error(None, TOO_MANY_EMAILS)
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return super().form_valid(form)


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        # Following the emailed link proves the address, as a confirmation link would.
        form.user.email_confirmed = True
        return super().form_valid(form)


def _own_profile(request: HttpRequest) -> Profile:
    """The signed-in member's profile; accounts made by createsuperuser have none."""
    try:
        return request.user.profile  # cached on the user, which the page header reuses
    except Profile.DoesNotExist:
        raise Http404("This account has no public profile.") from None


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/account.html")


@login_required
@sensitive_post_parameters("password")
def email_change(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.user, request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        new_email = form.cleaned_data["email"]
        if emails_limited(request, "email-change", str(request.user.pk)):
            form.add_error(None, TOO_MANY_EMAILS)
            status = 429
        else:
            actions.request_email_change(request, request.user, new_email)
            return render(request, "accounts/email_change_sent.html", {"new_email": new_email})
    if _guessing_limited(form):
        status = 429
    return render(request, "accounts/email_change.html", {"form": form}, status=status)


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    profile = _own_profile(request)
    form = ProfileForm(profile, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_profile(profile, form.cleaned_data, form.custom_values())
        except IntegrityError:
            form.add_error("pen_name", PEN_NAME_TAKEN)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:profile_edit")
    return render(request, "accounts/profile_edit.html", {"form": form, "profile": profile})


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    profile = _own_profile(request)
    form = PreferencesForm(request.POST or None, initial=profile.prefs.to_json())
    if request.method == "POST" and form.is_valid():
        profile.save_preferences(form.preferences())
        messages.success(request, "Your preferences are saved.")
        return redirect("accounts:preferences")
    return render(request, "accounts/preferences.html", {"form": form})


@login_required
@sensitive_post_parameters("password")
def delete(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.close_account(request.user, keep_stories=form.cleaned_data["stories"] == form.KEEP)
        logout(request)
        return redirect("accounts:deleted")
    status = 429 if _guessing_limited(form) else 200
    return render(request, "accounts/delete.html", {"form": form}, status=status)


def deleted(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/deleted.html")
