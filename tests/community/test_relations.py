"""Mute and block: the buttons, the "Muted and blocked" page, what muting hides from the
member's listings and search, and what blocking forbids.

Personas: an author with a story, a co-author, a reader (the member who mutes or blocks),
another reader (whom nothing changes for), a blocked member, a moderator, visitors.
"""

import re
from types import SimpleNamespace

import pytest
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.test import Client

from fanfold.accounts.models import Profile, User
from fanfold.community import relations, reviews
from fanfold.community.models import Block, Mute
from fanfold.lib.markup import sanitize
from tests.factories import make_category, make_rating, make_review, make_story, make_user
from tests.hostile import HOSTILE, executable_parts

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    general = make_rating("General", order=1)
    author = make_user("Author")
    coauthor = make_user("Coauthor")
    fandom = make_category("Fandom")
    return SimpleNamespace(
        author=author,
        coauthor=coauthor,
        reader=make_user("Reader"),
        other_reader=make_user("Other Reader"),
        moderator=make_user("Moderator", is_staff=True),
        fandom=fandom,
        story=make_story(
            "Dragon Road", authors=[author], categories=[fandom], rating=general,
            chapters=["The dragon slept beneath the mountain."],
        ),
        shared=make_story(
            "Dragon Pact", authors=[coauthor, author], categories=[fandom], rating=general,
            chapters=["Two dragons signed a pact."],
        ),
        unrelated=make_story(
            "Dragon Sea", authors=[make_user("Sailor")], categories=[fandom], rating=general,
            chapters=["A dragon crossed the sea."],
        ),
    )  # fmt: skip


