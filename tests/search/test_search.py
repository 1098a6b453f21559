"""The search page on both engines: text, filters, sorts, facets, visibility, bad input.

Everything here runs on SQLite (FTS5) and PostgreSQL (tsvector) alike; ranking order may
differ between them, so only clear-cut relevance (a title match over a passing mention)
is asserted. Stop words ("the") are left out of shared queries: PostgreSQL drops them.
"""

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pytest_django.asserts import assertContains

from fanfold.archive import actions
from fanfold.archive.models import Status
from fanfold.community import relations
from fanfold.lib.markup import sanitize
from fanfold.search import index
from tests.factories import (
    make_category,
    make_chapter,
    make_character,
    make_classification,
    make_rating,
    make_story,
    make_user,
)
from tests.hostile import HOSTILE, executable_parts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 0


def found(client, query: str) -> list[str]:
    """Titles on the result page of /search/?<query>, in order."""
    response = client.get(f"/search/?{query}")
    assert response.status_code == 200
    return re.findall(
        r'class="blurb-title" id="[^"]+"><a href="[^"]+">([^<]+)</a>', response.content.decode()
    )


@pytest.fixture
def general():
    return make_rating("General", order=1)


class TestText:
    @pytest.fixture(autouse=True)
    def stories(self, general):
        make_story("Fire and Ice", chapters=["The dragon slept beneath the mountain of gold."])
        make_story("Sea Voyage", chapters=["A ship sailed west; nobody mentioned dragons at all."])
        make_story("Garden Party", chapters=["Roses, tea and a quiet afternoon in the garden."])
        make_story("Café Society", chapters=["They met at the café every morning."])

    def test_all_words_must_match(self, client):
        assert found(client, "q=dragon+mountain") == ["Fire and Ice"]

    def test_stemming_finds_other_forms(self, client):
        assert sorted(found(client, "q=dragon")) == ["Fire and Ice", "Sea Voyage"]
        assert found(client, "q=sailing") == ["Sea Voyage"]

    def test_phrase(self, client):
        assert found(client, "q=%22quiet+afternoon%22") == ["Garden Party"]
        assert found(client, "q=%22afternoon+quiet%22") == []

    def test_exclusion(self, client):
        assert found(client, "q=dragon+-ship") == ["Fire and Ice"]
        assert "Fire and Ice" not in found(client, "q=-dragon")
        assert "Garden Party" in found(client, "q=-dragon")

    def test_prefix(self, client):
        assert sorted(found(client, "q=drag*")) == ["Fire and Ice", "Sea Voyage"]
        assert found(client, "q=gard*") == ["Garden Party"]

    def test_accents_do_not_matter(self, client):
        assert found(client, "q=cafe") == ["Café Society"]
        assert found(client, "q=CAFÉ") == ["Café Society"]

    def test_title_summary_and_author_are_searched(self, client):
        make_story("Unrelated", summary="<p>A tale of zeppelins.</p>")
        make_story("Other", authors=[make_user("Quentin Blake")])
        assert found(client, "q=zeppelin") == ["Unrelated"]
        assert found(client, "q=quentin") == ["Other"]
        assert found(client, "q=voyage") == ["Sea Voyage"]

    def test_a_title_match_ranks_above_a_passing_mention(self, client):
        make_story("Dragon Dreams", chapters=["Nothing about them here."])
        assert found(client, "q=dragon")[0] == "Dragon Dreams"

    def test_matched_passage_is_highlighted(self, client):
        page = client.get("/search/?q=mountain").content.decode()
        assert "beneath the <mark>mountain</mark> of gold" in page

    def test_a_passage_is_found_deep_in_a_long_story(self, client):
        filler = "Quiet words fill the page. " * 2_000  # 54,000 characters
        make_story("Long", chapters=[filler, filler + "At last the kumquat ripened."])
        page = client.get("/search/?q=kumquats").content.decode()
        assert "the <mark>kumquat</mark> ripened" in page

    def test_broad_matches_are_listed_most_read_first(self, client, monkeypatch):
        """Past RANKED_MATCHES, "Best match" skips scoring every match (bench/SEARCH.md)."""
        monkeypatch.setattr("fanfold.search.views.RANKED_MATCHES", 1)
        Story = type(make_story("Dragon Dreams", chapters=["Nothing about them here."]))
        Story.objects.filter(title="Sea Voyage").update(hits=50)
        assert found(client, "q=dragon") == ["Sea Voyage", "Dragon Dreams", "Fire and Ice"]
        monkeypatch.setattr("fanfold.search.views.RANKED_MATCHES", 3)
        assert found(client, "q=dragon")[0] == "Dragon Dreams"

    def test_result_count_and_empty_result(self, client):
        assertContains(client.get("/search/?q=dragon"), "2 stories found.")
        assertContains(client.get("/search/?q=unicorn"), "No stories match.")


