"""A closing member's favorites leave the counts of what they favorited."""

import pytest

from fanfold.archive.models import Series, Story
from fanfold.community import counts
from fanfold.community.models import Favorite
from tests.factories import make_favorite, make_series, make_story, make_user

pytestmark = pytest.mark.django_db


def test_favorite_counts_drop_when_the_member_leaves(client, django_capture_on_commit_callbacks):
    author = make_user("Author")
    leaving = make_user("Leaving", password="s3cret-words")
    story = make_story("Loved", authors=[author])
    series = make_series(author, "Saga", stories=[story])
    make_favorite(leaving, story=story)
    make_favorite(make_user("Stays"), story=story)
    Favorite.objects.create(user=leaving, series=series)
    counts.refresh_series()
    assert Story.objects.get(pk=story.pk).favorite_count == 2
    assert Series.objects.get(pk=series.pk).favorite_count == 1

    client.force_login(leaving)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/delete/", {"stories": "orphan", "password": "s3cret-words"}
        )
    assert response.status_code == 302
    assert Story.objects.get(pk=story.pk).favorite_count == 1
    assert Series.objects.get(pk=series.pk).favorite_count == 0
