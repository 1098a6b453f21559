"""Writing reviews: visitors (anonymous reviews on or off, honeypot, moderation), rate
limits that keep the text, expired sessions that keep it too, notifications and counts."""

import re

import pytest
from django.test import Client

from fanfold.archive.models import PendingSubmission
from fanfold.community.models import Event, Review
from fanfold.core.models import ArchiveSettings
from tests.factories import make_story, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
TYPED = "First thoughts… ’til the end — “wow”.\n\nSecond paragraph."


@pytest.fixture
def author():
    return make_user("Author", password=PASSWORD)


@pytest.fixture
def story(author):
    return make_story("The Road", authors=[author], chapters=2)


@pytest.fixture
def chapter(story):
    return story.chapters.get(position=1)


def new_review_url(chapter) -> str:
    return f"/reviews/new/chapter/{chapter.pk}/"


def anonymous_reviews(on: bool = True, moderated: bool = False) -> None:
    ArchiveSettings(pk=1, anonymous_reviews=on, moderate_anonymous_reviews=moderated).save()


def csrf_token(client: Client, url: str) -> str:
    page = client.get(url).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


class TestVisitors:
    def test_anonymous_reviews_off_asks_to_log_in_and_keeps_nothing_public(self, client, chapter):
        response = client.get(new_review_url(chapter))
        assert response["Location"] == f"/accounts/login/?next={new_review_url(chapter)}"
        page = client.get(chapter.get_absolute_url()).content.decode()
        assert "to review." in page and "Add a review" not in page

    def test_anonymous_reviews_on_links_to_the_separate_page(self, client, chapter):
        anonymous_reviews()
        page = client.get(chapter.get_absolute_url()).content.decode()
        assert f'<a href="{new_review_url(chapter)}">Add a review</a>' in page
        assert "You must" not in page
        # The chapter page stays shareable: no form, no token.
        assert "<form" not in page.split('id="reviews"')[1]
        assert "csrfmiddlewaretoken" not in page

    def test_a_visitor_posts_with_a_name_and_it_shows(self, client, story, chapter):
        anonymous_reviews(moderated=False)
        browser = Client(enforce_csrf_checks=True)
        token = csrf_token(browser, new_review_url(chapter))
        response = browser.post(
            new_review_url(chapter),
            {"name": "Passer-by", "text": TYPED, "rating": "8", "csrfmiddlewaretoken": token},
        )
        assert response.status_code == 302
        thanks = browser.get(response["Location"]).content.decode()
        assert "Your review is posted." in thanks
        assert f'href="{chapter.get_absolute_url()}"' in thanks
        review = Review.objects.get()
        assert review.reviewer is None and review.reviewer_name == "Passer-by"
        assert review.status == "published" and review.rating == 8
        page = client.get(chapter.get_absolute_url()).content.decode()
        assert "Passer-by" in page and "(visitor)" in page and "Rating: 8/10" in page
        story.refresh_from_db()
        assert story.review_count == 1

    def test_visitors_post_without_a_token_is_refused(self, chapter):
        anonymous_reviews()
        browser = Client(enforce_csrf_checks=True)
        response = browser.post(new_review_url(chapter), {"name": "Bot", "text": "Spam"})
        assert response.status_code == 403
        assert not Review.objects.exists()

    def test_held_for_a_moderator(self, client, story, chapter):
        anonymous_reviews(moderated=True)
        response = client.post(new_review_url(chapter), {"name": "Guest", "text": "Hello."})
        assert "Your review awaits a moderator" in client.get(response["Location"]).content.decode()
        assert Review.objects.get().status == "pending"
        story.refresh_from_db()
        assert story.review_count == 0
        assert "Hello." not in client.get(chapter.get_absolute_url()).content.decode()
        assert not Event.objects.exists()  # the authors hear of it once it is approved

    @pytest.mark.parametrize("name", ["", "   ", "x" * 101])
    def test_a_name_is_required_and_at_most_100_characters(self, client, chapter, name):
        anonymous_reviews()
        response = client.post(new_review_url(chapter), {"name": name, "text": TYPED})
        assert response.status_code == 200
        page = response.content.decode()
        assert "errorlist" in page and "First thoughts… ’til the end" in page
        assert not Review.objects.exists()

    def test_the_honeypot_looks_like_success_and_saves_nothing(self, client, chapter):
        anonymous_reviews(moderated=False)
        response = client.post(
            new_review_url(chapter),
            {"name": "Bot", "text": "Buy things", "website": "https://spam.example"},
        )
        assert response.status_code == 302
        assert "Your review is posted." in client.get(response["Location"]).content.decode()
        assert not Review.objects.exists() and not Event.objects.exists()

    def test_the_honeypot_is_hidden_from_people(self, client, chapter):
        anonymous_reviews()
        page = client.get(new_review_url(chapter)).content.decode()
        assert '<div class="review-honeypot" aria-hidden="true">' in page
        assert 'name="website"' in page and 'tabindex="-1"' in page