class TestVisibility:
    def test_only_listed_stories_are_found(self, client, general):
        adult = make_rating("Adult", order=2, members_only=True)
        make_story("Shown", chapters=["secret word kumquat"])
        make_story("Draft", chapters=["kumquat"], status=Status.DRAFT)
        make_story("Waiting", chapters=["kumquat"], status=Status.PENDING)
        make_story("Hidden", chapters=["kumquat"], status=Status.HIDDEN)
        make_story("Members", chapters=["kumquat"], rating=adult)
        assert found(client, "q=kumquat") == ["Shown"]
        client.force_login(make_user())
        assert sorted(found(client, "q=kumquat")) == ["Members", "Shown"]

    def test_unpublished_chapters_are_not_searched(self, client, general):
        story = make_story("Tale", chapters=["first chapter"])
        make_chapter(story, "a draft about kumquats", status=Status.DRAFT)
        assert found(client, "q=kumquat") == []
        assert found(client, "q=first") == ["Tale"]

    def test_facets_count_only_listed_stories(self, client, general):
        fandom = make_category("Kumquat Fandom")
        make_story("Shown", categories=[fandom])
        make_story("Hidden", categories=[fandom], status=Status.HIDDEN)
        page = client.get("/search/?category=" + str(fandom.pk)).content.decode()
        assert re.search(r"Kumquat Fandom <span class=\"count\">\(1\)</span>", page)

    def test_muted_authors_are_left_out_for_the_member_who_muted(self, client, general):
        from fanfold.community.models import Mute

        muted, reader = make_user("Loud Author"), make_user("Reader")
        make_story("Loud", authors=[muted], chapters=["kumquat"])
        make_story("Quiet", chapters=["kumquat"])
        Mute.objects.create(user=reader, author=muted)
        client.force_login(reader)
        assert found(client, "q=kumquat") == ["Quiet"]
        client.force_login(make_user())
        assert sorted(found(client, "q=kumquat")) == ["Loud", "Quiet"]

    def test_muted_authors_are_left_out_of_facet_counts(self, client, general):
        from fanfold.community.models import Mute

        fandom = make_category("Kumquat Fandom")
        muted, reader = make_user("Loud Author"), make_user("Reader")
        make_story("Loud", authors=[muted], categories=[fandom])
        make_story("Quiet", categories=[fandom])
        Mute.objects.create(user=reader, author=muted)
        client.force_login(reader)
        for url in (f"/search/?category={fandom.pk}", f"/browse/categories/{fandom.pk}/"):
            page = client.get(url).content.decode()
            assert re.search(r"Kumquat Fandom <span class=\"count\">\(1\)</span>", page), url


