"""Subscribing, the subscriptions page, and the signed one-click unsubscribe link."""

from types import SimpleNamespace

import pytest

from fanfold.archive.models import Status
from fanfold.community.models import Subscription
from fanfold.community.tasks import unsubscribe_token
from tests.factories import make_rating, make_series, make_story, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    """An author with a story and a series, a reader, a moderator."""
    author = make_user("Author")
    story = make_story("The Long Road", authors=[author])
    return SimpleNamespace(
        author=author,
        reader=make_user("Reader"),
        moderator=make_user("Moderator", is_staff=True),
        story=story,
        series=make_series(author, "The Saga", stories=[story]),
    )


def targets(people) -> dict[str, int]:
    return {"story": people.story.pk, "author": people.author.pk, "series": people.series.pk}


class TestSubscribing:
    @pytest.mark.parametrize("kind", ["story", "author", "series"])
    def test_a_member_subscribes_and_unsubscribes_and_returns_to_the_page(
        self, client, people, kind
    ):
        client.force_login(people.reader)
        pk = targets(people)[kind]
        response = client.post(f"/subscriptions/add/{kind}/{pk}/", {"next": "/browse/"})
        assert response.status_code == 302 and response["Location"] == "/browse/"
        client.post(f"/subscriptions/add/{kind}/{pk}/")  # twice: still one
        assert Subscription.objects.filter(user=people.reader, **{f"{kind}_id": pk}).count() == 1

        response = client.post(f"/subscriptions/remove/{kind}/{pk}/")
        assert response["Location"] == "/subscriptions/"
        assert not Subscription.objects.filter(user=people.reader).exists()

    @pytest.mark.parametrize("kind", ["story", "author", "series"])
    def test_moderators_subscribe_like_members(self, client, people, kind):
        client.force_login(people.moderator)
        client.post(f"/subscriptions/add/{kind}/{targets(people)[kind]}/")
        assert Subscription.objects.filter(user=people.moderator).count() == 1

    def test_visitors_are_sent_to_log_in_and_back(self, client, people):
        page = people.story.get_absolute_url()
        response = client.post(f"/subscriptions/add/story/{people.story.pk}/", {"next": page})
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/stories/")
        assert client.post(f"/subscriptions/remove/story/{people.story.pk}/").status_code == 302
        assert not Subscription.objects.exists()

    def test_only_post_changes_anything(self, client, people):
        client.force_login(people.reader)
        assert client.get(f"/subscriptions/add/story/{people.story.pk}/").status_code == 405
        assert not Subscription.objects.exists()

    def test_an_author_cannot_follow_themselves(self, client, people):
        client.force_login(people.author)
        assert client.post(f"/subscriptions/add/author/{people.author.pk}/").status_code == 404

    def test_unseen_and_unknown_targets_are_404(self, client, people):
        draft = make_story("Secret", authors=[people.author], status=Status.DRAFT)
        members_only = make_story("Adult", rating=make_rating("Adult", members_only=True))
        client.force_login(people.reader)
        for url in (
            f"/subscriptions/add/story/{draft.pk}/",
            "/subscriptions/add/story/999999/",
            "/subscriptions/add/series/999999/",
            "/subscriptions/add/author/999999/",
            f"/subscriptions/add/planet/{people.story.pk}/",
            f"/subscriptions/remove/planet/{people.story.pk}/",
        ):
            assert client.post(url).status_code == 404, url
        # Members may follow members-only stories; visitors never see the button.
        assert client.post(f"/subscriptions/add/story/{members_only.pk}/").status_code == 302

    def test_next_never_leaves_the_site(self, client, people):
        client.force_login(people.reader)
        response = client.post(
            f"/subscriptions/add/story/{people.story.pk}/", {"next": "https://evil.example/"}
        )
        assert response["Location"] == people.story.get_absolute_url()


