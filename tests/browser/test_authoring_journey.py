"""The authoring journey in a real browser: a new story, a chapter written in the rich-text
editor, a preview, posting, and the chapter on its public page; the character list follows
the chosen categories."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from fanfold.archive.models import Chapter, Status, Story
from tests.factories import make_category, make_character, make_rating, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def author(db, page, live_server):
    """A member signed in in the browser (the session cookie of a real login)."""
    make_rating("General")
    user = make_user("Quill Feather")
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return user


def test_author_writes_previews_and_posts_a_chapter(page, author, screenshot):
    sunnydale, hogwarts = make_category("Sunnydale"), make_category("Hogwarts")
    make_character("Willow", categories=[sunnydale])
    make_character("Hermione", categories=[hogwarts])

    page.goto("/my/stories/")
    page.get_by_role("link", name="New story").first.click()
    page.get_by_label("Title", exact=True).fill("The Long Road Home")
    page.get_by_label("Summary", exact=True).fill("Two friends, one road.")
    page.get_by_label("Rating").select_option(label="General")
    page.get_by_label("Categories").select_option(label="Sunnydale")
    # Only Sunnydale's characters are offered once Sunnydale is chosen.
    characters = page.get_by_label("Characters")
    expect(characters.locator("option", has_text="Willow")).not_to_be_hidden()
    assert characters.locator("option", has_text="Hermione").evaluate("o => o.hidden")
    characters.select_option(label="Willow")
    screenshot(page, "new-story")
    page.get_by_role("button", name="Save and add a chapter").click()

    expect(page.get_by_role("heading", name="Add chapter")).to_be_visible()
    page.get_by_label("Chapter title").fill("Setting Out")
    page.get_by_label("Chapter text format").select_option(label="Rich text")
    editor = page.locator(".rich-text .ql-editor").first
    editor.click()
    page.keyboard.type("They left at ")
    page.keyboard.press("Control+b")
    page.keyboard.type("dawn")
    page.keyboard.press("Control+b")
    page.keyboard.type(" — “finally”.")
    screenshot(page, "chapter-in-editor")
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_text("Preview — not yet published.")).to_be_visible()
    expect(page.locator(".chapter-text strong")).to_have_text("dawn")
    screenshot(page, "preview")
    story = Story.objects.get(title="The Long Road Home")
    chapter = Chapter.objects.get(story=story)
    assert chapter.status == Status.DRAFT
    assert chapter.body == "<p>They left at <strong>dawn</strong> — “finally”.</p>"

    page.get_by_role("button", name="Post").click()
    expect(page.get_by_text("Posted: readers can see it now.")).to_be_visible()
    page.get_by_role("link", name="Public page").click()
    expect(page).to_have_url(re.compile(rf"/stories/{story.pk}/chapters/1/$"))
    expect(page.locator(".chapter-text")).to_contain_text("They left at dawn — “finally”.")
    screenshot(page, "public-chapter")


def test_the_forms_work_without_javascript(page_without_js, live_server, db):
    make_rating("General")
    user = make_user("No Script")
    client = Client()
    client.force_login(user)
    page = page_without_js
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto("/my/stories/new/")
    page.get_by_label("Title", exact=True).fill("Plain and Simple")
    page.get_by_label("Rating").select_option(label="General")
    page.get_by_role("button", name="Save and add a chapter").click()
    page.get_by_label("Chapter text", exact=True).fill("First paragraph.\n\nSecond one.")
    page.get_by_role("button", name="Post").click()
    expect(page.get_by_text("Posted: readers can see it now.")).to_be_visible()
    chapter = Chapter.objects.get(story__title="Plain and Simple")
    assert chapter.body == "<p>First paragraph.</p>\n<p>Second one.</p>"
