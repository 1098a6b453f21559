"""Personas and form data shared by the authoring tests (tests/archive/test_authoring*.py)."""

from types import SimpleNamespace

import pytest

from fanfold.archive.models import Status
from tests.factories import make_chapter, make_rating, make_story, make_user


def story_data(**overrides) -> dict:
    """A valid "New story" post; the rating must exist (see the `people` fixture)."""
    from fanfold.archive.models import Rating

    data = {
        "title": "The Long Road Home",
        "summary": "A summary.",
        "summary_format": "plain",
        "notes": "",
        "notes_format": "plain",
        "rating": Rating.objects.order_by("pk").first().pk,
        "language": "en",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def chapter_data(**overrides) -> dict:
    data = {
        "title": "Part One",
        "notes": "",
        "notes_format": "plain",
        "body": "It was a dark and stormy night.\n\nThe end.",
        "body_format": "plain",
        "end_notes": "",
        "end_notes_format": "plain",
        "action": "draft",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture(name="people")
def people_fixture():
    """An author and a co-author of a draft story with one draft chapter; others around it."""
    make_rating("General")
    author = make_user("Quill Feather")
    coauthor = make_user("Second Pen")
    other = make_user("Someone Else")
    moderator = make_user("The Moderator", is_staff=True)
    story = make_story(
        "Work in Progress",
        authors=[author, coauthor],
        chapters=0,
        status=Status.DRAFT,
        published_at=None,
    )
    chapter = make_chapter(story, "A draft chapter.", status=Status.DRAFT)
    return SimpleNamespace(
        author=author,
        coauthor=coauthor,
        other=other,
        moderator=moderator,
        story=story,
        chapter=chapter,
    )
