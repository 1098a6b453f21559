"""The browse listings: categories, characters, labels, ratings, titles, authors, series, lists."""

import datetime

import pytest
from django.utils import timezone
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains

from fanfold.accounts.models import Profile
from fanfold.archive.models import ClassificationType, Status, Story
from fanfold.archive.views import browse
from tests.factories import (
    make_category,
    make_character,
    make_classification,
    make_rating,
    make_series,
    make_story,
    make_user,
    recount,
)

pytestmark = pytest.mark.django_db

LISTINGS = [
    "/browse/recent/",
    "/browse/titles/",
    "/browse/top/most-reviewed/",
    "/browse/top/most-favorited/",
    "/browse/top/most-read/",
    "/browse/top/longest/",
]


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    """Each request reaches the view; the page cache has its own test below."""
    settings.PAGE_CACHE_SECONDS = 0


def shows(response, story: Story) -> bool:
    return story.get_absolute_url() in response.content.decode()


def order_of(response, *stories: Story) -> list[str]:
    """The titles of these stories in the order the page shows them."""
    page = response.content.decode()
    return [s.title for s in sorted(stories, key=lambda s: page.index(s.get_absolute_url()))]


def days_ago(n: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=n)


@pytest.fixture
def general():
    return make_rating("General", order=1)


@pytest.fixture
def adult():
    return make_rating("Adult", order=2, members_only=True)


class TestIndex:
    def test_links_to_every_axis(self, client):
        make_classification("Angst", type_name="Genre")
        make_classification("Major character death", type_name="Warnings")
        response = client.get("/browse/")
        assert response.status_code == 200
        for kind in ClassificationType.objects.all():
            assertContains(response, f'href="/browse/types/{kind.pk}/"')
        for url in [
            "/browse/categories/",
            "/browse/characters/",
            "/browse/ratings/",
            "/series/",
            "/browse/titles/?letter=A",
            "/browse/titles/?letter=%23",
            "/authors/?letter=Z",
            "/browse/recent/",
            "/browse/top/most-reviewed/",
            "/browse/top/most-favorited/",
            "/browse/top/most-read/",
            "/browse/top/longest/",
            "/browse/top/completed/",
        ]:
            assertContains(response, f'href="{url}"')


class TestCategories:
    def test_tree_nests_sub_categories_and_totals_include_them(self, client, general):
        buffy = make_category("Buffy", order=1)
        season = make_category("Season Seven", parent=buffy)
        episode = make_category("Chosen", parent=season)
        other = make_category("Angel", order=2)
        make_story("Parent story", categories=[buffy])
        make_story("Season story", categories=[season])
        make_story("Episode story", categories=[episode])
        make_story("Angel story", categories=[other])

        response = client.get("/browse/categories/")

        assertInHTML(
            f"""<li><a href="/browse/categories/{buffy.pk}/">Buffy</a>
                <span class="count">3 stories</span>
                <ul><li><a href="/browse/categories/{season.pk}/">Season Seven</a>
                    <span class="count">2 stories</span>
                    <ul><li><a href="/browse/categories/{episode.pk}/">Chosen</a>
                        <span class="count">1 story</span></li></ul>
                </li></ul></li>""",
            response.content.decode(),
        )
        assert response.content.decode().index(">Buffy<") < response.content.decode().index(
            ">Angel<"
        )

    def test_empty_archive(self, client):
        assertContains(client.get("/browse/categories/"), "No categories yet.")

    def test_category_lists_its_stories_and_those_of_sub_categories_once(self, client, general):
        buffy = make_category("Buffy")
        season = make_category("Season Seven", parent=buffy)
        episode = make_category("Chosen", parent=season)
        elsewhere = make_category("Angel")
        own = make_story("Own", categories=[buffy])
        child = make_story("Child", categories=[season])
        grandchild = make_story("Grandchild", categories=[episode])
        both = make_story("Both", categories=[buffy, season])
        outside = make_story("Outside", categories=[elsewhere])

        response = client.get(f"/browse/categories/{buffy.pk}/")

        assert response.status_code == 200
        assert all(shows(response, s) for s in [own, child, grandchild, both])
        assert not shows(response, outside)
        assert response.content.decode().count(both.get_absolute_url()) == 1
        assertContains(response, "<h2", count=3)  # "Sub-categories", "Stories", "Filters"
        assertInHTML(
            f'<a href="/browse/categories/{season.pk}/">Season Seven</a>', response.content.decode()
        )

    def test_sub_category_shows_breadcrumb_not_its_parent_stories(self, client, general):
        buffy = make_category("Buffy")
        season = make_category("Season Seven", parent=buffy)
        parent_only = make_story("Parent only", categories=[buffy])
        response = client.get(f"/browse/categories/{season.pk}/")
        assert not shows(response, parent_only)
        assertContains(response, f'<a href="/browse/categories/{buffy.pk}/">Buffy</a>')
        assertContains(response, "No stories here yet.")

    def test_unknown_category_is_404(self, client):
        assert client.get("/browse/categories/999999/").status_code == 404