class TestIndexFollowsChanges:
    """Every change through the archive's actions reaches the index, without reindexing."""

    @pytest.fixture
    def author(self, general):
        return make_user("Writer")

    def test_new_chapter_published_then_deleted(self, client, author):
        story = make_story("Tale", authors=[author], chapters=["opening"])
        chapter, _ = actions.create_chapter(story, author, _text("a kumquat appears"), submit=True)
        assert found(client, "q=kumquat") == ["Tale"]
        actions.delete_chapter(chapter)
        assert found(client, "q=kumquat") == []

    def test_draft_chapter_is_found_once_published(self, client, author):
        story = make_story("Tale", authors=[author], chapters=["opening"])
        chapter, _ = actions.create_chapter(story, author, _text("kumquat"), submit=False)
        assert found(client, "q=kumquat") == []
        actions.submit_chapter(chapter, author)
        assert found(client, "q=kumquat") == ["Tale"]

    def test_edited_chapter_text(self, client, author):
        story = make_story("Tale", authors=[author], chapters=["old words"])
        chapter = story.chapters.get()
        actions.update_chapter(chapter, _text("new kumquat words"), revision=chapter.revision)
        assert found(client, "q=kumquat") == ["Tale"]

    def test_title_and_summary_change(self, client, author):
        story = make_story("Tale", authors=[author])
        actions.update_story(
            story, author, {"title": "Kumquat Tale", "summary": "<p>zeppelins</p>"}, {}
        )
        assert found(client, "q=kumquat") == ["Kumquat Tale"]
        assert found(client, "q=zeppelin") == ["Kumquat Tale"]

    def test_pen_name_change(self, client, author):
        make_story("Tale", authors=[author])
        author.profile.pen_name = "Kumquat Writer"
        author.profile.save()
        assert found(client, "q=kumquat") == ["Tale"]

    def test_deleted_story_leaves_the_index(self, client, author):
        story = make_story("Kumquat Tale", authors=[author])
        story_id = story.pk
        actions.delete_story(story)
        from fanfold.search.models import SearchTerms

        assert not SearchTerms.objects.filter(story_id=story_id).exists()

    def test_hidden_then_shown_again(self, client, author):
        story = make_story("Kumquat Tale", authors=[author])
        story.status = Status.HIDDEN
        story.save(update_fields=["status"])
        assert found(client, "q=kumquat") == []
        story.status = Status.PUBLISHED
        story.save(update_fields=["status"])
        assert found(client, "q=kumquat") == ["Kumquat Tale"]

    def test_reindex_rebuilds_what_bulk_writes_missed(self, client, author):
        story = make_story("Tale", authors=[author], chapters=["old words"])
        type(story).objects.filter(pk=story.pk).update(title="Kumquat Tale")
        assert found(client, "q=kumquat") == []
        call_command("reindex", stdout=_Null(), stderr=_Null())
        assert found(client, "q=kumquat") == ["Kumquat Tale"]
        assert index.rebuild([story.pk]) == 1

    def test_a_full_rebuild_drops_documents_of_stories_gone_behind_its_back(self, author):
        from fanfold.search.backends import Document
        from fanfold.search.models import SearchTerms

        kept = make_story("Kept", authors=[author])
        gone = kept.pk + 1000  # deleted without signals: its document stayed
        index.backend().write([Document(gone, "Gone", "", "", "", "kumquat")])
        assert SearchTerms.objects.filter(story_id=gone).exists()
        index.rebuild()
        assert set(SearchTerms.objects.values_list("story_id", flat=True)) == {kept.pk}


def _text(body: str) -> actions.ChapterText:
    from fanfold.lib.markup import html_to_text, plain_to_html, sanitize, word_count

    html = sanitize(plain_to_html(body))
    return actions.ChapterText("", "", html, html_to_text(html), word_count(body), "")


class _Null:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass


