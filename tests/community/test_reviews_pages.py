"""The pages that list reviews: the chapter page, a story's and a series' reviews, the
series page; threads, order, paging, lasting links and fixed query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fanfold.community import counts
from fanfold.community.models import Review
from fanfold.core.models import ArchiveSettings
from tests.factories import make_rating, make_review, make_series, make_story, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def author():
    return make_user("Author")


@pytest.fixture
def story(author):
    return make_story("The Road", authors=[author, make_user("Co-Author")], chapters=3)


def chapter_of(story, number: int = 1):
    return story.chapters.get(position=number)


def many_reviews(story, chapter, count: int, replies_each: int = 0) -> None:
    """`count` top-level reviews an hour apart (oldest first), each with replies."""
    members = [make_user() for _ in range(3)]
    start = timezone.now() - timedelta(days=60)
    tops = Review.objects.bulk_create(
        Review(
            story=story,
            chapter=chapter,
            reviewer=members[n % 3],
            text=f"<p>Review number {n}.</p>",
            created_at=start + timedelta(hours=n),
        )
        for n in range(count)
    )
    Review.objects.bulk_create(
        Review(
            story=story,
            chapter=chapter,
            parent=top,
            reviewer=members[(n + 1) % 3],
            text=f"<p>Reply {n} to {top.pk}.</p>",
            created_at=top.created_at + timedelta(minutes=n + 1),
        )
        for top in tops
        for n in range(replies_each)
    )
    counts.refresh_stories([story.pk])


class TestChapterPage:
    def test_threads_newest_first_with_replies_oldest_first(self, client, story):
        chapter = chapter_of(story)
        many_reviews(story, chapter, 3, replies_each=2)
        page = client.get(chapter.get_absolute_url()).content.decode()
        order = [page.index(f"Review number {n}.") for n in (2, 1, 0)]
        assert order == sorted(order)
        first = Review.objects.get(text="<p>Review number 0.</p>")
        replies = [page.index(f"Reply {n} to {first.pk}.") for n in (0, 1)]
        assert order[2] < replies[0] < replies[1]
        assert 'class="review-replies" aria-label="Replies"' in page
        assert "Reviews (3)" in page

    def test_paginated_with_replies_kept_with_their_review(self, client, settings, story):
        settings.REVIEWS_PER_PAGE = 2
        chapter = chapter_of(story)
        many_reviews(story, chapter, 5, replies_each=1)
        second = client.get(f"{chapter.get_absolute_url()}?page=2").content.decode()
        assert "Review number 2." in second and "Review number 1." in second
        assert "Review number 3." not in second and "Review number 0." not in second
        top = Review.objects.get(text="<p>Review number 1.</p>")
        assert f"Reply 0 to {top.pk}." in second
        assert client.get(f"{chapter.get_absolute_url()}?page=4").status_code == 404

    def test_hidden_and_held_reviews_and_replies_are_not_shown(self, client, story):
        chapter = chapter_of(story)
        shown = make_review(story, "Shown.", chapter=chapter)
        make_review(story, "Hidden reply.", chapter=chapter, parent=shown, status="hidden")
        make_review(story, "Held.", chapter=chapter, reviewer_name="Guest", status="pending")
        page = client.get(chapter.get_absolute_url()).content.decode()
        assert "Shown." in page and "Hidden reply." not in page and "Held." not in page
        assert "Reviews (1)" in page

    def test_a_visitor_page_is_served_from_the_cache(self, client, story):
        chapter = chapter_of(story)
        make_review(story, "Cached.", chapter=chapter)
        client.get(chapter.get_absolute_url())
        assert client.get(chapter.get_absolute_url())["X-Page-Cache"] == "hit"

    def test_500_reviews_with_replies_cost_the_same_queries_as_one(
        self, client, django_assert_num_queries, django_assert_max_num_queries
    ):
        small, big = make_story("Small", chapters=1), make_story("Big", chapters=1)
        many_reviews(small, chapter_of(small), 1, replies_each=1)
        many_reviews(big, chapter_of(big), 500, replies_each=2)
        urls = [chapter_of(story).get_absolute_url() for story in (small, big)]
        for url in urls:
            # Visitors: story, authors, chapters, chapter, reviews with replies.
            with django_assert_num_queries(5):
                assert client.get(url).status_code == 200
        assert "Review number 0." in client.get(f"{urls[1]}?page=20").content.decode()
        client.force_login(make_user("Member"))
        for url in urls:
            # Members add their session, blocks, and other helpers' reading position,
            # subscriptions and header counts (the equality test below is the strict one).
            with django_assert_max_num_queries(20):
                assert client.get(url).status_code == 200
        client.force_login(make_user("Moderator", is_staff=True))
        for url in urls:
            with django_assert_max_num_queries(21):
                assert client.get(url).status_code == 200

    def test_member_query_count_does_not_grow(self, client, django_assert_num_queries):
        """Exactly the same number of queries for 1 and for 500 reviews."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        small, big = make_story("Small", chapters=1), make_story("Big", chapters=1)
        many_reviews(small, chapter_of(small), 1, replies_each=1)
        many_reviews(big, chapter_of(big), 500, replies_each=2)
        client.force_login(make_user("Member"))
        used = []
        for url in [chapter_of(story).get_absolute_url() for story in (small, big)]:
            client.get(url)  # the first visit creates the reading position
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            used.append(len(queries))
        assert used[0] == used[1]