class TestCharactersClassificationsRatings:
    def test_characters_grouped_by_category_with_counts(self, client, general):
        buffy, angel = make_category("Buffy", order=1), make_category("Angel", order=2)
        willow = make_character("Willow", categories=[buffy])
        spike = make_character("Spike", categories=[buffy, angel])
        loner = make_character("Original character")
        make_story("One", characters=[willow, spike])
        make_story("Two", characters=[spike])

        response = client.get("/browse/characters/")

        page = response.content.decode()
        assert page.index(">Buffy<") < page.index(">Angel<") < page.index(">Other<")
        assertInHTML(
            f'<li><a href="/browse/characters/{spike.pk}/">Spike</a>'
            '<span class="count">2 stories</span></li>',
            page,
            count=2,  # under Buffy and under Angel
        )
        assertInHTML(
            f'<li><a href="/browse/characters/{loner.pk}/">Original character</a>'
            '<span class="count">0 stories</span></li>',
            page,
        )

    def test_characters_a_to_z(self, client):
        make_character("Willow")
        make_character("angel")
        make_character("Ωmega")
        response = client.get("/browse/characters/?by=name")
        page = response.content.decode()
        assert page.index(">A<") < page.index(">angel<") < page.index(">W<") < page.index(">#<")
        assert page.index(">#<") < page.index(">Ωmega<")

    def test_character_page(self, client, general):
        willow = make_character("Willow")
        with_her = make_story("With Willow", characters=[willow])
        without = make_story("Without")
        response = client.get(f"/browse/characters/{willow.pk}/")
        assertContains(response, "<h1>Stories with Willow</h1>")
        assert shows(response, with_her) and not shows(response, without)

    def test_classification_type_lists_its_labels_with_counts(self, client, general):
        angst = make_classification("Angst", type_name="Genre")
        humor = make_classification("Humor", type_name="Genre")
        warning = make_classification("Violence", type_name="Warnings")
        make_story("Sad", classifications=[angst])
        make_story("Sadder", classifications=[angst, warning])

        response = client.get(f"/browse/types/{angst.type_id}/")

        assertContains(response, "<h1>Genre</h1>")
        page = response.content.decode()
        assertInHTML(
            f'<li><a href="/browse/classifications/{angst.pk}/">Angst</a>'
            '<span class="count">2 stories</span></li>',
            page,
        )
        assertInHTML(
            f'<li><a href="/browse/classifications/{humor.pk}/">Humor</a>'
            '<span class="count">0 stories</span></li>',
            page,
        )
        assert "Violence" not in page

    def test_classification_page(self, client, general):
        angst = make_classification("Angst", type_name="Genre")
        sad, happy = make_story("Sad", classifications=[angst]), make_story("Happy")
        response = client.get(f"/browse/classifications/{angst.pk}/")
        assertContains(response, "Genre: Angst")
        assert shows(response, sad) and not shows(response, happy)

    def test_ratings_with_counts_and_rating_page(self, client, general, adult):
        gen = make_story("Gen story", rating=general)
        make_story("Adult story", rating=adult)
        response = client.get("/browse/ratings/")
        assertInHTML(
            f'<li><a href="/browse/ratings/{general.pk}/">General</a>'
            '<span class="count">1 story</span></li>',
            response.content.decode(),
        )
        response = client.get(f"/browse/ratings/{general.pk}/")
        assertContains(response, "Rated General")
        assert shows(response, gen)

    def test_members_only_rating_page_explains_itself_to_visitors(self, client, general, adult):
        hidden = make_story("Adult story", rating=adult)
        response = client.get(f"/browse/ratings/{adult.pk}/")
        assertContains(response, "shown to members who are logged in")
        assert not shows(response, hidden)
        client.force_login(make_user("Reader"))
        assert shows(client.get(f"/browse/ratings/{adult.pk}/"), hidden)

    @pytest.mark.parametrize(
        "url",
        [
            "/browse/characters/999999/",
            "/browse/types/999999/",
            "/browse/classifications/999999/",
            "/browse/ratings/999999/",
            "/series/999999/",
            "/authors/Nobody%20At%20All/",
            "/browse/top/best-ever/",
        ],
    )
    def test_unknown_ids_are_404(self, client, url):
        assert client.get(url).status_code == 404


