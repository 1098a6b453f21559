"""Browse listings. (In progress: being written.)"""

from django.http import Http404


def index(request, **kwargs):
    raise Http404


def categories(request, **kwargs):
    raise Http404


def category(request, **kwargs):
    raise Http404


def characters(request, **kwargs):
    raise Http404


def character(request, **kwargs):
    raise Http404


def classification_type(request, **kwargs):
    raise Http404


def classification(request, **kwargs):
    raise Http404


def ratings(request, **kwargs):
    raise Http404


def rating(request, **kwargs):
    raise Http404


def titles(request, **kwargs):
    raise Http404


def recent(request, **kwargs):
    raise Http404


def top(request, **kwargs):
    raise Http404


def authors(request, **kwargs):
    raise Http404


def author(request, **kwargs):
    raise Http404


def series_list(request, **kwargs):
    raise Http404


def series(request, **kwargs):
    raise Http404
