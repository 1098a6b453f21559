"""Password reset by emailed link: generic answers, one link per account, rate limits."""

import re

import pytest
from django.contrib.auth.hashers import make_password

from fanfold.accounts.models import User
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def reset_links(mailbox) -> list[str]:
    return [re.search(r"http://testserver(/\S+)", body).group(1) for body in mailbox.bodies()]


def test_the_answer_is_the_same_whether_or_not_the_email_exists(client, mailbox):
    make_user("Quill", email="quill@example.org")
    page = client.get("/accounts/password/reset/").content.decode()
    assert '<label for="id_email">Email:</label>' in page

    known = client.post("/accounts/password/reset/", {"email": "quill@example.org"}, follow=True)
    unknown = client.post("/accounts/password/reset/", {"email": "who@example.org"}, follow=True)

    assert (
        known.redirect_chain == unknown.redirect_chain == [("/accounts/password/reset/sent/", 302)]
    )
    assert known.content == unknown.content
    assert len(mailbox.wait_for(1)) == 1


def test_following_the_link_sets_a_new_password(client, mailbox):
    user = make_user("Quill", email="quill@example.org", password="old password 1")
    client.post("/accounts/password/reset/", {"email": "QUILL@example.org"})
    mailbox.wait_for(1)
    [link] = reset_links(mailbox)

    form_page = client.get(link, follow=True)
    assert "<h1>Choose a new password</h1>" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a brand new phrase", "new_password2": "a brand new phrase"},
    )

    assert response["Location"] == "/accounts/password/reset/complete/"
    user.refresh_from_db()
    assert user.check_password("a brand new phrase")
    assert client.get(link, follow=True).context["validlink"] is False  # used once only


def test_accounts_sharing_an_email_each_get_a_link_naming_their_pen_name(client, mailbox):
    make_user("Older Sister", email="family@example.org")
    make_user("Younger Brother", email="Family@Example.org")

    client.post("/accounts/password/reset/", {"email": "family@example.org"})

    mailbox.wait_for(2)
    bodies = sorted(mailbox.bodies())
    assert "Younger Brother" in bodies[0] or "Younger Brother" in bodies[1]
    assert sum("Older Sister" in body for body in bodies) == 1
    assert sorted(m["Subject"] for m in mailbox.messages) == [
        "Reset the password of Older Sister on Fanfold",
        "Reset the password of Younger Brother on Fanfold",
    ]
    assert len(set(reset_links(mailbox))) == 2


def test_imported_accounts_with_unusable_passwords_can_reset(client, mailbox):
    user = make_user("Imported", email="old@example.org")
    User.objects.filter(pk=user.pk).update(password=make_password(None))

    client.post("/accounts/password/reset/", {"email": "old@example.org"})

    mailbox.wait_for(1)
    [link] = reset_links(mailbox)
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a brand new phrase", "new_password2": "a brand new phrase"},
    )
    user.refresh_from_db()
    assert user.check_password("a brand new phrase")


def test_resetting_confirms_the_address(client, mailbox):
    user = make_user("Waiting", email="wait@example.org", email_confirmed=False)
    client.post("/accounts/password/reset/", {"email": "wait@example.org"})
    mailbox.wait_for(1)
    form_page = client.get(reset_links(mailbox)[0], follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a brand new phrase", "new_password2": "a brand new phrase"},
    )
    user.refresh_from_db()
    assert user.email_confirmed


class TestRateLimits:
    def test_per_account(self, client, settings, mailbox):
        settings.RATELIMIT_RESET_PER_ACCOUNT = (2, 3600)
        make_user("Quill", email="quill@example.org")
        for _ in range(2):
            assert (
                client.post("/accounts/password/reset/", {"email": "quill@example.org"}).status_code
                == 302
            )
        response = client.post("/accounts/password/reset/", {"email": "Quill@example.org"})
        assert response.status_code == 429
        assert "Too many emails were requested" in response.content.decode()
        assert 'value="Quill@example.org"' in response.content.decode()
        assert len(mailbox.wait_for(2)) == 2

    def test_per_address(self, client, settings, mailbox):
        settings.RATELIMIT_RESET_PER_ADDRESS = (2, 3600)
        statuses = [
            client.post("/accounts/password/reset/", {"email": f"n{n}@example.org"}).status_code
            for n in range(3)
        ]
        assert statuses == [302, 302, 429]

    def test_an_unknown_address_is_limited_like_a_known_one(self, client, settings):
        settings.RATELIMIT_RESET_PER_ACCOUNT = (1, 3600)
        client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
        response = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
        assert response.status_code == 429
