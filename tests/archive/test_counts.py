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