class TestButtons:
    def test_members_see_subscribe_then_unsubscribe_on_story_author_and_series_pages(
        self, client, people
    ):
        client.force_login(people.reader)
        pages = {
            "story": people.story.get_absolute_url(),
            "author": people.author.profile.get_absolute_url(),
            "series": people.series.get_absolute_url(),
        }
        for kind, url in pages.items():
            pk = targets(people)[kind]
            page = client.get(url).content.decode()
            assert f'action="/subscriptions/add/{kind}/{pk}/"' in page, kind
            assert "csrfmiddlewaretoken" in page
            Subscription.objects.create(user=people.reader, **{f"{kind}_id": pk})
            page = client.get(url).content.decode()
            assert f'action="/subscriptions/remove/{kind}/{pk}/"' in page, kind
            assert ">Unsubscribe</button>" in page

    def test_visitors_get_no_form_so_pages_stay_cacheable(self, client, people):
        for url in (people.story.get_absolute_url(), people.series.get_absolute_url()):
            response = client.get(url)
            assert "/subscriptions/add/" not in response.content.decode()
            assert response["X-Page-Cache"] == "miss"

    def test_authors_get_no_button_for_their_own_work(self, client, people):
        client.force_login(people.author)
        for url in (people.story.get_absolute_url(), people.author.profile.get_absolute_url()):
            assert "/subscriptions/add/" not in client.get(url).content.decode()


class TestSubscriptionsPage:
    def test_lists_what_the_member_follows_with_unsubscribe_buttons(self, client, people):
        for kind, pk in targets(people).items():
            Subscription.objects.create(user=people.reader, **{f"{kind}_id": pk})
        Subscription.objects.create(user=people.moderator, story=make_story("Not Mine"))
        client.force_login(people.reader)
        page = client.get("/subscriptions/").content.decode()
        assert "The Long Road" in page and "The Saga" in page and ">Author</a>" in page
        assert "Not Mine" not in page
        assert page.count(">Unsubscribe</button>") == 3

    def test_visitors_are_sent_to_log_in(self, client):
        assert client.get("/subscriptions/")["Location"].startswith("/accounts/login/")

    def test_costs_the_same_queries_for_many_subscriptions(
        self, client, people, django_assert_max_num_queries
    ):
        client.force_login(people.reader)
        for n in range(30):
            Subscription.objects.create(user=people.reader, story=make_story(f"Story {n}"))
            author = make_user(f"Writer {n}")
            Subscription.objects.create(user=people.reader, author=author)
        # session, user, profile (header), unread count, count, page
        with django_assert_max_num_queries(6):
            assert client.get("/subscriptions/").status_code == 200


class TestOneClickUnsubscribe:
    def test_get_asks_and_post_unsubscribes_without_signing_in(self, client, people):
        Subscription.objects.create(user=people.reader, story=people.story)
        url = f"/unsubscribe/{unsubscribe_token(people.reader.pk, 'story', people.story.pk)}/"
        page = client.get(url).content.decode()
        assert "Stop new chapters of The Long Road?" in page
        assert Subscription.objects.exists(), "a link scanner's GET must change nothing"

        response = client.post(url)  # also what RFC 8058 mail programs send
        assert response.status_code == 200
        assert "you will get no more new chapters of The Long Road" in response.content.decode()
        assert not Subscription.objects.exists()
        assert client.post(url).status_code == 200  # twice is fine

    def test_it_stops_only_that_members_subscription(self, client, people):
        Subscription.objects.create(user=people.reader, author=people.author)
        Subscription.objects.create(user=people.moderator, author=people.author)
        client.post(
            f"/unsubscribe/{unsubscribe_token(people.reader.pk, 'author', people.author.pk)}/"
        )
        assert list(Subscription.objects.values_list("user_id", flat=True)) == [people.moderator.pk]

    def test_review_emails_turn_their_switch_off(self, client, people):
        token = unsubscribe_token(people.author.pk, "notify_review", 0)
        client.post(f"/unsubscribe/{token}/")
        people.author.profile.refresh_from_db()
        assert people.author.profile.prefs.notify_review is False
        assert people.author.profile.prefs.notify_review_response is True

    def test_a_tampered_link_is_refused(self, client, people):
        Subscription.objects.create(user=people.reader, story=people.story)
        Subscription.objects.create(user=people.moderator, story=people.story)
        token = unsubscribe_token(people.reader.pk, "story", people.story.pk)
        forged = unsubscribe_token(people.moderator.pk, "story", people.story.pk)
        tampered = [
            token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
            forged.split(":")[0] + ":" + token.split(":", 1)[1],  # someone else's payload
            "not-a-token",
        ]
        for bad in tampered:
            response = client.post(f"/unsubscribe/{bad}/")
            assert response.status_code == 400, bad
            assert "not valid" in response.content.decode()
        assert Subscription.objects.count() == 2

    def test_a_link_for_something_we_never_offer_is_refused(self, client, people):
        response = client.post(
            f"/unsubscribe/{unsubscribe_token(people.reader.pk, 'is_staff', 0)}/"
        )
        assert response.status_code == 400
