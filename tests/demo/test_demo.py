"""`fanfold demo`: a generated archive that is the same every time for the same seed."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from fanfold.accounts.models import Profile, User
from fanfold.archive.models import (
    Category,
    Chapter,
    Character,
    Classification,
    Rating,
    Series,
    SeriesItem,
    Status,
    Story,
)
from fanfold.community.models import Favorite, Review
from fanfold.demo.generator import EPOCH
from fanfold.lib.markup import html_to_text, word_count
from tests.factories import make_story

pytestmark = pytest.mark.django_db

STORIES = 15


def run_demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def demo() -> str:
    return run_demo("--stories", str(STORIES), "--seed", "7", "--processes", "1")


def snapshot(*args: str) -> dict:
    """Run the demo into a clean archive, note what it wrote, and roll it all back."""
    with transaction.atomic():
        run_demo(*args)
        chapters = Chapter.objects.order_by("story_id", "position")
        state = {
            "titles": list(Story.objects.order_by("pk").values_list("title", flat=True)),
            "pen names": list(Profile.objects.order_by("pk").values_list("pen_name", flat=True)),
            "first chapter": chapters.values_list("title", "body", "body_text", "notes").first(),
            "bodies": list(chapters.values_list("body", flat=True)),
            "reviews": list(Review.objects.order_by("pk").values_list("text", "created_at")),
        }
        transaction.set_rollback(True)
    return state


def counts() -> dict:
    """Every denormalized count in the archive."""
    return {
        "stories": list(
            Story.objects.order_by("pk").values_list(
                "word_count", "chapter_count", "review_count", "favorite_count"
            )
        ),
        "chapters": list(Chapter.objects.order_by("pk").values_list("review_count")),
        "series": list(
            Series.objects.order_by("pk").values_list(
                "story_count", "review_count", "favorite_count"
            )
        ),
        **{
            model.__name__: list(model.objects.order_by("pk").values_list("story_count"))
            for model in (Category, Character, Classification, Rating, Profile)
        },
    }


class TestDeterminism:
    def test_the_same_seed_writes_the_same_archive(self):
        first = snapshot("--stories", "8", "--seed", "3", "--processes", "1")
        second = snapshot("--stories", "8", "--seed", "3", "--processes", "1")
        assert Story.objects.count() == 0  # both runs were rolled back
        assert first == second
        assert len(first["titles"]) == 8

    def test_worker_processes_write_the_same_archive(self):
        alone = snapshot("--stories", "8", "--seed", "3", "--processes", "1")
        in_parallel = snapshot("--stories", "8", "--seed", "3", "--processes", "2")
        assert alone == in_parallel

    def test_another_seed_writes_another_archive(self):
        first = snapshot("--stories", "8", "--seed", "3", "--processes", "1")
        other = snapshot("--stories", "8", "--seed", "4", "--processes", "1")
        assert first["titles"] != other["titles"]
        assert first["first chapter"] != other["first chapter"]


class TestArchive:
    def test_stories_have_chapters_numbered_from_one(self, demo):
        assert Story.objects.count() == STORIES
        for story in Story.objects.prefetch_related("chapters"):
            positions = [chapter.position for chapter in story.chapters.all()]
            assert positions == list(range(1, len(positions) + 1))
            assert 1 <= len(positions) <= 12

    def test_published_stories_and_drafts(self, demo):
        published = Story.objects.filter(status=Status.PUBLISHED)
        drafts = Story.objects.filter(status=Status.DRAFT)
        assert published.count() > drafts.count() >= 1
        assert not Chapter.objects.filter(story__in=drafts, status=Status.PUBLISHED).exists()
        assert published.filter(completed=True).exists()
        assert published.filter(featured=True).exists()
        for story in published:
            assert story.chapter_count >= 1
            assert story.published_at <= story.updated_at < EPOCH

    def test_counts_are_what_recount_computes(self, demo):
        written = counts()
        call_command("recount", stdout=StringIO(), stderr=StringIO())
        assert counts() == written
        for story in Story.objects.prefetch_related("chapters"):
            published = [c for c in story.chapters.all() if c.status == Status.PUBLISHED]
            assert story.chapter_count == len(published)
            assert story.word_count == sum(chapter.word_count for chapter in published)

    def test_chapters_are_about_a_thousand_words_of_derived_text(self, demo):
        chapters = list(Chapter.objects.all())
        assert 700 < sum(c.word_count for c in chapters) / len(chapters) < 1300
        for chapter in chapters:
            assert chapter.body.startswith(("<p>", "<h3>"))
            assert chapter.body_text == html_to_text(chapter.body)
            assert chapter.word_count == word_count(chapter.body_text)
        assert sum(bool(c.notes) for c in chapters) > len(chapters) / 3
        assert sum(bool(c.end_notes) for c in chapters) > len(chapters) / 5

    def test_text_has_the_typography_of_real_fiction(self, demo):
        bodies = "".join(Chapter.objects.values_list("body", flat=True))
        text = "".join(Chapter.objects.values_list("body_text", flat=True))
        for mark in ("“", "”", '"', "’", "’til", "don’t", "…", "—"):
            assert mark in text, mark
        assert "<em>" in bodies
        assert "<h3>Part One: The " in bodies
        assert any(name in text for name in ("Zoë", "Søren", "Björn", "Łucja", "美咲"))

    def test_members_have_pen_names_from_many_scripts(self, demo):
        pen_names = set(Profile.objects.values_list("pen_name", flat=True))
        assert {"Demo Author", "Zoë Lindqvist", "Søren", "Ana Lucía"} <= pen_names
        assert any(any("\u0370" <= ch <= "\u04ff" for ch in name) for name in pen_names)

    def test_one_member_can_sign_in(self, demo):
        assert "demo-password" in demo
        assert User.objects.get(username="demo").check_password("demo-password")
        others = User.objects.exclude(username="demo")
        assert not any(user.has_usable_password() for user in others)

    def test_taxonomy(self, demo):
        assert Category.objects.filter(parent__isnull=False).exists()
        assert Character.objects.filter(categories__isnull=False).exists()
        mature = Rating.objects.get(name="M")
        adult = Rating.objects.get(name="MA")
        assert mature.shows_warning and mature.warning_text
        assert adult.needs_consent and adult.warning_text
        assert set(Classification.objects.values_list("type__name", flat=True)) == {
            "Genre",
            "Warning",
            "Pairing",
        }

    def test_series_hold_stories_in_order(self, demo):
        assert Series.objects.exists()
        for series in Series.objects.all():
            items = list(SeriesItem.objects.filter(series=series, story__isnull=False))
            assert [item.position for item in items] == list(range(1, len(items) + 1))
            dates = [item.story.published_at for item in items]
            assert dates == sorted(dates)

    def test_reviews_and_favorites(self, demo):
        reviews = Review.objects.all()
        assert reviews.filter(reviewer__isnull=True).exclude(reviewer_name="").exists()
        assert reviews.exclude(response="").exists()
        assert reviews.filter(rating__isnull=False).exists()
        assert reviews.filter(chapter__isnull=False).exists()
        for review in reviews.filter(chapter__isnull=False):
            assert review.chapter.story_id == review.story_id
        favorites = Favorite.objects.all()
        assert favorites.filter(story__isnull=False).exists()
        assert favorites.filter(author__isnull=False).exists()
        assert favorites.exclude(comment="").exists()


class TestIfEmpty:
    def test_leaves_an_existing_archive_alone(self):
        story = make_story("Already Here")
        output = run_demo("--if-empty", "--stories", "5")
        assert "already has stories" in output
        assert list(Story.objects.all()) == [story]

    def test_fills_an_empty_archive(self):
        output = run_demo("--if-empty", "--stories", "5", "--processes", "1")
        assert Story.objects.count() == 5
        assert "Created" in output
