"""The review queue: held and hidden reviews, moderators' decisions on them, and their log."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from fanfold.archive.models import Story
from fanfold.community import reviews
from fanfold.community.models import Event, Review
from fanfold.core.models import ArchiveSettings
from fanfold.lib.markup import sanitize
from fanfold.moderation import actions
from fanfold.moderation.models import ModerationDecision
from tests.factories import make_chapter, make_review, make_series, make_story, make_user
from tests.hostile import HOSTILE, executable_parts

pytestmark = pytest.mark.django_db

Action = ModerationDecision.Action
QUEUE = "/moderation/reviews/"
LOG = "/moderation/reviews/decisions/"


@pytest.fixture
def personas(member, author, moderator):
    """Everyone but the moderator is turned away: visitors to log in, members with a 403."""
    return {"anonymous": None, "member": member, "author": author, "moderator": moderator}


def as_user(client, user):
    if user is not None:
        client.force_login(user)
    return client


def refused(who: str, response) -> bool:
    if who == "anonymous":
        return response.status_code == 302 and response["Location"].startswith(
            "/accounts/login/?next=/moderation/"
        )
    return response.status_code == 403 and "Not allowed" in response.content.decode()


@pytest.fixture
def held_reviews():
    """The archive takes visitors' reviews and holds them for a moderator."""
    ArchiveSettings.objects.create(pk=1, anonymous_reviews=True, moderate_anonymous_reviews=True)


@pytest.fixture
def story(author, coauthor, category):
    return make_story(
        "Old Favourite", authors=[author, coauthor], chapters=2, categories=[category]
    )


def visitor_review(story, name="Passing Reader", text="Loved it!", chapter=1) -> Review:
    """A visitor's review of a chapter, held for a moderator as the archive says."""
    return reviews.post(
        AnonymousUser(),
        sanitize(text),
        chapter=story.chapters.get(position=chapter),
        reviewer_name=name,
    )


@pytest.fixture
def held(story, held_reviews):
    return visitor_review(story)


@pytest.fixture
def hidden(story, member, moderator):
    review = make_review(story, "Rude words.", reviewer=member)
    reviews.hide(review, moderator, "Rude.")
    return Review.objects.get(pk=review.pk)


def status_of(review) -> str | None:
    return Review.objects.filter(pk=review.pk).values_list("status", flat=True).first()


def review_count(story) -> int:
    return Story.objects.get(pk=story.pk).review_count


class TestWhoMayEnter:
    @pytest.mark.parametrize("who", ["anonymous", "member", "author", "moderator"])
    @pytest.mark.parametrize("url", [QUEUE, f"{QUEUE}?show=hidden", LOG])
    def test_only_moderators_see_the_queue_and_the_log(self, client, personas, held, who, url):
        response = as_user(client, personas[who]).get(url)
        if who == "moderator":
            assert response.status_code == 200
        else:
            assert refused(who, response)


