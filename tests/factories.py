"""Plain factory functions for tests: make_story(**kw) and friends."""

import itertools

from django.utils import timezone

from fanfold.accounts.models import Profile, User
from fanfold.archive import counts
from fanfold.archive.models import (
    Category,
    Chapter,
    Character,
    Classification,
    ClassificationType,
    Rating,
    Series,
    SeriesItem,
    Status,
    Story,
    StoryAuthor,
)
from fanfold.community import counts as community_counts
from fanfold.community.models import Favorite, Review
from fanfold.lib.markup import html_to_text, plain_to_html, sanitize, word_count

_seq = itertools.count(1)


def make_user(pen_name: str | None = None, **kw) -> User:
    pen_name = pen_name or f"Member {next(_seq)}"
    user = User.objects.create_user(
        username=kw.pop("username", f"user{next(_seq)}"),
        email=kw.pop("email", ""),
        password=kw.pop("password", "correct horse battery"),
        **kw,
    )
    Profile.objects.create(user=user, pen_name=pen_name)
    return user


def make_rating(name: str = "General", **kw) -> Rating:
    return Rating.objects.create(name=name, **kw)


def make_category(name: str | None = None, **kw) -> Category:
    return Category.objects.create(name=name or f"Fandom {next(_seq)}", **kw)


def make_character(name: str | None = None, categories=(), **kw) -> Character:
    character = Character.objects.create(name=name or f"Character {next(_seq)}", **kw)
    character.categories.set(categories)
    return character


def make_classification(name: str | None = None, type_name: str = "Genre") -> Classification:
    kind, _ = ClassificationType.objects.get_or_create(name=type_name)
    return Classification.objects.create(type=kind, name=name or f"Label {next(_seq)}")


def make_chapter(story: Story, text: str = "Some words here.", **kw) -> Chapter:
    position = kw.pop("position", None) or story.chapters.count() + 1
    body = sanitize(plain_to_html(text))
    chapter = Chapter.objects.create(
        story=story,
        position=position,
        body=body,
        body_text=html_to_text(body),
        word_count=word_count(html_to_text(body)),
        status=kw.pop("status", Status.PUBLISHED),
        published_at=timezone.now(),
        **kw,
    )
    return chapter


def bulk_stories(authors: list[User], rating: Rating) -> list[Story]:
    """One published story per item of `authors`, inserted in bulk, for tests of long lists
    (no chapters and no counts: lists need neither)."""
    stories = []
    for i in range(len(authors)):
        story = Story(title=f"Tale {i}", rating=rating, status=Status.PUBLISHED, chapter_count=1)
        story.derive_title_fields()
        stories.append(story)
    stories = Story.objects.bulk_create(stories)
    StoryAuthor.objects.bulk_create(
        StoryAuthor(story=story, user=user, is_owner=True, position=0)
        for story, user in zip(stories, authors, strict=True)
    )
    return stories


def make_story(
    title: str = "A Story",
    *,
    authors=None,
    chapters: int | list[str] = 1,
    rating: Rating | None = None,
    categories=(),
    characters=(),
    classifications=(),
    **kw,
) -> Story:
    authors = authors or [make_user()]
    story = Story.objects.create(
        title=title,
        rating=rating or Rating.objects.first() or make_rating(),
        status=kw.pop("status", Status.PUBLISHED),
        published_at=kw.pop("published_at", timezone.now()),
        **kw,
    )
    for position, author in enumerate(authors):
        StoryAuthor.objects.create(
            story=story, user=author, is_owner=position == 0, position=position
        )
    story.categories.set(categories)
    story.characters.set(characters)
    story.classifications.set(classifications)
    texts = (
        chapters
        if isinstance(chapters, list)
        else [
            f"Chapter {n} begins. It was a dark and stormy night." for n in range(1, chapters + 1)
        ]
    )
    for text in texts:
        make_chapter(story, text)
    recount(story)
    return story


def make_review(story: Story, text: str = "Lovely!", *, chapter=None, reviewer=None, **kw):
    review = Review.objects.create(
        story=story, chapter=chapter, reviewer=reviewer, text=sanitize(text), **kw
    )
    community_counts.refresh_stories([story.pk])
    return review


def make_favorite(user, **target) -> Favorite:
    favorite = Favorite.objects.create(user=user, **target)
    if "story" in target:
        community_counts.refresh_stories([target["story"].pk])
    return favorite


def make_series(owner, title: str = "A Series", stories=(), **kw) -> Series:
    series = Series.objects.create(owner=owner, title=title, **kw)
    for position, story in enumerate(stories, start=1):
        SeriesItem.objects.create(series=series, story=story, position=position)
    counts.refresh_taxonomy()
    return series


def recount(story: Story) -> None:
    """Refresh derived counts the way the app does and reload the story."""
    counts.refresh_stories([story.pk])
    community_counts.refresh_stories([story.pk])
    counts.refresh_taxonomy()
    story.refresh_from_db()