class TestVisibility:
    @pytest.fixture
    def world(self, general, adult):
        author = make_user("Writer")
        fandom = make_category("Fandom")
        willow = make_character("Willow")
        angst = make_classification("Angst")
        common = {
            "authors": [author],
            "categories": [fandom],
            "characters": [willow],
            "classifications": [angst],
            "completed": True,
        }
        stories = {
            "public": make_story("Public story", **common),
            "draft": make_story("Draft story", status=Status.DRAFT, **common),
            "pending": make_story("Pending story", status=Status.PENDING, **common),
            "hidden": make_story("Hidden story", status=Status.HIDDEN, **common),
            "members": make_story("Members story", rating=adult, **common),
            "no chapters": make_story("Empty story", chapters=0, **common),
        }
        series = make_series(author, "Saga", stories=list(stories.values()))
        # url → the ratings its stories may have (None: any)
        urls = {
            **dict.fromkeys(LISTINGS),
            "/browse/top/completed/": None,
            f"/browse/categories/{fandom.pk}/": None,
            f"/browse/characters/{willow.pk}/": None,
            f"/browse/classifications/{angst.pk}/": None,
            f"/browse/ratings/{general.pk}/": general,
            f"/browse/ratings/{adult.pk}/": adult,
            "/authors/Writer/": None,
            f"/series/{series.pk}/": None,
        }
        return stories, urls

    def test_visitors_see_only_published_stories_not_rated_members_only(self, client, world):
        stories, urls = world
        for url, rating in urls.items():
            response = client.get(url)
            assert response.status_code == 200, url
            shown = {name for name, story in stories.items() if shows(response, story)}
            assert shown == ({"public"} if rating in (None, stories["public"].rating) else set())

    def test_members_also_see_members_only_ratings(self, client, world):
        stories, urls = world
        client.force_login(make_user("Reader"))
        for url, rating in urls.items():
            shown = {name for name, story in stories.items() if shows(client.get(url), story)}
            expected = {"public", "members"}
            if rating is not None:
                expected = {n for n in expected if stories[n].rating == rating}
            assert shown == expected, url

    def test_authors_do_not_see_their_own_drafts_on_listings(self, client, world):
        stories, _ = world
        client.force_login(stories["draft"].authors.get())
        response = client.get("/browse/recent/")
        assert not shows(response, stories["draft"])


