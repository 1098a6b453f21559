"""Favorites: adding with a comment, editing, removing, counts, the lists and the profile."""

import threading
from types import SimpleNamespace

import pytest
from django.db import connection

from fanfold.accounts.models import Profile, User
from fanfold.archive.models import Series, Status, Story
from fanfold.community import library
from fanfold.community.models import Favorite
from tests.factories import bulk_stories, make_rating, make_series, make_story, make_user
from tests.hostile import HOSTILE, executable_parts

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    """An author with a story and a series, a reader, another member, a moderator."""
    author = make_user("Author")
    story = make_story("The Long Road", authors=[author], chapters=2)
    return SimpleNamespace(
        author=author,
        reader=make_user("Reader"),
        other=make_user("Other"),
        moderator=make_user("Moderator", is_staff=True),
        story=story,
        series=make_series(author, "The Saga", stories=[story]),
    )


def targets(people) -> dict[str, int]:
    return {"story": people.story.pk, "author": people.author.pk, "series": people.series.pk}


def favorite_count(people, kind: str) -> int:
    model = {"story": Story, "series": Series}[kind]
    return model.objects.get(pk=targets(people)[kind]).favorite_count


class TestFavoriting:
    @pytest.mark.parametrize("kind", ["story", "author", "series"])
    def test_a_member_adds_with_a_comment_and_returns_to_the_page(self, client, people, kind):
        client.force_login(people.reader)
        pk = targets(people)[kind]
        response = client.post(
            f"/my/favorites/{kind}/{pk}/", {"comment": "Read it twice.", "next": "/browse/"}
        )
        assert response.status_code == 302 and response["Location"] == "/browse/"
        favorite = Favorite.objects.get(user=people.reader, **{f"{kind}_id": pk})
        assert favorite.comment == "Read it twice."

        client.post(f"/my/favorites/{kind}/{pk}/", {"comment": "Three times now."})
        assert Favorite.objects.filter(user=people.reader).count() == 1
        assert Favorite.objects.get(user=people.reader).comment == "Three times now."

    @pytest.mark.parametrize("kind", ["story", "series"])
    def test_counts_follow_adding_and_removing(self, client, people, kind):
        pk = targets(people)[kind]
        for member in (people.reader, people.other, people.moderator):
            client.force_login(member)
            client.post(f"/my/favorites/{kind}/{pk}/")
            client.post(f"/my/favorites/{kind}/{pk}/")  # a double click adds nothing
        assert favorite_count(people, kind) == 3

        client.post(f"/my/favorites/{kind}/{pk}/remove/")
        client.post(f"/my/favorites/{kind}/{pk}/remove/")  # twice is not an error
        assert favorite_count(people, kind) == 2
        assert Favorite.objects.filter(**{f"{kind}_id": pk}).count() == 2

    def test_removing_returns_to_the_page_or_the_list(self, client, people):
        client.force_login(people.reader)
        client.post(f"/my/favorites/story/{people.story.pk}/")
        response = client.post(
            f"/my/favorites/story/{people.story.pk}/remove/", {"next": "/my/history/"}
        )
        assert response["Location"] == "/my/history/"
        response = client.post(f"/my/favorites/story/{people.story.pk}/remove/")
        assert response["Location"] == "/my/favorites/"
        assert not Favorite.objects.exists()

    def test_the_story_page_shows_the_new_count_at_once(
        self, client, people, django_capture_on_commit_callbacks
    ):
        url = people.story.get_absolute_url() + "?index"
        assert client.get(url)["X-Page-Cache"] == "miss"
        assert client.get(url)["X-Page-Cache"] == "hit"
        with django_capture_on_commit_callbacks(execute=True):
            client_for(people.reader).post(f"/my/favorites/story/{people.story.pk}/")
        page = client.get(url)
        assert page["X-Page-Cache"] == "miss"
        assert "<dt>Favorites</dt><dd>1</dd>" in page.content.decode()

    def test_visitors_are_sent_to_log_in_and_nothing_changes(self, client, people):
        page = people.story.get_absolute_url()
        # A post without a session (it expired while the member typed) is kept, not lost:
        # after sign-in the pending page offers it again.
        response = client.post(
            f"/my/favorites/story/{people.story.pk}/", {"next": page, "comment": "Lovely"}
        )
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/my/pending/")
        assert not Favorite.objects.exists()
        client.force_login(people.reader)
        pending = client.get(response["Location"].split("next=")[1].replace("%3A", ":"))
        assert "Lovely" in pending.content.decode()
        client.logout()
        response = client.get(f"/my/favorites/story/{people.story.pk}/")
        assert response["Location"] == (
            f"/accounts/login/?next=/my/favorites/story/{people.story.pk}/"
        )
        assert client.post(f"/my/favorites/story/{people.story.pk}/remove/").status_code == 302
        assert client.get("/my/favorites/")["Location"].startswith("/accounts/login/")
        assert not Favorite.objects.exists()

    def test_remove_only_by_post(self, client, people):
        client.force_login(people.reader)
        client.post(f"/my/favorites/story/{people.story.pk}/")
        assert client.get(f"/my/favorites/story/{people.story.pk}/remove/").status_code == 405
        assert Favorite.objects.count() == 1

    def test_what_a_member_cannot_see_cannot_be_favorited(self, client, people):
        draft = make_story("Secret", authors=[people.author], status=Status.DRAFT)
        members_only = make_story("Adult", rating=make_rating("Adult", members_only=True))
        client.force_login(people.reader)
        for url in (
            f"/my/favorites/story/{draft.pk}/",
            "/my/favorites/story/999999/",
            "/my/favorites/series/999999/",
            "/my/favorites/author/999999/",
            f"/my/favorites/planet/{people.story.pk}/",
            f"/my/favorites/planet/{people.story.pk}/remove/",
            f"/my/favorites/author/{people.reader.pk}/",  # oneself
        ):
            assert client.post(url).status_code == 404, url
        assert not Favorite.objects.exists()
        # Members may favorite members-only stories (visitors never get the button).
        assert client.post(f"/my/favorites/story/{members_only.pk}/").status_code == 302

    def test_an_author_favorites_their_own_draft_but_others_cannot(self, client, people):
        draft = make_story("Work in progress", authors=[people.author], status=Status.DRAFT)
        client.force_login(people.author)
        assert client.post(f"/my/favorites/story/{draft.pk}/").status_code == 302
        client.force_login(people.other)
        assert client.post(f"/my/favorites/story/{draft.pk}/").status_code == 404

    def test_moderators_favorite_like_members(self, client, people):
        client.force_login(people.moderator)
        for kind, pk in targets(people).items():
            assert client.post(f"/my/favorites/{kind}/{pk}/").status_code == 302
        assert Favorite.objects.filter(user=people.moderator).count() == 3

    def test_nobody_reaches_another_members_favorite(self, client, people):
        """URLs name the favorited thing, never a row, and act on the signed-in member's
        rows only: another member (or a moderator) edits and removes only their own."""
        client.force_login(people.reader)
        client.post(f"/my/favorites/story/{people.story.pk}/", {"comment": "Mine, private."})
        for intruder in (people.other, people.moderator):
            client.force_login(intruder)
            form = client.get(f"/my/favorites/story/{people.story.pk}/").content.decode()
            assert "Mine, private." not in form and "Add to favorites" in form
            client.post(f"/my/favorites/story/{people.story.pk}/remove/")
            assert "Mine, private." not in client.get("/my/favorites/").content.decode()
        favorite = Favorite.objects.get(user=people.reader)
        assert favorite.comment == "Mine, private."
        assert favorite_count(people, "story") == 1

    def test_next_never_leaves_the_site(self, client, people):
        client.force_login(people.reader)
        response = client.post(
            f"/my/favorites/story/{people.story.pk}/", {"next": "https://evil.example/"}
        )
        assert response["Location"] == people.story.get_absolute_url()


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


