"""Sign-in, sign-out and registration. Minimal here; the accounts issue completes them."""

from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters

from fanfold.accounts.forms import (
    TOO_MANY_REGISTRATIONS,
    RegistrationForm,
    SignInForm,
    registration_limited,
)


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "rate_limited"):
            response.status_code = 429
        return response


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
        try:
            with transaction.atomic():
                user = form.save()
        except IntegrityError:
            form.add_error("pen_name", "That pen name was just taken. Please choose another.")
        else:
            login(request, user, backend="fanfold.accounts.backends.PenNameBackend")
            return redirect(_safe_next(request))
    context = {"form": form, "next": _safe_next(request)}
    return render(request, "accounts/register.html", context, status=429 if limited else 200)
