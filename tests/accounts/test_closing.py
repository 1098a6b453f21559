"""Deleting an account: the member chooses to orphan their stories or delete them."""

import pytest

from fanfold.accounts.models import ORPHAN_PEN_NAME, ORPHAN_USERNAME, Profile, User
from fanfold.archive.account_closing import orphan_account
from fanfold.archive.models import Series, Story, StoryAuthor
from fanfold.lib.names import name_key
from tests.factories import make_category, make_series, make_story, make_user

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


def test_guessing_the_password_is_limited(client, shelf, settings):
    settings.RATELIMIT_LOGIN_PER_ACCOUNT = (3, 900)
    for _ in range(3):
        close(client, "orphan", password="guess")
    response = close(client, "orphan")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many sign-in attempts" in page
    assert 'value="orphan"' in page and "checked" in page
    assert User.objects.filter(pk=shelf["leaving"].pk).exists()


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


def test_cached_pages_are_invalidated_after_the_deletion_commits(
    client, shelf, django_capture_on_commit_callbacks
):
    from fanfold.lib.pagecache import versions

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        close(client, "delete")
    scopes = ["site", "listings", f"story:{shelf['own'].pk}"]
    before = versions(scopes)
    for callback in callbacks:
        callback()
    assert versions(scopes)[0] != before[0]


def test_the_orphan_byline_becomes_owner_of_a_story_the_leaver_owned(client, shelf):
    orphan = orphan_account()
    story = make_story("Adopted", authors=[shelf["leaving"], orphan])

    close(client, "orphan")

    [byline] = StoryAuthor.objects.filter(story=story)
    assert byline.user == orphan and byline.is_owner


def test_orphaning_works_when_a_member_holds_a_look_alike_pen_name(client, shelf):
    squatter = make_user("Оrphan Account")  # Cyrillic О, from before names were reserved
    assert squatter.profile.pen_name_key == name_key(ORPHAN_PEN_NAME)

    response = close(client, "orphan")

    assert response["Location"] == "/accounts/deleted/"
    orphan = User.objects.get(username=ORPHAN_USERNAME)
    assert list(shelf["own"].authors.all()) == [orphan]
    assert orphan.profile.pen_name_key != squatter.profile.pen_name_key
    assert orphan_account() == orphan


def test_the_orphan_pen_name_is_refused_on_the_profile_form(client, shelf):
    response = client.post(
        "/accounts/profile/",
        {"pen_name": "orphan account", "bio": "", "bio_format": "plain", "website": ""},
    )
    assert "That pen name is reserved" in response.content.decode()
    assert 'value="orphan account"' in response.content.decode()


def test_deleted_stories_leave_their_category_counts(client):
    fandom = make_category("Fandom")
    leaving = make_user("Going", password="s3cret-words")
    make_story("Mine", authors=[leaving], categories=[fandom])
    make_story("Theirs", authors=[make_user("Staying")], categories=[fandom])
    fandom.refresh_from_db()
    assert fandom.story_count == 2
    client.force_login(leaving)
    close(client, "delete")
    fandom.refresh_from_db()
    assert fandom.story_count == 1
