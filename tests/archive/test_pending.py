"""Posts that survive an expired session: the author logs in again and loses nothing.

The authoring view used here is "New series" (/my/series/new/), wrapped by
fanfold.archive.pending.keep_when_signed_out like every authoring view.
"""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from fanfold.archive import pending
from fanfold.archive.models import PendingSubmission, Series
from tests.factories import make_user
from tests.hostile import HOSTILE, executable_parts

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
LONG_TEXT = "The first line of a long summary.\n\n" + "She ran ’til dawn — “again”… " * 40


def csrf_token(client: Client, url: str) -> str:
    page = client.get(url).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def log_in(client: Client, pen_name: str, next_url: str = ""):
    token = csrf_token(client, "/accounts/login/")
    return client.post(
        "/accounts/login/",
        {
            "username": pen_name,
            "password": PASSWORD,
            "next": next_url,
            "csrfmiddlewaretoken": token,
        },
    )


@pytest.fixture
def author():
    return make_user("Ink Well", password=PASSWORD)


@pytest.fixture
def browser(author) -> Client:
    """A strict-CSRF browser, signed in, with the New series form open."""
    client = Client(enforce_csrf_checks=True)
    log_in(client, "Ink Well")
    return client


def series_post(token: str, **extra) -> dict:
    return {
        "title": "Summer Cycle",
        "summary": LONG_TEXT,
        "is_open": "on",
        "csrfmiddlewaretoken": token,
        **extra,
    }


def pending_url(response) -> str:
    """The pending page an answer leads to, directly or through the login page."""
    location = response["Location"]
    match = re.search(r"(/my/pending/[^/]+/)", location.replace("%3A", ":").replace("%2F", "/"))
    assert match, location
    return match.group(1)


