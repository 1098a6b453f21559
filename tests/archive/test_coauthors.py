"""Co-authors: invitations by pen name, accepting onto the byline, declining, removing."""

import pytest
from django.test import Client
from pytest_django.asserts import assertContains, assertNotContains

from fanfold.accounts.models import Profile
from fanfold.archive import coauthors
from fanfold.archive.models import CoauthorInvite, StoryAuthor
from tests.factories import make_story, make_user
from tests.hostile import executable_parts

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return make_user("Rowan Ash")


@pytest.fixture
def friend():
    return make_user("Juniper Vale")


@pytest.fixture
def story(owner):
    return make_story("Two Hands", authors=[owner])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# parse_pen_names -------------------------------------------------------------------------


def test_pen_names_are_matched_ignoring_case_width_and_spacing(owner, friend):
    found, missing = coauthors.parse_pen_names(" juniper   vale , ＲＯＷＡＮ ＡＳＨ,Nobody Here")
    assert found == [friend, owner]
    assert missing == ["Nobody Here"]


def test_blanks_and_repeats_are_ignored(friend):
    found, missing = coauthors.parse_pen_names(",, Juniper Vale, JUNIPER VALE ,  , ghost, Ghost")
    assert found == [friend]
    assert missing == ["ghost"]


def test_inactive_members_are_not_found():
    make_user("Gone Away", is_active=False)
    assert coauthors.parse_pen_names("Gone Away") == ([], ["Gone Away"])


# invite, accept, decline, remove ---------------------------------------------------------


def test_invite_skips_authors_and_members_already_invited(story, owner, friend):
    third = make_user("Third Person")
    assert [i.user for i in coauthors.invite(story, owner, [friend])] == [friend]
    created = coauthors.invite(story, owner, [owner, friend, third, third])
    assert [i.user for i in created] == [third]
    assert CoauthorInvite.objects.filter(story=story).count() == 2


def test_nobody_is_on_the_byline_before_accepting(story, owner, friend):
    coauthors.invite(story, owner, [friend])
    assertNotContains(Client().get(story.get_absolute_url()), "Juniper Vale")


def test_accepting_adds_the_member_at_the_end_of_the_byline(story, owner, friend):
    third = make_user("Third Person")
    StoryAuthor.objects.create(story=story, user=third, position=1)
    coauthors.invite(story, owner, [friend])
    page_before = Client().get(story.get_absolute_url())  # now in the page cache
    assertNotContains(page_before, "Juniper Vale")

    coauthors.accept(CoauthorInvite.objects.get(user=friend))

    byline = list(StoryAuthor.objects.filter(story=story).values_list("user", "position"))
    assert byline == [(owner.pk, 0), (third.pk, 1), (friend.pk, 2)]
    assert not CoauthorInvite.objects.exists()
    assert Profile.objects.get(user=friend).story_count == 1
    assertContains(Client().get(story.get_absolute_url()), "Juniper Vale")


def test_declining_removes_the_invitation_only(story, owner, friend):
    coauthors.invite(story, owner, [friend])
    coauthors.decline(CoauthorInvite.objects.get())
    assert not CoauthorInvite.objects.exists()
    assert not StoryAuthor.objects.filter(user=friend).exists()


def test_removing_a_coauthor_but_never_the_owner(story, owner, friend):
    coauthors.invite(story, owner, [friend])
    coauthors.accept(CoauthorInvite.objects.get())

    assert coauthors.remove_coauthor(story, owner) is False
    assert coauthors.remove_coauthor(story, friend) is True
    assert list(story.authors.all()) == [owner]
    assert Profile.objects.get(user=friend).story_count == 0
    assertNotContains(Client().get(story.get_absolute_url()), "Juniper Vale")


# The invitations page ------------------------------------------------------------------


def test_invitations_need_a_signed_in_member():
    response = Client().get("/my/invitations/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/my/invitations/"
    response = Client().post("/my/invitations/1/accept/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_member_sees_their_own_invitations(story, owner, friend, django_assert_max_num_queries):
    other_story = make_story("Someone Else's", authors=[make_user("Elsewhere")])
    coauthors.invite(story, owner, [friend])
    coauthors.invite(other_story, other_story.authors.get(), [owner])
    for n in range(5):
        extra = make_story(f"More {n}", authors=[make_user(f"Inviter {n}")])
        coauthors.invite(extra, extra.authors.get(), [friend])

    client = signed_in(friend)
    with django_assert_max_num_queries(5):
        response = client.get("/my/invitations/")
    page = response.content.decode()
    assert "Two Hands" in page and "Rowan Ash invited you" in page
    assert "Someone Else" not in page
    invite = CoauthorInvite.objects.get(story=story)
    assert f'action="/my/invitations/{invite.pk}/accept/"' in page
    assert f'action="/my/invitations/{invite.pk}/decline/"' in page
    assert '<button type="submit">Accept</button>' in page


def test_accept_button(story, owner, friend):
    coauthors.invite(story, owner, [friend])
    invite = CoauthorInvite.objects.get()
    response = signed_in(friend).post(f"/my/invitations/{invite.pk}/accept/", follow=True)
    assertContains(response, "You are now a co-author of “Two Hands”.")
    assert story.authors.filter(pk=friend.pk).exists()
    # Now a co-author, the invitation is used up.
    assert signed_in(friend).post(f"/my/invitations/{invite.pk}/accept/").status_code == 404


def test_decline_button(story, owner, friend):
    coauthors.invite(story, owner, [friend])
    invite = CoauthorInvite.objects.get()
    response = signed_in(friend).post(f"/my/invitations/{invite.pk}/decline/", follow=True)
    assertContains(response, "You declined to co-author “Two Hands”.")
    assert not story.authors.filter(pk=friend.pk).exists()
    assert not CoauthorInvite.objects.exists()


def test_answers_are_posts_to_your_own_invitations_only(story, owner, friend):
    coauthors.invite(story, owner, [friend])
    invite = CoauthorInvite.objects.get()
    assert signed_in(friend).get(f"/my/invitations/{invite.pk}/accept/").status_code == 405
    assert signed_in(friend).post(f"/my/invitations/{invite.pk}/maybe/").status_code == 404
    # Not the inviter, not a moderator, not anyone else: the invitation is the invitee's.
    moderator = make_user("Mod", is_staff=True)
    for other in (owner, moderator, make_user("Stranger")):
        assert signed_in(other).post(f"/my/invitations/{invite.pk}/accept/").status_code == 404
    assert CoauthorInvite.objects.filter(pk=invite.pk).exists()


def test_hostile_story_titles_are_text_on_the_invitations_page(owner, friend):
    from tests.hostile import HOSTILE

    for n, title in enumerate(HOSTILE):
        hostile = make_story(title[:200], authors=[make_user(f"Writer {n}")])
        coauthors.invite(hostile, hostile.authors.get(), [friend])
    page = signed_in(friend).get("/my/invitations/").content.decode()
    assert executable_parts(page) == []


def test_my_stories_announces_invitations(story, owner, friend):
    page = signed_in(friend).get("/my/stories/")
    assertNotContains(page, "You are invited to co-author")
    coauthors.invite(story, owner, [friend])
    page = signed_in(friend).get("/my/stories/")
    assertContains(page, "You are invited to co-author 1 story")
    assertContains(page, 'href="/my/invitations/"')
