"""Matched words shown in <mark>: the text is escaped first, then marked, never trusted."""

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from fanfold.search.backends import MARK_END, MARK_START

_PIECES = re.compile(f"([{MARK_START}{MARK_END}])")


def highlight(passage: str) -> SafeString:
    """A backend's passage as HTML: every piece escaped, the marked ones in <mark>."""
    html, inside = [], False
    for piece in _PIECES.split(" ".join(passage.split())):
        if piece == MARK_START and not inside:
            html.append("<mark>")
            inside = True
        elif piece == MARK_END and inside:
            html.append("</mark>")
            inside = False
        elif piece not in (MARK_START, MARK_END):
            html.append(escape(piece))
    if inside:
        html.append("</mark>")
    return mark_safe("".join(html))  # noqa: S308 (built from escaped pieces and our own tags)