class TestDeciding:
    """Each decision by each role, through moderation:review_decide."""

    CASES = {
        # action: (which review, status after, logged action)
        "approve": ("held", Review.Status.PUBLISHED, Action.REVIEW_APPROVED),
        "hide": ("held", Review.Status.HIDDEN, Action.REVIEW_HIDDEN),
        "restore": ("hidden", Review.Status.PUBLISHED, Action.REVIEW_RESTORED),
        "delete": ("held", None, Action.REVIEW_DELETED),
    }

    @pytest.mark.parametrize("who", ["anonymous", "member", "author", "moderator"])
    @pytest.mark.parametrize("action", CASES)
    def test_every_decision_by_every_role(self, client, personas, request, story, who, action):
        which, status_after, logged = self.CASES[action]
        review = request.getfixturevalue(which)
        status_before = review.status
        decisions_before = ModerationDecision.objects.count()
        as_user(client, personas[who])
        url = f"/moderation/reviews/{review.pk}/decide/"
        response = client.post(url, {"action": action, "reason": "Spam.", "next": QUEUE})
        if who != "moderator":
            assert refused(who, response)
            assert status_of(review) == status_before
            assert ModerationDecision.objects.count() == decisions_before
            return
        assert response.status_code == 302 and response["Location"] == QUEUE
        assert status_of(review) == status_after
        decision = ModerationDecision.objects.first()  # newest first
        assert decision.action == logged
        assert decision.moderator == personas["moderator"]
        assert decision.story_id == story.pk
        assert "Old Favourite" in decision.subject
        assert (status_after == Review.Status.PUBLISHED) == (review_count(story) == 1)
        if action == "hide":
            assert decision.message.startswith("Spam.")

    def test_deciding_is_post_only_with_the_csrf_token(self, moderator, held):
        client = Client(enforce_csrf_checks=True)
        client.force_login(moderator)
        url = f"/moderation/reviews/{held.pk}/decide/"
        assert client.get(url).status_code == 405
        assert client.post(url, {"action": "approve"}).status_code == 403
        assert status_of(held) == Review.Status.PENDING

    def test_unknown_decisions_and_reviews(self, client, moderator, held):
        client.force_login(moderator)
        response = client.post(f"/moderation/reviews/{held.pk}/decide/", {"action": "publish"})
        assert response.status_code == 400
        assert status_of(held) == Review.Status.PENDING
        response = client.post("/moderation/reviews/999999/decide/", {"action": "hide"})
        assert response.status_code == 404
        assert not ModerationDecision.objects.exists()

    def test_without_next_or_with_a_foreign_one_back_to_the_validation_queue(
        self, client, moderator, held
    ):
        client.force_login(moderator)
        url = f"/moderation/reviews/{held.pk}/decide/"
        response = client.post(url, {"action": "hide", "next": "https://evil.example/"})
        assert response["Location"] == "/moderation/"

    def test_an_approved_review_counts_tells_the_authors_and_is_no_longer_held(
        self, client, moderator, held
    ):
        assert not Event.objects.filter(review=held).exists()  # held: nobody told yet
        client.force_login(moderator)
        client.post(f"/moderation/reviews/{held.pk}/decide/", {"action": "approve"})
        assert review_count(held.story) == 1
        assert Event.objects.filter(review=held, kind=Event.Kind.NEW_REVIEW).count() == 1
        assert "Passing Reader" not in client.get(QUEUE).content.decode().split("<section")[0]


class TestQueue:
    def test_lists_held_reviews_oldest_first_with_what_to_decide(
        self, client, moderator, member, story, held_reviews
    ):
        first = visitor_review(story, "First Visitor", "Chapter one was great.")
        second = visitor_review(story, "Second Visitor", "Chapter two!", chapter=2)
        make_review(story, "A published review.", reviewer=member)
        client.force_login(moderator)
        page = client.get(QUEUE).content.decode()
        assert "<h1>Review queue</h1>" in page
        assert "Awaiting moderation (2)" in page and "Hidden (0)" in page
        assert page.index("First Visitor") < page.index("Second Visitor")
        assert "Chapter one was great." in page and "Chapter two!" in page
        assert "A published review." not in page
        assert f'href="{story.chapter_url(2)}">Old Favourite — Chapter 2</a>' in page
        for review in (first, second):
            assert f'action="/moderation/reviews/{review.pk}/decide/"' in page
        assert page.count('value="approve">Approve</button>') == 2
        assert page.count('value="hide">Hide</button>') == 2
        assert page.count('value="delete">Delete</button>') == 2
        assert "Restore</button>" not in page
        assert 'name="next" value="/moderation/reviews/"' in page

    def test_hidden_tab(self, client, moderator, held, hidden):
        client.force_login(moderator)
        page = client.get(f"{QUEUE}?show=hidden").content.decode()
        queue = page.split("<section")[0]
        assert "Awaiting moderation (1)" in page and "Hidden (1)" in page
        assert "Rude words." in queue and "Plain Reader" in queue
        assert "Passing Reader" not in queue
        assert 'value="restore">Restore</button>' in queue and "Approve</button>" not in queue
        assert 'name="next" value="/moderation/reviews/?show=hidden"' in queue

    def test_story_and_series_reviews_and_replies(self, client, moderator, member, author, story):
        series = make_series(author, "The Saga", stories=[story])
        on_story = make_review(story, "About the whole story.", reviewer=member)
        on_series = Review.objects.create(series=series, reviewer=member, text="About the series.")
        for review in (on_story, on_series):
            reviews.hide(review, moderator)
        reply = reviews.reply(make_review(story, "Parent.", reviewer=author), member, "A reply.")
        reviews.hide(reply, moderator)
        client.force_login(moderator)
        queue = client.get(f"{QUEUE}?show=hidden").content.decode().split("<section")[0]
        assert f'href="{story.get_absolute_url()}">Old Favourite</a>' in queue
        assert f'href="/series/{series.pk}/">The Saga</a>' in queue
        assert "replied" in queue and "A reply." in queue

    def test_empty_tabs_say_so(self, client, moderator):
        client.force_login(moderator)
        assert "No review is waiting for a moderator." in client.get(QUEUE).content.decode()
        page = client.get(f"{QUEUE}?show=hidden").content.decode()
        assert "No review is hidden." in page
        assert "Awaiting moderation (0)" in client.get(f"{QUEUE}?show=nonsense").content.decode()

    def test_pages_and_an_emptied_last_page(self, client, moderator, story, held_reviews):
        held = [visitor_review(story, f"Visitor {n:02}") for n in range(26)]
        client.force_login(moderator)
        second = client.get(f"{QUEUE}?page=2").content.decode()
        assert "Visitor 25" in second and "Visitor 00" not in second
        assert client.get(f"{QUEUE}?page=abc").status_code == 200
        # Approving the only review on page 2 brings the moderator back to page 1.
        response = client.post(
            f"/moderation/reviews/{held[-1].pk}/decide/",
            {"action": "approve", "next": f"{QUEUE}?page=2"},
        )
        assert response["Location"] == f"{QUEUE}?page=2"
        response = client.get(response["Location"])
        assert response.status_code == 302 and response["Location"] == f"{QUEUE}?page=1"

    @pytest.mark.parametrize("waiting", [1, 40])
    def test_query_count_does_not_grow_with_the_queue(
        self, client, moderator, story, held_reviews, waiting, django_assert_max_num_queries
    ):
        for n in range(waiting):
            visitor_review(story, f"Visitor {n}", chapter=n % 2 + 1)
        for n in range(3):
            reviews.hide(make_review(story, f"Hidden {n}", reviewer=make_user()), moderator)
        client.force_login(moderator)
        # session, user, header pen name and unread count; tab counts, page, decisions
        with django_assert_max_num_queries(7):
            response = client.get(QUEUE)
        assert response.content.decode().count('value="approve">Approve') == min(waiting, 25)
        with django_assert_max_num_queries(7):
            assert client.get(f"{QUEUE}?show=hidden").status_code == 200

    def test_recent_decisions_newest_first(self, client, moderator, story, hidden, held):
        reviews.restore(held, moderator)  # approving a held one
        client.force_login(moderator)
        page = client.get(QUEUE).content.decode()
        log = page[page.index("Recent decisions on reviews") :]
        assert "Mod Mara" in log
        assert log.index("review approved") < log.index("review hidden")
        assert "Rude." in log and "Rude words." in log
        assert f'href="/stories/{story.pk}/">Review by Passing Reader of Old Favourite' in log
        assert f'href="{LOG}"' in log

    def test_the_validation_queue_links_here(self, client, moderator):
        client.force_login(moderator)
        assert f'href="{QUEUE}"' in client.get("/moderation/").content.decode()