class TestSortingAndPaging:
    @pytest.fixture
    def trio(self, general):
        stories = {}
        rows = [
            # title, updated, published, words, chapters, reviews, favorites, hits
            ("Alpha", 3, 1, 300, 1, 5, 0, 10),
            ("Bravo", 1, 3, 100, 3, 0, 9, 5),
            ("Charlie", 2, 2, 200, 2, 2, 3, 99),
        ]
        for title, updated, published, words, chapters, reviews, favorites, hits in rows:
            story = make_story(title)
            Story.objects.filter(pk=story.pk).update(
                updated_at=days_ago(updated),
                published_at=days_ago(published),
                word_count=words,
                chapter_count=chapters,
                review_count=reviews,
                favorite_count=favorites,
                hits=hits,
            )
            stories[title] = story
        return list(stories.values())

    @pytest.mark.parametrize(
        "sort, expected",
        [
            ("", ["Bravo", "Charlie", "Alpha"]),
            ("updated", ["Bravo", "Charlie", "Alpha"]),
            ("published", ["Alpha", "Charlie", "Bravo"]),
            ("title", ["Alpha", "Bravo", "Charlie"]),
            ("words", ["Alpha", "Charlie", "Bravo"]),
            ("chapters", ["Bravo", "Charlie", "Alpha"]),
            ("reviews", ["Alpha", "Charlie", "Bravo"]),
            ("favorites", ["Bravo", "Charlie", "Alpha"]),
            ("hits", ["Charlie", "Alpha", "Bravo"]),
            ("garbage", ["Bravo", "Charlie", "Alpha"]),
        ],
    )
    def test_sort_orders(self, client, trio, sort, expected):
        response = client.get(f"/browse/recent/?sort={sort}")
        assert response.status_code == 200
        assert order_of(response, *trio) == expected

    def test_sort_form_offers_every_sort_with_a_label(self, client, trio):
        response = client.get("/browse/recent/?sort=words")
        assertContains(response, '<label for="sort">Sort by</label>', html=True)
        for value in ["updated", "published", "title", "words", "chapters", "reviews"]:
            assertContains(response, f'value="{value}"')
        assertContains(response, '<option value="words" selected>Words</option>', html=True)

    @pytest.mark.parametrize(
        "which, expected",
        [
            ("most-reviewed", ["Alpha", "Charlie", "Bravo"]),
            ("most-favorited", ["Bravo", "Charlie", "Alpha"]),
            ("most-read", ["Charlie", "Alpha", "Bravo"]),
            ("longest", ["Alpha", "Charlie", "Bravo"]),
        ],
    )
    def test_top_lists(self, client, trio, which, expected):
        response = client.get(f"/browse/top/{which}/")
        assert order_of(response, *trio) == expected

    def test_completed_list_has_only_completed_stories(self, client, trio):
        Story.objects.filter(title="Charlie").update(completed=True)
        response = client.get("/browse/top/completed/")
        assert [s.title for s in trio if shows(response, s)] == ["Charlie"]

    @pytest.mark.parametrize("url", [*LISTINGS, "/authors/", "/series/", "/browse/characters/"])
    @pytest.mark.parametrize(
        "query", ["page=abc", "page=-1", "page=0", "sort=garbage", "letter=<script>", "by=%00"]
    )
    def test_malformed_parameters_fall_back_to_defaults(self, client, trio, url, query):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 200
        assertNotContains(response, "<script>")

    def test_pages_and_page_past_the_end(self, client, general, settings):
        settings.STORIES_PER_PAGE = 2
        stories = [make_story(f"Story {n}", updated_at=days_ago(n)) for n in range(5)]
        first = client.get("/browse/recent/")
        assert order_of(first, *stories[:2]) == ["Story 0", "Story 1"]
        assert not shows(first, stories[2])
        assertContains(first, "Page 1 of 3")
        third = client.get("/browse/recent/?page=3&sort=updated")
        assert shows(third, stories[4]) and not shows(third, stories[3])
        past = client.get("/browse/recent/?page=4&sort=updated")
        assert past.status_code == 404
        assertContains(past, "/browse/recent/?page=3&amp;sort=updated", status_code=404)

    def test_empty_listing_is_a_page_not_a_404(self, client):
        response = client.get("/browse/recent/")
        assert response.status_code == 200
        assertContains(response, "No stories here yet.")