class TestFilters:
    @pytest.fixture
    def archive(self, general):
        adult = make_rating("Mature", order=2)
        parent = make_category("Parent Fandom")
        child = make_category("Child Fandom", parent=parent)
        other = make_category("Other Fandom")
        harry, draco = make_character("Harry"), make_character("Draco")
        angst, fluff = make_classification("Angst"), make_classification("Fluff")
        author = make_user("Filter Author")
        old = timezone.now() - datetime.timedelta(days=400)
        make_story(
            "One",
            categories=[parent],
            characters=[harry, draco],
            classifications=[angst],
            chapters=["one two three"],
            completed=True,
            authors=[author],
        )
        make_story(
            "Two",
            categories=[child],
            characters=[harry],
            classifications=[fluff],
            chapters=["a", "b", "c"],
            rating=adult,
            updated_at=old,
            language="fr",
        )
        make_story("Three", categories=[other], characters=[draco], chapters=["x " * 50])
        return locals()

    def test_category_includes_its_subcategories(self, client, archive):
        assert sorted(found(client, f"category={archive['parent'].pk}")) == ["One", "Two"]
        assert found(client, f"category={archive['child'].pk}") == ["Two"]
        assert found(client, f"not_category={archive['parent'].pk}") == ["Three"]

    def test_characters_all_included_any_excluded(self, client, archive):
        harry, draco = archive["harry"].pk, archive["draco"].pk
        assert found(client, f"character={harry}&character={draco}") == ["One"]
        assert found(client, f"character={harry}&not_character={draco}") == ["Two"]

    def test_classifications_and_ratings(self, client, archive):
        assert found(client, f"classification={archive['angst'].pk}") == ["One"]
        assert sorted(found(client, f"not_classification={archive['angst'].pk}")) == [
            "Three",
            "Two",
        ]
        assert found(client, f"rating={archive['adult'].pk}") == ["Two"]
        assert sorted(found(client, f"not_rating={archive['adult'].pk}")) == ["One", "Three"]
        both = f"rating={archive['adult'].pk}&rating={archive['general'].pk}"
        assert len(found(client, both)) == 3

    def test_completion_ranges_dates_language_author(self, client, archive):
        assert found(client, "complete=yes") == ["One"]
        assert "One" not in found(client, "complete=no")
        assert found(client, "words_min=10") == ["Three"]
        assert sorted(found(client, "words_max=3")) == ["One", "Two"]
        assert found(client, "chapters_min=2&chapters_max=3") == ["Two"]
        cutoff = (timezone.now() - datetime.timedelta(days=30)).date().isoformat()
        assert found(client, f"updated_before={cutoff}") == ["Two"]
        assert "Two" not in found(client, f"updated_after={cutoff}")
        assert found(client, "language=FR") == ["Two"]
        assert found(client, "author=filter+author") == ["One"]
        assert found(client, "author=nobody+at+all") == []

    def test_filters_combine_with_text(self, client, archive):
        assert found(client, f"q=one&category={archive['parent'].pk}&complete=yes") == ["One"]
        assert found(client, f"q=one&not_character={archive['harry'].pk}") == []

    def test_facet_counts_in_the_sidebar(self, client, archive):
        page = client.get(f"/search/?character={archive['harry'].pk}").content.decode()
        assert re.search(r"Harry <span class=\"count\">\(2\)</span>", page)
        assert re.search(r"Draco <span class=\"count\">\(1\)</span>", page)
        assert re.search(r"Child Fandom <span class=\"count\">\(1\)</span>", page)
        assert "Other Fandom" not in page
        assert re.search(r'name="character" value="\d+" checked', page)

    def test_an_excluded_value_stays_in_the_sidebar_to_take_back(self, client, archive):
        page = client.get(f"/search/?not_character={archive['harry'].pk}").content.decode()
        assert f'name="not_character" value="{archive["harry"].pk}" checked' in page


class TestSortsAndPages:
    def test_every_sort_orders_and_ties_break_by_id(self, client, general, settings):
        settings.STORIES_PER_PAGE = 2
        stories = [make_story(f"Story {n}", chapters=["kumquat words"]) for n in range(5)]
        for sort in ["relevance", "updated", "published", "words", "chapters", "reviews",
                     "favorites", "likes", "hits", "title"]:  # fmt: skip
            pages = [found(client, f"q=kumquat&sort={sort}&page={n}") for n in (1, 2, 3)]
            seen = [title for page in pages for title in page]
            assert sorted(seen) == sorted(s.title for s in stories), sort

    def test_page_past_the_end_links_to_the_last_page(self, client, general):
        make_story("Only")
        response = client.get("/search/?q=only&page=99")
        assert response.status_code == 404
        assertContains(response, "page=1", status_code=404)


