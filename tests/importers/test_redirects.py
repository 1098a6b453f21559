"""Old eFiction links answer with a 301 to the same page in Fanfold, or a 404, never a 500."""

import pytest
from django.test import Client

from fanfold.accounts.models import Profile
from fanfold.archive.models import Chapter, ClassificationType, Series, Status
from fanfold.community.models import Review
from fanfold.lib.names import name_key
from tests.factories import (
    make_category,
    make_character,
    make_classification,
    make_rating,
    make_review,
    make_story,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive():
    """A small imported archive: every row keeps the id it had in eFiction."""
    willow = make_user("Willow Rosenberg", legacy_uid=2)
    rating = make_rating("Teen", legacy_rid=3)
    category = make_category("Buffy the Vampire Slayer", legacy_catid=5)
    character = make_character("Tara", legacy_charid=7)
    genre = make_classification("Romance", type_name="Genres")
    genre.legacy_class_id = 11
    genre.save()
    ClassificationType.objects.filter(pk=genre.type_id).update(legacy_classtype_id=1)
    story = make_story("Spells & Songs", authors=[willow], chapters=3, rating=rating, legacy_sid=10)
    chapters = list(story.chapters.order_by("position"))
    for chapter, chapid in zip(chapters, [100, 101, 102], strict=True):
        Chapter.objects.filter(pk=chapter.pk).update(legacy_chapid=chapid)
    series = Series.objects.create(owner=willow, title="Sunnydale Nights", legacy_seriesid=4)
    story_review = make_review(story, legacy_reviewid=70)
    chapter_review = make_review(story, chapter=chapters[1], legacy_reviewid=71)
    series_review = Review.objects.create(series=series, text="Lovely!", legacy_reviewid=72)
    return {
        "willow": willow,
        "story": story,
        "chapters": chapters,
        "series": series,
        "category": category,
        "character": character,
        "genre": genre,
        "rating": rating,
        "reviews": (story_review, chapter_review, series_review),
    }


def moved(client: Client, url: str) -> str:
    """The Location of the permanent redirect `url` answers with."""
    response = client.get(url)
    assert response.status_code == 301, (url, response.status_code)
    return response["Location"]


def test_redirects_are_permanent_and_cost_at_most_two_queries(
    client, archive, django_assert_max_num_queries
):
    for url in [
        "/viewstory.php?sid=10&chapter=2",
        "/viewuser.php?uid=2",
        "/reviews.php?type=ST&item=10&chapid=101",
        "/reviews.php?reviewid=71",
        "/browse.php?type=class&type_id=1&classid=11",
    ]:
        with django_assert_max_num_queries(2):
            assert client.get(url).status_code == 301


class TestViewstory:
    def test_story(self, client, archive):
        story = archive["story"]
        assert moved(client, "/viewstory.php?sid=10") == f"/stories/{story.pk}-spells-songs/"

    def test_chapter_by_its_number(self, client, archive):
        story = archive["story"]
        assert (
            moved(client, "/viewstory.php?sid=10&chapter=2") == f"/stories/{story.pk}/chapters/2/"
        )
        assert (
            moved(client, "/viewstory.php?chapter=3&sid=10") == f"/stories/{story.pk}/chapters/3/"
        )

    def test_a_missing_or_odd_chapter_number_goes_to_the_story(self, client, archive):
        story_url = archive["story"].get_absolute_url()
        for chapter in ["9", "0", "abc", "-1", "2'", "", "99999999999999999999"]:
            assert moved(client, f"/viewstory.php?sid=10&chapter={chapter}") == story_url

    def test_an_unpublished_chapter_is_not_a_target(self, client, archive):
        Chapter.objects.filter(legacy_chapid=101).update(status=Status.DRAFT)
        story_url = archive["story"].get_absolute_url()
        assert moved(client, "/viewstory.php?sid=10&chapter=2") == story_url

    def test_renumbered_chapters_follow_the_number_eFiction_gave_them(self, client, archive):
        """eFiction had 1, 3, 3 (gap and duplicate); the importer renumbered them 1, 2, 3."""
        first, second, third = archive["chapters"]
        for chapter, inorder in [(first, 1), (second, 3), (third, 3)]:
            Chapter.objects.filter(pk=chapter.pk).update(legacy={"inorder": inorder})
        pk = archive["story"].pk
        assert moved(client, "/viewstory.php?sid=10&chapter=3") == f"/stories/{pk}/chapters/2/"
        story_url = archive["story"].get_absolute_url()
        assert moved(client, "/viewstory.php?sid=10&chapter=2") == story_url

    def test_index_textsize_and_consent_parameters(self, client, archive):
        story = archive["story"]
        story_url = story.get_absolute_url()
        assert moved(client, "/viewstory.php?sid=10&index=1") == f"{story_url}?index"
        assert moved(client, "/viewstory.php?sid=10&index=0") == story_url
        assert moved(client, "/viewstory.php?sid=10&textsize=2") == story_url
        assert (
            moved(client, "/viewstory.php?sid=10&textsize=1&chapter=2")
            == f"/stories/{story.pk}/chapters/2/"
        )
        # eFiction's consent step: Fanfold's own gate takes over on the story's pages.
        assert moved(client, "/viewstory.php?sid=10&ageconsent=ok&warning=3") == story_url
        assert moved(client, "/viewstory.php?sid=10&warning=3") == story_url

    def test_print_views(self, client, archive):
        pk = archive["story"].pk
        for query in [
            "action=printable&sid=10",
            "action=printable&textsize=0&sid=10&chapter=all",
            "action=printable&sid=10&textsize=0&chapter=2",
        ]:
            assert moved(client, f"/viewstory.php?{query}") == f"/stories/{pk}/print/"
        assert moved(client, "/viewstory.php?sid=10&chapter=all") == f"/stories/{pk}/full/"

    def test_chapid(self, client, archive):
        assert (
            moved(client, "/viewstory.php?chapid=102")
            == f"/stories/{archive['story'].pk}/chapters/3/"
        )

    def test_links_pasted_from_html_source_and_archives_in_a_folder(self, client, archive):
        pk = archive["story"].pk
        assert moved(client, "/viewstory.php?sid=10&amp;chapter=2") == f"/stories/{pk}/chapters/2/"
        assert moved(client, "/fanfiction/viewstory.php?sid=10") == f"/stories/{pk}-spells-songs/"
        assert moved(client, "/a/b.c/viewstory.php?sid=10").startswith(f"/stories/{pk}")

    def test_followed_to_a_readable_page(self, client, archive):
        response = client.get("/viewstory.php?sid=10&chapter=2", follow=True)
        assert response.status_code == 200
        assert response.redirect_chain[0][1] == 301
        assert "Chapter 2 begins." in response.content.decode()

    def test_a_draft_story_is_a_404_for_visitors_and_its_title_never_leaks(self, client, archive):
        story = archive["story"]
        story.status = Status.DRAFT
        story.save()
        response = client.get("/viewstory.php?sid=10")
        assert response.status_code == 404
        assert "spells" not in response.get("Location", "")
        client.force_login(archive["willow"])
        assert moved(client, "/viewstory.php?sid=10") == story.get_absolute_url()


class TestOtherPages:
    def test_author(self, client, archive):
        profile_url = archive["willow"].profile.get_absolute_url()
        assert profile_url == "/authors/Willow%20Rosenberg/"
        assert moved(client, "/viewuser.php?uid=2") == profile_url
        assert moved(client, "/viewuser.php?action=storiesby&uid=2") == profile_url

    def test_series(self, client, archive):
        url = f"/series/{archive['series'].pk}/"
        assert moved(client, "/series.php?seriesid=4") == url
        assert moved(client, "/viewseries.php?seriesid=4") == url
        assert moved(client, "/series.php") == "/series/"

    def test_browse(self, client, archive):
        expected = {
            "": "/browse/",
            "?type=categories": "/browse/categories/",
            "?type=categories&catid=5": f"/browse/categories/{archive['category'].pk}/",
            "?type=categories&id=5": f"/browse/categories/{archive['category'].pk}/",
            "?type=categories&catid=5,9": f"/browse/categories/{archive['category'].pk}/",
            "?type=characters": "/browse/characters/",
            "?type=characters&charid=7": f"/browse/characters/{archive['character'].pk}/",
            "?type=class": "/browse/",
            "?type=class&type_id=1": f"/browse/types/{archive['genre'].type_id}/",
            "?type=class&type_id=1&classid=11": f"/browse/classifications/{archive['genre'].pk}/",
            "?type=ratings": "/browse/ratings/",
            "?type=ratings&rating=3": f"/browse/ratings/{archive['rating'].pk}/",
            "?type=ratings&rid=3": f"/browse/ratings/{archive['rating'].pk}/",
            "?type=series": "/series/",
            "?type=titles": "/browse/titles/",
            "?type=titles&let=S": "/browse/titles/?letter=S",
            "?type=titles&let=<b>": "/browse/titles/",
            "?type=recent": "/browse/recent/",
            "?type=featured": "/",
            "?type=challenges": "/browse/",
            "?type=<script>alert(1)</script>": "/browse/",
        }
        for query, url in expected.items():
            assert moved(client, f"/browse.php{query}") == url, query

    def test_reviews(self, client, archive):
        story = archive["story"]
        assert moved(client, "/reviews.php?type=ST&item=10") == f"/stories/{story.pk}/reviews/"
        chapter_2 = f"/stories/{story.pk}/chapters/2/"
        assert moved(client, "/reviews.php?type=ST&item=10&chapid=101") == chapter_2
        assert moved(client, "/reviews.php?type=ST&item=10&chapid=999") == (
            f"/stories/{story.pk}/reviews/"
        )
        assert moved(client, "/reviews.php?type=CH&item=101") == chapter_2
        assert moved(client, "/reviews.php?type=SE&item=4") == (
            f"/series/{archive['series'].pk}/reviews/"
        )
        # One review: its own address, which finds the page and place that shows it.
        for reviewid in (70, 71, 72):
            review = Review.objects.get(legacy_reviewid=reviewid)
            assert moved(client, f"/reviews.php?reviewid={reviewid}") == f"/reviews/{review.pk}/"
        review = Review.objects.get(legacy_reviewid=71)
        assert client.get(f"/reviews/{review.pk}/")["Location"].startswith(chapter_2)

    def test_site_pages(self, client, archive):
        expected = {
            "/authors.php": "/authors/",
            "/authors.php?list=authors": "/authors/",
            "/authors.php?action=list&let=A": "/authors/",
            "/search.php": "/search/",
            "/search.php?searchterm=x+y": "/search/?q=x+y",
            "/index.php": "/",
            "/rss.php": "/",
            "/viewpage.php?id=3": "/",
            "/viewpage.php?page=rules": "/",
            "/news.php": "/",
            "/toplists.php": "/browse/",
            "/user.php": "/accounts/",
            "/user.php?action=login": "/accounts/login/",
            "/user.php?action=register": "/accounts/register/",
            "/user.php?action=lostpassword": "/accounts/password/reset/",
        }
        for old, new in expected.items():
            assert moved(client, old) == new, old


HOSTILE_IDS = [
    "1%27",
    "1'%20OR%201=1",
    "-1",
    "0",
    "1.5",
    "1e3",
    "%20",
    "abc",
    "99999999999",
    "2147483648",
    "99999999999999999999999999999999",
    "%00",
    "<script>",
]


@pytest.mark.parametrize(
    "template",
    [
        "/viewstory.php?sid={}",
        "/viewstory.php?sid={}&chapter=2",
        "/viewstory.php?action=printable&sid={}&chapter=all",
        "/viewstory.php?chapid={}",
        "/viewuser.php?uid={}",
        "/series.php?seriesid={}",
        "/browse.php?type=categories&catid={}",
        "/browse.php?type=characters&charid={}",
        "/browse.php?type=class&type_id=1&classid={}",
        "/browse.php?type=class&type_id={}",
        "/browse.php?type=ratings&rating={}",
        "/reviews.php?type=ST&item={}",
        "/reviews.php?type=CH&item={}",
        "/reviews.php?type=SE&item={}",
        "/reviews.php?reviewid={}",
    ],
)
def test_hostile_ids_are_404_not_500(client, archive, template):
    for bad in HOSTILE_IDS:
        response = client.get(template.format(bad))
        assert response.status_code == 404, bad
        assert "<script>" not in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/viewstory.php",  # no sid
        "/viewstory.php?sid=",
        "/viewstory.php?sid=11",  # never imported
        "/viewstory.php?sid=10&sid=abc",  # repeated: the last one counts, as in PHP
        "/viewstory.php?chapid=103",
        "/viewuser.php",
        "/viewuser.php?uid=3",
        "/series.php?seriesid=5",
        "/browse.php?type=categories&catid=6",
        "/browse.php?type=characters&charid=8",
        "/browse.php?type=class&classid=12",
        "/browse.php?type=class&type_id=2",
        "/browse.php?type=ratings&rating=4",
        "/reviews.php",
        "/reviews.php?type=ST",
        "/reviews.php?type=XX&item=10",
        "/reviews.php?reviewid=73",
        "/admin.php",  # not one of the scripts that had public pages
        "/viewstory.phpx?sid=10",
        "/../viewstory.php?sid=11",
    ],
)
def test_missing_and_unimported_ids_are_404(client, archive, url):
    assert client.get(url).status_code == 404