class TestComment:
    def test_a_long_comment_gets_a_clear_error_and_keeps_the_text(self, client, people):
        client.force_login(people.reader)
        typed = "Lovely. " * 200  # 1,600 characters
        response = client.post(f"/my/favorites/story/{people.story.pk}/", {"comment": typed})
        assert response.status_code == 400
        page = response.content.decode()
        assert "A comment may be at most 1,000 characters long (this one has 1600)." in page
        assert typed.strip() in page
        assert not Favorite.objects.exists()

    def test_editing_the_comment_shows_it_and_keeps_the_favorite(self, client, people):
        client.force_login(people.reader)
        client.post(f"/my/favorites/story/{people.story.pk}/", {"comment": "First\r\nthought"})
        assert Favorite.objects.get().comment == "First\nthought"
        page = client.get(f"/my/favorites/story/{people.story.pk}/").content.decode()
        assert "First\nthought</textarea>" in page and "Save comment" in page
        client.post(f"/my/favorites/story/{people.story.pk}/", {"comment": ""})
        assert Favorite.objects.get().comment == ""
        assert favorite_count(people, "story") == 1

    @pytest.mark.parametrize("hostile", HOSTILE)
    def test_hostile_comments_are_shown_as_text_everywhere(self, client, people, hostile):
        client.force_login(people.reader)
        for kind, pk in targets(people).items():
            client.post(f"/my/favorites/{kind}/{pk}/", {"comment": hostile})
        pages = [
            "/my/favorites/",
            "/my/favorites/?kind=author",
            "/my/favorites/?kind=series",
            f"/my/favorites/story/{people.story.pk}/",
            people.reader.profile.get_absolute_url(),
            "/favorites/Reader/?kind=series",
        ]
        for url in pages:
            page = client.get(url).content.decode()
            assert executable_parts(page) == [], url
        client.logout()
        page = client.get(people.reader.profile.get_absolute_url()).content.decode()
        assert executable_parts(page) == []
        assert page.count("favorite-comment") == 3


