"""Sign-in by pen name or email, and registration, returning the reader where they were."""

import pytest

from fanfold.accounts.models import Profile, User
from fanfold.core.models import ArchiveSettings
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_login_page_keeps_next(client):
    page = client.get("/accounts/login/?next=/stories/1/chapters/2/").content.decode()
    assert "<h1>Log in</h1>" in page
    assert '<input type="hidden" name="next" value="/stories/1/chapters/2/">' in page
    assert '<label for="id_username">Pen name or email:</label>' in page
    assert '<label for="id_password">Password:</label>' in page


def test_sign_in_by_pen_name_in_any_case_returns_to_next(client):
    make_user("Quill Feather", password="s3cret-words")
    response = client.post(
        "/accounts/login/",
        {"username": "quill feather", "password": "s3cret-words", "next": "/stories/1/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/stories/1/"


def test_wrong_password_is_a_clear_error(client):
    make_user("Quill Feather", password="s3cret-words")
    response = client.post("/accounts/login/", {"username": "Quill Feather", "password": "no"})
    assert response.status_code == 200
    assert "That pen name (or email) and password do not match." in response.content.decode()


def test_next_must_be_local(client):
    make_user("Quill Feather", password="s3cret-words")
    response = client.post(
        "/accounts/login/",
        {"username": "Quill Feather", "password": "s3cret-words", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_register_creates_member_and_signs_in_when_confirmation_is_off(client):
    ArchiveSettings.objects.create(confirm_email=False)
    response = client.post(
        "/accounts/register/?next=/stories/1/chapters/2/",
        {"pen_name": "Zoë Lindqvist", "email": "zoe@example.org", "password": "a long passphrase"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/stories/1/chapters/2/"
    profile = Profile.objects.get(pen_name="Zoë Lindqvist")
    assert profile.user.check_password("a long passphrase")
    assert "Log out" in client.get("/accounts/login/", follow=True).content.decode()


def test_register_refuses_a_pen_name_that_differs_only_by_case_or_width(client):
    make_user("Spike")
    response = client.post(
        "/accounts/register/",
        {"pen_name": "ＳＰＩＫＥ", "email": "s@example.org", "password": "a long passphrase"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "That pen name is taken" in page
    assert "look-alike letters" in page
    assert 'value="s@example.org"' in page  # what was typed is still there
    assert User.objects.count() == 1


def test_register_explains_weak_passwords(client):
    response = client.post(
        "/accounts/register/", {"pen_name": "New", "email": "n@example.org", "password": "123"}
    )
    assert "This password is too short" in response.content.decode()


def test_register_needs_csrf():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        "/accounts/register/", {"pen_name": "X", "email": "x@example.org", "password": "pw"}
    )
    assert response.status_code == 403


class TestRateLimits:
    def test_guessing_one_pen_name_is_stopped_even_with_the_right_password(self, client, settings):
        settings.RATELIMIT_LOGIN_PER_ACCOUNT = (3, 900)
        make_user("Quill Feather", password="s3cret-words")
        for _ in range(3):
            wrong = {"username": "Quill Feather", "password": "guess"}
            assert client.post("/accounts/login/", wrong).status_code == 200
        right = {"username": "QUILL FEATHER", "password": "s3cret-words"}
        response = client.post("/accounts/login/", right)
        assert response.status_code == 429
        page = response.content.decode()
        assert "Too many sign-in attempts" in page
        assert 'value="QUILL FEATHER"' in page  # what was typed is still there

    def test_one_address_trying_many_pen_names_is_stopped(self, client, settings):
        settings.RATELIMIT_LOGIN_PER_ADDRESS = (4, 300)
        statuses = [
            client.post("/accounts/login/", {"username": f"name {n}", "password": "x"}).status_code
            for n in range(5)
        ]
        assert statuses == [200, 200, 200, 200, 429]

    def test_registrations_per_address_are_limited(self, client, settings):
        ArchiveSettings.objects.create(confirm_email=False)
        settings.RATELIMIT_REGISTER_PER_ADDRESS = (1, 3600)
        first = {"pen_name": "First", "email": "a@example.org", "password": "a long passphrase"}
        assert client.post("/accounts/register/", first).status_code == 302
        client.logout()
        second = {"pen_name": "Second", "email": "b@example.org", "password": "a long passphrase"}
        response = client.post("/accounts/register/", second)
        assert response.status_code == 429
        assert "Too many accounts were registered" in response.content.decode()
        assert 'value="Second"' in response.content.decode()
        assert not Profile.objects.filter(pen_name="Second").exists()

    def test_limits_can_be_switched_off(self, client, settings):
        settings.RATELIMIT_ENABLE = False
        settings.RATELIMIT_LOGIN_PER_ADDRESS = (1, 300)
        for n in range(3):
            response = client.post("/accounts/login/", {"username": f"n{n}", "password": "x"})
            assert response.status_code == 200


class TestSignInByEmail:
    def test_an_email_only_one_account_has_signs_in_in_any_case(self, client):
        make_user("Quill Feather", email="quill@example.org", password="s3cret-words")
        response = client.post(
            "/accounts/login/",
            {"username": "QUILL@Example.org", "password": "s3cret-words", "next": "/browse/"},
        )
        assert response.status_code == 302
        assert response["Location"] == "/browse/"

    def test_a_shared_email_asks_for_the_pen_name(self, client):
        make_user("First", email="family@example.org", password="s3cret-words")
        make_user("Second", email="Family@example.org", password="s3cret-words")
        response = client.post(
            "/accounts/login/", {"username": "family@example.org", "password": "s3cret-words"}
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert "Several accounts use that email address" in page
        assert "log in with your pen name" in page
        assert "_auth_user_id" not in client.session
        by_name = client.post(
            "/accounts/login/", {"username": "second", "password": "s3cret-words"}
        )
        assert by_name.status_code == 302

    def test_wrong_password_with_an_email_is_the_usual_error(self, client):
        make_user("Quill", email="quill@example.org", password="s3cret-words")
        response = client.post(
            "/accounts/login/", {"username": "quill@example.org", "password": "nope"}
        )
        assert "do not match" in response.content.decode()

    def test_a_shared_email_with_a_wrong_password_says_only_do_not_match(self, client):
        make_user("First", email="family@example.org", password="s3cret-words")
        make_user("Second", email="family@example.org", password="other-words")
        response = client.post(
            "/accounts/login/", {"username": "family@example.org", "password": "guess"}
        )
        page = response.content.decode()
        assert "do not match" in page
        assert "Several accounts" not in page

    def test_an_unconfirmed_account_neither_reveals_nor_blocks_a_members_email(self, client):
        make_user("Victim", email="victim@example.org", password="s3cret-words")
        make_user("Squatter", email="VICTIM@example.org", email_confirmed=False)
        probe = client.post(
            "/accounts/login/", {"username": "victim@example.org", "password": "guess"}
        )
        assert "Several accounts" not in probe.content.decode()
        assert "do not match" in probe.content.decode()
        response = client.post(
            "/accounts/login/", {"username": "victim@example.org", "password": "s3cret-words"}
        )
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(Profile.objects.by_pen_name("Victim").user_id)

    def test_an_unconfirmed_account_signs_in_by_pen_name_not_email(self, client):
        ArchiveSettings.objects.create(confirm_email=False)
        make_user(
            "Newcomer", email="new@example.org", password="s3cret-words", email_confirmed=False
        )
        by_email = {"username": "new@example.org", "password": "s3cret-words"}
        assert client.post("/accounts/login/", by_email).status_code == 200
        by_name = {"username": "Newcomer", "password": "s3cret-words"}
        assert client.post("/accounts/login/", by_name).status_code == 302


class TestUnconfirmedMembers:
    def test_are_told_to_confirm_not_that_the_password_is_wrong(self, client):
        make_user("Newcomer", password="s3cret-words", email_confirmed=False)
        response = client.post(
            "/accounts/login/", {"username": "Newcomer", "password": "s3cret-words"}
        )
        page = response.content.decode()
        assert "Please confirm your email address first" in page
        assert "do not match" not in page
        assert 'href="/accounts/confirm/resend/"' in page
        assert "_auth_user_id" not in client.session

    def test_a_wrong_password_reveals_nothing_about_confirmation(self, client):
        make_user("Newcomer", password="s3cret-words", email_confirmed=False)
        response = client.post("/accounts/login/", {"username": "Newcomer", "password": "x"})
        page = response.content.decode()
        assert "do not match" in page
        assert "Please confirm" not in page and "/accounts/confirm/resend/" not in page

    def test_may_sign_in_when_the_archive_does_not_ask_for_confirmation(self, client):
        ArchiveSettings.objects.create(confirm_email=False)
        make_user("Newcomer", password="s3cret-words", email_confirmed=False)
        response = client.post(
            "/accounts/login/", {"username": "Newcomer", "password": "s3cret-words"}
        )
        assert response.status_code == 302

    def test_accounts_made_outside_registration_count_as_confirmed(self):
        assert User.objects.create_user("admin-made").email_confirmed