class TestStoryReviewsPage:
    def test_lists_story_and_chapter_reviews_newest_first_with_their_chapter(self, client, story):
        old = make_review(story, "Whole story.", created_at=timezone.now() - timedelta(days=1))
        make_review(story, "On chapter two.", chapter=chapter_of(story, 2))
        page = client.get(f"/stories/{story.pk}/reviews/").content.decode()
        assert page.index("On chapter two.") < page.index("Whole story.")
        assert f'on <a href="/stories/{story.pk}/chapters/2/">Chapter 2</a>' in page
        assert f'href="/reviews/new/story/{story.pk}/"' not in page  # visitors: log in
        assert "to review." in page
        assert old.pk

    def test_the_story_page_links_to_it(self, client, story):
        make_review(story, "One.")
        page = client.get(f"{story.get_absolute_url()}?index").content.decode()
        assert f'<a href="/stories/{story.pk}/reviews/">Reviews (1)</a>' in page

    def test_members_get_the_whole_story_form(self, client, story):
        client.force_login(make_user("Reader"))
        page = client.get(f"/stories/{story.pk}/reviews/").content.decode()
        assert f'action="/reviews/new/story/{story.pk}/"' in page

    def test_a_gated_storys_reviews_wait_behind_its_warning(self, client):
        rating = make_rating("MA", needs_consent=True, warning_text="<p>Grim ahead.</p>")
        story = make_story("Dark", rating=rating, chapters=1)
        make_review(story, "It quotes the grim part.")
        url = f"/stories/{story.pk}/reviews/"
        page = client.get(url).content.decode()
        assert "Grim ahead." in page and "It quotes the grim part." not in page
        response = client.post(f"/stories/{story.pk}/consent/", {"next": url})
        assert response["Location"] == url
        assert "It quotes the grim part." in client.get(url).content.decode()

    def test_query_count_is_fixed(self, client, story, django_assert_num_queries):
        many_reviews(story, chapter_of(story), 60, replies_each=2)
        other = make_story("Other", chapters=1)
        many_reviews(other, chapter_of(other), 1)
        for each in (story, other):
            # Story, authors, reviews with replies and chapters.
            with django_assert_num_queries(3):
                assert client.get(f"/stories/{each.pk}/reviews/").status_code == 200


class TestSeries:
    @pytest.fixture
    def series(self, author, story):
        return make_series(author, "The Saga", stories=[story])

    def test_series_page_shows_the_newest_and_links_to_all(self, client, series):
        for n in range(7):
            Review.objects.create(
                series=series,
                text=f"<p>Series review {n}.</p>",
                reviewer_name="Guest",
                created_at=timezone.now() - timedelta(hours=10 - n),
            )
        counts.refresh_series()
        page = client.get(f"/series/{series.pk}/").content.decode()
        assert "Series review 6." in page and "Series review 2." in page
        assert "Series review 1." not in page
        assert f'<a href="/series/{series.pk}/reviews/">All 7 reviews of the series</a>' in page
        everything = client.get(f"/series/{series.pk}/reviews/").content.decode()
        assert all(f"Series review {n}." in everything for n in range(7))

    def test_anonymous_reviews_link_on_the_series_page(self, client, series):
        ArchiveSettings(pk=1, anonymous_reviews=True).save()
        page = client.get(f"/series/{series.pk}/").content.decode()
        assert f'<a href="/reviews/new/series/{series.pk}/">Add a review</a>' in page

    def test_query_counts_are_fixed(self, client, series, django_assert_max_num_queries):
        def add(n):
            Review.objects.bulk_create(
                Review(series=series, reviewer_name="Guest", text=f"<p>{i}</p>") for i in range(n)
            )
            counts.refresh_series()

        add(1)
        with django_assert_max_num_queries(4):
            client.get(f"/series/{series.pk}/reviews/")
        add(100)
        with django_assert_max_num_queries(4):
            client.get(f"/series/{series.pk}/reviews/")
        client.get(f"/series/{series.pk}/")
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as before:
            client.get(f"/series/{series.pk}/?fresh")
        add(100)
        with CaptureQueriesContext(connection) as after:
            client.get(f"/series/{series.pk}/?fresh2")
        assert len(before) == len(after)


class TestLastingLinks:
    def test_a_review_link_opens_the_page_that_shows_it(self, client, settings, story):
        settings.REVIEWS_PER_PAGE = 2
        chapter = chapter_of(story)
        many_reviews(story, chapter, 5, replies_each=1)
        oldest = Review.objects.get(text="<p>Review number 0.</p>")
        response = client.get(f"/reviews/{oldest.pk}/")
        assert response["Location"] == f"{chapter.get_absolute_url()}?page=3#review-{oldest.pk}"
        reply = oldest.replies.get()
        assert client.get(f"/reviews/{reply.pk}/")["Location"].endswith(
            f"?page=3#review-{reply.pk}"
        )
        newest = Review.objects.get(text="<p>Review number 4.</p>")
        assert client.get(f"/reviews/{newest.pk}/")["Location"] == (
            f"{chapter.get_absolute_url()}#review-{newest.pk}"
        )
        whole = make_review(story, "Whole.")
        assert client.get(f"/reviews/{whole.pk}/")["Location"] == (
            f"/stories/{story.pk}/reviews/#review-{whole.pk}"
        )
