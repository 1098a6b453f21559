"""The admin: the decision log is read-only; authors' "trusted" switch can be flipped."""

import pytest

from fanfold.moderation import actions
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("Site Owner", is_staff=True, is_superuser=True))
    return client


def test_decisions_are_listed_but_never_added_changed_or_deleted(
    admin_client, moderator, pending_chapter
):
    decision = actions.approve(pending_chapter, moderator)
    listing = admin_client.get("/admin/moderation/moderationdecision/")
    assert listing.status_code == 200
    assert "Waiting Story — Chapter 1" in listing.content.decode()
    assert admin_client.get("/admin/moderation/moderationdecision/add/").status_code == 403
    detail = admin_client.get(f"/admin/moderation/moderationdecision/{decision.pk}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    delete_url = f"/admin/moderation/moderationdecision/{decision.pk}/delete/"
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403


def test_the_trusted_switch_is_in_the_profile_admin(admin_client, author, member):
    """The switch lives on accounts' ProfileAdmin; moderators of the queue rely on it."""
    author.profile.trusted = True
    author.profile.save()
    page = admin_client.get(f"/admin/accounts/profile/{member.profile.pk}/change/")
    assert 'name="trusted"' in page.content.decode()
    listing = admin_client.get("/admin/accounts/profile/?trusted__exact=1").content.decode()
    assert "Quill Feather" in listing and "Plain Reader" not in listing
