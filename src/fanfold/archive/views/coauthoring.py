"""Placeholder while this module is being written; every view answers 404."""

from django.http import Http404


def _missing(*args, **kwargs):
    raise Http404


my_series = series_new = series_edit = series_delete = _missing
invitations = answer = pending = _missing
