"""Issue 3's journey in a real browser: a new member registers, confirms the emailed link
(read from a real SMTP server), writes a two-chapter story in plain text, posts it, logs
out, and a visitor reads chapter 2 exactly as it was typed."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import make_rating

pytestmark = pytest.mark.browser

CHAPTER_ONE = "They set out at dawn.\n\nThe road was long…"
# Plain prose with an in-text heading line, curly quotes, an ellipsis and em dashes.
CHAPTER_TWO = (
    "Part Two: The Crossing\n"
    "\n"
    "“Stay,” she said. “Just ’til morning…”\n"
    "\n"
    "He hesitated — then nodded. The rain kept on — steady, patient — against the shutters."
)
NOTES = "Thanks to my beta — you know who you are…"
END_NOTES = "More soon. “Reviews” make me write faster!"


def add_chapter(page, title: str, text: str, notes: str = "", end_notes: str = "") -> None:
    page.get_by_label("Chapter title").fill(title)
    page.get_by_label("Notes", exact=True).fill(notes)
    page.get_by_label("Chapter text", exact=True).fill(text)
    page.get_by_label("End notes", exact=True).fill(end_notes)
    page.get_by_role("button", name="Post").click()
    expect(page.get_by_text("Posted: readers can see it now.")).to_be_visible()


def test_register_confirm_write_and_read_as_a_visitor(page, mailbox, db, screenshot):
    make_rating("General")

    page.goto("/")
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Pen name").fill("Wren Ashdown")
    page.get_by_label("Email").fill("wren@example.org")
    page.get_by_label("Password").fill("a long and quiet road")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    # The confirmation link, as the member's mail program would show it.
    body = mailbox.wait_for(1)[0].get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+", body).group(0)
    page.goto(link)
    expect(page.get_by_text("your email address is confirmed")).to_be_visible()
    page.get_by_role("link", name="Log in").last.click()
    page.get_by_label("Pen name or email").fill("wren@example.org")
    page.get_by_label("Password").fill("a long and quiet road")
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="New story").first.click()
    page.get_by_label("Title", exact=True).fill("The Crossing")
    page.get_by_label("Summary", exact=True).fill("Two travellers and a storm.")
    page.get_by_label("Rating").select_option(label="General")
    page.get_by_role("button", name="Save and add a chapter").click()
    add_chapter(page, "Setting Out", CHAPTER_ONE)
    page.get_by_role("link", name="All chapters").click()
    page.get_by_role("link", name="Add chapter").first.click()
    add_chapter(page, "Rain", CHAPTER_TWO, NOTES, END_NOTES)
    screenshot(page, "author-preview")

    page.get_by_role("button", name="Log out").click()
    page.goto("/browse/recent/")
    page.get_by_role("link", name="The Crossing").first.click()
    page.get_by_role("link", name=re.compile("Rain")).first.click()
    expect(page).to_have_url(re.compile(r"/stories/\d+/chapters/2/$"))
    screenshot(page, "visitor-reads-chapter-2")

    text = page.locator(".chapter-text").inner_text()
    assert text.strip() == CHAPTER_TWO
    expect(page.get_by_text("Author's Chapter Notes:")).to_be_visible()
    expect(page.get_by_text(NOTES)).to_be_visible()
    expect(page.get_by_text("End Notes")).to_be_visible()
    expect(page.get_by_text(END_NOTES)).to_be_visible()
    expect(page.get_by_text("You must log in (register) to review.")).to_be_visible()