class TestListingsSidebar:
    def test_category_listing_counts_and_links_to_search(self, client, general):
        fandom = make_category("Kumquat Fandom")
        harry = make_character("Harry")
        make_story("One", categories=[fandom], characters=[harry])
        make_story("Two", categories=[fandom])
        page = client.get(f"/browse/categories/{fandom.pk}/").content.decode()
        assert re.search(r"Harry <span class=\"count\">\(1\)</span>", page)
        assert f'<input type="hidden" name="category" value="{fandom.pk}">' in page
        assert 'action="/search/"' in page

    def test_author_listing_sidebar_keeps_the_author(self, client, general):
        author = make_user("Sidebar Author")
        make_story("One", authors=[author])
        page = client.get("/authors/Sidebar%20Author/").content.decode()
        assert '<input type="hidden" name="author" value="Sidebar Author">' in page


class TestFacetCache:
    """Counts are kept across pages and sorts of one result, and renewed by any change."""

    @pytest.fixture
    def fandom(self, general):
        fandom = make_category("Kumquat Fandom")
        for n in range(3):
            make_story(f"Kumquat {n}", categories=[fandom], chapters=["kumquat"])
        return fandom

    @staticmethod
    def count_of(client, url: str) -> str:
        page = client.get(url).content.decode()
        return re.search(r'Kumquat Fandom <span class="count">\((\d+)\)', page).group(1)

    def test_another_page_or_sort_reuses_them(
        self, client, fandom, settings, django_assert_num_queries
    ):
        settings.STORIES_PER_PAGE = 2
        with django_assert_num_queries(5):
            client.get("/search/?q=kumquat&sort=updated")
        # page, authors, categories, passages: no facet query
        with django_assert_num_queries(4):
            assert self.count_of(client, "/search/?q=kumquat&sort=title&page=2") == "3"

    def test_a_new_story_renews_them(self, client, fandom):
        assert self.count_of(client, f"/search/?category={fandom.pk}") == "3"
        make_story("Kumquat 4", categories=[fandom])
        assert self.count_of(client, f"/search/?category={fandom.pk}") == "4"

    def test_a_mute_renews_the_members_counts_only(self, client, fandom):
        muted = make_user("Loud Author")
        make_story("Loud", authors=[muted], categories=[fandom])
        reader, other = make_user("Reader"), make_user("Other Reader")

        def seen_by(member) -> str:
            client.force_login(member)
            return self.count_of(client, f"/browse/categories/{fandom.pk}/")

        assert [seen_by(reader), seen_by(other)] == ["4", "4"]
        relations.mute(reader, muted)
        assert [seen_by(reader), seen_by(other)] == ["3", "4"]
        relations.unmute(reader, muted)
        assert seen_by(reader) == "4"

    def test_off_at_zero(self, client, fandom, settings, django_assert_num_queries):
        settings.FACET_CACHE_SECONDS = 0
        client.get("/search/?q=kumquat&sort=updated")
        with django_assert_num_queries(5):
            client.get("/search/?q=kumquat&sort=title")