class TestTitles:
    @pytest.fixture
    def shelf(self, general):
        titles = ["Apple", "apricot", "Banana", "Ωmega", "Émile", "“Quoted”", "42 Days", "美咲"]
        return {title: make_story(title) for title in titles}

    def test_all_titles_in_title_order_by_default(self, client, shelf):
        response = client.get("/browse/titles/")
        assert all(shows(response, story) for story in shelf.values())
        assert order_of(response, shelf["Apple"], shelf["Banana"], shelf["Ωmega"]) == [
            "Apple",
            "Banana",
            "Ωmega",
        ]
        assertContains(response, '<strong aria-current="page">All</strong>', html=True)

    def test_a_letter_shows_titles_beginning_with_it_in_either_case(self, client, shelf):
        response = client.get("/browse/titles/?letter=A")
        assert {t for t, s in shelf.items() if shows(response, s)} == {"Apple", "apricot"}
        assertContains(response, "<h1>Titles: A</h1>", html=True)

    def test_hash_collects_titles_not_beginning_with_a_latin_letter(self, client, shelf):
        response = client.get("/browse/titles/?letter=%23")
        assert {t for t, s in shelf.items() if shows(response, s)} == {
            "Ωmega",
            "“Quoted”",
            "42 Days",
            "美咲",
        }

    def test_accents_and_case_do_not_change_the_letter_or_the_order(self, client, shelf):
        response = client.get("/browse/titles/?letter=E")
        assert shows(response, shelf["Émile"])
        everything = client.get("/browse/titles/")
        assert order_of(everything, shelf["apricot"], shelf["Banana"], shelf["Émile"]) == [
            "apricot",
            "Banana",
            "Émile",
        ]

    def test_letter_links_keep_the_sort(self, client, shelf):
        response = client.get("/browse/titles/?sort=words&letter=B")
        assertContains(response, 'href="?sort=words&amp;letter=C"')
        assertContains(response, 'href="?sort=words"')  # "All"

    @pytest.mark.parametrize("letter", ["<script>", "AB", "a", "", "%E2%80%9C"])
    def test_unknown_letter_shows_all(self, client, shelf, letter):
        response = client.get(f"/browse/titles/?letter={letter}")
        assert response.status_code == 200
        assert all(shows(response, story) for story in shelf.values())


class TestAuthors:
    def test_members_with_stories_a_to_z_with_counts(self, client, general):
        spike, willow = make_user("spike"), make_user("Willow")
        make_user("Lurker")
        make_story("One", authors=[spike])
        make_story("Two", authors=[spike, willow])
        make_story("Draft", authors=[willow], status=Status.DRAFT)

        response = client.get("/authors/")

        page = response.content.decode()
        assertInHTML(
            '<li><a href="/authors/spike/">spike</a><span class="count">2 stories</span></li>',
            page,
        )
        assertInHTML(
            '<li><a href="/authors/Willow/">Willow</a><span class="count">1 story</span></li>',
            page,
        )
        assert "Lurker" not in page
        assert page.index(">spike<") < page.index(">Willow<")

    def test_letter_filter_and_non_latin_pen_names(self, client, general):
        for name in ["Ａlice", "anya", "Bob", "Ωmega", "Ёлка"]:
            make_story(f"By {name}", authors=[make_user(name)])
        by_a = client.get("/authors/?letter=A").content.decode()
        assert ">Ａlice<" in by_a and ">anya<" in by_a and ">Bob<" not in by_a
        others = client.get("/authors/?letter=%23").content.decode()
        assert ">Ωmega<" in others and ">Ёлка<" in others and ">anya<" not in others

    def test_pages_and_page_past_the_end(self, client, general, monkeypatch):
        monkeypatch.setattr(browse, "AUTHORS_PER_PAGE", 2)
        for name in ["Ann", "Bea", "Cy"]:
            make_story(f"By {name}", authors=[make_user(name)])
        second = client.get("/authors/?page=2").content.decode()
        assert ">Cy<" in second and ">Ann<" not in second
        assert client.get("/authors/?page=3").status_code == 404


