"""Members of an imported eFiction archive sign in with their old passwords.

eFiction stored an unsalted MD5 of each password; the importer keeps it through
`from_efiction`, and the first sign-in replaces it with an Argon2 hash.
"""

import hashlib

import pytest
from django.contrib.auth.hashers import check_password, get_hasher, identify_hasher

import fanfold.settings as production
from fanfold.accounts.hashers import EFictionMD5PasswordHasher, from_efiction
from fanfold.accounts.models import User
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PEN_NAME = "Tara Maclay"
EMAIL = "user2@example.org"


def md5(password: str, encoding: str = "utf-8") -> str:
    return hashlib.md5(password.encode(encoding)).hexdigest()


@pytest.fixture(autouse=True)
def production_hashers(settings):
    """The real list (tests elsewhere use a fast MD5 one), so upgrades really go to Argon2."""
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS


def imported_member(efiction_password_column: str, **kw) -> User:
    """A member as the importer leaves them: eFiction's password column, confirmed email."""
    user = make_user(PEN_NAME, email=EMAIL, email_confirmed=True, **kw)
    user.password = from_efiction(efiction_password_column)
    user.save(update_fields=["password"])
    return user


def sign_in(client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


class TestStoredValue:
    def test_keeps_the_digest_under_its_own_algorithm_name(self):
        assert from_efiction(md5("pw2")) == f"efiction_md5$${md5('pw2')}"
        assert from_efiction(md5("pw2").upper()) == f"efiction_md5$${md5('pw2')}"
        assert from_efiction(md5("pw2").encode()) == f"efiction_md5$${md5('pw2')}"
        assert isinstance(identify_hasher(from_efiction(md5("pw2"))), EFictionMD5PasswordHasher)

    @pytest.mark.parametrize("column", ["0", "", None, "  ", "not-a-hash", "0" * 31, "g" * 32])
    def test_no_password_or_an_invalid_one_is_unusable(self, column):
        stored = from_efiction(column)
        assert stored.startswith("!")
        assert not check_password("0", stored)
        assert not check_password("", stored)

    def test_summary_masks_the_digest(self):
        summary = get_hasher("efiction_md5").safe_summary(from_efiction(md5("pw2")))
        assert summary["algorithm"] == "efiction_md5"
        assert md5("pw2") not in summary["hash"]

    def test_never_used_for_new_passwords(self):
        user = imported_member(md5("pw2"))
        user.set_password("a new passphrase")
        assert user.password.startswith("argon2")
        assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


class TestSignIn:
    def test_by_pen_name_in_any_case_then_upgraded_to_argon2(self, client):
        user = imported_member(md5("pw2"))
        response = sign_in(client, "tara MACLAY", "pw2")
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(user.pk)
        user.refresh_from_db()
        assert user.password.startswith("argon2")
        assert user.check_password("pw2")

    def test_by_email_then_upgraded_to_argon2(self, client):
        user = imported_member(md5("pw2"))
        response = sign_in(client, "USER2@example.org", "pw2")
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(user.pk)
        user.refresh_from_db()
        assert user.password.startswith("argon2")

    def test_after_the_upgrade_the_same_password_still_works(self, client):
        imported_member(md5("pw2"))
        sign_in(client, PEN_NAME, "pw2")
        client.logout()
        assert sign_in(client, PEN_NAME, "pw2").status_code == 302

    def test_wrong_password_is_refused_and_the_hash_kept(self, client):
        user = imported_member(md5("pw2"))
        for wrong in ["pw3", "PW2", md5("pw2"), "pw2 "]:
            response = sign_in(client, PEN_NAME, wrong)
            assert response.status_code == 200
            assert "_auth_user_id" not in client.session
            assert "password do not match" in response.content.decode()
        user.refresh_from_db()
        assert user.password == from_efiction(md5("pw2"))

    @pytest.mark.parametrize("attempt", ["0", "", " ", "pw2"])
    def test_an_account_with_password_0_cannot_sign_in(self, client, attempt):
        imported_member("0")
        response = sign_in(client, PEN_NAME, attempt)
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session

    def test_a_password_typed_on_a_latin1_archive_still_works(self, client):
        """Older eFiction pages were ISO-8859-1, so browsers posted "é" as one byte."""
        imported_member(md5("café crème", "cp1252"))
        assert sign_in(client, PEN_NAME, "café crème").status_code == 302

    def test_a_utf8_archive_password_works(self, client):
        imported_member(md5("naïve ♥"))
        assert sign_in(client, PEN_NAME, "naïve ♥").status_code == 302

    def test_sign_in_form_needs_csrf(self):
        from django.test import Client

        imported_member(md5("pw2"))
        response = sign_in(Client(enforce_csrf_checks=True), PEN_NAME, "pw2")
        assert response.status_code == 403