def test_anonymous_get_is_sent_to_log_in(client):
    response = client.get("/my/series/new/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/my/series/new/"


def test_expired_session_keeps_the_post_and_the_author_sends_it_again(browser, author):
    token = csrf_token(browser, "/my/series/new/")
    browser.session.delete()  # the session expires on the server; the cookies stay

    response = browser.post("/my/series/new/", series_post(token))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/my/pending/")
    assert not Series.objects.exists()
    kept = PendingSubmission.objects.get()
    assert kept.action_path == "/my/series/new/"
    assert ["summary", [LONG_TEXT]] in kept.data["fields"]
    assert "csrfmiddlewaretoken" not in dict(kept.data["fields"])

    login_page = browser.get(response["Location"]).content.decode()
    assert "What you wrote is kept safe" in login_page

    signed_in = log_in(browser, "Ink Well", next_url=pending_url(response))
    assert signed_in["Location"] == pending_url(response)
    page = browser.get(pending_url(response)).content.decode()
    assert 'action="/my/series/new/"' in page
    assert "Submit again" in page
    # Long text in a box to copy from, byte for byte; short values in plain inputs.
    assert re.search(r'<textarea id="pending-\d+" name="summary" rows="12">', page)
    assert 'rows="12">\n' + LONG_TEXT + "</textarea>" in page
    assert 'name="title" value="Summer Cycle"' in page

    fresh = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    kept_token = re.search(r'name="_pending" value="([^"]+)"', page).group(1)
    again = browser.post("/my/series/new/", series_post(fresh, _pending=kept_token))
    series = Series.objects.get()
    assert again["Location"] == f"/my/series/{series.pk}/edit/"
    assert series.owner == author and series.is_open
    assert "She ran ’til dawn — “again”…" in series.summary
    assert not PendingSubmission.objects.exists()  # used up once the view accepted it


def test_after_logout_the_csrf_cookie_is_gone_too(browser):
    """client.logout() drops every cookie: Django's CSRF check fails before any view runs.

    Without proof of origin that is Django's usual 403 (nothing kept); a browser that sends
    a matching Origin header (all current ones do on a form post) gets its post kept.
    """
    token = csrf_token(browser, "/my/series/new/")
    browser.logout()

    refused = browser.post("/my/series/new/", series_post(token))
    assert refused.status_code == 403
    assert not PendingSubmission.objects.exists()

    kept = browser.post(
        "/my/series/new/", series_post(token), headers={"Origin": "http://testserver"}
    )
    assert kept.status_code == 302
    assert kept["Location"].startswith("/accounts/login/?next=/my/pending/")
    assert PendingSubmission.objects.count() == 1


def test_stale_token_after_signing_in_in_another_tab_goes_straight_to_the_pending_page(
    browser, author
):
    token = csrf_token(browser, "/my/series/new/")
    # Signing in again (another tab) rotates the CSRF secret: the open form's token is stale.
    browser.logout()
    log_in(browser, "Ink Well")

    response = browser.post(
        "/my/series/new/", series_post(token), headers={"Sec-Fetch-Site": "same-origin"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/my/pending/")
    assert not Series.objects.exists()
    page = browser.get(response["Location"]).content.decode()
    assert "The form had expired" in page
    assert 'name="title" value="Summer Cycle"' in page
    assert PendingSubmission.objects.get().data["user"] == author.pk


def test_a_forged_cross_site_post_is_refused_and_not_kept(browser):
    token = csrf_token(browser, "/my/series/new/")
    browser.logout()
    log_in(browser, "Ink Well")
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {}):
        response = browser.post("/my/series/new/", series_post(token), headers=headers)
        assert response.status_code == 403
    assert not PendingSubmission.objects.exists()
    assert not Series.objects.exists()


def keep_one(client: Client, data: dict | None = None) -> str:
    """An anonymous post kept; returns its pending page."""
    response = client.post("/my/series/new/", data or series_post("x"))
    return pending_url(response)


def test_only_the_member_who_opens_it_first_may_see_it(client, author):
    url = keep_one(client)
    client.force_login(author)
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # again, for the same member

    stranger = Client()
    stranger.force_login(make_user("Someone Else"))
    assert stranger.get(url).status_code == 404


def test_pending_page_needs_a_signed_in_member(client):
    url = keep_one(client)
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/my/pending/")


def test_bad_and_expired_tokens_are_not_found_and_stale_rows_go(client, author):
    url = keep_one(client)
    client.force_login(author)
    assert client.get(url[:-3] + "xx/").status_code == 404
    assert client.get("/my/pending/1/").status_code == 404  # unsigned id

    PendingSubmission.objects.update(created_at=timezone.now() - pending.MAX_AGE - timedelta(1))
    assert client.get(url).status_code == 404
    assert not PendingSubmission.objects.exists()  # deleted when passing by


def test_every_value_of_every_field_is_kept_and_sent_again(client, author):
    url = keep_one(client, {"title": "T", "label": ["one", "two"], "empty": ""})
    client.force_login(author)
    page = client.get(url).content.decode()
    assert page.count('name="label"') == 2
    assert 'value="one"' in page and 'value="two"' in page
    assert 'name="empty" value=""' in page


def test_uploaded_files_are_named_but_not_kept(client, author):
    upload = SimpleUploadedFile("chapter.docx", b"PK\x03\x04", "application/octet-stream")
    url = keep_one(client, {"title": "T", "file": upload})
    client.force_login(author)
    page = client.get(url).content.decode()
    assert "Attach these again on the form: chapter.docx" in page


def test_hostile_values_are_shown_as_text(client, author):
    url = keep_one(client, {"title": HOSTILE, "summary": "\n".join(HOSTILE)})
    client.force_login(author)
    page = client.get(url).content.decode()
    assert executable_parts(page) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_too_large_a_post_is_not_kept(client, monkeypatch):
    monkeypatch.setattr(pending, "MAX_BYTES", 1000)
    response = client.post("/my/series/new/", series_post("x"))
    assert response["Location"] == "/accounts/login/?next=/my/series/new/"
    assert not PendingSubmission.objects.exists()
    assert (
        "too large (or too frequent) to keep" in client.get(response["Location"]).content.decode()
    )


def test_anonymous_posts_are_limited_per_address(client, monkeypatch):
    monkeypatch.setattr(pending, "PER_ADDRESS", (2, 3600))
    for _ in range(3):
        client.post("/my/series/new/", {"title": "T"})
    assert PendingSubmission.objects.count() == 2


def test_a_post_planted_by_another_browser_cannot_be_opened(author):
    """A forged Origin header gets a post kept, but only in the browser that sent it."""
    attacker = Client(enforce_csrf_checks=True)
    planted = attacker.post(
        "/my/series/new/",
        series_post("forged", title="Planted"),
        headers={"Origin": "http://testserver"},
    )
    assert PendingSubmission.objects.count() == 1

    victim = Client(enforce_csrf_checks=True)
    log_in(victim, "Ink Well")
    assert victim.get(pending_url(planted)).status_code == 404
    # The browser that made the post still gets it back once signed in.
    log_in(attacker, "Ink Well")
    assert attacker.get(pending_url(planted)).status_code == 200
