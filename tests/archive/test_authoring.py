"""Authoring: My stories, the story form, chapters, drafts, preview and publishing."""

import re

import pytest
from django.utils.html import escape

from fanfold.archive.models import (
    Category,
    Chapter,
    CoauthorInvite,
    SeriesItem,
    Status,
    Story,
)
from fanfold.core.models import ArchiveSettings
from fanfold.lib.markup import convert
from tests.archive.authoring_support import chapter_data, people_fixture, story_data  # noqa: F401
from tests.factories import (
    make_category,
    make_chapter,
    make_character,
    make_classification,
    make_series,
    make_story,
    make_user,
)

pytestmark = pytest.mark.django_db


def new_story(client, **overrides) -> Story:
    response = client.post("/my/stories/new/", story_data(**overrides))
    assert response.status_code == 302, response.content.decode()
    return Story.objects.get(title=overrides.get("title", "The Long Road Home"))


def add_chapter(client, story, **overrides) -> Chapter:
    response = client.post(f"/my/stories/{story.pk}/chapters/new/", chapter_data(**overrides))
    assert response.status_code == 302, response.content.decode()
    return story.chapters.order_by("-pk").first()


def validation(on: bool) -> None:
    settings = ArchiveSettings.current()
    settings.validate_submissions = on
    settings.save()


class TestMyStories:
    def test_lists_own_and_coauthored_stories_with_status_chapters_and_words(self, client, people):
        own = make_story("Finished Tale", authors=[people.author], chapters=2)
        make_chapter(own, "one two three four", status=Status.DRAFT)
        make_story("Not Mine", authors=[people.other])
        client.force_login(people.coauthor)

        page = client.get("/my/stories/").content.decode()

        assert "Work in Progress" in page
        assert "Finished Tale" not in page and "Not Mine" not in page
        client.force_login(people.author)
        page = client.get("/my/stories/").content.decode()
        assert "Finished Tale" in page and "Work in Progress" in page
        assert "Not Mine" not in page
        row = page[page.index("Finished Tale") :]
        row = row[: row.index("</tr>")]
        assert "Published" in row
        assert "3 (2 published)" in row  # chapters, drafts included
        words = sum(c.word_count for c in own.chapters.all())
        assert f"<td>{words}</td>" in row
        for link in ("edit/", "chapters/new/", "preview/", "delete/"):
            assert f'href="/my/stories/{own.pk}/{link}"' in row
        assert f'action="/my/stories/{own.pk}/publish/"' in row

    def test_coauthor_sees_no_delete_link(self, client, people):
        client.force_login(people.coauthor)
        page = client.get("/my/stories/").content.decode()
        assert f"/my/stories/{people.story.pk}/edit/" in page
        assert f"/my/stories/{people.story.pk}/delete/" not in page

    def test_query_count_does_not_grow_with_stories(
        self, client, people, django_assert_max_num_queries
    ):
        client.force_login(people.author)
        with django_assert_max_num_queries(8):
            client.get("/my/stories/")
        for n in range(20):
            story = make_story(f"Story {n}", authors=[people.author, people.coauthor], chapters=2)
            make_chapter(story, "a draft", status=Status.DRAFT)
        with django_assert_max_num_queries(8):
            page = client.get("/my/stories/").content.decode()
        assert "Story 19" in page

    def test_new_story_link_and_empty_state(self, client, people):
        client.force_login(people.other)
        page = client.get("/my/stories/").content.decode()
        assert 'href="/my/stories/new/">New story</a>' in page
        assert "You have no stories yet." in page