class TestRateLimits:
    def test_visitors_over_the_limit_get_429_with_their_text(self, client, settings, chapter):
        anonymous_reviews(moderated=False)
        settings.RATELIMIT_REVIEW_PER_ADDRESS = (2, 3600)
        for n in range(2):
            sent = client.post(new_review_url(chapter), {"name": "Guest", "text": f"Review {n}"})
            assert sent.status_code == 302
        response = client.post(new_review_url(chapter), {"name": "Guest", "text": TYPED})
        assert response.status_code == 429
        page = response.content.decode()
        assert "posted many reviews" in page
        assert "First thoughts… ’til the end — “wow”.\n\nSecond paragraph.</textarea>" in page
        assert Review.objects.count() == 2

    def test_members_over_the_limit_get_429_for_reviews_and_replies(
        self, client, settings, chapter
    ):
        settings.RATELIMIT_REVIEW_PER_ACCOUNT = (1, 3600)
        client.force_login(make_user("Eager"))
        assert client.post(new_review_url(chapter), {"text": "One."}).status_code == 302
        again = client.post(new_review_url(chapter), {"text": TYPED})
        assert again.status_code == 429 and "Second paragraph.</textarea>" in again.content.decode()
        first = Review.objects.get()
        reply = client.post(f"/reviews/{first.pk}/reply/", {"text": "A reply I typed."})
        assert reply.status_code == 429 and "A reply I typed.</textarea>" in reply.content.decode()
        assert Review.objects.count() == 1

    def test_ratelimit_enable_false_switches_it_off(self, client, settings, chapter):
        settings.RATELIMIT_ENABLE = False
        settings.RATELIMIT_REVIEW_PER_ACCOUNT = (1, 3600)
        client.force_login(make_user("Eager"))
        for n in range(3):
            assert client.post(new_review_url(chapter), {"text": f"{n}"}).status_code == 302


class TestExpiredSession:
    @pytest.fixture
    def browser(self):
        client = Client(enforce_csrf_checks=True)
        make_user("Ink Well", password=PASSWORD)
        token = csrf_token(client, "/accounts/login/")
        client.post(
            "/accounts/login/",
            {"username": "Ink Well", "password": PASSWORD, "csrfmiddlewaretoken": token},
        )
        return client

    @pytest.mark.parametrize("anonymous", [False, True])
    def test_a_review_typed_while_the_session_expired_is_kept(self, browser, chapter, anonymous):
        anonymous_reviews(anonymous)
        page = browser.get(chapter.get_absolute_url()).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        browser.session.delete()  # expires on the server; the cookies stay
        response = browser.post(
            new_review_url(chapter),
            {"text": TYPED, "rating": "", "signed_in": "1", "csrfmiddlewaretoken": token},
        )
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/my/pending/")
        assert not Review.objects.exists()
        kept = PendingSubmission.objects.get()
        assert kept.action_path == new_review_url(chapter)
        assert ["text", [TYPED]] in kept.data["fields"]

    def test_a_reply_typed_while_the_session_expired_is_kept(self, browser, story, chapter):
        review = Review.objects.create(story=story, chapter=chapter, text="<p>x</p>")
        page = browser.get(f"/reviews/{review.pk}/reply/").content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        browser.session.delete()
        response = browser.post(
            f"/reviews/{review.pk}/reply/", {"text": TYPED, "csrfmiddlewaretoken": token}
        )
        assert response["Location"].startswith("/accounts/login/?next=/my/pending/")
        assert ["text", [TYPED]] in PendingSubmission.objects.get().data["fields"]


