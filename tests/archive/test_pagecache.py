"""The anonymous page cache: served before the view, invalidated precisely, never leaky."""

import pytest

from fanfold.archive.models import Chapter, Story
from tests.factories import make_category, make_rating, make_review, make_story, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def story():
    return make_story("Cached", chapters=["First words.", "Second words."])


def get(client, url, **headers):
    return client.get(url, **headers)


def test_second_anonymous_read_is_a_cache_hit_without_queries(
    client, story, django_assert_num_queries
):
    url = f"/stories/{story.pk}/chapters/1/"
    assert get(client, url)["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        response = get(client, url)
    assert response["X-Page-Cache"] == "hit"
    assert "First words." in response.content.decode()


def test_conditional_get_answers_304(client, story):
    url = f"/stories/{story.pk}/chapters/1/"
    etag = get(client, url)["ETag"]
    response = get(client, url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""


def test_editing_a_chapter_invalidates_that_story_only(client, story):
    other = make_story("Other", chapters=["Untouched."])
    url, other_url = f"/stories/{story.pk}/chapters/1/", f"/stories/{other.pk}/chapters/1/"
    get(client, url), get(client, other_url)
    chapter = story.chapters.get(position=1)
    chapter.body = "<p>Revised words.</p>"
    chapter.save()
    response = get(client, url)
    assert response["X-Page-Cache"] == "miss"
    assert "Revised words." in response.content.decode()
    assert get(client, other_url)["X-Page-Cache"] == "hit"


def test_new_review_shows_at_once(client, story):
    url = f"/stories/{story.pk}/chapters/1/"
    get(client, url)
    make_review(story, "Fresh review.", chapter=story.chapters.get(position=1))
    assert "Fresh review." in get(client, url).content.decode()


def test_listing_changes_when_a_story_is_published(client, story):
    get(client, "/")
    make_story("Brand New Tale")
    assert "Brand New Tale" in get(client, "/").content.decode()


def test_renaming_a_category_reaches_every_cached_story_page(client):
    category = make_category("Old Name")
    story = make_story("Tagged", categories=[category])
    get(client, story.get_absolute_url())
    category.name = "New Name"
    category.save()
    assert "New Name" in get(client, story.get_absolute_url()).content.decode()


def test_members_never_get_or_fill_the_shared_cache(client, story):
    url = f"/stories/{story.pk}/chapters/1/"
    member = make_user("Member Reader")
    client.force_login(member)
    response = get(client, url)
    assert "X-Page-Cache" not in response
    assert "Log out" in response.content.decode()
    client.logout()
    client.cookies.clear()
    anonymous = get(client, url)
    assert anonymous["X-Page-Cache"] == "miss"
    assert "Log out" not in anonymous.content.decode()


def test_pages_that_set_cookies_are_not_cached(client):
    rating = make_rating("MA", needs_consent=True, warning_text="<p>Careful.</p>")
    story = make_story("Gated", rating=rating)
    url = f"/stories/{story.pk}/chapters/1/"
    assert "X-Page-Cache" not in get(client, url)  # the gate carries a CSRF token
    client.cookies.clear()
    assert "X-Page-Cache" not in get(client, url)


def test_consent_is_part_of_the_key(client):
    rating = make_rating("M", shows_warning=True, warning_text="<p>Careful.</p>")
    story = make_story("Warned", rating=rating, chapters=["Behind the gate."])
    url = f"/stories/{story.pk}/chapters/1/"
    client.get(url)
    client.post(f"/stories/{story.pk}/consent/", {"next": url})
    assert "Behind the gate." in get(client, url).content.decode()
    other_visitor = type(client)()
    assert "Behind the gate." not in get(other_visitor, url).content.decode()


def test_cached_hits_still_count(client, story):
    from fanfold.archive import hits

    url = f"/stories/{story.pk}/chapters/2/"
    for _ in range(3):
        get(client, url)
    assert hits.pending() == {story.pk: 3}
    hits.flush()
    assert Story.objects.get(pk=story.pk).hits == 3


def test_not_found_is_not_cached(client, story):
    Chapter.objects.filter(story=story, position=2).delete()
    assert get(client, f"/stories/{story.pk}/chapters/2/").status_code == 404
    assert "X-Page-Cache" not in get(client, f"/stories/{story.pk}/chapters/2/")


def test_page_cache_can_be_switched_off(client, story, settings):
    settings.PAGE_CACHE_SECONDS = 0
    assert "X-Page-Cache" not in get(client, f"/stories/{story.pk}/chapters/1/")


def test_a_process_keeps_hot_pages_but_never_serves_them_after_a_change(client, story):
    from django.core.cache import cache

    from fanfold.archive.pagecache import scopes_for
    from fanfold.lib.pagecache import page_key

    url = f"/stories/{story.pk}/chapters/1/"
    get(client, url)
    cache.delete(page_key(url, "", "-", scopes_for(url)))
    # The shared copy is gone; this process still has the page…
    assert get(client, url)["X-Page-Cache"] == "hit"
    chapter = story.chapters.get(position=1)
    chapter.body = "<p>Changed after caching.</p>"
    chapter.save()  # …until the story's version changes
    assert "Changed after caching." in get(client, url).content.decode()


def test_local_pages_respect_their_byte_budget(client, story, settings):
    from fanfold.archive.pagecache import local_pages

    settings.PAGE_CACHE_LOCAL_BYTES = 1
    get(client, f"/stories/{story.pk}/chapters/1/")
    assert local_pages._bytes == 0


def test_the_same_rules_hold_with_redis(client, story, settings, redis_url):
    import uuid

    settings.CACHES = {
        "default": {
            "BACKEND": "fanfold.lib.rediscache.SharedRedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    url = f"/stories/{story.pk}/chapters/1/"
    assert get(client, url)["X-Page-Cache"] == "miss"
    assert get(client, url)["X-Page-Cache"] == "hit"
    chapter = story.chapters.get(position=1)
    chapter.body = "<p>Edited under Redis.</p>"
    chapter.save()
    assert "Edited under Redis." in get(client, url).content.decode()
