"""A member an import renamed to settle a pen-name clash still signs in with the old name.

The eFiction importer renames the later of two clashing members ("Spike" → "Spike (7)")
and keeps `Profile.former_name_key`; sign-in by "Spike" then tries the password on the
current holder first and on the renamed member next.
"""

import pytest
from django.contrib.auth import authenticate

from fanfold.accounts.models import Profile
from fanfold.lib.names import name_key
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder():
    return make_user("Spike", password="holder's words")


@pytest.fixture
def renamed():
    user = make_user("Spike (7)", password="renamed's words")
    Profile.objects.filter(user=user).update(former_name_key=name_key("Spike"))
    return user


def sign_in(client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_the_holder_signs_in_with_the_name(client, holder, renamed):
    assert sign_in(client, "Spike", "holder's words").status_code == 302
    assert client.session["_auth_user_id"] == str(holder.pk)


def test_the_renamed_member_signs_in_with_the_old_name(client, holder, renamed):
    assert sign_in(client, "SPIKE", "renamed's words").status_code == 302
    assert client.session["_auth_user_id"] == str(renamed.pk)


def test_the_renamed_member_signs_in_with_the_new_name(client, holder, renamed):
    assert sign_in(client, "spike (7)", "renamed's words").status_code == 302
    assert client.session["_auth_user_id"] == str(renamed.pk)
    assert authenticate(None, username="Spike (7)", password="holder's words") is None


def test_the_old_name_works_when_nobody_holds_it_any_more(holder, renamed):
    Profile.objects.filter(user=holder).update(pen_name="Spike Two", pen_name_key="spike two")
    assert authenticate(None, username="Spike", password="renamed's words") == renamed


def test_a_wrong_password_fails(client, holder, renamed):
    response = sign_in(client, "Spike", "nobody's words")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "password do not match" in response.content.decode()


def test_a_closed_renamed_account_does_not_sign_in(holder, renamed):
    renamed.is_active = False
    renamed.save()
    assert authenticate(None, username="Spike", password="renamed's words") is None


def test_guessing_the_shared_name_is_rate_limited(client, settings, holder, renamed):
    settings.RATELIMIT_LOGIN_PER_ACCOUNT = (3, 900)
    for _ in range(3):
        assert sign_in(client, "Spike", "guess").status_code == 200
    response = sign_in(client, "spike", "renamed's words")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_name_without_visible_letters_matches_nobody(renamed):
    """Most members have no former name (an empty key): an empty name must not match them."""
    make_user("Quill", password="quill's words")
    for invisible in ["\u200b", "\u00ad", " \u200d "]:
        assert authenticate(None, username=invisible, password="quill's words") is None
        assert authenticate(None, username=invisible, password="renamed's words") is None