class TestForms:
    def test_an_empty_review_is_a_clear_error(self, client, chapter):
        client.force_login(make_user("Reader"))
        response = client.post(new_review_url(chapter), {"text": " \n\n "})
        assert response.status_code == 200
        assert "This field is required." in response.content.decode()
        assert not Review.objects.exists()

    def test_too_long_keeps_the_text(self, client, chapter):
        client.force_login(make_user("Reader"))
        response = client.post(new_review_url(chapter), {"text": "word " * 2001})
        assert response.status_code == 200
        page = response.content.decode()
        assert "at most 10000 characters" in page and "word word" in page

    @pytest.mark.parametrize("rating", ["0", "11", "abc"])
    def test_a_bad_rating_is_refused(self, client, chapter, rating):
        client.force_login(make_user("Reader"))
        response = client.post(new_review_url(chapter), {"text": TYPED, "rating": rating})
        assert response.status_code == 200 and "errorlist" in response.content.decode()
        assert not Review.objects.exists()


class TestNotificationsAndCounts:
    def test_a_review_notifies_the_authors_and_a_response_the_reviewer(
        self, client, author, story, chapter
    ):
        reader = make_user("Reader")
        client.force_login(reader)
        client.post(new_review_url(chapter), {"text": TYPED})
        review = Review.objects.get()
        event = Event.objects.get()
        assert event.kind == "new_review" and event.review == review and event.actor == reader
        client.force_login(author)
        client.post(f"/reviews/{review.pk}/respond/", {"text": "Thank you."})
        response = Event.objects.exclude(pk=event.pk).get()
        assert response.kind == "review_response" and response.actor == author
        # Editing the response is not news.
        client.post(f"/reviews/{review.pk}/respond/", {"text": "Thank you!"})
        assert Event.objects.count() == 2

    def test_a_reply_notifies_the_thread(self, client, story, chapter):
        review = Review.objects.create(
            story=story, chapter=chapter, reviewer=make_user("Reviewer"), text="<p>x</p>"
        )
        client.force_login(make_user("Replier"))
        client.post(f"/reviews/{review.pk}/reply/", {"text": "Agreed."})
        assert Event.objects.get().kind == "review_reply"

    def test_counts_after_post_reply_hide_restore_delete(self, client, story, chapter):
        series_story = story
        moderator = make_user("Moderator", is_staff=True)
        client.force_login(make_user("Reader"))

        def counts():
            series_story.refresh_from_db()
            chapter.refresh_from_db()
            return series_story.review_count, chapter.review_count

        client.post(new_review_url(chapter), {"text": "One."})
        client.post(f"/reviews/new/story/{story.pk}/", {"text": "Whole story."})
        assert counts() == (2, 1)
        first = Review.objects.get(text="<p>One.</p>")
        client.post(f"/reviews/{first.pk}/reply/", {"text": "A reply."})
        assert counts() == (2, 1)  # replies are conversation, not reviews
        client.force_login(moderator)
        decide = f"/moderation/reviews/{first.pk}/decide/"
        client.post(decide, {"action": "hide"})
        assert counts() == (1, 0)
        client.post(decide, {"action": "restore"})
        assert counts() == (2, 1)
        client.post(decide, {"action": "delete"})
        assert counts() == (1, 0)
        assert not Review.objects.filter(text="<p>A reply.</p>").exists()

    def test_the_chapter_page_shows_a_new_review_at_once(self, client, chapter):
        assert "No reviews yet." in client.get(chapter.get_absolute_url()).content.decode()
        member = Client()
        member.force_login(make_user("Reader"))
        member.post(new_review_url(chapter), {"text": "Fresh."})
        # The visitor's cached copy is stale from the commit on.
        assert "Fresh." in client.get(chapter.get_absolute_url()).content.decode()