class TestQueryCounts:
    def test_search_page_costs_the_same_whatever_the_results(
        self, client, general, settings, django_assert_num_queries
    ):
        settings.FACET_CACHE_SECONDS = 0
        fandom = make_category()
        for n in range(3):
            make_story(
                f"Kumquat {n}",
                categories=[fandom],
                characters=[make_character()],
                classifications=[make_classification()],
                authors=[make_user(), make_user()],
            )
        # facets with the count, ids by relevance, page, authors, categories, passages
        with django_assert_num_queries(6):
            client.get("/search/?q=kumquat")
        for n in range(3, 10):
            make_story(f"Kumquat {n}", categories=[make_category()], characters=[make_character()])
        with django_assert_num_queries(6):
            client.get("/search/?q=kumquat")
        with django_assert_num_queries(5):  # no ids first in any other order
            client.get("/search/?q=kumquat&sort=title")

    def test_listing_with_sidebar(self, client, general, django_assert_num_queries):
        fandom = make_category()
        for n in range(4):
            make_story(f"Story {n}", categories=[fandom], characters=[make_character()])
        # category tree, facets with the count, page, authors, categories
        with django_assert_num_queries(5):
            client.get(f"/browse/categories/{fandom.pk}/")


class TestHostile:
    def test_hostile_text_in_stories_and_queries_runs_nowhere(self, client, general):
        for n, text in enumerate(HOSTILE):
            # Summaries are stored sanitized (the story form does it); titles and text as typed.
            make_story(f"Hostile {n} {text}", summary=sanitize(text), chapters=[f"kumquat {text}"])
        for text in [*HOSTILE, "kumquat"]:
            response = client.get("/search/", {"q": text, "author": text, "language": text[:20]})
            assert response.status_code == 200
            assert executable_parts(response.content.decode()) == []
        page = client.get("/search/", {"q": "kumquat alert"}).content.decode()
        assert "<mark>" in page and executable_parts(page) == []


PARAMS = ["q", "category", "not_category", "character", "not_character", "classification",
          "not_classification", "rating", "not_rating", "complete", "words_min", "words_max",
          "chapters_min", "chapters_max", "updated_after", "updated_before", "language",
          "author", "sort", "page"]  # fmt: skip
NASTY = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            '"',
            "(",
            ")",
            "*",
            "-",
            "^",
            ":",
            "AND",
            "OR NOT",
            "NEAR(a b)",
            "'; DROP TABLE x;--",
            "-1",
            "0",
            "1e9",
            "99999999999999999999999",
            "9999-12-31",
            "0000-00-00",
            "1.5",
            "\x00",
            "%",
            "\\",
            "a" * 10_000,
            '"' * 3 + "x* -y",
        ]  # fmt: skip
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


@hypothesis_settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)
@given(params=st.dictionaries(st.sampled_from(PARAMS), st.lists(NASTY, max_size=3), max_size=5))
def test_hostile_parameters_give_a_page_never_an_error(client, hostile_archive, params):
    """Whatever the URL holds: a results page (or the past-the-end 404), never a 500."""
    response = client.get("/search/", params)
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert executable_parts(response.content.decode()) == []


@pytest.fixture
def hostile_archive(general, settings):
    settings.PAGE_CACHE_SECONDS = 0
    fandom = make_category("Fandom")
    make_story('Quoted "AND" (NEAR) -title*', categories=[fandom], chapters=["x AND y"])
    make_story("Plain", chapters=["dragon tale"])


def test_postgresql_plans_text_matches_through_the_index():
    """Migration 0002: the match function costs enough that the planner reads the GIN
    index instead of detoasting every story's tsvector (bench/SEARCH.md)."""
    from django.db import connection

    from fanfold.search.backends import MATCH_COST

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT procost FROM pg_proc WHERE proname = 'ts_match_vq'")
        assert cursor.fetchone()[0] == MATCH_COST


def test_postgresql_counts_from_a_covering_index():
    """Migration archive.0006: every column the counted stories are filtered and grouped
    on is in one narrow index, so PostgreSQL can count without reading the wide stories."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's indexes only")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'archive_story_listing_cover'"
        )
        (definition,) = cursor.fetchone()
    key, included = re.search(r"\((\w+)\) INCLUDE \(([^)]*)\)", definition).groups()
    assert key == "status"
    assert set(included.split(", ")) == {
        "id", "chapter_count", "rating_id", "completed", "language", "word_count",
        "updated_at", "published_at",
    }  # fmt: skip
