"""Likes: who may like a story, what the button shows, counts, sorts and the top list."""

import threading
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from fanfold.archive.models import Status, Story
from fanfold.community import likes
from fanfold.community.models import Block, Like
from tests.factories import make_rating, make_story, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    """A story by an author and a co-author; a reader, a member the author blocked, a
    moderator."""
    author, coauthor = make_user("Author"), make_user("Co-author")
    blocked = make_user("Pest")
    Block.objects.create(user=author, blocked=blocked)
    return SimpleNamespace(
        author=author,
        coauthor=coauthor,
        reader=make_user("Reader"),
        blocked=blocked,
        moderator=make_user("Moderator", is_staff=True),
        story=make_story("The Long Road", authors=[author, coauthor], chapters=2),
    )


def like_count(story) -> int:
    return Story.objects.get(pk=story.pk).like_count


def like_url(story) -> str:
    return f"/stories/{story.pk}/like/"


def unlike_url(story) -> str:
    return f"/stories/{story.pk}/unlike/"


class TestLiking:
    @pytest.mark.parametrize("who", ["reader", "moderator"])
    def test_a_member_likes_once_and_returns_to_the_page(self, client, people, who):
        client.force_login(getattr(people, who))
        page = people.story.chapter_url(2)
        response = client.post(like_url(people.story), {"next": page})
        assert response.status_code == 302 and response["Location"] == page
        client.post(like_url(people.story), {"next": page})  # twice: still one
        assert Like.objects.filter(story=people.story).count() == 1
        assert like_count(people.story) == 1

    def test_unlike_takes_it_back_and_twice_is_harmless(self, client, people):
        client.force_login(people.reader)
        client.post(like_url(people.story))
        response = client.post(unlike_url(people.story))
        assert response["Location"] == people.story.get_absolute_url()
        assert client.post(unlike_url(people.story)).status_code == 302
        assert not Like.objects.exists()
        assert like_count(people.story) == 0

    def test_each_member_counts_once(self, client, people):
        for member in (people.reader, people.moderator):
            client.force_login(member)
            client.post(like_url(people.story))
        assert like_count(people.story) == 2

    @pytest.mark.parametrize("who", ["author", "coauthor"])
    def test_authors_cannot_like_their_own_story(self, client, people, who):
        client.force_login(getattr(people, who))
        assert client.post(like_url(people.story)).status_code == 403
        assert not Like.objects.exists()

    def test_a_member_an_author_blocked_cannot_like(self, client, people):
        client.force_login(people.blocked)
        assert client.post(like_url(people.story)).status_code == 403
        assert like_count(people.story) == 0

    def test_a_blocked_member_can_still_take_an_earlier_like_back(self, client, people):
        Block.objects.all().delete()
        likes.like(people.blocked, people.story)
        Block.objects.create(user=people.author, blocked=people.blocked)
        client.force_login(people.blocked)
        client.post(unlike_url(people.story))
        assert like_count(people.story) == 0

    def test_visitors_are_sent_to_log_in_and_back(self, client, people):
        page = people.story.get_absolute_url()
        for url in (like_url(people.story), unlike_url(people.story)):
            response = client.post(url, {"next": page})
            assert response.status_code == 302
            assert response["Location"] == f"/accounts/login/?next={page}"
        response = client.post(like_url(people.story))
        assert response["Location"] == f"/accounts/login/?next=/stories/{people.story.pk}/"
        assert not Like.objects.exists()

    def test_only_post_with_the_csrf_token_changes_anything(self, people):
        client = Client(enforce_csrf_checks=True)
        client.force_login(people.reader)
        assert client.get(like_url(people.story)).status_code == 405
        assert client.post(like_url(people.story)).status_code == 403
        assert not Like.objects.exists()

    def test_next_never_leaves_the_site(self, client, people):
        client.force_login(people.reader)
        response = client.post(like_url(people.story), {"next": "https://evil.example/"})
        assert response["Location"] == people.story.get_absolute_url()

    def test_stories_the_member_cannot_read_or_that_are_not_published_are_404(self, client, people):
        draft = make_story("Secret", authors=[people.author], status=Status.DRAFT)
        hidden = make_story("Hidden", authors=[people.author], status=Status.HIDDEN)
        client.force_login(people.reader)
        for story_id in (draft.pk, hidden.pk, 999999):
            assert client.post(f"/stories/{story_id}/like/").status_code == 404
        client.force_login(people.moderator)  # moderators open drafts, but nobody likes them
        assert client.post(like_url(draft)).status_code == 404
        assert not Like.objects.exists()

    def test_members_like_members_only_stories(self, client, people):
        adult = make_story("Adult", rating=make_rating("Adult", members_only=True))
        client.force_login(people.reader)
        client.post(like_url(adult))
        assert like_count(adult) == 1