class TestAuthorPage:
    @pytest.fixture
    def author(self, general):
        user = make_user("Quill Feather")
        Profile.objects.filter(user=user).update(
            bio="<p>I write <em>long</em> things.</p>", website="https://example.org/"
        )
        return user

    def test_shows_bio_stories_and_series(self, client, author):
        mine = make_story("Mine", authors=[author], summary="<p>Summary</p>")
        shared = make_story("Shared", authors=[make_user("Friend"), author])
        theirs = make_story("Theirs")
        draft = make_story("Draft", authors=[author], status=Status.DRAFT)
        saga = make_series(author, "The Saga", stories=[mine, shared])

        response = client.get("/authors/Quill%20Feather/")

        assert response.status_code == 200
        assertContains(response, "<h1>Quill Feather</h1>", html=True)
        assertContains(response, "<p>I write <em>long</em> things.</p>", html=True)
        assertContains(response, f'<a href="/series/{saga.pk}/">The Saga</a>')
        assert shows(response, mine) and shows(response, shared)
        assert not shows(response, theirs) and not shows(response, draft)

    def test_pen_name_in_another_case_redirects_to_the_profile(self, client, author):
        response = client.get("/authors/quill%20FEATHER/")
        assert response.status_code == 301
        assert response["Location"] == "/authors/Quill%20Feather/"

    def test_unicode_and_slash_in_pen_names(self, client, general):
        for name in ["Zoë & 美咲", "AC/DC"]:
            user = make_user(name)
            story = make_story(f"By {name}", authors=[user])
            response = client.get(user.profile.get_absolute_url())
            assert response.status_code == 200, name
            assert shows(response, story)

    def test_member_without_stories(self, client, author):
        assertContains(client.get("/authors/Quill%20Feather/"), "No stories here yet.")


class TestSeries:
    def test_series_list_with_owner_and_counts(self, client, general):
        owner = make_user("Owner")
        first = make_series(owner, "Beta Saga", stories=[make_story("One", authors=[owner])])
        second = make_series(owner, "Alpha Saga")
        response = client.get("/series/")
        page = response.content.decode()
        assert page.index(">Alpha Saga<") < page.index(">Beta Saga<")
        assertContains(response, f'<a href="/series/{first.pk}/">Beta Saga</a>')
        assertContains(response, '<span class="count">1 story</span>', html=True)
        assertContains(response, '<a href="/authors/Owner/">Owner</a>', count=2)
        assert client.get("/series/?sort=updated").status_code == 200
        assert client.get(f"/series/{second.pk}/").status_code == 200

    def test_series_page_items_in_order(self, client, general, adult):
        owner = make_user("Owner")
        first, second = make_story("First"), make_story("Second")
        members = make_story("Members only", rating=adult)
        draft = make_story("Draft", status=Status.DRAFT)
        side = make_series(owner, "Side stories")
        saga = make_series(
            owner, "Saga", stories=[second, draft, members], summary="<p>It <b>begins</b>.</p>"
        )
        saga.items.create(position=0, story=first)
        saga.items.create(position=5, subseries=side)

        response = client.get(f"/series/{saga.pk}/")

        page = response.content.decode()
        assertContains(response, "<p>It <b>begins</b>.</p>", html=True)
        assertContains(response, '<a href="/authors/Owner/">Owner</a>')
        assert order_of(response, first, second) == ["First", "Second"]
        assert page.index(second.get_absolute_url()) < page.index(f'href="/series/{side.pk}/"')
        assert not shows(response, draft) and not shows(response, members)


