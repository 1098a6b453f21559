"""Review counts stay right when many people post at once."""

import threading

import pytest
from django.db import connection

from fanfold.archive.models import Chapter, Story
from fanfold.community import reviews
from fanfold.community.models import Review
from tests.factories import make_story, make_user

READERS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_reviews_posted_at_once_give_twenty_rows_and_a_count_of_twenty():
    if connection.vendor == "sqlite":
        # The in-memory test database answers "table is locked" instead of waiting (shared
        # cache ignores the busy timeout); PostgreSQL exercises the row locks for real.
        pytest.skip("needs a database with row locks (runs on the PostgreSQL pass)")
    story = make_story("Popular", authors=[make_user("Author")], chapters=1)
    chapter = story.chapters.get()
    readers = [make_user(f"Reader {n}") for n in range(READERS)]
    barrier = threading.Barrier(READERS)
    errors = []

    def post(reader):
        try:
            barrier.wait()
            reviews.post(reader, f"<p>From {reader.username}.</p>", chapter=chapter)
        except Exception as error:  # reported below, in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(reader,)) for reader in readers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Review.objects.filter(chapter=chapter).count() == READERS
    assert Story.objects.get(pk=story.pk).review_count == READERS
    assert Chapter.objects.get(pk=chapter.pk).review_count == READERS