class TestLikeButton:
    def test_visitors_see_the_count_and_no_form(self, client, people):
        for member in (people.reader, people.moderator):
            likes.like(member, people.story)
        for url in (people.story.get_absolute_url(), people.story.chapter_url(1)):
            html = client.get(url).content.decode()
            assert "2 likes" in html
            assert "/like/" not in html and "csrfmiddlewaretoken" not in html

    def test_no_count_for_visitors_before_the_first_like(self, client, people):
        html = client.get(people.story.get_absolute_url()).content.decode()
        assert 'class="like-count"' not in html

    def test_a_member_sees_like_then_unlike(self, client, people):
        client.force_login(people.reader)
        url = people.story.get_absolute_url()
        html = client.get(url).content.decode()
        assert f'action="{like_url(people.story)}"' in html and ">Like</button>" in html
        assert "0 likes" in html
        client.post(like_url(people.story), {"next": url})
        html = client.get(url).content.decode()
        assert f'action="{unlike_url(people.story)}"' in html and ">Unlike</button>" in html
        assert "1 like<" in html
        html = client.get(people.story.chapter_url(2)).content.decode()
        assert ">Unlike</button>" in html
        assert f'name="next" value="{people.story.chapter_url(2)}"' in html

    @pytest.mark.parametrize("who", ["author", "coauthor"])
    def test_authors_see_the_count_without_a_button(self, client, people, who):
        likes.like(people.reader, people.story)
        client.force_login(getattr(people, who))
        html = client.get(people.story.get_absolute_url()).content.decode()
        assert "1 like<" in html
        assert "/like/" not in html

    def test_the_cached_visitor_page_shows_the_new_count(
        self, client, people, django_capture_on_commit_callbacks
    ):
        url = people.story.get_absolute_url()
        assert 'class="like-count"' not in client.get(url).content.decode()  # now cached
        member = Client()
        member.force_login(people.reader)
        with django_capture_on_commit_callbacks(execute=True):
            member.post(like_url(people.story))
        assert "1 like<" in client.get(url).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            member.post(unlike_url(people.story))
        assert 'class="like-count"' not in client.get(url).content.decode()

    def test_the_button_costs_a_member_one_query(
        self, client, people, django_assert_max_num_queries
    ):
        client.force_login(people.reader)
        url = people.story.get_absolute_url()
        with django_assert_max_num_queries(30) as before:
            client.get(url)
        likes.like(people.reader, people.story)
        for member in (make_user(f"Fan {n}") for n in range(20)):
            likes.like(member, people.story)
        with django_assert_max_num_queries(len(before.captured_queries)):
            assert "21 likes" in client.get(url).content.decode()
        like_queries = [q for q in before.captured_queries if "community_like" in q["sql"]]
        assert len(like_queries) == 1


class TestCounts:
    def test_recount_puts_a_wrong_like_count_right(self, people):
        likes.like(people.reader, people.story)
        Story.objects.filter(pk=people.story.pk).update(like_count=42)
        call_command("recount", stdout=StringIO(), stderr=StringIO())
        assert like_count(people.story) == 1

    def test_the_count_follows_the_rows_when_a_member_goes(self, people):
        likes.like(people.reader, people.story)
        likes.like(people.moderator, people.story)
        Like.objects.filter(user=people.reader).delete()
        likes.unlike(people.moderator, people.story.pk)
        assert like_count(people.story) == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_member", [False, True], ids=["twenty members", "one member"])
def test_twenty_likes_at_once_give_the_right_count(same_member):
    if connection.vendor == "sqlite":
        # The in-memory test database answers "table is locked" instead of waiting (shared
        # cache ignores the busy timeout); PostgreSQL exercises the row locks for real.
        pytest.skip("needs a database with row locks (runs on the PostgreSQL pass)")
    story = make_story("Popular")
    members = [make_user("Fan")] * 20 if same_member else [make_user() for _ in range(20)]
    errors = []
    barrier = threading.Barrier(len(members))

    def like(member):
        try:
            barrier.wait()
            likes.like(member, story)
        except Exception as error:  # reported below, in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=like, args=(member,)) for member in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = 1 if same_member else 20
    assert Like.objects.filter(story=story).count() == expected
    assert like_count(story) == expected


class TestListings:
    @pytest.fixture
    def ranked(self, people):
        """Three stories with 0, 2 and 1 likes."""
        fans = [make_user(f"Fan {n}") for n in range(2)]
        loved = make_story("Loved", authors=[people.author])
        liked = make_story("Liked", authors=[people.author])
        for fan in fans:
            likes.like(fan, loved)
        likes.like(fans[0], liked)
        return SimpleNamespace(loved=loved, liked=liked, fans=fans)

    def test_blurbs_show_likes(self, client, ranked):
        html = client.get("/browse/recent/").content.decode()
        assert "2 likes" in html and "1 like<" in html

    def test_sort_by_likes(self, client, ranked):
        html = client.get("/browse/recent/?sort=likes").content.decode()
        assert '<option value="likes" selected>Likes</option>' in html
        assert html.index("Loved") < html.index("Liked") < html.index("The Long Road")

    def test_most_liked_top_list(self, client, ranked):
        assert "/browse/top/most-liked/" in client.get("/browse/").content.decode()
        html = client.get("/browse/top/most-liked/").content.decode()
        assert "<h1>Most liked</h1>" in html
        assert html.index("Loved") < html.index("Liked") < html.index("The Long Road")

    def test_top_list_query_count_does_not_grow_with_likes(
        self, client, ranked, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(4):
            assert client.get("/browse/top/most-liked/").status_code == 200
        more = [make_story(f"More {n}") for n in range(15)]
        for story in more:
            for fan in ranked.fans:
                likes.like(fan, story)
        with django_assert_max_num_queries(4):
            assert client.get("/browse/top/most-liked/?sort=likes").status_code == 200