class TestButtons:
    def test_members_see_add_then_remove_on_story_chapter_author_and_series_pages(
        self, client, people
    ):
        client.force_login(people.reader)
        pages = {
            "story": [
                people.story.get_absolute_url() + "?index",
                f"/stories/{people.story.pk}/chapters/2/",
            ],
            "author": [people.author.profile.get_absolute_url()],
            "series": [people.series.get_absolute_url()],
        }
        for kind, urls in pages.items():
            pk = targets(people)[kind]
            for url in urls:
                page = client.get(url).content.decode()
                assert f'action="/my/favorites/{kind}/{pk}/"' in page, url
                assert ">Add to favorites</button>" in page and 'name="comment"' in page
            client.post(f"/my/favorites/{kind}/{pk}/")
            for url in urls:
                page = client.get(url).content.decode()
                assert f'action="/my/favorites/{kind}/{pk}/remove/"' in page, url
                assert ">Remove from favorites</button>" in page
                assert f'href="/my/favorites/{kind}/{pk}/?next=' in page  # edit the comment

    def test_no_favorite_button_for_oneself(self, client, people):
        client.force_login(people.author)
        page = client.get(people.author.profile.get_absolute_url()).content.decode()
        assert f"/my/favorites/author/{people.author.pk}/" not in page

    def test_visitors_get_no_form_so_pages_stay_cacheable(self, client, people):
        for url in (
            people.story.get_absolute_url() + "?index",
            f"/stories/{people.story.pk}/chapters/1/",
            people.series.get_absolute_url(),
            people.author.profile.get_absolute_url(),
        ):
            response = client.get(url)
            page = response.content.decode()
            assert "/my/favorites/" not in page and "/my/read-later/" not in page, url
            assert "csrfmiddlewaretoken" not in page
            assert client.get(url)["X-Page-Cache"] == "hit", url

    def test_the_buttons_cost_a_member_the_same_whatever_they_keep(
        self, client, people, django_assert_max_num_queries
    ):
        client.force_login(people.reader)
        url = people.series.get_absolute_url()
        client.get(url)
        with django_assert_max_num_queries(12) as before:
            client.get(url)
        budget = len(before.captured_queries)  # the next request empties the log
        client.post(f"/my/favorites/series/{people.series.pk}/")
        with django_assert_max_num_queries(budget):
            client.get(url)


def _many_favorites(owner, n: int) -> None:
    """n favorite stories (each by its own author), n favorite authors and n series."""
    rating = make_rating("Teen")
    users = User.objects.bulk_create(User(username=f"bulk{i}", password="!") for i in range(n))
    profiles = [Profile(user=user, pen_name=f"Writer {i}") for i, user in enumerate(users)]
    for profile in profiles:
        profile.derive_name_fields()
    Profile.objects.bulk_create(profiles)
    stories = bulk_stories(users, rating)
    series = Series.objects.bulk_create(
        Series(owner=user, title=f"Saga {i}") for i, user in enumerate(users)
    )
    Favorite.objects.bulk_create(
        [Favorite(user=owner, story=story, comment=f"Note {story.title}") for story in stories]
        + [Favorite(user=owner, author=user) for user in users]
        + [Favorite(user=owner, series=each) for each in series]
    )


