"""A member's own pages: sign-in required, email and password changes."""

import re

import pytest
from django.test import Client

from fanfold.accounts.models import User
from tests.factories import make_user

pytestmark = pytest.mark.django_db

MEMBER_PAGES = [
    "/accounts/",
    "/accounts/profile/",
    "/accounts/preferences/",
    "/accounts/email/",
    "/accounts/password/",
    "/accounts/password/changed/",
    "/accounts/delete/",
]


@pytest.fixture
def member(client):
    user = make_user("Quill Feather", email="quill@example.org", password="s3cret-words")
    client.force_login(user)
    return user


@pytest.mark.parametrize("url", MEMBER_PAGES)
def test_visitors_are_sent_to_log_in_and_back(client, url):
    for response in (client.get(url), client.post(url, {})):
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize("url", MEMBER_PAGES)
def test_members_see_each_page(client, member, url):
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", [u for u in MEMBER_PAGES if u != "/accounts/password/changed/"])
def test_every_form_needs_csrf(member, url):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    assert strict.post(url, {}).status_code == 403


def test_the_account_page_links_to_every_setting(client, member):
    page = client.get("/accounts/").content.decode()
    for label in [
        "Edit profile",
        "Preferences",
        "Change email",
        "Change password",
        "Delete account",
    ]:
        assert f">{label}</a>" in page


class TestEmailChange:
    def test_the_new_address_counts_only_after_its_link_is_followed(self, client, member, mailbox):
        response = client.post(
            "/accounts/email/", {"email": "new@example.org", "password": "s3cret-words"}
        )
        assert "We sent a link to <strong>new@example.org</strong>" in response.content.decode()
        [message] = mailbox.wait_for(1)
        assert message["To"] == "new@example.org"
        member.refresh_from_db()
        assert member.email == "quill@example.org"

        link = re.search(r"http://testserver(/\S+)", mailbox.bodies()[0]).group(1)
        assert Client().get(link).status_code == 200  # works from any browser

        member.refresh_from_db()
        assert member.email == "new@example.org"
        assert member.email_confirmed
        assert Client().get(link).status_code == 400  # used: cannot switch back later

    def test_asks_for_the_current_password(self, client, member, mailbox):
        response = client.post("/accounts/email/", {"email": "new@example.org", "password": "x"})
        page = response.content.decode()
        assert "That is not your current password." in page
        assert 'value="new@example.org"' in page
        assert mailbox.messages == []

    def test_refuses_a_bad_address_on_the_same_form(self, client, member):
        response = client.post(
            "/accounts/email/", {"email": "not an address", "password": "s3cret-words"}
        )
        assert "Enter a valid email address." in response.content.decode()
        assert 'value="not an address"' in response.content.decode()

    def test_an_older_link_stops_working_after_another_change(self, client, member, mailbox):
        for address in ["first@example.org", "second@example.org"]:
            client.post("/accounts/email/", {"email": address, "password": "s3cret-words"})
        mailbox.wait_for(2)
        first, second = (
            re.search(r"http://testserver(/\S+)", body).group(1) for body in mailbox.bodies()
        )
        assert client.get(second).status_code == 200
        assert client.get(first).status_code == 400
        member.refresh_from_db()
        assert member.email == "second@example.org"

    def test_switching_back_does_not_revive_the_first_link(self, client, member, mailbox):
        client.post("/accounts/email/", {"email": "b@example.org", "password": "s3cret-words"})
        [to_b] = mailbox.wait_for(1)
        to_b_link = re.search(r"http://testserver(/\S+)", mailbox.bodies()[0]).group(1)
        assert client.get(to_b_link).status_code == 200
        client.post("/accounts/email/", {"email": "quill@example.org", "password": "s3cret-words"})
        mailbox.wait_for(3)  # the notice to the old address, then the link back
        to_a_link = re.search(r"http://testserver(/\S+)", mailbox.bodies()[2]).group(1)
        assert client.get(to_a_link).status_code == 200
        member.refresh_from_db()
        assert (member.email, member.pending_email) == ("quill@example.org", "")

        assert client.get(to_b_link).status_code == 400
        member.refresh_from_db()
        assert member.email == "quill@example.org"

    def test_the_old_address_is_told_of_the_change(self, client, member, mailbox):
        client.post("/accounts/email/", {"email": "new@example.org", "password": "s3cret-words"})
        mailbox.wait_for(1)
        link = re.search(r"http://testserver(/\S+)", mailbox.bodies()[0]).group(1)
        Client().get(link)
        notice = mailbox.wait_for(2)[1]
        assert notice["To"] == "quill@example.org"
        assert "was changed" in notice["Subject"]
        body = mailbox.bodies()[1]
        assert "changed to new@example.org" in body
        assert "http://testserver/accounts/password/reset/" in body

    def test_confirming_a_registration_is_unaffected(self, client, mailbox):
        from fanfold.accounts import tokens

        newcomer = make_user("Newcomer", email="n@example.org", email_confirmed=False)
        link = f"/accounts/confirm/{tokens.make(newcomer, 'n@example.org')}/"
        assert Client().get(link).status_code == 200
        newcomer.refresh_from_db()
        assert newcomer.email_confirmed
        assert mailbox.messages == []  # no "address changed" notice

    def test_guessing_the_password_is_limited(self, client, member, settings):
        settings.RATELIMIT_LOGIN_PER_ACCOUNT = (3, 900)
        for _ in range(3):
            client.post("/accounts/email/", {"email": "new@example.org", "password": "guess"})
        response = client.post(
            "/accounts/email/", {"email": "new@example.org", "password": "s3cret-words"}
        )
        assert response.status_code == 429
        page = response.content.decode()
        assert "Too many sign-in attempts" in page
        assert 'value="new@example.org"' in page
        member.refresh_from_db()
        assert member.pending_email == ""


class TestPasswordChange:
    def test_asks_the_current_password_then_changes_it(self, client, member):
        page = client.get("/accounts/password/").content.decode()
        assert '<label for="id_old_password">Old password:</label>' in page
        wrong = client.post(
            "/accounts/password/",
            {
                "old_password": "x",
                "new_password1": "new phrase 12",
                "new_password2": "new phrase 12",
            },
        )
        assert "Your old password was entered incorrectly" in wrong.content.decode()

        response = client.post(
            "/accounts/password/",
            {
                "old_password": "s3cret-words",
                "new_password1": "new phrase 12",
                "new_password2": "new phrase 12",
            },
        )

        assert response["Location"] == "/accounts/password/changed/"
        assert User.objects.get(pk=member.pk).check_password("new phrase 12")
        assert client.get("/accounts/").status_code == 200  # still signed in


def test_an_account_without_a_profile_gets_404_not_an_error(client):
    admin = User.objects.create_superuser("boss", "boss@example.org", "pw")
    client.force_login(admin)
    assert client.get("/accounts/").status_code == 200
    for url in ["/accounts/profile/", "/accounts/preferences/"]:
        assert client.get(url).status_code == 404


def test_guessing_the_old_password_is_limited_with_sign_in(client, member, settings):
    settings.RATELIMIT_LOGIN_PER_ACCOUNT = (3, 900)
    for _ in range(3):
        Client().post("/accounts/login/", {"username": "Quill Feather", "password": "guess"})
    response = client.post(
        "/accounts/password/",
        {"old_password": "s3cret-words", "new_password1": "new phrase 12",
         "new_password2": "new phrase 12"},
    )  # fmt: skip
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert User.objects.get(pk=member.pk).check_password("s3cret-words")
