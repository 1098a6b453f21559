"""The reading pages: front page, story index, chapter, whole story, print view, age gate."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fanfold.archive import hits
from fanfold.archive.models import Status, Story
from tests.factories import (
    make_category,
    make_character,
    make_classification,
    make_rating,
    make_review,
    make_series,
    make_story,
    make_user,
    recount,
)

pytestmark = pytest.mark.django_db

SEED_TEXT = (
    "Part Six: The Crossing\n\n"
    "“You’re late,” said Zoë. 'Again.'\n"
    "He shrugged… ’til dawn—or later—we wait.\n\n"
    "<em>Not again,</em> she thought. Søren, Björn and 美咲 laughed."
)


@pytest.fixture
def story():
    author = make_user("Quill Feather")
    story = make_story(
        "The Long Road Home",
        authors=[author, make_user("Second Pen")],
        chapters=["The first chapter.", SEED_TEXT, "The last chapter."],
        categories=[make_category("Sunnydale")],
        characters=[make_character("Willow")],
        classifications=[make_classification("Angst", type_name="Genre")],
        summary="<p>A summary.</p>",
        notes="<p>Story notes here.</p>",
    )
    chapter = story.chapters.get(position=2)
    chapter.notes = "<p>Notes before the text.</p>"
    chapter.end_notes = "<p>Thanks for reading!</p>"
    chapter.save()
    return story


def visible_text(html: str) -> str:
    from fanfold.lib.markup import html_to_text

    return html_to_text(html)


class TestChapterPage:
    def test_shows_story_author_notes_text_and_end_notes(self, client, story):
        response = client.get(f"/stories/{story.pk}/chapters/2/")
        page = response.content.decode()
        assert response.status_code == 200
        assert "The Long Road Home" in page
        assert "Quill Feather" in page and "Second Pen" in page
        assert "Author's Chapter Notes:" in page
        assert "Notes before the text." in page
        assert "End Notes" in page and "Thanks for reading!" in page
        assert page.index("Notes before the text.") < page.index("Søren")
        assert page.index("Søren") < page.index("Thanks for reading!")

    def test_text_survives_character_for_character(self, client, story):
        page = client.get(f"/stories/{story.pk}/chapters/2/").content.decode()
        start = page.index('<div class="chapter-text">')
        body = page[start : page.index("</div>", start)]
        # What was typed, with markup-looking text shown as text, not interpreted.
        assert visible_text(body) == SEED_TEXT.replace("\n\n", "\n\n")

    def test_no_notes_means_no_notes_headings(self, client, story):
        page = client.get(f"/stories/{story.pk}/chapters/1/").content.decode()
        assert "Chapter Notes:" not in page
        assert "End Notes" not in page

    def test_visitor_is_asked_to_log_in_with_a_way_back(self, client, story):
        page = client.get(f"/stories/{story.pk}/chapters/2/").content.decode()
        assert (
            f'You must <a href="/accounts/login/?next=/stories/{story.pk}/chapters/2/">log in</a>'
            f' (<a href="/accounts/register/?next=/stories/{story.pk}/chapters/2/">register</a>)'
            " to review." in page
        )

    def test_member_is_not_asked_to_log_in(self, client, story):
        client.force_login(make_user("Reader"))
        page = client.get(f"/stories/{story.pk}/chapters/2/").content.decode()
        assert "You must" not in page

    def test_previous_next_and_selector(self, client, story):
        page = client.get(f"/stories/{story.pk}/chapters/2/").content.decode()
        assert f'<a rel="prev" href="/stories/{story.pk}/chapters/1/">Previous chapter</a>' in page
        assert f'<a rel="next" href="/stories/{story.pk}/chapters/3/">Next chapter</a>' in page
        assert '<option value="2" selected>' in page
        assert '<label for="chapter-select">Chapter</label>' in page

    def test_selector_without_javascript_redirects(self, client, story):
        response = client.get(f"/stories/{story.pk}/chapters/?chapter=3")
        assert response.status_code == 302
        assert response["Location"] == f"/stories/{story.pk}/chapters/3/"
        for garbage in ("abc", "-4", ""):
            response = client.get(f"/stories/{story.pk}/chapters/?chapter={garbage}")
            assert response.status_code == 302

    def test_reviews_of_the_chapter_are_shown(self, client, story):
        chapter = story.chapters.get(position=2)
        make_review(story, "<p>Loved the crossing.</p>", chapter=chapter, reviewer=make_user("Fan"))
        make_review(
            story,
            "<p>Anonymous praise.</p>",
            chapter=chapter,
            reviewer_name="Passer-by",
            response="<p>Thank you!</p>",
        )
        make_review(story, "<p>Other chapter.</p>", chapter=story.chapters.get(position=1))
        page = client.get(f"/stories/{story.pk}/chapters/2/").content.decode()
        assert "Loved the crossing." in page and "Fan" in page
        assert "Passer-by" in page and "Author's Response:" in page
        assert "Other chapter." not in page

    def test_query_count_does_not_grow_with_chapters_reviews_or_labels(
        self, client, django_assert_num_queries
    ):
        small = make_story("Small", chapters=2)
        make_review(small, "Only one.", chapter=small.chapters.get(position=2))
        big = make_story(
            "Big",
            authors=[make_user(), make_user(), make_user()],
            chapters=30,
            categories=[make_category() for _ in range(6)],
        )
        for n in range(40):
            make_review(big, f"Review {n}", chapter=big.chapters.get(position=2))
        for story in (small, big):
            with django_assert_num_queries(5):
                assert client.get(f"/stories/{story.pk}/chapters/2/").status_code == 200
        # No reviews yet: the stored count says so and no review query runs.
        with django_assert_num_queries(4):
            assert client.get(f"/stories/{big.pk}/chapters/3/").status_code == 200

    @pytest.mark.parametrize(
        "url",
        ["/stories/999999/chapters/1/", "/stories/{pk}/chapters/4/", "/stories/{pk}/chapters/0/"],
    )
    def test_unknown_story_or_chapter_is_a_real_404_page(self, client, story, url):
        response = client.get(url.format(pk=story.pk))
        assert response.status_code == 404
        assert "Page not found" in response.content.decode()

    def test_draft_chapters_are_not_readable(self, client, story):
        story.chapters.filter(position=3).update(status=Status.DRAFT)
        recount(story)
        assert client.get(f"/stories/{story.pk}/chapters/3/").status_code == 404
        page = client.get(f"/stories/{story.pk}/chapters/2/").content.decode()
        assert "Next chapter" not in page

    @pytest.mark.parametrize("page", ["abc", "-1", "0", "1.5", "%00"])
    def test_malformed_review_page_falls_back(self, client, story, page):
        assert client.get(f"/stories/{story.pk}/chapters/2/?page={page}").status_code == 200

    def test_review_page_past_the_end_is_404_with_a_link_to_the_last(self, client, story):
        response = client.get(f"/stories/{story.pk}/chapters/2/?page=7")
        assert response.status_code == 404
        assert "Go to the last page" in response.content.decode()


class TestWhoMayRead:
    @pytest.mark.parametrize("status", [Status.DRAFT, Status.PENDING, Status.HIDDEN])
    def test_unpublished_stories_are_404_for_visitors_and_other_members(
        self, client, story, status
    ):
        Story.objects.filter(pk=story.pk).update(status=status)
        for url in (story.get_absolute_url(), f"/stories/{story.pk}/chapters/1/"):
            assert client.get(url).status_code == 404
        client.force_login(make_user("Someone Else"))
        assert client.get(story.get_absolute_url()).status_code == 404

    def test_authors_can_read_their_own_draft(self, client, story):
        Story.objects.filter(pk=story.pk).update(status=Status.DRAFT)
        client.force_login(story.authors.first())
        assert client.get(story.get_absolute_url()).status_code == 200

    def test_members_only_rating_hides_the_story_from_visitors(self, client):
        story = make_story("Members", rating=make_rating("Adult", members_only=True))
        assert client.get(story.get_absolute_url()).status_code == 404
        client.force_login(make_user())
        assert client.get(story.get_absolute_url()).status_code == 200


class TestStoryIndex:
    def test_every_piece_of_metadata(self, client, story):
        series = make_series(story.authors.first(), "The Saga", stories=[story])
        page = client.get(story.get_absolute_url()).content.decode()
        for expected in (
            "Quill Feather",
            "Second Pen",
            "Rated" if False else story.rating.name,
            "Sunnydale",
            "Willow",
            "Genre",
            "Angst",
            series.title,
            "In progress",
            "A summary.",
            "Story notes here.",
            "Published",
            "Updated",
            "Reviews",
            "Favorites",
            "Hits",
        ):
            assert expected in page, expected
        assert f"<dd>{story.word_count}</dd>" in page
        assert f'<a href="/stories/{story.pk}/chapters/3/">Chapter 3</a>' in page

    def test_wrong_or_missing_slug_redirects_permanently(self, client, story):
        for url in (f"/stories/{story.pk}/", f"/stories/{story.pk}-wrong/"):
            response = client.get(url)
            assert response.status_code == 301
            assert response["Location"] == story.get_absolute_url()

    def test_query_count_is_fixed(self, client, django_assert_num_queries):
        small = make_story("Small", chapters=1)
        big = make_story(
            "Big",
            chapters=25,
            categories=[make_category() for _ in range(5)],
            characters=[make_character() for _ in range(5)],
            classifications=[make_classification() for _ in range(5)],
        )
        for story in (small, big):
            with django_assert_num_queries(7):
                assert client.get(story.get_absolute_url()).status_code == 200


class TestWholeStory:
    def test_full_view_has_every_chapter_in_order(self, client, story):
        page = client.get(f"/stories/{story.pk}/full/").content.decode()
        assert page.index("The first chapter.") < page.index("Søren") < page.index("The last")
        assert "Author's Chapter Notes:" in page and "End Notes" in page

    def test_print_view_is_plain(self, client, story):
        page = client.get(f"/stories/{story.pk}/print/").content.decode()
        assert "The last chapter." in page
        assert 'class="site-header"' not in page
        assert 'name="robots" content="noindex"' in page


class TestAgeGate:
    @pytest.fixture
    def adult_story(self):
        rating = make_rating(
            "MA", needs_consent=True, warning_text="<p>Graphic violence ahead.</p>"
        )
        return make_story("Dark", rating=rating, chapters=["Grim text."])

    def test_gate_shows_warning_before_text(self, client, adult_story):
        page = client.get(f"/stories/{adult_story.pk}/chapters/1/").content.decode()
        assert "Graphic violence ahead." in page
        assert "Grim text." not in page
        assert "Continue to the story" in page

    def test_consent_once_opens_every_chapter_and_the_full_view(self, client, adult_story):
        client.get(f"/stories/{adult_story.pk}/chapters/1/")  # the gate sets the CSRF cookie
        response = client.post(
            f"/stories/{adult_story.pk}/consent/",
            {"next": f"/stories/{adult_story.pk}/chapters/1/"},
        )
        assert response.status_code == 302
        assert response["Location"] == f"/stories/{adult_story.pk}/chapters/1/"
        assert "Grim text." in client.get(response["Location"]).content.decode()
        assert "Grim text." in client.get(f"/stories/{adult_story.pk}/full/").content.decode()

    def test_consent_refuses_to_redirect_elsewhere(self, client, adult_story):
        response = client.post(
            f"/stories/{adult_story.pk}/consent/", {"next": "https://evil.example/"}
        )
        assert response["Location"] == adult_story.get_absolute_url()

    def test_forged_consent_cookie_is_ignored(self, client, adult_story):
        client.cookies["fanfold_consent"] = "yes"
        page = client.get(f"/stories/{adult_story.pk}/chapters/1/").content.decode()
        assert "Grim text." not in page

    def test_consent_needs_csrf(self, adult_story):
        from django.test import Client

        strict = Client(enforce_csrf_checks=True)
        assert strict.post(f"/stories/{adult_story.pk}/consent/").status_code == 403
        assert strict.get(f"/stories/{adult_story.pk}/consent/").status_code == 405


class TestFrontPage:
    def test_recent_featured_and_random(self, client):
        make_story("Plain Tale")
        make_story("Shining Tale", featured=True)
        page = client.get("/").content.decode()
        assert "Recently updated" in page and "Plain Tale" in page
        assert "Featured" in page and "Shining Tale" in page
        assert "A random story" in page

    def test_empty_archive_has_no_empty_sections(self, client):
        page = client.get("/").content.decode()
        assert "No stories have been posted yet." in page
        assert "Featured" not in page and "random story" not in page
        assert "News" not in page

    def test_drafts_never_listed(self, client):
        make_story("Secret Draft", status=Status.DRAFT)
        assert "Secret Draft" not in client.get("/").content.decode()

    def test_query_count_is_fixed(self, client, django_assert_num_queries):
        for n in range(3):
            make_story(f"Story {n}", featured=True)
        with django_assert_num_queries(10):
            client.get("/")
        for n in range(15):
            make_story(f"More {n}", featured=True, categories=[make_category()])
        with django_assert_num_queries(10):
            client.get("/")


class TestReadingWritesNothing:
    def test_anonymous_chapter_read_makes_no_write_and_buffers_the_hit(self, client, story):
        with CaptureQueriesContext(connection) as queries:
            client.get(f"/stories/{story.pk}/chapters/2/")  # rendered
            client.get(f"/stories/{story.pk}/chapters/2/")  # from the page cache
        writes = [
            q["sql"]
            for q in queries
            if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        ]
        assert writes == []
        assert hits.pending() == {story.pk: 2}
        assert hits.flush() == 2
        story.refresh_from_db()
        assert story.hits == 2
        assert hits.pending() == {}


def test_authors_and_moderators_see_their_tools_and_others_do_not(client):
    author, stranger = make_user("Quill"), make_user("Stranger")
    moderator = make_user("Mod", is_staff=True)
    story = make_story("Tools", authors=[author], chapters=["One."])
    chapter = story.chapters.get()
    edit_link = f'href="/my/stories/{story.pk}/edit/"'
    for reader, shown in [(None, False), (stranger, False), (author, True), (moderator, True)]:
        client.logout()
        if reader:
            client.force_login(reader)
        for url in (story.get_absolute_url() + "?index", chapter.get_absolute_url()):
            page = client.get(url).content.decode()
            assert (edit_link in page) is shown, (reader, url)
    client.force_login(author)
    assert (
        f'href="/my/chapters/{chapter.pk}/edit/">Edit chapter'
        in client.get(chapter.get_absolute_url()).content.decode()
    )
