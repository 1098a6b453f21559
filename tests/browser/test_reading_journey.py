"""The foundation's reading journey in a real browser, as an anonymous visitor."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from fanfold.lib.markup import sanitize
from tests.browser.conftest import PHONE
from tests.factories import make_story, make_user

pytestmark = pytest.mark.browser

# Plain prose as an author types it: a part heading, curly and straight quotes, an
# ellipsis, em dashes, ’til, and a line break inside a paragraph.
CHAPTER_TWO = (
    "Part Six: The Long Road\n"
    "\n"
    "“Stay,” she said. “Just ’til morning…”\n"
    "\n"
    "He hesitated — then nodded. 'Fine,' he said, \"but only ’til the fire’s out.\"\n"
    "The rain kept on — steady, patient — against the shutters…"
)
CHAPTER_NOTES = "Thanks to my beta — you know who you are… Chapter three ’til next week!"
END_NOTES = "More soon. Reviews make me write faster!"


@pytest.fixture
def story(db):
    story = make_story(
        "The Long Road Home",
        authors=[make_user("Quill")],
        chapters=["Chapter one: the setting out.", CHAPTER_TWO, "Chapter three: arrival."],
    )
    story.chapters.filter(position=2).update(
        title="Rain",
        notes=sanitize(f"<p>{CHAPTER_NOTES}</p>"),
        end_notes=sanitize(f"<p>{END_NOTES}</p>"),
    )
    return story


def assert_assets_load(page) -> None:
    """Every stylesheet and script the page links to answers 200: no unstyled pages."""
    urls = page.eval_on_selector_all(
        "link[rel=stylesheet], script[src]", "elements => elements.map(e => e.href || e.src)"
    )
    assert urls
    statuses = {url: page.request.get(url).status for url in urls}
    assert {url: status for url, status in statuses.items() if status != 200} == {}


def test_anonymous_reader_finds_a_chapter_and_is_asked_to_log_in(page, story, screenshot):
    chapter_two = f"/stories/{story.pk}/chapters/2/"

    page.goto("/")
    screenshot(page, "front-page")
    page.get_by_role("link", name=story.title).first.click()
    expect(page).to_have_url(re.compile(rf"/stories/{story.pk}-{story.slug}/$"))
    expect(page.locator("ol.toc a")).to_have_count(3)
    screenshot(page, "story-index")

    page.locator("ol.toc a").first.click()
    expect(page).to_have_url(re.compile(rf"/stories/{story.pk}/chapters/1/$"))
    screenshot(page, "chapter-1")
    assert_assets_load(page)
    # Choosing a chapter navigates at once (a few lines of script); the Go button is for
    # browsers without script, see the next test.
    selector = page.locator("form.chapter-select").first
    selector.get_by_label("Chapter", exact=True).select_option("2")
    expect(page).to_have_url(re.compile(rf"{re.escape(chapter_two)}$"))

    notes = page.locator("section.chapter-notes")
    expect(notes.get_by_role("heading", name="Author's Chapter Notes:", exact=True)).to_be_visible()
    expect(notes).to_contain_text(CHAPTER_NOTES)
    assert page.locator("div.chapter-text").inner_text().strip() == CHAPTER_TWO
    end_notes = page.locator("section.end-notes")
    expect(end_notes.get_by_role("heading", name="End Notes", exact=True)).to_be_visible()
    expect(end_notes).to_contain_text(END_NOTES)
    login_to_review = page.locator("p.login-to-review")
    expect(login_to_review).to_have_text("You must log in (register) to review.")
    screenshot(page, "chapter-2")
    page.set_viewport_size(PHONE)
    screenshot(page, "chapter-2-phone")

    login_to_review.get_by_role("link", name="log in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?"))
    url = urlsplit(page.url)
    assert url.path == "/accounts/login/"
    assert parse_qs(url.query)["next"] == [chapter_two]
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.locator('form input[type="hidden"][name="next"]')).to_have_value(chapter_two)
    screenshot(page, "login-phone")


def test_chapter_selector_works_without_javascript(page_without_js, story, screenshot):
    page = page_without_js
    page.goto(f"/stories/{story.pk}/chapters/1/")
    selector = page.locator("form.chapter-select").first
    selector.get_by_label("Chapter", exact=True).select_option("3")
    selector.get_by_role("button", name="Go").click()
    expect(page).to_have_url(re.compile(rf"/stories/{story.pk}/chapters/3/$"))
    expect(page.locator("div.chapter-text")).to_have_text("Chapter three: arrival.")
    screenshot(page, "chapter-3-without-js")