class TestFavoritesPage:
    def test_three_lists_with_counts_and_the_members_comments(self, client, people):
        client.force_login(people.reader)
        for kind, pk in targets(people).items():
            client.post(f"/my/favorites/{kind}/{pk}/", {"comment": f"About the {kind}"})
        page = client.get("/my/favorites/").content.decode()
        assert "Stories (1)" in page and "Authors (1)" in page and "Series (1)" in page
        assert "The Long Road" in page and "About the story" in page
        assert "About the author" not in page
        page = client.get("/my/favorites/?kind=author").content.decode()
        assert ">Author</a>" in page and "About the author" in page
        page = client.get("/my/favorites/?kind=series").content.decode()
        assert "The Saga" in page and "About the series" in page
        assert "/favorites/Reader/" in page  # the public page, while favorites are public

    def test_stories_the_member_can_no_longer_open_are_left_out(self, client, people):
        client.force_login(people.reader)
        client.post(f"/my/favorites/story/{people.story.pk}/")
        Story.objects.filter(pk=people.story.pk).update(status=Status.HIDDEN)
        page = client.get("/my/favorites/").content.decode()
        assert "The Long Road" not in page and "Stories (0)" in page

    def test_the_page_costs_the_same_with_two_hundred_favorites(
        self, client, people, django_assert_max_num_queries
    ):
        client.force_login(people.reader)
        client.post(f"/my/favorites/story/{people.story.pk}/")
        for kind in ("story", "author", "series"):
            with django_assert_max_num_queries(8):
                client.get(f"/my/favorites/?kind={kind}")
        _many_favorites(people.reader, 200)
        for kind in ("story", "author", "series"):
            with django_assert_max_num_queries(8):
                page = client.get(f"/my/favorites/?kind={kind}").content.decode()
            assert "Page 1 of" in page
        assert "Stories (201)" in page
        assert client.get("/my/favorites/?kind=story&page=6").status_code == 404


