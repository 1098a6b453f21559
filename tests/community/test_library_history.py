"""Reading history ("continue reading") and the read-later list."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fanfold.archive.models import Chapter, Status, Story
from fanfold.community.models import ReadingPosition, ReadLater
from tests.factories import bulk_stories, make_rating, make_story, make_user
from tests.hostile import HOSTILE, executable_parts

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    author = make_user("Author")
    return SimpleNamespace(
        author=author,
        reader=make_user("Reader"),
        other=make_user("Other"),
        moderator=make_user("Moderator", is_staff=True),
        story=make_story("The Long Road", authors=[author], chapters=3),
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def writes_in(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def _many_stories(n: int) -> list[Story]:
    """n published stories by one author."""
    return bulk_stories([make_user("Prolific")] * n, make_rating("Teen"))


class TestReadingPosition:
    def test_opening_chapters_as_a_member_records_the_last_one(self, people):
        reader = signed_in(people.reader)
        reader.get(f"/stories/{people.story.pk}/chapters/2/")
        position = ReadingPosition.objects.get(user=people.reader)
        assert position.chapter.position == 2
        reader.get(f"/stories/{people.story.pk}/chapters/3/")
        reader.get(f"/stories/{people.story.pk}/chapters/1/")
        assert ReadingPosition.objects.get(user=people.reader).chapter.position == 1

    def test_a_members_chapter_read_costs_one_write(self, people):
        reader = signed_in(people.reader)
        reader.get(f"/stories/{people.story.pk}/chapters/1/")
        with CaptureQueriesContext(connection) as queries:
            reader.get(f"/stories/{people.story.pk}/chapters/2/")
        assert len(writes_in(queries)) == 1

    def test_a_visitors_chapter_read_writes_nothing(self, client, people):
        with CaptureQueriesContext(connection) as queries:
            client.get(f"/stories/{people.story.pk}/chapters/2/")  # rendered
            client.get(f"/stories/{people.story.pk}/chapters/2/")  # from the page cache
        assert writes_in(queries) == []
        assert not ReadingPosition.objects.exists()

    def test_the_story_index_offers_to_continue_where_the_member_stopped(self, client, people):
        index = people.story.get_absolute_url() + "?index"
        reader = signed_in(people.reader)
        assert "Continue reading" not in reader.get(index).content.decode()
        reader.get(f"/stories/{people.story.pk}/chapters/2/")
        page = reader.get(index).content.decode()
        assert (
            f'<a href="/stories/{people.story.pk}/chapters/2/">Continue reading: Chapter 2</a>'
            in page
        )
        # Nobody else, and no visitor, sees it (their pages are cached and shared).
        assert "Continue reading" not in signed_in(people.other).get(index).content.decode()
        assert "Continue reading" not in client.get(index).content.decode()

    def test_no_continue_link_to_a_chapter_taken_back_to_draft(self, people):
        reader = signed_in(people.reader)
        reader.get(f"/stories/{people.story.pk}/chapters/3/")
        Chapter.objects.filter(story=people.story, position=3).update(status=Status.DRAFT)
        index = people.story.get_absolute_url() + "?index"
        assert "Continue reading" not in reader.get(index).content.decode()
        history = reader.get("/my/history/").content.decode()
        assert "Back to the story" in history and "chapters/3/" not in history

    def test_the_continue_link_shows_the_chapter_title_escaped(self, people):
        Chapter.objects.filter(story=people.story, position=2).update(title=HOSTILE[0])
        reader = signed_in(people.reader)
        reader.get(f"/stories/{people.story.pk}/chapters/2/")
        page = reader.get(people.story.get_absolute_url() + "?index").content.decode()
        assert "Continue reading: Chapter 2 — &lt;script&gt;" in page
        assert executable_parts(page) == []


class TestHistoryPage:
    def test_stories_newest_first_with_continue_links(self, people):
        other_story = make_story("Second Tale", chapters=2)
        reader = signed_in(people.reader)
        reader.get(f"/stories/{people.story.pk}/chapters/3/")
        reader.get(f"/stories/{other_story.pk}/chapters/1/")
        page = reader.get("/my/history/").content.decode()
        assert page.index("Second Tale") < page.index("The Long Road")
        assert "Continue reading: Chapter 3 of 3" in page
        assert f'href="/stories/{other_story.pk}/chapters/1/"' in page

    def test_remove_one_entry_and_clear_everything(self, people):
        other_story = make_story("Second Tale")
        reader = signed_in(people.reader)
        for story in (people.story, other_story):
            reader.get(f"/stories/{story.pk}/chapters/1/")
        response = reader.post(f"/my/history/{people.story.pk}/remove/")
        assert response["Location"] == "/my/history/"
        assert list(ReadingPosition.objects.values_list("story_id", flat=True)) == [other_story.pk]
        assert reader.post("/my/history/clear/")["Location"] == "/my/history/"
        assert not ReadingPosition.objects.exists()
        assert "Nothing here yet" in reader.get("/my/history/").content.decode()

    def test_other_members_and_moderators_touch_only_their_own_history(self, people):
        signed_in(people.reader).get(f"/stories/{people.story.pk}/chapters/2/")
        for intruder in (people.other, people.moderator):
            client = signed_in(intruder)
            assert "The Long Road" not in client.get("/my/history/").content.decode()
            client.post(f"/my/history/{people.story.pk}/remove/")
            client.post("/my/history/clear/")
        assert ReadingPosition.objects.filter(user=people.reader).count() == 1

    def test_visitors_are_sent_to_log_in(self, client, people):
        assert client.get("/my/history/")["Location"] == "/accounts/login/?next=/my/history/"
        for url in ("/my/history/clear/", f"/my/history/{people.story.pk}/remove/"):
            response = client.post(url)
            assert response["Location"].startswith("/accounts/login/"), url
        assert client.get("/my/history/clear/").status_code == 405

    def test_stories_the_member_can_no_longer_open_are_left_out(self, people):
        reader = signed_in(people.reader)
        reader.get(f"/stories/{people.story.pk}/chapters/1/")
        Story.objects.filter(pk=people.story.pk).update(status=Status.HIDDEN)
        assert "The Long Road" not in reader.get("/my/history/").content.decode()

    def test_the_page_costs_the_same_with_two_hundred_stories(
        self, people, django_assert_max_num_queries
    ):
        reader = signed_in(people.reader)
        reader.get(f"/stories/{people.story.pk}/chapters/1/")
        with django_assert_max_num_queries(7):
            reader.get("/my/history/")
        now = timezone.now()
        ReadingPosition.objects.bulk_create(
            ReadingPosition(user=people.reader, story=story, read_at=now)
            for story in _many_stories(200)
        )
        with django_assert_max_num_queries(7):
            page = reader.get("/my/history/").content.decode()
        assert "Page 1 of 5" in page
        assert reader.get("/my/history/?page=5").status_code == 200
        assert reader.get("/my/history/?page=6").status_code == 404

    @pytest.mark.parametrize("hostile", HOSTILE[:6])
    def test_hostile_titles_are_text(self, people, hostile):
        Story.objects.filter(pk=people.story.pk).update(title=hostile)
        reader = signed_in(people.reader)
        reader.get(f"/stories/{people.story.pk}/chapters/1/")
        reader.post(f"/my/read-later/{people.story.pk}/add/")
        for url in ("/my/history/", "/my/read-later/"):
            assert executable_parts(reader.get(url).content.decode()) == [], url


class TestReadLater:
    def test_mark_and_unmark_from_the_story_page(self, people):
        reader = signed_in(people.reader)
        index = people.story.get_absolute_url() + "?index"
        page = reader.get(index).content.decode()
        assert f'action="/my/read-later/{people.story.pk}/add/"' in page
        assert ">Mark for later</button>" in page
        response = reader.post(f"/my/read-later/{people.story.pk}/add/", {"next": index})
        assert response["Location"] == index
        reader.post(f"/my/read-later/{people.story.pk}/add/")  # twice: still one
        assert ReadLater.objects.filter(user=people.reader).count() == 1
        page = reader.get(index).content.decode()
        assert f'action="/my/read-later/{people.story.pk}/remove/"' in page
        assert ">Remove from read later</button>" in page
        reader.post(f"/my/read-later/{people.story.pk}/remove/")
        reader.post(f"/my/read-later/{people.story.pk}/remove/")  # twice: no error
        assert not ReadLater.objects.exists()

    def test_the_list_newest_first(self, people):
        second = make_story("Second Tale")
        reader = signed_in(people.reader)
        reader.post(f"/my/read-later/{people.story.pk}/add/")
        reader.post(f"/my/read-later/{second.pk}/add/")
        page = reader.get("/my/read-later/").content.decode()
        assert page.index("Second Tale") < page.index("The Long Road")
        assert f'action="/my/read-later/{second.pk}/remove/"' in page

    def test_what_a_member_cannot_see_cannot_be_marked(self, people):
        draft = make_story("Secret", authors=[people.author], status=Status.DRAFT)
        reader = signed_in(people.reader)
        assert reader.post(f"/my/read-later/{draft.pk}/add/").status_code == 404
        assert reader.post("/my/read-later/999999/add/").status_code == 404
        assert reader.get(f"/my/read-later/{people.story.pk}/add/").status_code == 405
        assert not ReadLater.objects.exists()

    def test_authors_and_moderators_keep_their_own_lists(self, people):
        for member in (people.author, people.moderator):
            signed_in(member).post(f"/my/read-later/{people.story.pk}/add/")
        signed_in(people.other).post(f"/my/read-later/{people.story.pk}/remove/")
        assert ReadLater.objects.count() == 2
        assert (
            "The Long Road" not in signed_in(people.other).get("/my/read-later/").content.decode()
        )

    def test_visitors_are_sent_to_log_in_and_get_no_button(self, client, people):
        assert client.get("/my/read-later/")["Location"].startswith("/accounts/login/")
        response = client.post(f"/my/read-later/{people.story.pk}/add/")
        assert response["Location"].startswith("/accounts/login/")
        assert not ReadLater.objects.exists()
        page = client.get(people.story.get_absolute_url() + "?index").content.decode()
        assert "Mark for later" not in page

    def test_the_page_costs_the_same_with_two_hundred_stories(
        self, people, django_assert_max_num_queries
    ):
        reader = signed_in(people.reader)
        reader.post(f"/my/read-later/{people.story.pk}/add/")
        with django_assert_max_num_queries(7):
            reader.get("/my/read-later/")
        ReadLater.objects.bulk_create(
            ReadLater(user=people.reader, story=story) for story in _many_stories(200)
        )
        with django_assert_max_num_queries(7):
            page = reader.get("/my/read-later/").content.decode()
        assert "Page 1 of 5" in page