class TestDecisionLog:
    def test_lists_only_decisions_on_reviews_newest_first(
        self, client, moderator, story, held, hidden
    ):
        pending = make_chapter(story, "Waiting.", status="pending")
        actions.approve(pending, moderator)  # a chapter decision: not in this log
        reviews.delete(held, moderator)
        client.force_login(moderator)
        page = client.get(LOG).content.decode()
        assert "<h1>Decisions on reviews</h1>" in page
        assert page.index("review deleted") < page.index("review hidden")
        assert "Loved it!" in page  # what the deleted review said
        assert "<strong>approved</strong>" not in page

    def test_pages_and_query_count(self, client, moderator, story, django_assert_max_num_queries):
        for n in range(30):
            reviews.hide(make_review(story, f"Review {n}", reviewer=moderator), moderator)
        client.force_login(moderator)
        with django_assert_max_num_queries(6):
            first = client.get(LOG).content.decode()
        assert first.count("<li>") >= 25 and 'rel="next"' in first
        with django_assert_max_num_queries(6):
            assert client.get(f"{LOG}?page=2").status_code == 200
        assert client.get(f"{LOG}?page=3").status_code == 404


def test_hostile_names_titles_reasons_and_texts_never_run(client, moderator, held_reviews):
    for n, hostile in enumerate(HOSTILE):
        story = make_story(hostile, chapters=1)
        held = visitor_review(story, name=hostile[:100], text=hostile)
        member = make_user(f"{hostile[:80]} {n}")
        shown = make_review(story, hostile, reviewer=member)
        reviews.hide(shown, moderator, reason=hostile)
        if n % 2:
            reviews.delete(held, moderator)
    client.force_login(moderator)
    for url in (QUEUE, f"{QUEUE}?show=hidden", LOG, f"{LOG}?page=2"):
        response = client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        assert executable_parts(page) == [], url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(QUEUE).content.decode()