def titles(client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.content.decode()
    return {title for title in ("Dragon Road", "Dragon Pact", "Dragon Sea") if title in page}


def forms_on(page: str) -> list[str]:
    return re.findall(r'<form method="post" action="(/my/muted/[^"]+)"', page)


# Buttons and actions ----------------------------------------------------------------------


class TestMuting:
    def test_a_member_mutes_and_unmutes_an_author_and_returns_to_the_page(self, client, people):
        client.force_login(people.reader)
        page = "/authors/Author/"
        response = client.post(f"/my/muted/mute/{people.author.pk}/", {"next": page})
        assert response.status_code == 302 and response["Location"] == page
        client.post(f"/my/muted/mute/{people.author.pk}/")  # twice: still one
        assert list(Mute.objects.values_list("user_id", "author_id")) == [
            (people.reader.pk, people.author.pk)
        ]
        response = client.post(f"/my/muted/unmute/{people.author.pk}/")
        assert response["Location"] == "/my/muted/"
        assert not Mute.objects.exists()
        assert client.post(f"/my/muted/unmute/{people.author.pk}/").status_code == 302

    def test_a_member_blocks_and_unblocks(self, client, people):
        client.force_login(people.author)
        client.post(f"/my/muted/block/{people.reader.pk}/")
        client.post(f"/my/muted/block/{people.reader.pk}/")
        assert list(Block.objects.values_list("user_id", "blocked_id")) == [
            (people.author.pk, people.reader.pk)
        ]
        client.post(f"/my/muted/unblock/{people.reader.pk}/")
        assert not Block.objects.exists()

    @pytest.mark.parametrize("action", ["mute", "block"])
    def test_nobody_mutes_or_blocks_themselves(self, client, people, action):
        client.force_login(people.reader)
        response = client.post(f"/my/muted/{action}/{people.reader.pk}/")
        assert response.status_code == 400
        assert f"You cannot {action} yourself." in response.content.decode()
        assert not Mute.objects.exists() and not Block.objects.exists()
        with pytest.raises(relations.SelfRelationError):
            getattr(relations, action)(people.reader, people.reader)

    @pytest.mark.parametrize("action", ["mute", "unmute", "block", "unblock"])
    def test_visitors_are_sent_to_log_in_and_back(self, client, people, action):
        page = "/authors/Author/"
        response = client.post(f"/my/muted/{action}/{people.author.pk}/", {"next": page})
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/authors/Author/"
        assert not Mute.objects.exists() and not Block.objects.exists()

    @pytest.mark.parametrize("action", ["mute", "unmute", "block", "unblock"])
    def test_only_post_changes_anything_and_unknown_members_are_404(self, client, people, action):
        client.force_login(people.reader)
        assert client.get(f"/my/muted/{action}/{people.author.pk}/").status_code == 405
        assert client.post(f"/my/muted/{action}/999999/").status_code == 404
        assert not Mute.objects.exists() and not Block.objects.exists()

    def test_posts_need_the_csrf_token(self, people):
        client = Client(enforce_csrf_checks=True)
        client.force_login(people.reader)
        assert client.post(f"/my/muted/mute/{people.author.pk}/").status_code == 403
        assert client.post(f"/my/muted/block/{people.author.pk}/").status_code == 403
        assert not Mute.objects.exists() and not Block.objects.exists()

    def test_moderators_mute_and_block_like_members(self, client, people):
        client.force_login(people.moderator)
        client.post(f"/my/muted/mute/{people.author.pk}/")
        client.post(f"/my/muted/block/{people.reader.pk}/")
        assert Mute.objects.filter(user=people.moderator).count() == 1
        assert Block.objects.filter(user=people.moderator).count() == 1


class TestAuthorPageButtons:
    def test_visitors_get_no_form_so_the_cached_page_is_shared(self, client, people):
        page = client.get("/authors/Author/").content.decode()
        assert forms_on(page) == [] and "csrfmiddlewaretoken" not in page

    def test_a_member_sees_mute_and_block_then_unmute_and_unblock(self, client, people):
        client.force_login(people.reader)
        page = client.get("/authors/Author/").content.decode()
        assert forms_on(page) == [
            f"/my/muted/mute/{people.author.pk}/",
            f"/my/muted/block/{people.author.pk}/",
        ]
        relations.mute(people.reader, people.author)
        relations.block(people.reader, people.author)
        page = client.get("/authors/Author/").content.decode()
        assert forms_on(page) == [
            f"/my/muted/unmute/{people.author.pk}/",
            f"/my/muted/unblock/{people.author.pk}/",
        ]
        assert "You muted this author" in page

    def test_no_buttons_on_ones_own_page(self, client, people):
        client.force_login(people.author)
        assert forms_on(client.get("/authors/Author/").content.decode()) == []

    def test_the_buttons_cost_a_bounded_number_of_queries(
        self, client, people, django_assert_max_num_queries
    ):
        client.force_login(people.reader)
        with django_assert_max_num_queries(30) as before:
            client.get("/authors/Author/")
        make_many_mutes(people.reader, 200)
        with django_assert_max_num_queries(len(before.captured_queries)):
            client.get("/authors/Author/")


# The "Muted and blocked" page -------------------------------------------------------------


def make_many_mutes(user: User, count: int, prefix: str = "muted") -> list[User]:
    """`count` authors (bulk: no password hashing) muted by `user`."""
    unusable = make_password(None)
    authors = User.objects.bulk_create(
        User(username=f"{prefix}{n}", password=unusable) for n in range(count)
    )
    authors = list(User.objects.filter(username__startswith=prefix).order_by("pk"))
    profiles = [Profile(user=a, pen_name=f"{prefix.title()} {n}") for n, a in enumerate(authors)]
    for profile in profiles:
        profile.derive_name_fields()
    Profile.objects.bulk_create(profiles)
    Mute.objects.bulk_create(Mute(user=user, author=a) for a in authors)
    return authors


class TestRelationsPage:
    def test_visitors_are_sent_to_log_in(self, client):
        response = client.get("/my/muted/")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/my/muted/"

    def test_lists_muted_authors_and_blocked_members_with_undo_buttons(self, client, people):
        relations.mute(people.reader, people.author)
        relations.block(people.reader, people.coauthor)
        relations.mute(people.other_reader, people.coauthor)  # someone else's: not listed
        client.force_login(people.reader)

        page = client.get("/my/muted/").content.decode()
        assert "Muted authors (1)" in page and "Blocked members (1)" in page
        assert '<a href="/authors/Author/">Author</a>' in page
        assert "Coauthor" not in page.split("</nav>", 2)[-1]
        assert forms_on(page) == [f"/my/muted/unmute/{people.author.pk}/"]

        page = client.get("/my/muted/?show=blocked").content.decode()
        assert '<a href="/authors/Coauthor/">Coauthor</a>' in page
        assert forms_on(page) == [f"/my/muted/unblock/{people.coauthor.pk}/"]

        # The undo button comes back to the same list.
        response = client.post(
            f"/my/muted/unblock/{people.coauthor.pk}/", {"next": "/my/muted/?show=blocked"}
        )
        assert response["Location"] == "/my/muted/?show=blocked"
        assert "You block nobody." in client.get(response["Location"]).content.decode()

    def test_empty_lists_say_where_the_buttons_are(self, client, people):
        client.force_login(people.reader)
        assert "You mute nobody." in client.get("/my/muted/").content.decode()
        assert "You block nobody." in client.get("/my/muted/?show=blocked").content.decode()
        # An unknown list falls back to the muted one.
        assert "You mute nobody." in client.get("/my/muted/?show=nope").content.decode()

    def test_long_lists_are_paged_in_a_bounded_number_of_queries(
        self, client, people, django_assert_max_num_queries
    ):
        client.force_login(people.reader)
        make_many_mutes(people.reader, 3, prefix="few")
        with django_assert_max_num_queries(10) as few:
            assert client.get("/my/muted/").status_code == 200
        make_many_mutes(people.reader, 200)
        with django_assert_max_num_queries(len(few.captured_queries)):
            page = client.get("/my/muted/").content.decode()
        assert "Muted authors (203)" in page and len(forms_on(page)) == 50
        assert client.get("/my/muted/?page=5").status_code == 200
        assert client.get("/my/muted/?page=6").status_code == 404

    def test_hostile_pen_names_stay_text(self, client, people):
        client.force_login(people.reader)
        for n, text in enumerate(HOSTILE):
            relations.mute(people.reader, make_user(f"{text} {n}"))
        page = client.get("/my/muted/").content.decode()
        assert executable_parts(page) == []
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# What muting hides ------------------------------------------------------------------------


LISTINGS = [
    "/",
    "/browse/recent/",
    "/browse/titles/",
    "/browse/top/most-read/",
    "/browse/categories/{fandom}/",
    "/search/?q=dragon",
    "/search/",
]


class TestMutedListings:
    @pytest.fixture(autouse=True)
    def _no_page_cache(self, settings):
        settings.PAGE_CACHE_SECONDS = 0

    @pytest.mark.parametrize("url", LISTINGS)
    def test_a_muted_authors_stories_leave_the_members_listings_and_search(
        self, client, people, url
    ):
        url = url.format(fandom=people.fandom.pk)
        client.force_login(people.reader)
        assert titles(client, url) == {"Dragon Road", "Dragon Pact", "Dragon Sea"}
        relations.mute(people.reader, people.author)
        # The co-authored story goes too: any muted author hides it.
        assert titles(client, url) == {"Dragon Sea"}
        relations.unmute(people.reader, people.author)
        assert titles(client, url) == {"Dragon Road", "Dragon Pact", "Dragon Sea"}

    @pytest.mark.parametrize("url", LISTINGS)
    def test_other_members_and_visitors_still_see_them(self, client, people, url):
        url = url.format(fandom=people.fandom.pk)
        relations.mute(people.reader, people.author)
        assert titles(client, url) == {"Dragon Road", "Dragon Pact", "Dragon Sea"}
        client.force_login(people.other_reader)
        assert titles(client, url) == {"Dragon Road", "Dragon Pact", "Dragon Sea"}

    def test_muting_a_co_author_hides_the_shared_story_only(self, client, people):
        relations.mute(people.reader, people.coauthor)
        client.force_login(people.reader)
        assert titles(client, "/browse/recent/") == {"Dragon Road", "Dragon Sea"}

    def test_muted_stories_stay_readable_at_their_own_urls(self, client, people):
        relations.mute(people.reader, people.author)
        client.force_login(people.reader)
        for story in (people.story, people.shared):
            assert client.get(story.get_absolute_url()).status_code == 200
            assert client.get(f"/stories/{story.pk}/chapters/1/").status_code == 200

    def test_search_facet_counts_leave_muted_stories_out(self, client, people):
        relations.mute(people.reader, people.author)
        client.force_login(people.reader)
        page = client.get("/search/?q=dragon").content.decode()
        facet = re.search(
            r'name="category" value="\d+"> Fandom <span class="count">\((\d+)\)', page
        )
        assert facet and facet.group(1) == "1"  # Dragon Sea only

    def test_a_member_with_200_mutes_browses_within_the_budget(
        self, client, people, django_assert_max_num_queries
    ):
        """Muting is one subquery of the listing's own queries, whatever the number."""
        client.force_login(people.reader)
        with django_assert_max_num_queries(8):  # as tests/archive/test_browse.py budgets
            assert client.get("/browse/recent/").status_code == 200
        make_many_mutes(people.reader, 199)
        relations.mute(people.reader, people.author)
        with django_assert_max_num_queries(8):
            assert titles(client, "/browse/recent/") == {"Dragon Sea"}


# What blocking forbids --------------------------------------------------------------------


class TestBlocking:
    """A blocked member cannot review the blocker's stories nor reply to the blocker."""

    def test_a_blocked_member_cannot_review_the_blockers_stories(self, people):
        relations.block(people.author, people.reader)
        for story in (people.story, people.shared):  # co-authored ones too
            with pytest.raises(PermissionDenied):
                reviews.post(people.reader, sanitize("<p>Hi</p>"), story=story)
        with pytest.raises(PermissionDenied):
            reviews.post(people.reader, sanitize("<p>Hi</p>"), chapter=people.story.chapters.get())
        # Others still review; the blocked member still reviews other authors' stories.
        reviews.post(people.other_reader, sanitize("<p>Hi</p>"), story=people.story)
        reviews.post(people.reader, sanitize("<p>Hi</p>"), story=people.unrelated)

    def test_a_blocked_member_cannot_reply_to_the_blockers_review(self, people):
        review = make_review(people.unrelated, "<p>Nice</p>", reviewer=people.other_reader)
        relations.block(people.other_reader, people.reader)
        with pytest.raises(PermissionDenied):
            reviews.reply(review, people.reader, sanitize("<p>No</p>"))
        reviews.reply(review, people.author, sanitize("<p>Agreed</p>"))

    def test_a_blocked_member_cannot_reply_under_reviews_of_the_blockers_work(self, people):
        review = make_review(people.story, "<p>Nice</p>", reviewer=people.other_reader)
        relations.block(people.author, people.reader)
        with pytest.raises(PermissionDenied):
            reviews.reply(review, people.reader, sanitize("<p>No</p>"))

    def test_unblocking_restores_reviewing(self, people):
        relations.block(people.author, people.reader)
        relations.unblock(people.author, people.reader)
        reviews.post(people.reader, sanitize("<p>Hi</p>"), story=people.story)

    def test_blocking_is_one_way(self, people):
        relations.block(people.author, people.reader)
        review = make_review(people.unrelated, "<p>Mine</p>", reviewer=people.reader)
        reviews.reply(review, people.author, sanitize("<p>Still allowed</p>"))

    def test_through_the_pages_block_then_unblock(self, client, people):
        """The author's Block button, then the blocked member's review and reply forms."""
        own_review = make_review(people.unrelated, "<p>Mine</p>", reviewer=people.author)
        client.force_login(people.author)
        client.post(f"/my/muted/block/{people.reader.pk}/")

        client.force_login(people.reader)
        review_url = f"/reviews/new/story/{people.story.pk}/"
        assert client.post(review_url, {"text": "Hi"}).status_code == 403
        reply_url = f"/reviews/{own_review.pk}/reply/"
        assert client.post(reply_url, {"text": "Hi"}).status_code == 403
        assert not people.reader.reviews.exists()

        client.force_login(people.author)
        client.post(f"/my/muted/unblock/{people.reader.pk}/")
        client.force_login(people.reader)
        assert client.post(review_url, {"text": "Hi"}).status_code == 302
        assert client.post(reply_url, {"text": "Hi"}).status_code == 302
        assert people.reader.reviews.count() == 2
