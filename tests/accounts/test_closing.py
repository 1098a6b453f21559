"""Deleting an account: the member chooses to orphan their stories or delete them."""

import pytest

from fanfold.accounts.models import ORPHAN_PEN_NAME, Profile, User
from fanfold.archive.models import Series, Story, StoryAuthor
from tests.factories import make_series, make_story, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(client):
    """A leaving author with a story of their own, one co-authored (owned), and a series."""
    leaving = make_user("Leaving", password="s3cret-words")
    friend = make_user("Friend")
    own = make_story("Alone", authors=[leaving])
    shared = make_story("Together", authors=[leaving, friend])
    other = make_story("Not Mine", authors=[friend])
    series = make_series(leaving, "Saga", stories=[own, shared])
    client.force_login(leaving)
    return {"leaving": leaving, "friend": friend, "own": own, "shared": shared, "other": other,
            "series": series}  # fmt: skip


def close(client, stories: str, password: str = "s3cret-words"):
    return client.post("/accounts/delete/", {"stories": stories, "password": password})


def test_asks_for_the_password_and_a_choice(client, shelf):
    page = client.get("/accounts/delete/").content.decode()
    assert "Keep them on the archive under “Orphan Account”" in page
    assert '<label for="id_password">Password:</label>' in page

    response = close(client, "orphan", password="wrong")

    assert "That is not your current password." in response.content.decode()
    assert 'value="orphan"' in response.content.decode() and "checked" in response.content.decode()
    assert User.objects.filter(pk=shelf["leaving"].pk).exists()
    missing_choice = client.post("/accounts/delete/", {"password": "s3cret-words"})
    assert "This field is required." in missing_choice.content.decode()


def test_orphaning_keeps_every_story_under_the_orphan_account(client, shelf):
    response = close(client, "orphan")

    assert response["Location"] == "/accounts/deleted/"
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(pk=shelf["leaving"].pk).exists()
    orphan = Profile.objects.get(pen_name=ORPHAN_PEN_NAME)
    assert not orphan.user.has_usable_password()
    own, shared = shelf["own"], shelf["shared"]
    assert list(own.authors.all()) == [orphan.user]
    assert set(shared.authors.all()) == {orphan.user, shelf["friend"]}
    assert Series.objects.get(pk=shelf["series"].pk).owner == orphan.user
    orphan.refresh_from_db()
    assert orphan.story_count == 2
    page = client.get(own.get_absolute_url()).content.decode()
    assert ">Orphan Account</a>" in page and "Leaving" not in page


def test_a_second_orphaning_reuses_the_same_account(client, shelf):
    close(client, "orphan")
    second = make_user("Second", password="s3cret-words")
    make_story("Another", authors=[second])
    client.force_login(second)
    close(client, "orphan")
    orphan = Profile.objects.get(pen_name=ORPHAN_PEN_NAME)
    assert Profile.objects.filter(pen_name__startswith="Orphan").count() == 1
    assert orphan.user.stories.count() == 3


def test_deleting_removes_own_stories_and_leaves_co_authored_ones(client, shelf):
    friend_profile = shelf["friend"].profile

    close(client, "delete")

    assert not Story.objects.filter(pk=shelf["own"].pk).exists()
    shared = Story.objects.get(pk=shelf["shared"].pk)
    assert list(shared.authors.all()) == [shelf["friend"]]
    assert StoryAuthor.objects.get(story=shared).is_owner  # the co-author now owns it
    assert Story.objects.filter(pk=shelf["other"].pk).exists()
    assert not Series.objects.filter(pk=shelf["series"].pk).exists()
    assert not Profile.objects.filter(pen_name=ORPHAN_PEN_NAME).exists()
    friend_profile.refresh_from_db()
    assert friend_profile.story_count == 2
    assert client.get(shelf["own"].get_absolute_url()).status_code == 404


def test_cached_pages_forget_the_member(client, shelf):
    from django.test import Client

    visitor = Client()
    url = shelf["shared"].get_absolute_url()
    assert "Leaving" in visitor.get(url).content.decode()
    assert visitor.get(url)["X-Page-Cache"] == "hit"
    assert "Leaving" in visitor.get("/authors/").content.decode()

    close(client, "orphan")

    assert "Leaving" not in visitor.get(url).content.decode()
    assert "Leaving" not in visitor.get("/authors/").content.decode()
    assert visitor.get("/authors/Leaving/").status_code == 404