def test_repeated_parameters_take_the_last_value_as_php_did(client, archive):
    story_url = archive["story"].get_absolute_url()
    assert moved(client, "/viewstory.php?sid=abc&sid=10") == story_url


def test_an_author_without_a_profile_is_404(client, archive):
    make_user("Someone", legacy_uid=9).profile.delete()
    assert client.get("/viewuser.php?uid=9").status_code == 404


def test_only_get_and_head(client, archive):
    assert client.head("/viewstory.php?sid=10").status_code == 301
    assert client.post("/viewstory.php?sid=10").status_code == 405


def test_a_former_pen_name_means_a_member_only_when_one_was_renamed_from_it():
    spike = make_user("Spike (7)")
    Profile.objects.filter(user=spike).update(former_name_key=name_key("Spike"))
    assert Profile.objects.renamed_from("SPIKE") == spike.profile
    assert Profile.objects.renamed_from("Spike (7)") is None  # the current name is not a former one
    assert Profile.objects.renamed_from("") is None
    assert Profile.objects.renamed_from("   ") is None

    # Two members renamed away from look-alike names: an old link cannot choose.
    other = make_user("\u0405pike (9)")
    Profile.objects.filter(user=other).update(former_name_key=name_key("\u0405pike"))
    assert Profile.objects.renamed_from("Spike") is None


def test_an_old_author_address_follows_the_member_renamed_in_a_clash(client):
    spike = make_user("Spike (7)")
    Profile.objects.filter(user=spike).update(former_name_key=name_key("Spike"))
    response = client.get("/authors/Spike/")
    assert response.status_code == 301
    assert response["Location"] == spike.profile.get_absolute_url()
    # Once a member holds the name again, the page is theirs.
    holder = make_user("spike")
    assert client.get("/authors/Spike/")["Location"] == holder.profile.get_absolute_url()
    assert client.get("/authors/spike/").status_code == 200
    assert client.get("/authors/Nobody/").status_code == 404