class TestStoryForm:
    def test_has_every_field_with_its_label(self, client, people):
        make_classification("Angst", type_name="Genre")
        make_classification("Violence", type_name="Warnings")
        client.force_login(people.author)
        page = client.get("/my/stories/new/").content.decode()
        for name, label in [
            ("title", "Title"),
            ("summary", "Summary"),
            ("notes", "Story notes"),
            ("rating", "Rating"),
            ("categories", "Categories"),
            ("characters", "Characters"),
            ("series", "Series"),
            ("language", "Language"),
            ("coauthors", "Co-authors"),
            ("completed", "Completed"),
        ]:
            assert f'<label for="id_{name}">{label}</label>' in page, label
        assert ">Genre</label>" in page and ">Warnings</label>" in page
        assert 'name="submission_key"' in page
        assert 'name="csrfmiddlewaretoken"' in page

    def test_creates_a_draft_with_everything_chosen(self, client, people):
        fandom = make_category("Sunnydale")
        willow = make_character("Willow", categories=[fandom])
        narrator = make_character("The Narrator")  # in no category: fits any story
        angst = make_classification("Angst", type_name="Genre")
        series = make_series(people.author, "Cycle", stories=[make_story(authors=[people.author])])
        client.force_login(people.author)

        response = client.post(
            "/my/stories/new/",
            story_data(
                categories=[fandom.pk],
                characters=[willow.pk, narrator.pk],
                **{f"classifications_{angst.type_id}": [angst.pk]},
                series=series.pk,
                language="de",
                completed="on",
                notes="Thanks to my beta.",
            ),
        )

        story = Story.objects.get(title="The Long Road Home")
        assert response["Location"] == f"/my/stories/{story.pk}/chapters/new/"
        assert story.status == Status.DRAFT
        assert story.authorships.get().user == people.author
        assert story.authorships.get().is_owner
        assert story.summary == "<p>A summary.</p>"
        assert story.notes == "<p>Thanks to my beta.</p>"
        assert list(story.categories.all()) == [fandom]
        assert set(story.characters.all()) == {willow, narrator}
        assert list(story.classifications.all()) == [angst]
        assert story.language == "de" and story.completed
        assert SeriesItem.objects.get(series=series, story=story).position == 2

    def test_empty_title_is_an_error_on_the_same_form_with_everything_kept(self, client, people):
        client.force_login(people.author)
        response = client.post(
            "/my/stories/new/", story_data(title="   ", summary="My “long” summary…")
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert "Give your story a title." in page
        assert "My “long” summary…</textarea>" in page
        assert not Story.objects.filter(title="").exists()

    def test_locked_categories_are_for_moderators(self, client, people):
        locked = make_category("Closed Fandom", locked=True)
        open_ = make_category("Open Fandom")
        client.force_login(people.author)
        page = client.get("/my/stories/new/").content.decode()
        assert "Open Fandom" in page and "Closed Fandom" not in page
        response = client.post("/my/stories/new/", story_data(categories=[locked.pk]))
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()

        client.force_login(people.moderator)
        assert "Closed Fandom (locked)" in client.get("/my/stories/new/").content.decode()
        story = new_story(client, categories=[locked.pk, open_.pk])
        assert set(story.categories.all()) == {locked, open_}

    def test_a_story_already_in_a_locked_category_keeps_it(self, client, people):
        locked = make_category("Closed Fandom", locked=True)
        people.story.categories.add(locked)
        client.force_login(people.author)
        response = client.post(
            f"/my/stories/{people.story.pk}/edit/",
            story_data(title="Work in Progress", categories=[locked.pk]),
        )
        assert response.status_code == 302
        assert list(people.story.categories.all()) == [locked]

    def test_characters_must_belong_to_a_chosen_category(self, client, people):
        sunnydale, hogwarts = make_category("Sunnydale"), make_category("Hogwarts")
        willow = make_character("Willow", categories=[sunnydale])
        client.force_login(people.author)
        page = client.get("/my/stories/new/").content.decode()
        assert f'data-categories="{sunnydale.pk}"' in page

        response = client.post(
            "/my/stories/new/", story_data(categories=[hogwarts.pk], characters=[willow.pk])
        )
        assert response.status_code == 200
        assert "Not in any of the chosen categories: Willow." in response.content.decode()
        story = new_story(client, categories=[sunnydale.pk], characters=[willow.pk])
        assert list(story.characters.all()) == [willow]

    def test_coauthors_are_invited_and_unknown_pen_names_are_an_error(self, client, people):
        client.force_login(people.author)
        response = client.post(
            "/my/stories/new/", story_data(coauthors="Someone Else, Nobody Known")
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert "No member has the pen name “Nobody Known”." in page
        assert 'value="Someone Else, Nobody Known"' in page

        story = new_story(client, coauthors="someone else")
        invite = CoauthorInvite.objects.get(story=story)
        assert invite.user == people.other and invite.invited_by == people.author
        assert list(story.authors.all()) == [people.author]  # until they accept

    def test_series_offers_own_and_open_series_only(self, client, people):
        own = make_series(people.author, "My Cycle")
        open_ = make_series(people.other, "Open Anthology", is_open=True)
        closed = make_series(people.other, "Private Saga")
        client.force_login(people.author)
        page = client.get("/my/stories/new/").content.decode()
        assert "My Cycle" in page and "Open Anthology" in page
        assert "Private Saga" not in page
        response = client.post("/my/stories/new/", story_data(series=closed.pk))
        assert "Select a valid choice" in response.content.decode()
        story = new_story(client, series=open_.pk)
        assert SeriesItem.objects.get(story=story).series == open_
        assert own.items.count() == 0

    def test_edit_changes_the_story_and_keeps_its_html(self, client, people):
        fandom = make_category("Sunnydale")
        client.force_login(people.coauthor)
        page = client.get(f"/my/stories/{people.story.pk}/edit/").content.decode()
        assert 'value="Work in Progress"' in page
        assert 'name="coauthors"' not in page  # inviting is the owner's decision

        response = client.post(
            f"/my/stories/{people.story.pk}/edit/",
            story_data(
                title="A Better Title",
                summary="<p>Now <em>with</em> emphasis</p>",
                summary_format="rich",
                categories=[fandom.pk],
            ),
        )

        assert response["Location"] == f"/my/stories/{people.story.pk}/"
        story = Story.objects.get(pk=people.story.pk)
        assert story.title == "A Better Title"
        assert story.slug == "a-better-title"
        assert story.summary == "<p>Now <em>with</em> emphasis</p>"
        assert list(story.categories.all()) == [fandom]

    def test_an_imported_language_code_survives_an_edit(self, client, people):
        Story.objects.filter(pk=people.story.pk).update(language="tlh")
        client.force_login(people.author)
        page = client.get(f"/my/stories/{people.story.pk}/edit/").content.decode()
        assert '<option value="tlh" selected>tlh</option>' in page
        response = client.post(
            f"/my/stories/{people.story.pk}/edit/", story_data(title="Qapla", language="tlh")
        )
        assert response.status_code == 302
        assert Story.objects.get(pk=people.story.pk).language == "tlh"

    def test_delete_asks_first_then_removes_chapters_and_counts(self, client, people):
        fandom = make_category("Sunnydale")
        story = make_story("Doomed", authors=[people.author], chapters=3, categories=[fandom])
        assert Category.objects.get(pk=fandom.pk).story_count == 1
        client.force_login(people.author)

        page = client.get(f"/my/stories/{story.pk}/delete/").content.decode()
        assert "Delete “Doomed”?" in page and "all 3 of its chapters" in page
        assert Story.objects.filter(pk=story.pk).exists()

        response = client.post(f"/my/stories/{story.pk}/delete/")
        assert response["Location"] == "/my/stories/"
        assert not Story.objects.filter(pk=story.pk).exists()
        assert not Chapter.objects.filter(story_id=story.pk).exists()
        assert Category.objects.get(pk=fandom.pk).story_count == 0
        assert client.get(f"/stories/{story.pk}/chapters/1/").status_code == 404


class TestChapters:
    def test_form_labels_and_formats(self, client, people):
        client.force_login(people.author)
        page = client.get(f"/my/stories/{people.story.pk}/chapters/new/").content.decode()
        for name, label in [
            ("title", "Chapter title"),
            ("notes", "Notes"),
            ("body", "Chapter text"),
            ("end_notes", "End notes"),
            ("body_file", "Or upload a file (.txt, .html, .docx)"),
        ]:
            assert f'<label for="id_{name}">{label}</label>' in page, label
        for name in ("notes", "body", "end_notes"):
            select = re.search(rf'<select name="{name}_format".*?</select>', page, re.S).group()
            for option in ("Rich text", "HTML", "Markdown", "Plain text"):
                assert f">{option}</option>" in select
            assert f'data-format-field="id_{name}_format"' in page
        assert 'enctype="multipart/form-data"' in page
        assert ">Save draft</button>" in page and ">Post</button>" in page

    def test_save_draft_then_preview(self, client, people):
        client.force_login(people.author)
        response = client.post(
            f"/my/stories/{people.story.pk}/chapters/new/",
            chapter_data(body="One two three.\n\nFour five.", word_count="9999"),
        )
        chapter = people.story.chapters.get(position=2)
        assert response["Location"] == f"/my/chapters/{chapter.pk}/preview/"
        assert chapter.status == Status.DRAFT
        assert chapter.word_count == 5  # counted by the server
        assert chapter.body == "<p>One two three.</p>\n<p>Four five.</p>"

        page = client.get(response["Location"]).content.decode()
        assert "Preview — not yet published." in page
        assert "<p>One two three.</p>" in page
        assert "Saved as a draft" in page
        assert client.get(f"/stories/{people.story.pk}/chapters/2/").status_code == 404

    def test_posting_publishes_the_chapter_and_the_story(self, client, people):
        validation(False)
        client.force_login(people.author)
        chapter = add_chapter(
            client, people.story, action="post", body="Seven words are in this chapter text."
        )
        story = Story.objects.get(pk=people.story.pk)

        assert chapter.status == Status.PUBLISHED and chapter.published_at
        assert story.status == Status.PUBLISHED and story.published_at
        assert story.chapter_count == 1 and story.word_count == 7
        client.logout()
        page = client.get(f"/stories/{story.pk}/chapters/2/").content.decode()
        assert "Seven words are in this chapter text." in page
        assert client.get(f"/stories/{story.pk}/chapters/1/").status_code == 404  # a draft
        assert "A draft chapter" not in client.get(story.get_absolute_url()).content.decode()

    def test_edit_replaces_the_text_and_counts(self, client, people):
        client.force_login(people.coauthor)
        page = client.get(f"/my/chapters/{people.chapter.pk}/edit/").content.decode()
        assert "&lt;p&gt;A draft chapter.&lt;/p&gt;</textarea>" in page
        assert 'name="revision" value="1"' in page

        response = client.post(
            f"/my/chapters/{people.chapter.pk}/edit/",
            chapter_data(body="New *words* here", body_format="markdown", revision=1),
        )

        assert response.status_code == 302
        chapter = Chapter.objects.get(pk=people.chapter.pk)
        assert chapter.body.strip() == "<p>New <em>words</em> here</p>"
        assert chapter.word_count == 3 and chapter.revision == 2
        assert chapter.status == Status.DRAFT

    def test_editing_a_published_chapter_updates_what_readers_see(self, client, people):
        story = make_story("Live", authors=[people.author], chapters=["Old text."])
        chapter = story.chapters.get()
        client.get(f"/stories/{story.pk}/chapters/1/")  # cached for visitors
        client.force_login(people.author)
        response = client.post(
            f"/my/chapters/{chapter.pk}/edit/",
            chapter_data(body="Brand new text.", revision=1, action="save"),
        )
        assert response.status_code == 302
        assert (
            "readers see the new version now" in client.get(response["Location"]).content.decode()
        )
        client.logout()
        page = client.get(f"/stories/{story.pk}/chapters/1/").content.decode()
        assert "Brand new text." in page and "Old text." not in page
        assert Story.objects.get(pk=story.pk).word_count == 3

    def test_delete_renumbers_the_rest(self, client, people):
        story = make_story("Three", authors=[people.author], chapters=["one", "two", "three"])
        middle = story.chapters.get(position=2)
        client.force_login(people.author)
        assert "Delete two?" not in client.get(f"/my/chapters/{middle.pk}/delete/").content.decode()
        response = client.post(f"/my/chapters/{middle.pk}/delete/")
        assert response["Location"] == f"/my/stories/{story.pk}/"
        assert list(story.chapters.values_list("position", "body_text")) == [
            (1, "one"),
            (2, "three"),
        ]
        assert Story.objects.get(pk=story.pk).chapter_count == 2

    def test_reorder_by_positions_and_by_up_and_down(self, client, people):
        story = make_story("Four", authors=[people.author], chapters=["a", "b", "c", "d"])
        ids = {c.body_text: c.pk for c in story.chapters.all()}
        client.force_login(people.author)

        def order():
            return "".join(story.chapters.order_by("position").values_list("body_text", flat=True))

        # "d" to position 2: it takes that place, the others keep their order.
        positions = {f"position_{pk}": n for n, pk in enumerate(ids.values(), start=1)}
        positions[f"position_{ids['d']}"] = 2
        response = client.post(f"/my/stories/{story.pk}/order/", positions)
        assert response.status_code == 302
        assert order() == "adbc"
        client.post(f"/my/stories/{story.pk}/order/", {"move": f"{ids['a']}:down"})
        assert order() == "dabc"
        client.post(f"/my/stories/{story.pk}/order/", {"move": f"{ids['d']}:up"})  # first
        assert order() == "dabc"
        positions = {f"position_{ids[c]}": n for n, c in enumerate("dabc", start=1)}
        positions[f"position_{ids['a']}"] = 9
        client.post(f"/my/stories/{story.pk}/order/", positions)
        assert order() == "dbca"
        assert list(story.chapters.values_list("position", flat=True)) == [1, 2, 3, 4]
        client.logout()
        page = client.get(f"/stories/{story.pk}/chapters/1/").content.decode()
        assert '<div class="chapter-text">\n<p>d</p>' in page

    def test_reorder_refuses_nonsense(self, client, people):
        client.force_login(people.author)
        response = client.post(
            f"/my/stories/{people.story.pk}/order/", {f"position_{people.chapter.pk}": "zero"}
        )
        assert response.status_code == 400
        assert "Enter a whole number." in response.content.decode()

    def test_chapter_list_shows_status_words_and_actions(self, client, people):
        make_chapter(people.story, "published words here", status=Status.PUBLISHED)
        client.force_login(people.author)
        page = client.get(f"/my/stories/{people.story.pk}/").content.decode()
        assert "Draft" in page and "Published" in page
        assert f'href="/my/chapters/{people.chapter.pk}/edit/"' in page
        assert f'href="/my/chapters/{people.chapter.pk}/delete/"' in page
        assert "Publish all drafts" in page


class TestPublishing:
    @pytest.mark.parametrize(
        ("validate", "who", "expected"),
        [
            (False, "untrusted", Status.PUBLISHED),
            (False, "trusted", Status.PUBLISHED),
            (True, "untrusted", Status.PENDING),
            (True, "trusted", Status.PUBLISHED),
            (True, "moderator", Status.PUBLISHED),
        ],
    )
    def test_posting_respects_validation(self, client, people, validate, who, expected):
        validation(validate)
        if who == "trusted":
            people.author.profile.trusted = True
            people.author.profile.save()
        client.force_login(people.moderator if who == "moderator" else people.author)

        chapter = add_chapter(client, people.story, action="post")

        story = Story.objects.get(pk=people.story.pk)
        assert chapter.status == expected
        assert story.status == expected
        visible = client.get(f"/stories/{story.pk}/chapters/2/").status_code
        client.logout()
        reader = client.get(f"/stories/{story.pk}/chapters/2/").status_code
        assert reader == (200 if expected == Status.PUBLISHED else 404)
        if expected == Status.PENDING:
            assert story.chapter_count == 0 and story.published_at is None
            assert visible == 404  # pending chapters are not on the public pages yet

    def test_pending_preview_says_so(self, client, people):
        validation(True)
        client.force_login(people.author)
        chapter = add_chapter(client, people.story, action="post")
        page = client.get(f"/my/chapters/{chapter.pk}/preview/").content.decode()
        assert "awaiting a moderator’s approval" in page
        assert "it will appear once a moderator has approved it" in page

    def test_a_new_chapter_of_a_published_story_may_wait_alone(self, client, people):
        validation(True)
        story = make_story("Live", authors=[people.author], chapters=1)
        client.force_login(people.author)
        chapter = add_chapter(client, story, action="post")
        assert chapter.status == Status.PENDING
        assert Story.objects.get(pk=story.pk).status == Status.PUBLISHED

    def test_publish_button_on_a_draft(self, client, people):
        client.force_login(people.author)
        response = client.post(f"/my/chapters/{people.chapter.pk}/publish/")
        assert response["Location"] == f"/my/chapters/{people.chapter.pk}/preview/"
        assert Chapter.objects.get(pk=people.chapter.pk).status == Status.PUBLISHED
        story = Story.objects.get(pk=people.story.pk)
        assert story.status == Status.PUBLISHED and story.chapter_count == 1
        page = client.get(response["Location"]).content.decode()
        assert "Preview — published" in page

    def test_publish_story_posts_every_draft(self, client, people):
        make_chapter(people.story, "Second draft.", status=Status.DRAFT)
        client.force_login(people.author)
        client.post(f"/my/stories/{people.story.pk}/publish/")
        assert set(people.story.chapters.values_list("status", flat=True)) == {Status.PUBLISHED}
        assert Story.objects.get(pk=people.story.pk).chapter_count == 2

    def test_published_counts_reach_the_taxonomy(self, client, people):
        fandom = make_category("Sunnydale")
        people.story.categories.add(fandom)
        client.force_login(people.author)
        client.post(f"/my/chapters/{people.chapter.pk}/publish/")
        assert Category.objects.get(pk=fandom.pk).story_count == 1
        assert people.author.profile.__class__.objects.get(user=people.author).story_count == 1

    def test_hidden_stories_stay_hidden(self, client, people):
        people.story.status = Status.HIDDEN
        people.story.save()
        client.force_login(people.author)
        client.post(f"/my/chapters/{people.chapter.pk}/publish/")
        assert Story.objects.get(pk=people.story.pk).status == Status.HIDDEN

    def test_story_preview_lists_every_chapter(self, client, people):
        make_chapter(people.story, "Out there.", title="Published One")
        client.force_login(people.author)
        page = client.get(f"/my/stories/{people.story.pk}/preview/").content.decode()
        assert "Preview — not yet published." in page
        assert "Chapter 1" in page and "Published One" in page
        assert f'href="/my/chapters/{people.chapter.pk}/preview/"' in page

    def test_preview_reports_what_the_sanitizer_removed(self, client, people):
        source = 'Hello <script>alert(1)</script><p onclick="x()">there</p>'
        client.force_login(people.author)
        response = client.post(
            f"/my/stories/{people.story.pk}/chapters/new/",
            chapter_data(body=source, body_format="html"),
        )
        page = client.get(response["Location"]).content.decode()
        assert "<script>alert" not in page
        for removed in convert(source, "html").removed:
            assert escape(removed) in page
        if convert(source, "html").removed:
            assert "Chapter text: the archive removed" in page


def test_a_story_is_readable_from_end_to_end(client):
    """A member writes a story, adds two chapters, posts them, and readers see it."""
    from fanfold.archive.models import Rating

    Rating.objects.create(name="General")
    author = make_user("Quill Feather")
    client.force_login(author)
    story = new_story(client, title="Journey")
    add_chapter(client, story, title="Setting Out", action="post")
    add_chapter(client, story, title="Arriving", body="Home at last.", action="post")
    client.logout()
    index = client.get(Story.objects.get(pk=story.pk).get_absolute_url()).content.decode()
    assert "Setting Out" in index and "Arriving" in index
    assert "Home at last." in client.get(f"/stories/{story.pk}/chapters/2/").content.decode()
