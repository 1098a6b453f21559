"""Hostile input typed into every authoring field, in every format, never runs on any page
that shows it: the public story and chapter pages, the previews and the authoring forms."""

import pytest

from fanfold.archive.models import Chapter, Story
from fanfold.lib.markup import Format
from tests.archive.authoring_support import chapter_data, people_fixture, story_data  # noqa: F401
from tests.factories import make_rating, make_user
from tests.hostile import HOSTILE, executable_parts

pytestmark = pytest.mark.django_db

FORMATS = [value for value, _ in Format.CHOICES]


def assert_safe(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.content.decode()
    assert executable_parts(page) == [], url
    return page


def post_story_and_chapter(client, hostile: str, fmt: str) -> tuple[Story, Chapter]:
    """Hostile text in every field of the story and chapter forms; the chapter is posted."""
    response = client.post(
        "/my/stories/new/",
        story_data(
            title=f"Title {hostile}"[:200],
            summary=f"Summary {hostile}",
            summary_format=fmt,
            notes=f"Notes {hostile}",
            notes_format=fmt,
        ),
    )
    assert response.status_code == 302, response.content.decode()
    story = Story.objects.latest("pk")
    response = client.post(
        f"/my/stories/{story.pk}/chapters/new/",
        chapter_data(
            title=f"Chapter {hostile}"[:200],
            notes=f"Before {hostile}",
            notes_format=fmt,
            body=f"Some words. {hostile}",
            body_format=fmt,
            end_notes=f"After {hostile}",
            end_notes_format=fmt,
            action="post",
        ),
    )
    assert response.status_code == 302, response.content.decode()
    return story, Chapter.objects.get(story=story)


@pytest.fixture
def author(client):
    make_rating("General")
    author = make_user("Quill Feather")
    client.force_login(author)
    return author


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_input_never_runs_on_previews_or_public_pages(client, author, hostile, fmt):
    story, chapter = post_story_and_chapter(client, hostile, fmt)
    # The preview the author lands on shows the messages about what was removed too.
    assert_safe(client, f"/my/chapters/{chapter.pk}/preview/")
    assert_safe(client, f"/my/stories/{story.pk}/preview/")
    client.logout()
    story.refresh_from_db()
    index = assert_safe(client, story.get_absolute_url())
    page = assert_safe(client, f"/stories/{story.pk}/chapters/1/")
    assert "Some words." in page and "Summary" in index


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_authoring_page_shows_hostile_input_inertly(client, author, fmt):
    story, chapter = post_story_and_chapter(client, "".join(HOSTILE), fmt)
    for url in [
        f"/my/stories/{story.pk}/",
        f"/my/stories/{story.pk}/edit/",
        f"/my/stories/{story.pk}/delete/",
        f"/my/chapters/{chapter.pk}/edit/",
        f"/my/chapters/{chapter.pk}/delete/",
        "/my/stories/",
    ]:
        assert_safe(client, url)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_conflict_page_shows_hostile_text_inertly(client, people, hostile):
    chapter = people.chapter
    Chapter.objects.filter(pk=chapter.pk).update(revision=2, body=f"<p>{hostile}</p>")
    client.force_login(people.author)
    response = client.post(
        f"/my/chapters/{chapter.pk}/edit/",
        chapter_data(title=hostile, notes=hostile, body=hostile, end_notes=hostile, revision=1),
    )
    assert response.status_code == 409
    assert executable_parts(response.content.decode()) == []


def test_error_pages_show_hostile_text_inertly(client, people):
    client.force_login(people.author)
    hostile = "".join(HOSTILE)
    response = client.post("/my/stories/new/", story_data(title="", summary=hostile, notes=hostile))
    assert response.status_code == 200
    assert executable_parts(response.content.decode()) == []
    response = client.post(
        f"/my/stories/{people.story.pk}/chapters/new/",
        chapter_data(title=hostile[:200], notes=hostile, body="", end_notes=hostile),
    )
    assert executable_parts(response.content.decode()) == []


def test_the_deleted_chapter_page_shows_hostile_text_inertly(client, people):
    hostile = "".join(HOSTILE)
    pk = people.chapter.pk
    Chapter.objects.filter(pk=pk).delete()
    client.force_login(people.author)
    response = client.post(
        f"/my/chapters/{pk}/edit/",
        chapter_data(title=hostile, notes=hostile, body=hostile, end_notes=hostile, revision=1),
    )
    assert response.status_code == 410
    assert executable_parts(response.content.decode()) == []
