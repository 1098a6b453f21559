"""Denormalized counts come from one code path and always equal a fresh count of the rows."""

import threading

import pytest
from django.db import close_old_connections

from fanfold.archive import counts, hits
from fanfold.archive.models import Category, Chapter, Status, Story
from tests.factories import (
    make_category,
    make_chapter,
    make_character,
    make_classification,
    make_rating,
    make_series,
    make_story,
    make_user,
)

pytestmark = pytest.mark.django_db


def test_words_and_chapters_count_published_chapters_only():
    story = make_story("Counted", chapters=["one two three", "four five"])
    make_chapter(story, "six seven eight nine", status=Status.DRAFT)
    counts.refresh_stories([story.pk])
    story.refresh_from_db()
    assert (story.chapter_count, story.word_count) == (2, 5)


def test_refreshing_twice_changes_nothing():
    story = make_story("Stable", chapters=3)
    before = Story.objects.values().get(pk=story.pk)
    counts.refresh_stories([story.pk])
    counts.refresh_stories([story.pk])
    assert Story.objects.values().get(pk=story.pk) == before


def test_story_without_published_chapters_is_not_listed_or_counted():
    fandom = make_category("Fandom")
    story = make_story("Empty", categories=[fandom])
    Chapter.objects.filter(story=story).update(status=Status.DRAFT)
    counts.refresh_stories([story.pk])
    counts.refresh_taxonomy()
    assert not Story.objects.published().filter(pk=story.pk).exists()
    assert Category.objects.get(pk=fandom.pk).story_count == 0


def test_taxonomy_counts_skip_unpublished_stories():
    fandom = make_category("Fandom")
    willow = make_character("Willow", categories=[fandom])
    angst = make_classification("Angst")
    rating = make_rating("T")
    author = make_user("Writer")
    labels = dict(categories=[fandom], characters=[willow], classifications=[angst], rating=rating)
    make_story("Out", authors=[author], **labels)
    make_story("Also out", authors=[author], **labels)
    make_story("Hidden", authors=[author], status=Status.HIDDEN, **labels)
    make_story("Draft", authors=[author], status=Status.DRAFT, **labels)
    series = make_series(author, "Saga", stories=list(Story.objects.all()))
    counts.refresh_taxonomy()
    for obj in (fandom, willow, angst, rating, author.profile, series):
        obj.refresh_from_db()
        assert obj.story_count == 2, obj


def test_hits_flush_adds_concurrent_buffers_exactly(transactional_db):
    story = make_story("Popular")

    def read_many():
        for _ in range(500):
            hits.record(story.pk)

    threads = [threading.Thread(target=read_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()
    assert hits.flush() == 2000
    assert hits.flush() == 0
    story.refresh_from_db()
    assert story.hits == 2000


def test_hits_of_a_deleted_story_do_not_stop_the_others():
    story = make_story("Kept")
    hits.record(story.pk)
    hits.record(10**12)  # deleted since it was read: nothing to update
    assert hits.flush() == 2
    story.refresh_from_db()
    assert story.hits == 1


def test_an_edit_recounts_the_labels_the_story_left_and_only_the_rows_it_touches():
    from fanfold.archive import actions

    old, new, elsewhere = (make_category(n) for n in ("Old", "New", "Elsewhere"))
    author = make_user("Editor")
    story = make_story("Moving", authors=[author], categories=[old])
    make_story("Other", categories=[elsewhere])
    counts.refresh_taxonomy()
    assert Category.objects.get(pk=old.pk).story_count == 1
    # A wrong count on a row the story never touched stays wrong: no archive-wide update.
    Category.objects.filter(pk=elsewhere.pk).update(story_count=99)

    actions.update_story(story, author, {}, {"categories": [new]})

    assert Category.objects.get(pk=old.pk).story_count == 0
    assert Category.objects.get(pk=new.pk).story_count == 1
    assert Category.objects.get(pk=elsewhere.pk).story_count == 99


def test_an_edit_that_changes_no_label_recounts_nothing():
    from fanfold.archive import actions

    fandom = make_category("Fandom")
    author = make_user("Editor")
    story = make_story("Same", authors=[author], categories=[fandom])
    Category.objects.filter(pk=fandom.pk).update(story_count=42)

    actions.update_story(story, author, {"title": "Same, retitled"}, {"categories": [fandom]})

    assert Category.objects.get(pk=fandom.pk).story_count == 42


def test_deleting_a_story_recounts_its_labels():
    from fanfold.archive import actions

    fandom = make_category("Fandom")
    author = make_user("Writer")
    story = make_story("Gone", authors=[author], categories=[fandom])
    counts.refresh_taxonomy()
    actions.delete_story(story)
    assert Category.objects.get(pk=fandom.pk).story_count == 0
    author.profile.refresh_from_db()
    assert author.profile.story_count == 0
