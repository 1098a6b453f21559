"""The archive's own texts: its rules and its terms of service, as the owner set them."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fanfold.core.models import ArchiveSettings
from fanfold.lib.markup import sanitize


def rules(request: HttpRequest) -> HttpResponse:
    return _archive_text(request, "Rules", ArchiveSettings.current().rules)


def terms(request: HttpRequest) -> HttpResponse:
    return _archive_text(request, "Terms of service", ArchiveSettings.current().terms)


def _archive_text(request: HttpRequest, title: str, text: str) -> HttpResponse:
    """`text` is sanitized HTML (ArchiveSettings.rules and .terms); empty: not written yet,
    which is a page that says so rather than a 404, since the footer may still be cached."""
    # Sanitized again here: save() cleans what the admin types, but update() and loaddata
    # bypass it, and the template marks this text safe.
    return render(request, "core/archive_text.html", {"title": title, "text": sanitize(text)})