class TestProfile:
    def test_public_favorites_with_comments_on_the_profile(
        self, client, people, django_capture_on_commit_callbacks
    ):
        url = people.reader.profile.get_absolute_url()
        assert "Favorite stories" not in client.get(url).content.decode()  # none yet
        client.force_login(people.reader)
        with django_capture_on_commit_callbacks(execute=True):
            for kind, pk in targets(people).items():
                client.post(f"/my/favorites/{kind}/{pk}/", {"comment": f"About the {kind}"})
        client.logout()
        page = client.get(people.reader.profile.get_absolute_url()).content.decode()
        for heading in ("Favorite stories", "Favorite authors", "Favorite series"):
            assert heading in page
        for kind in targets(people):
            assert f"About the {kind}" in page
        assert "The Long Road" in page and "The Saga" in page

    def test_favorite_changes_reach_the_cached_profile_at_once(
        self, client, people, django_capture_on_commit_callbacks
    ):
        url = people.reader.profile.get_absolute_url()
        reader = client_for(people.reader)
        for kind, pk in targets(people).items():
            assert f"About the {kind}" not in client.get(url).content.decode()
            assert client.get(url)["X-Page-Cache"] == "hit"
            with django_capture_on_commit_callbacks(execute=True):
                reader.post(f"/my/favorites/{kind}/{pk}/", {"comment": f"About the {kind}"})
            assert f"About the {kind}" in client.get(url).content.decode()
            with django_capture_on_commit_callbacks(execute=True):
                reader.post(f"/my/favorites/{kind}/{pk}/remove/")
            assert f"About the {kind}" not in client.get(url).content.decode()

    def test_private_favorites_are_hidden_from_others_but_not_the_member(self, client, people):
        client.force_login(people.reader)
        client.post(f"/my/favorites/story/{people.story.pk}/", {"comment": "Secret crush"})
        response = client.post("/accounts/preferences/", _preferences(favorites_public=False))
        assert response.status_code == 302
        own = client.get(people.reader.profile.get_absolute_url()).content.decode()
        assert "Secret crush" in own and "Only you see your favorites here" in own
        assert client.get("/favorites/Reader/").status_code == 200
        assert "They are private" in client.get("/my/favorites/").content.decode()
        for viewer in (None, people.other, people.moderator):
            client.logout()
            if viewer:
                client.force_login(viewer)
            page = client.get(people.reader.profile.get_absolute_url()).content.decode()
            assert "Secret crush" not in page and "Favorite stories" not in page
            assert client.get("/favorites/Reader/").status_code == 404

    def test_turning_favorites_private_drops_the_cached_profile(self, client, people):
        client_for(people.reader).post(
            f"/my/favorites/story/{people.story.pk}/", {"comment": "Secret crush"}
        )
        url = people.reader.profile.get_absolute_url()
        assert "Secret crush" in client.get(url).content.decode()  # now in the page cache
        client_for(people.reader).post(
            "/accounts/preferences/", _preferences(favorites_public=False)
        )
        assert "Secret crush" not in client.get(url).content.decode()

    def test_stories_the_viewer_may_not_see_are_left_out(self, client, people):
        adult = make_story("Adult Tale", rating=make_rating("Adult", members_only=True))
        client.force_login(people.reader)
        client.post(f"/my/favorites/story/{adult.pk}/")
        client.post(f"/my/favorites/story/{people.story.pk}/")
        client.logout()
        page = client.get(people.reader.profile.get_absolute_url()).content.decode()
        assert "The Long Road" in page and "Adult Tale" not in page
        assert "Adult Tale" not in client.get("/favorites/Reader/").content.decode()
        client.force_login(people.other)
        page = client.get(people.reader.profile.get_absolute_url()).content.decode()
        assert "Adult Tale" in page

    def test_the_profile_costs_the_same_with_two_hundred_favorites_of_each_kind(
        self, client, people, django_assert_max_num_queries
    ):
        url = people.reader.profile.get_absolute_url()
        client.force_login(people.other)
        client_for(people.reader).post(f"/my/favorites/story/{people.story.pk}/")
        with django_assert_max_num_queries(20) as few:
            client.get(url)
        budget = len(few.captured_queries)  # the next request empties the log
        _many_favorites(people.reader, 200)
        with django_assert_max_num_queries(budget):
            page = client.get(url).content.decode()
        assert page.count('class="favorite"') == 3 * library.PROFILE_FAVORITES
        assert 'href="/favorites/Reader/?kind=story">All favorite stories' in page
        client.logout()
        with django_assert_max_num_queries(budget):
            client.get(url)

    def test_the_public_favorites_page_is_paginated_and_cached(
        self, client, people, django_assert_max_num_queries
    ):
        _many_favorites(people.reader, 60)
        with django_assert_max_num_queries(6):
            page = client.get("/favorites/Reader/?kind=author").content.decode()
        assert "Authors (60)" in page and "Page 1 of 2" in page
        assert "csrfmiddlewaretoken" not in page and "Remove from favorites" not in page
        assert client.get("/favorites/Reader/?kind=author")["X-Page-Cache"] == "hit"
        assert client.get("/favorites/reader/")["Location"] == "/favorites/Reader/"
        assert client.get("/favorites/Nobody/").status_code == 404


def _preferences(**changes) -> dict:
    values = {
        "default_sort": "updated",
        "index_first": "on",
        "text_size": "medium",
        "favorites_public": "on",
    }
    values.update(changes)
    return {name: value for name, value in values.items() if value is not False}


def test_the_preferences_page_has_the_switch_and_it_defaults_to_public(client, people):
    client.force_login(people.reader)
    page = client.get("/accounts/preferences/").content.decode()
    assert "Show my favorites on my profile page" in page
    assert 'id="id_favorites_public" checked' in page
    client.post("/accounts/preferences/", _preferences(favorites_public=False))
    people.reader.profile.refresh_from_db()
    assert people.reader.profile.prefs.favorites_public is False


@pytest.mark.django_db(transaction=True)
def test_members_favoriting_at_once_leave_the_count_right():
    if connection.vendor == "sqlite":
        # The in-memory test database answers "table is locked" instead of waiting (shared
        # cache ignores the busy timeout); PostgreSQL exercises the row locks for real.
        pytest.skip("needs a database with row locks (runs on the PostgreSQL pass)")
    story = make_story("Popular")
    members = User.objects.bulk_create(User(username=f"fan{n}", password="!") for n in range(10))
    barrier = threading.Barrier(len(members))
    errors = []

    def add(member):
        try:
            barrier.wait()
            library.save_favorite(member, "story", story.pk, "")
        except Exception as error:  # reported below, in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(member,)) for member in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Story.objects.get(pk=story.pk).favorite_count == 10
