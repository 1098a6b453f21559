"""A story's status follows its chapters, by one rule (archive.actions.settle_story_status)."""

import pytest

from fanfold.archive import actions
from fanfold.archive.models import Category, Status, Story
from fanfold.moderation import actions as moderation
from tests.factories import make_category, make_chapter, make_story, make_user, recount

pytestmark = pytest.mark.django_db


def test_deleting_the_only_published_chapter_leaves_a_waiting_story_pending():
    fandom = make_category("Fandom")
    story = make_story("Half There", chapters=1, categories=[fandom])
    make_chapter(story, "Waiting words.", status=Status.PENDING)
    recount(story)
    assert Category.objects.get(pk=fandom.pk).story_count == 1

    actions.delete_chapter(story.chapters.get(position=1))

    story.refresh_from_db()
    assert (story.status, story.chapter_count) == (Status.PENDING, 0)
    assert Category.objects.get(pk=fandom.pk).story_count == 0


def test_deleting_the_last_posted_chapter_makes_a_draft():
    story = make_story("Only One", chapters=1)
    make_chapter(story, "Draft words.", status=Status.DRAFT)
    actions.delete_chapter(story.chapters.get(position=1))
    assert Story.objects.get(pk=story.pk).status == Status.DRAFT


def test_a_hidden_story_stays_hidden_whatever_its_chapters_do():
    story = make_story("Hidden", chapters=2, status=Status.HIDDEN)
    actions.delete_chapter(story.chapters.get(position=1))
    assert Story.objects.get(pk=story.pk).status == Status.HIDDEN


def test_rejecting_leaves_a_story_with_another_waiting_chapter_pending(mailbox):
    moderator = make_user("Mod", is_staff=True)
    story = make_story("Unpublished", chapters=1)
    make_chapter(story, "Waiting.", status=Status.PENDING)
    make_chapter(story, "Also waiting.", status=Status.PENDING)
    # The story's published chapter went; the rest still waits.
    actions.delete_chapter(story.chapters.get(position=1))
    moderation.reject(story.chapters.get(position=1), moderator, "Not yet.")
    assert Story.objects.get(pk=story.pk).status == Status.PENDING


def test_publish_all_refreshes_counts_once(django_assert_max_num_queries):
    fandom = make_category("Fandom")
    author = make_user("Trusted", is_staff=True)
    story = make_story(
        "Many",
        authors=[author],
        chapters=0,
        status=Status.DRAFT,
        published_at=None,
        categories=[fandom],
    )
    for n in range(6):
        make_chapter(story, f"Draft {n}.", status=Status.DRAFT)
    with django_assert_max_num_queries(100) as queries:
        assert actions.submit_story(story, author) == 6
    listing_updates = [
        q for q in queries.captured_queries if q["sql"].startswith('UPDATE "archive_category"')
    ]
    assert len(listing_updates) == 1
    story.refresh_from_db()
    assert (story.status, story.chapter_count) == (Status.PUBLISHED, 6)
    assert Category.objects.get(pk=fandom.pk).story_count == 1


def test_save_chapter_posts_only_when_the_text_was_saved():
    author = make_user("Trusted", is_staff=True)
    story = make_story("Draft", authors=[author], chapters=0, status=Status.DRAFT)
    chapter = make_chapter(story, "Draft words.", status=Status.DRAFT)
    text = actions.ChapterText("T", "", "<p>New words here</p>", "New words here", 3, "")

    assert not actions.save_chapter(chapter, author, text, revision=0, submit=True)
    chapter.refresh_from_db()
    assert (chapter.status, chapter.revision) == (Status.DRAFT, 1)

    assert actions.save_chapter(chapter, author, text, revision=1, submit=True)
    story.refresh_from_db()
    assert (chapter.status, chapter.revision) == (Status.PUBLISHED, 2)
    assert (story.status, story.chapter_count, story.word_count) == (Status.PUBLISHED, 1, 3)


def test_a_repeated_post_is_not_counted_against_the_limit(settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_POST_PER_ACCOUNT = (1, 3600)
    author = make_user("Busy")
    story = make_story("Keyed", authors=[author])
    Story.objects.filter(pk=story.pk).update(submission_key="8d5b3a3e-1111-4c2b-9a7e-000000000001")
    assert not actions.posting_limited(author, Story, None)
    assert actions.posting_limited(author, Story, None)
    assert not actions.posting_limited(author, Story, "8d5b3a3e-1111-4c2b-9a7e-000000000001")