class TestPageCache:
    @pytest.mark.parametrize(
        "url",
        [
            "/browse/",
            "/browse/categories/",
            "/browse/characters/",
            "/browse/ratings/",
            "/browse/titles/?letter=C",
            "/browse/top/longest/",
            "/authors/",
            "/authors/Writer/",
            "/series/",
        ],
    )
    def test_visitors_share_cached_pages(self, client, settings, general, url):
        settings.PAGE_CACHE_SECONDS = 600
        make_story("Cached", authors=[make_user("Writer")])
        assert client.get(url)["X-Page-Cache"] == "miss"
        assert client.get(url)["X-Page-Cache"] == "hit"

    def test_each_query_string_is_its_own_page_and_members_are_not_cached(
        self, client, settings, general
    ):
        settings.PAGE_CACHE_SECONDS = 600
        make_story("Cached")
        assert client.get("/browse/recent/")["X-Page-Cache"] == "miss"
        assert client.get("/browse/recent/")["X-Page-Cache"] == "hit"
        assert client.get("/browse/recent/?sort=title")["X-Page-Cache"] == "miss"
        client.force_login(make_user("Reader"))
        assert "X-Page-Cache" not in client.get("/browse/recent/")

    def test_new_story_reaches_the_cached_listing(self, client, settings, general):
        settings.PAGE_CACHE_SECONDS = 600
        client.get("/browse/recent/")
        story = make_story("Fresh")
        assert shows(client.get("/browse/recent/"), story)


class World:
    """Enough archive for query counting: every story brings new categories and authors."""

    def __init__(self):
        self.rating = make_rating("General")
        self.fandom = make_category("Fandom")
        self.character = make_character("Willow", categories=[self.fandom])
        self.label = make_classification("Angst")
        self.author = make_user("Prolific")
        self.series = make_series(self.author, "Saga")
        self.side = make_series(self.author, "Side")
        self.series.items.create(position=0, subseries=self.side)
        self.count = 0
        self.ids = {
            "fandom": self.fandom.pk,
            "character": self.character.pk,
            "kind": self.label.type_id,
            "label": self.label.pk,
            "rating": self.rating.pk,
            "series": self.series.pk,
        }

    def add_stories(self, n: int) -> None:
        for _ in range(n):
            self.count += 1
            sub = make_category(f"Sub {self.count}", parent=self.fandom)
            story = make_story(
                f"Story {self.count}",
                authors=[self.author, make_user(f"Co-author {self.count}")],
                categories=[sub, make_category(f"Cross {self.count}")],
                characters=[self.character, make_character(f"Character {self.count}")],
                classifications=[self.label, make_classification(type_name=f"T{self.count}")],
                completed=True,
            )
            self.series.items.create(position=self.count, story=story)
        recount(story)


@pytest.mark.parametrize(
    "url, queries",
    [
        ("/browse/", 1),  # classification types
        ("/browse/categories/", 1),  # all categories
        # all categories; facets with the count, page, authors, categories of the page
        ("/browse/categories/{fandom}/", 5),
        ("/browse/characters/", 2),  # characters, their categories
        ("/browse/characters/?by=name", 1),
        ("/browse/characters/{character}/", 5),  # the character, facets with the count, 3
        ("/browse/types/{kind}/", 2),
        ("/browse/classifications/{label}/", 5),
        ("/browse/ratings/", 1),
        ("/browse/ratings/{rating}/", 5),
        ("/browse/titles/", 4),
        ("/browse/titles/?letter=S&sort=words", 4),
        ("/browse/recent/", 4),
        ("/browse/top/most-read/", 4),
        ("/browse/top/completed/", 4),
        ("/authors/", 2),  # count, page of profiles
        ("/authors/?letter=C", 2),
        # profile and user, custom fields, the listing with its facets, series, favorites
        ("/authors/Prolific/", 8),
        ("/series/", 2),
        ("/series/{series}/", 5),  # series and owner, items, stories, authors, categories
    ],
)
def test_query_count_does_not_grow_with_the_archive(
    client, django_assert_num_queries, url, queries
):
    world = World()
    world.add_stories(3)
    with django_assert_num_queries(queries):
        assert client.get(url.format(**world.ids)).status_code == 200
    world.add_stories(22)
    with django_assert_num_queries(queries):
        assert client.get(url.format(**world.ids)).status_code == 200


def test_members_pay_only_for_their_session(client, django_assert_num_queries):
    world = World()
    world.add_stories(3)
    client.force_login(make_user("Reader"))
    # session, user, the header's pen name, then the listing's 4
    with django_assert_num_queries(8):
        assert client.get("/browse/recent/").status_code == 200
    world.add_stories(22)
    with django_assert_num_queries(8):
        assert client.get("/browse/recent/").status_code == 200
