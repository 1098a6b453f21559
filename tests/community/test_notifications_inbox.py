"""The inbox, marking read, and the unread count in the header."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from fanfold.community.context_processors import notifications
from fanfold.community.models import Delivery, Event, Review
from tests.factories import make_chapter, make_series, make_story, make_user

pytestmark = pytest.mark.django_db


def notify(recipient, event: Event, read: bool = False) -> Delivery:
    from django.utils import timezone

    return Delivery.objects.create(
        event=event, recipient=recipient, email="none", read_at=timezone.now() if read else None
    )


@pytest.fixture
def reader():
    return make_user("Reader")


def make_events(author) -> list[Event]:
    """One event of every kind, with the titles a notification shows."""
    story = make_story("The Long Road", authors=[author])
    chapter = make_chapter(story, "Two.", title="The Ford")
    series = make_series(author, "The Saga")
    review = Review.objects.create(story=story, chapter=chapter, reviewer_name="Guest", text="x")
    kinds = Event.Kind
    return [
        Event.objects.create(kind=kinds.NEW_CHAPTER, story=story, chapter=chapter),
        Event.objects.create(kind=kinds.NEW_STORY, story=story, actor=author),
        Event.objects.create(kind=kinds.NEW_REVIEW, story=story, chapter=chapter, review=review),
        Event.objects.create(kind=kinds.REVIEW_RESPONSE, story=story, review=review, actor=author),
        Event.objects.create(kind=kinds.REVIEW_REPLY, series=series, review=review, actor=author),
    ]


@pytest.fixture
def events():
    return make_events(make_user("Author"))


class TestInbox:
    def test_shows_the_members_own_notifications_newest_first_with_links(
        self, client, reader, events
    ):
        for event in events:
            notify(reader, event, read=event.kind == "new_story")
        notify(make_user("Someone Else"), events[0])
        client.force_login(reader)
        page = client.get("/notifications/").content.decode()

        story, chapter = events[0].story, events[0].chapter
        lines = [
            "Author replied to a review of The Saga",
            "Author responded to your review of The Long Road",
            "Guest reviewed The Long Road, The Ford",
            "New story by Author: The Long Road",
            "New chapter of The Long Road: The Ford",
        ]
        positions = [page.index(line) for line in lines]
        assert positions == sorted(positions)
        assert f'href="/stories/{story.pk}/chapters/{chapter.position}/"' in page
        assert f'href="{story.get_absolute_url()}"' in page
        assert f'href="/reviews/{events[2].review_id}/"' in page
        assert page.count(">Mark as read</button>") == 4
        assert "Notifications (4)" in page

    def test_visitors_are_sent_to_log_in(self, client):
        assert client.get("/notifications/")["Location"].startswith("/accounts/login/")
        assert client.post("/notifications/read/")["Location"].startswith("/accounts/login/")

    def test_costs_the_same_queries_for_many_notifications(
        self, client, reader, events, django_assert_num_queries
    ):
        for event in events:
            notify(reader, event)
        client.force_login(reader)
        with django_assert_num_queries(6):
            assert client.get("/notifications/").status_code == 200
        author = events[1].actor
        for _ in range(4):
            for event in make_events(author):
                notify(reader, event)
        # session, user, profile (header), unread count, count, page
        with django_assert_num_queries(6):
            assert client.get("/notifications/").status_code == 200

    def test_an_empty_inbox_says_how_to_fill_it(self, client, reader):
        client.force_login(reader)
        assert "No notifications yet" in client.get("/notifications/").content.decode()

    def test_a_page_past_the_end_is_404(self, client, reader):
        client.force_login(reader)
        assert client.get("/notifications/?page=9").status_code == 404
        assert client.get("/notifications/?page=abc").status_code == 200


class TestMarkRead:
    def test_a_member_marks_one_then_all_as_read(self, client, reader, events):
        first, second = notify(reader, events[0]), notify(reader, events[1])
        client.force_login(reader)
        response = client.post(f"/notifications/{first.pk}/read/", {"next": "/notifications/"})
        assert response["Location"] == "/notifications/"
        assert Delivery.objects.filter(read_at__isnull=True).get() == second
        client.post("/notifications/read/")
        assert not Delivery.objects.filter(read_at__isnull=True).exists()

    @pytest.mark.parametrize("who", ["member", "moderator"])
    def test_nobody_marks_someone_elses(self, client, reader, events, who):
        delivery = notify(reader, events[0])
        client.force_login(make_user("Other", is_staff=who == "moderator"))
        assert client.post(f"/notifications/{delivery.pk}/read/").status_code == 404
        client.post("/notifications/read/")
        delivery.refresh_from_db()
        assert delivery.read_at is None

    def test_only_post_marks_read(self, client, reader, events):
        delivery = notify(reader, events[0])
        client.force_login(reader)
        assert client.get(f"/notifications/{delivery.pk}/read/").status_code == 405
        assert client.get("/notifications/read/").status_code == 405


class TestHeader:
    def test_visitors_cost_no_query_and_get_nothing(self, django_assert_num_queries):
        request = RequestFactory().get("/")
        request.user = AnonymousUser()
        with django_assert_num_queries(0):
            assert notifications(request) == {}

    def test_members_pay_only_when_a_page_shows_the_count(
        self, reader, events, django_assert_num_queries
    ):
        notify(reader, events[0])
        notify(reader, events[1], read=True)
        request = RequestFactory().get("/")
        request.user = reader
        with django_assert_num_queries(0):
            context = notifications(request)
        with django_assert_num_queries(1):
            assert context["unread_notifications"]() == 1
            assert context["unread_notifications"]() == 1

    def test_the_header_links_to_the_inbox_with_the_unread_count(self, client, reader, events):
        client.force_login(reader)
        assert (
            'href="/notifications/">Notifications (0)</a>'
            in client.get("/browse/").content.decode()
        )
        notify(reader, events[0])
        page = client.get("/browse/").content.decode()
        assert 'class="unread">Notifications (1)</a>' in page
        client.logout()
        assert "Notifications (" not in client.get("/browse/").content.decode()
