"""Preferences: age consent, default sort, index first, text size, notification switches."""

import pytest
from django.test import Client

from fanfold.accounts.forms import STORY_SORTS
from fanfold.accounts.models import Preferences, Profile
from fanfold.archive.models import Story
from fanfold.archive.views import browse
from tests.factories import make_rating, make_story, make_user
from tests.hostile import executable_parts

pytestmark = pytest.mark.django_db

DEFAULTS = {
    "default_sort": "updated",
    "index_first": "on",
    "text_size": "medium",
    "notify_review": "on",
    "notify_review_response": "on",
    "notify_subscriptions": "on",
    "favorites_public": "on",
}


@pytest.fixture
def member(client):
    user = make_user("Reader")
    client.force_login(user)
    return user


def save(client, **changes):
    data = {**DEFAULTS, **changes}
    return client.post("/accounts/preferences/", {k: v for k, v in data.items() if v is not None})


def stored(user) -> Preferences:
    return Profile.objects.get(user=user).prefs


def test_defaults_for_new_members_and_odd_stored_values():
    assert Preferences.from_json({}) == Preferences()
    odd = Preferences.from_json({"age_consent": "yes", "text_size": "huge", "default_sort": 3})
    assert odd == Preferences()
    assert Preferences.from_json(None) == Preferences()


def test_the_form_names_its_fields_and_saves(client, member):
    page = client.get("/accounts/preferences/").content.decode()
    for label in [
        "Sort story lists by",
        "Reading text size",
        "Email me about reviews of my stories",
    ]:
        assert f">{label}:</label>" in page

    response = save(client, age_consent="on", default_sort="words", text_size="large",
                    notify_review=None, notify_subscriptions=None)  # fmt: skip

    assert response["Location"] == "/accounts/preferences/"
    assert stored(member) == Preferences(
        age_consent=True,
        default_sort="words",
        text_size="large",
        notify_review=False,
        notify_review_response=True,
        notify_subscriptions=False,
    )
    again = client.get("/accounts/preferences/").content.decode()
    assert "Your preferences are saved." in again
    assert '<option value="words" selected>' in again


def test_unknown_choices_are_refused_on_the_same_form(client, member):
    response = save(client, default_sort="<script>alert(1)</script>", text_size="gigantic")
    page = response.content.decode()
    assert page.count("Select a valid choice.") == 2
    assert executable_parts(page) == []
    assert stored(member) == Preferences()


def test_saving_preferences_keeps_cached_pages(client, member):
    make_story("Cached")
    visitor = Client()
    visitor.get("/browse/recent/")
    save(client, default_sort="title")
    assert visitor.get("/browse/recent/")["X-Page-Cache"] == "hit"


def test_the_sort_choices_are_the_listing_sorts():
    assert set(STORY_SORTS) == set(browse.SORTS)


class TestAgeConsent:
    @pytest.fixture
    def adult_story(self):
        return make_story("Dark", rating=make_rating("Adult", needs_consent=True))

    def test_without_consent_the_warning_page_shows(self, client, member, adult_story):
        page = client.get(f"/stories/{adult_story.pk}/chapters/1/").content.decode()
        assert "Chapter 1 begins" not in page

    def test_with_consent_the_chapter_shows_at_once(self, client, member, adult_story):
        save(client, age_consent="on")
        page = client.get(f"/stories/{adult_story.pk}/chapters/1/").content.decode()
        assert "Chapter 1 begins" in page
        assert "Chapter 1 begins" in client.get(f"/stories/{adult_story.pk}/full/").content.decode()

    def test_visitors_still_see_the_warning(self, client, member, adult_story):
        save(client, age_consent="on")
        page = Client().get(f"/stories/{adult_story.pk}/chapters/1/").content.decode()
        assert "Chapter 1 begins" not in page


def test_default_sort_orders_listings_without_a_sort(client, member):
    short = make_story("Short", chapters=["Few words."])
    long = make_story("Long", chapters=["Many many many many many many words here."])
    save(client, default_sort="words")
    page = client.get("/browse/recent/").content.decode()
    assert page.index(long.title) < page.index(short.title)
    by_title = client.get("/browse/recent/?sort=title").content.decode()
    assert by_title.index(long.title) < by_title.index(short.title)  # "Long" < "Short"
    updated = client.get("/browse/recent/?sort=updated").content.decode()
    assert updated.index(long.title) < updated.index(short.title)  # newest first


def test_top_lists_keep_their_own_order(client, member):
    make_story("Aardvark")
    zebra = make_story("Zebra")
    Story.objects.filter(pk=zebra.pk).update(hits=100)
    save(client, default_sort="title")
    page = client.get("/browse/top/most-read/").content.decode()
    assert page.index("Zebra") < page.index("Aardvark")


def test_members_listing_costs_no_more_queries(client, member, django_assert_num_queries):
    make_story("One")
    save(client, default_sort="words")
    with django_assert_num_queries(8):  # session, user, profile, unread count, the listing's 4
        assert client.get("/browse/recent/").status_code == 200


class TestIndexFirst:
    def test_members_who_turn_it_off_open_stories_at_chapter_one(self, client, member):
        story = make_story("Tale", chapters=2)
        save(client, index_first=None)
        response = client.get(story.get_absolute_url())
        assert response["Location"] == f"/stories/{story.pk}/chapters/1/"
        assert client.get(f"{story.get_absolute_url()}?index").status_code == 200
        last = client.get(f"/stories/{story.pk}/chapters/2/").content.decode()
        assert f'href="{story.get_absolute_url()}?index">Story index</a>' in last

    def test_by_default_stories_open_at_their_index(self, client, member):
        story = make_story("Tale", chapters=2)
        assert client.get(story.get_absolute_url()).status_code == 200
        assert Client().get(story.get_absolute_url()).status_code == 200


def test_text_size_is_a_class_on_the_chapter_page(client, member):
    story = make_story("Tale")
    save(client, text_size="x-large")
    page = client.get(f"/stories/{story.pk}/chapters/1/").content.decode()
    assert '<main id="main" class="reading text-x-large">' in page
    visitor = Client().get(f"/stories/{story.pk}/chapters/1/").content.decode()
    assert '<main id="main" class="reading text-medium">' in visitor
