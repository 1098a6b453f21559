"""Issue 4's journey in a real browser, with a real `fanfold worker` and a real SMTP server:
a member subscribes to a story and favorites it; its author posts a new chapter; once the
worker has run, the member's inbox and email tell of it; the member reviews the chapter;
the author hears of the review and responds; the reviewer sees the response.

Member and author each have their own browser and sign in through the login form. The
worker is another process, so it needs a database it can see: on an in-memory SQLite test
database this test skips; CI runs it on its PostgreSQL pass.
"""

import re
import subprocess
import sys
from email.utils import parseaddr

import pytest
from playwright.sync_api import expect

from fanfold.community.models import Delivery, Favorite, Subscription
from tests.browser.conftest import _new_page
from tests.community import test_worker
from tests.factories import make_rating, make_story, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The worker's environment and the in-memory SQLite skip come from the worker's own tests.
worker_env = test_worker.worker_env
_shared_database = test_worker._shared_database

PASSWORD = "a long and quiet road"
CHAPTER_TITLE = "The Crossing"
CHAPTER_TEXT = "The river was higher than anyone remembered.\n\nThey crossed at dusk."
REVIEW = "That crossing — I held my breath the whole way. “Dusk” was perfect."
RESPONSE = "Thank you! The river scene was the hardest to write…"
WORKER_SECONDS = 120


@pytest.fixture
def people(db):
    """The author of a published one-chapter story, and a member; both confirmed emails."""
    make_rating("General")
    author = make_user("Quill Feather", email="quill@example.org", password=PASSWORD)
    member = make_user("Wren Ashdown", email="wren@example.org", password=PASSWORD)
    story = make_story("The Long Road", authors=[author], chapters=["They set out at dawn."])
    return author, member, story


@pytest.fixture
def author_page(browser, live_server):
    """A second browser for the author: its own cookies, so both people are signed in."""
    page = _new_page(browser, live_server)
    yield page
    page.context.close()


@pytest.fixture
def run_worker(worker_env, live_server, tmp_path):
    """run_worker(): `fanfold worker --batch` in its own process, to its end; links in its
    emails point at the live server. Without the browser fixture's async switch: the
    worker runs as it does in production."""
    env = {k: v for k, v in worker_env.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env["SITE_URL"] = live_server.url
    runs = []

    def run() -> None:
        runs.append(1)
        log = tmp_path / f"worker-{len(runs)}.log"
        with log.open("w+") as out:
            finished = subprocess.run(
                [sys.executable, "-m", "fanfold", "worker", "--batch"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=WORKER_SECONDS,
            )
        assert finished.returncode == 0, log.read_text()

    return run


def log_in(page, login: str) -> None:
    """From the page shown, through the login form, and back to it."""
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("Pen name or email").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def open_inbox(page, unread: int):
    """Follow the header's "Notifications (n)" link; the inbox's list of notifications."""
    page.goto("/")
    page.get_by_role("link", name=f"Notifications ({unread})").click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    return page.locator("ol.notifications")


def emails_to(messages: list, address: str) -> list:
    return [m for m in messages if parseaddr(m["To"])[1] == address]


def test_subscribe_post_notify_review_respond(
    page, author_page, people, mailbox, run_worker, live_server, screenshot
):
    _, member, story = people
    story_url = story.get_absolute_url()
    chapter_two = re.compile(rf"/stories/{story.pk}/chapters/2/(#.*)?$")

    # The member subscribes to the story and favorites it.
    page.goto(story_url)
    log_in(page, "wren@example.org")
    expect(page).to_have_url(re.compile(rf"{re.escape(story_url)}$"))
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("button", name="Unsubscribe")).to_be_visible()
    page.get_by_label("Favorite comment (optional)").fill("The road trip I needed.")
    page.get_by_role("button", name="Add to favorites").click()
    expect(page.get_by_text("In your favorites")).to_be_visible()
    screenshot(page, "member-subscribed-and-favorited")
    assert Subscription.objects.filter(user=member, story=story).exists()
    assert Favorite.objects.get(user=member, story=story).comment == "The road trip I needed."

    # The author posts chapter 2; nobody hears of it until the worker runs.
    author_page.goto(story_url)
    log_in(author_page, "Quill Feather")
    author_page.get_by_role("link", name="Add chapter").first.click()
    author_page.get_by_label("Chapter title").fill(CHAPTER_TITLE)
    author_page.get_by_label("Chapter text", exact=True).fill(CHAPTER_TEXT)
    author_page.get_by_role("button", name="Post").click()
    expect(author_page.get_by_text("Posted: readers can see it now.")).to_be_visible()
    assert not Delivery.objects.exists() and mailbox.messages == []
    open_inbox(page, unread=0)

    run_worker()
    notifications = open_inbox(page, unread=1)
    headline = f"New chapter of The Long Road: {CHAPTER_TITLE}"
    expect(notifications.get_by_role("link", name=headline)).to_be_visible()
    screenshot(page, "member-inbox-new-chapter")
    [email] = emails_to(mailbox.wait_for(1), "wren@example.org")
    assert headline in email["Subject"]
    body = email.get_body(preferencelist=("plain",)).get_content()
    link = re.search(rf"{re.escape(live_server.url)}/stories/\S+", body)
    assert link, body
    page.goto(link.group(0))  # the email's link, as the member's mail program opens it
    expect(page).to_have_url(chapter_two)
    expect(page.get_by_role("heading", name=CHAPTER_TITLE)).to_be_visible()

    # The member reviews the new chapter on its page.
    form = page.locator("form.review-form")
    form.get_by_label("Review").fill(REVIEW)
    form.get_by_label("Rating").select_option(label="10 out of 10")
    form.get_by_role("button", name="Post review").click()
    expect(page).to_have_url(chapter_two)
    review = page.locator("section.reviews article.review").first
    expect(review).to_contain_text(REVIEW)
    screenshot(page, "member-reviewed")

    # The author hears of the review, follows the notification and responds.
    run_worker()
    [email] = emails_to(mailbox.wait_for(2), "quill@example.org")
    headline = f"Wren Ashdown reviewed The Long Road, {CHAPTER_TITLE}"
    assert headline in email["Subject"]
    notifications = open_inbox(author_page, unread=1)
    notifications.get_by_role("link", name=headline).click()
    expect(author_page).to_have_url(chapter_two)
    review = author_page.locator("section.reviews article.review", has_text=REVIEW)
    review.get_by_role("link", name="Respond").click()
    author_page.get_by_label("Respond").fill(RESPONSE)
    author_page.get_by_role("button", name="Respond").click()
    expect(author_page).to_have_url(chapter_two)
    expect(author_page.get_by_text("Author's Response:")).to_be_visible()
    screenshot(author_page, "author-responded")

    # The reviewer sees the response on the chapter page, and in the inbox once the
    # worker has run.
    page.reload()
    response = page.locator("section.reviews .response")
    expect(response).to_contain_text("Author's Response:")
    expect(response).to_contain_text(RESPONSE)
    run_worker()
    notifications = open_inbox(page, unread=2)
    headline = f"Quill Feather responded to your review of The Long Road, {CHAPTER_TITLE}"
    notifications.get_by_role("link", name=headline).click()
    expect(page).to_have_url(chapter_two)
    expect(page.locator("section.reviews .response")).to_contain_text(RESPONSE)
    screenshot(page, "member-sees-response")
    # Three emails in all: nobody hears of their own chapter, review or response.
    _, response_email = emails_to(mailbox.wait_for(3), "wren@example.org")
    assert headline in response_email["Subject"]
    assert len(mailbox.messages) == 3
