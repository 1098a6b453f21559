"""Personas and submissions shared by the validation queue tests."""

import pytest

from fanfold.archive.models import Status
from tests.factories import make_category, make_chapter, make_story, make_user, recount


@pytest.fixture
def moderator():
    return make_user("Mod Mara", is_staff=True, email="mara@example.org")


@pytest.fixture
def member():
    return make_user("Plain Reader", email="reader@example.org")


@pytest.fixture
def author():
    return make_user("Quill Feather", email="quill@example.org")


@pytest.fixture
def coauthor():
    return make_user("Second Pen", email="second@example.org")


@pytest.fixture
def category():
    return make_category("Sunnydale")


@pytest.fixture
def new_story(author, coauthor, category):
    """A story whose first chapter waits for validation (so the story waits too)."""
    story = make_story(
        "Waiting Story",
        authors=[author, coauthor],
        chapters=0,
        categories=[category],
        status=Status.PENDING,
        published_at=None,
    )
    make_chapter(story, "The first words. Seven words in all.", status=Status.PENDING)
    recount(story)
    return story


@pytest.fixture
def pending_chapter(new_story):
    return new_story.chapters.get()


@pytest.fixture
def published_story(author, category):
    """A published story with one published chapter and a second one waiting."""
    story = make_story("Old Favourite", authors=[author], chapters=1, categories=[category])
    make_chapter(story, "A new chapter waits here.", status=Status.PENDING, title="Second")
    recount(story)
    return story
