"""Who may use each authoring page: every view × visitor, other member, co-author, author,
moderator. Visitors are sent to log in; other members are refused (403) and change nothing;
authors, co-authors and moderators may edit; deleting a story is the owner's (or a
moderator's) decision.
"""

import pytest

from fanfold.archive.models import Chapter, Status, Story
from tests.archive.authoring_support import chapter_data, people_fixture, story_data  # noqa: F401
from tests.factories import make_chapter

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "other", "coauthor", "author", "moderator"]

# (name, method, url, data, who may): {story} and {chapter} are filled in per test.
EDITORS = {"coauthor", "author", "moderator"}
OWNERS = {"author", "moderator"}
MEMBERS = {"other", "coauthor", "author", "moderator"}
VIEWS = [
    ("my_stories", "get", "/my/stories/", None, MEMBERS),
    ("story_new", "get", "/my/stories/new/", None, MEMBERS),
    ("story_new", "post", "/my/stories/new/", "story", MEMBERS),
    ("story_chapters", "get", "/my/stories/{story}/", None, EDITORS),
    ("story_edit", "get", "/my/stories/{story}/edit/", None, EDITORS),
    ("story_edit", "post", "/my/stories/{story}/edit/", "story", EDITORS),
    ("story_preview", "get", "/my/stories/{story}/preview/", None, EDITORS),
    ("story_publish", "post", "/my/stories/{story}/publish/", {}, EDITORS),
    ("story_delete", "get", "/my/stories/{story}/delete/", None, OWNERS),
    ("story_delete", "post", "/my/stories/{story}/delete/", {}, OWNERS),
    ("chapter_order", "post", "/my/stories/{story}/order/", "order", EDITORS),
    ("chapter_new", "get", "/my/stories/{story}/chapters/new/", None, EDITORS),
    ("chapter_new", "post", "/my/stories/{story}/chapters/new/", "chapter", EDITORS),
    ("chapter_edit", "get", "/my/chapters/{chapter}/edit/", None, EDITORS),
    ("chapter_edit", "post", "/my/chapters/{chapter}/edit/", "chapter", EDITORS),
    ("chapter_preview", "get", "/my/chapters/{chapter}/preview/", None, EDITORS),
    ("chapter_publish", "post", "/my/chapters/{chapter}/publish/", {}, EDITORS),
    ("chapter_delete", "get", "/my/chapters/{chapter}/delete/", None, EDITORS),
    ("chapter_delete", "post", "/my/chapters/{chapter}/delete/", {}, EDITORS),
]


def _snapshot():
    return (
        list(Story.objects.order_by("pk").values_list("pk", "title", "status")),
        list(Chapter.objects.order_by("pk").values_list("pk", "body", "status", "position")),
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "url", "data", "allowed"),
    VIEWS,
    ids=[f"{v[0]}-{v[1]}" for v in VIEWS],
)
def test_who_may_use_each_view(client, people, role, name, method, url, data, allowed):
    url = url.format(story=people.story.pk, chapter=people.chapter.pk)
    if data == "story":
        data = story_data(title="Changed Title")
    elif data == "order":
        make_chapter(people.story, "Another draft.", status=Status.DRAFT)
        data = {"move": f"{people.chapter.pk}:down"}
    elif data == "chapter":
        data = chapter_data(body="Changed text.", revision=people.chapter.revision)
    if role != "anonymous":
        client.force_login(getattr(people, role))
    before = _snapshot()

    response = getattr(client, method)(url, data) if method == "post" else client.get(url)

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        assert _snapshot() == before
    elif role in allowed:
        assert response.status_code == (200 if method == "get" else 302), response.content[:500]
        if method == "post":
            assert _snapshot() != before
    else:
        assert response.status_code == 403
        assert _snapshot() == before


def test_an_inactive_author_may_not_edit(client, people):
    people.author.is_active = False
    people.author.save()
    client.force_login(people.author)
    response = client.get(f"/my/stories/{people.story.pk}/edit/")
    assert response.status_code in (302, 403)


def test_unknown_story_and_chapter_are_404(client, people):
    client.force_login(people.author)
    assert client.get("/my/stories/999999/edit/").status_code == 404
    assert client.get("/my/chapters/999999/edit/").status_code == 404


def test_a_staff_member_who_is_inactive_is_no_moderator(client, people):
    people.moderator.is_active = False
    people.moderator.save()
    client.force_login(people.moderator)
    assert client.get(f"/my/stories/{people.story.pk}/edit/").status_code in (302, 403)


def test_readers_never_see_drafts_or_pending_chapters(client, people):
    """The reading pages (existing QuerySets) hide what authoring has not published."""
    story = people.story
    assert client.get(story.get_absolute_url()).status_code == 404
    assert client.get(f"/stories/{story.pk}/chapters/1/").status_code == 404
    client.force_login(people.other)
    assert client.get(story.get_absolute_url()).status_code == 404
    assert client.get(f"/stories/{story.pk}/chapters/1/").status_code == 404
    assert Chapter.objects.get(pk=people.chapter.pk).status == Status.DRAFT
