"""Registration with email confirmation (ArchiveSettings.confirm_email, on by default)."""

import re

import pytest
from django.core import signing

from fanfold.accounts import tokens
from fanfold.accounts.models import Profile, User
from fanfold.core.models import ArchiveSettings
from tests.factories import make_user
from tests.hostile import HOSTILE, executable_parts

pytestmark = pytest.mark.django_db

NEW_MEMBER = {
    "pen_name": "Zoë Lindqvist",
    "email": "zoe@example.org",
    "password": "a long passphrase",
}


def link_in(body: str) -> str:
    """The path of the first archive link in an email body."""
    return re.search(r"http://testserver(/\S+)", body).group(1)


def test_registering_asks_to_check_the_email_and_does_not_sign_in(client, mailbox):
    response = client.post("/accounts/register/", NEW_MEMBER, follow=True)

    page = response.content.decode()
    assert "<h1>Check your email</h1>" in page
    assert "_auth_user_id" not in client.session
    user = Profile.objects.get(pen_name="Zoë Lindqvist").user
    assert not user.email_confirmed
    [message] = mailbox.wait_for(1)
    assert message["To"] == "zoe@example.org"
    assert "Confirm your email address" in message["Subject"]
    assert "Zoë Lindqvist" in mailbox.bodies()[0]
    assert "<a href=" in message.get_body(preferencelist=("html",)).get_content()


def test_the_emailed_link_confirms_and_then_the_member_can_log_in(client, mailbox):
    client.post("/accounts/register/", NEW_MEMBER)
    refused = client.post(
        "/accounts/login/", {"username": "Zoë Lindqvist", "password": "a long passphrase"}
    )
    assert "Please confirm your email address first" in refused.content.decode()

    mailbox.wait_for(1)
    response = client.get(link_in(mailbox.bodies()[0]))

    assert response.status_code == 200
    assert "your email address is confirmed" in response.content.decode()
    assert User.objects.get(email="zoe@example.org").email_confirmed
    signed_in = client.post(
        "/accounts/login/", {"username": "zoe@example.org", "password": "a long passphrase"}
    )
    assert signed_in.status_code == 302


@pytest.mark.parametrize("mangle", ["tamper", "expire"])
def test_a_tampered_or_expired_link_does_nothing(client, mailbox, mangle, monkeypatch):
    client.post("/accounts/register/", NEW_MEMBER)
    mailbox.wait_for(1)
    path = link_in(mailbox.bodies()[0])
    if mangle == "tamper":
        path = path[:-3] + ("AAA/" if not path.endswith("AAA/") else "BBB/")
    else:
        monkeypatch.setattr(tokens, "MAX_AGE", -1)

    response = client.get(path)

    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    assert not User.objects.get(email="zoe@example.org").email_confirmed


def test_a_link_signed_for_something_else_is_refused(client):
    user = make_user("Someone", email="a@example.org", email_confirmed=False)
    forged = signing.dumps({"u": user.pk, "from": user.email, "to": user.email}, salt="other")
    assert client.get(f"/accounts/confirm/{forged}/").status_code == 400
    user.refresh_from_db()
    assert not user.email_confirmed


def test_resend_sends_a_new_link_by_pen_name_or_email(client, mailbox):
    make_user("Waiting", email="wait@example.org", email_confirmed=False)
    make_user("Done", email="done@example.org")
    page = client.get("/accounts/confirm/resend/").content.decode()
    assert '<label for="id_identifier">Pen name or email:</label>' in page

    by_name = client.post("/accounts/confirm/resend/", {"identifier": "waiting"})
    by_email = client.post("/accounts/confirm/resend/", {"identifier": "WAIT@example.org"})
    confirmed = client.post("/accounts/confirm/resend/", {"identifier": "done@example.org"})
    unknown = client.post("/accounts/confirm/resend/", {"identifier": "nobody@example.org"})

    # The same answer every time: nothing tells whether the account exists.
    assert {r["Location"] for r in (by_name, by_email, confirmed, unknown)} == {
        "/accounts/confirm/sent/"
    }
    mailbox.wait_for(2)
    assert [m["To"] for m in mailbox.messages] == ["wait@example.org", "wait@example.org"]
    assert client.get(link_in(mailbox.bodies()[1])).status_code == 200
    assert User.objects.get(email="wait@example.org").email_confirmed


def test_resending_is_rate_limited(client, settings, mailbox):
    settings.RATELIMIT_RESET_PER_ACCOUNT = (1, 3600)
    make_user("Waiting", email="wait@example.org", email_confirmed=False)
    assert client.post("/accounts/confirm/resend/", {"identifier": "Waiting"}).status_code == 302
    response = client.post("/accounts/confirm/resend/", {"identifier": "Waiting"})
    assert response.status_code == 429
    assert "Too many emails were requested" in response.content.decode()
    assert 'value="Waiting"' in response.content.decode()


def test_with_confirmation_off_the_member_is_signed_in_at_once(client, mailbox):
    ArchiveSettings.objects.create(confirm_email=False)
    response = client.post("/accounts/register/?next=/browse/", NEW_MEMBER)
    assert response["Location"] == "/browse/"
    assert "_auth_user_id" in client.session
    assert mailbox.messages == []


def test_look_alike_pen_name_is_refused_with_a_clear_message(client):
    make_user("Spike")
    response = client.post(
        "/accounts/register/",
        {**NEW_MEMBER, "pen_name": "Ѕpike"},  # Cyrillic Ѕ
    )
    page = response.content.decode()
    assert "That pen name is taken, or looks the same as one that is" in page
    assert 'value="Ѕpike"' in page and 'value="zoe@example.org"' in page
    assert User.objects.count() == 1


@pytest.mark.parametrize("pen_name", ["orphan account", "ORPHAN  ACCOUNT", "Оrphan Account"])
def test_nobody_may_register_the_orphan_account_name(client, pen_name):
    response = client.post("/accounts/register/", {**NEW_MEMBER, "pen_name": pen_name})
    assert "That pen name is reserved for the archive&#x27;s orphaned stories" in (
        response.content.decode()
    )
    assert not User.objects.exists()


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_input_is_escaped_on_the_forms(client, mailbox, hostile):
    ArchiveSettings.objects.create(confirm_email=False)
    registered = client.post(
        "/accounts/register/", {"pen_name": hostile, "email": hostile, "password": "x"}
    )
    assert executable_parts(registered.content.decode()) == []
    signed_in = client.post("/accounts/login/", {"username": hostile, "password": "x"})
    assert executable_parts(signed_in.content.decode()) == []
    resend = client.post("/accounts/confirm/resend/", {"identifier": hostile})
    assert resend.status_code in (200, 302)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_pen_name_is_escaped_in_the_email_and_pages(client, mailbox, hostile):
    response = client.post(
        "/accounts/register/", {**NEW_MEMBER, "pen_name": hostile[:100]}, follow=True
    )
    assert executable_parts(response.content.decode()) == []
    if mailbox.messages:
        html = mailbox.messages[0].get_body(preferencelist=("html",)).get_content()
        assert executable_parts(html) == []
