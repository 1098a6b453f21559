"""Every review view for every role: who is let in, who is turned away, and what changes.

Roles: visitor, member, the story's author and co-author, a member the author blocked,
a moderator, and the reviewer themselves (for their own review).
"""

import pytest

from fanfold.community.models import Block, Review
from fanfold.core.models import ArchiveSettings
from fanfold.moderation.models import ModerationDecision
from tests.factories import make_review, make_series, make_story, make_user

pytestmark = pytest.mark.django_db

ROLES = ["visitor", "member", "author", "coauthor", "blocked", "moderator", "reviewer"]


class Cast:
    """A story by an author and a co-author, with one review on its first chapter."""

    def __init__(self):
        self.author = make_user("Author")
        self.coauthor = make_user("Co-Author")
        self.member = make_user("Member")
        self.blocked = make_user("Blocked")
        self.moderator = make_user("Moderator", is_staff=True)
        self.reviewer = make_user("Reviewer")
        Block.objects.create(user=self.author, blocked=self.blocked)
        self.story = make_story("The Road", authors=[self.author, self.coauthor], chapters=2)
        self.chapter = self.story.chapters.get(position=1)
        self.series = make_series(self.author, "The Saga", stories=[self.story])
        self.review = make_review(
            self.story, "<p>Lovely.</p>", chapter=self.chapter, reviewer=self.reviewer
        )

    def user(self, role: str):
        return None if role == "visitor" else getattr(self, role)


@pytest.fixture
def cast():
    return Cast()


def as_role(client, cast: Cast, role: str):
    if role != "visitor":
        client.force_login(cast.user(role))
    return client


def anonymous_reviews(on: bool, moderated: bool = False) -> None:
    ArchiveSettings(pk=1, anonymous_reviews=on, moderate_anonymous_reviews=moderated).save()


def outcome(response) -> str:
    """What the person met: the page, a sign-in page, a refusal or nothing there."""
    if response.status_code == 302 and response["Location"].startswith("/accounts/login/"):
        return "login"
    return {200: "page", 302: "done", 403: "forbidden", 404: "missing"}[response.status_code]


class TestNewReview:
    EXPECTED = {
        "visitor": "login",
        "member": "page",
        # Authors answer reviews of their own work; they do not review it.
        "author": "forbidden",
        "coauthor": "forbidden",
        "blocked": "forbidden",
        "moderator": "page",
        "reviewer": "page",
    }

    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("kind", ["chapter", "story", "series"])
    def test_the_review_page(self, client, cast, role, kind):
        target = {"chapter": cast.chapter, "story": cast.story, "series": cast.series}[kind]
        response = as_role(client, cast, role).get(f"/reviews/new/{kind}/{target.pk}/")
        # The series' owner is the author, so the blocked member is refused there too; the
        # story's co-author does not own the series and may review it.
        expected = "page" if (kind, role) == ("series", "coauthor") else self.EXPECTED[role]
        assert outcome(response) == expected

    @pytest.mark.parametrize("role", ROLES)
    def test_posting(self, client, cast, role):
        response = as_role(client, cast, role).post(
            f"/reviews/new/chapter/{cast.chapter.pk}/", {"text": "Nice.", "signed_in": "1"}
        )
        allowed = self.EXPECTED[role] == "page"
        assert outcome(response) == ("done" if allowed else self.EXPECTED[role])
        new = Review.objects.filter(text="<p>Nice.</p>")
        assert new.count() == (1 if allowed else 0)
        if allowed:
            assert new.get().reviewer == cast.user(role)
            assert response["Location"] == (
                f"/stories/{cast.story.pk}/chapters/1/#review-{new.get().pk}"
            )

    def test_visitors_get_the_form_when_anonymous_reviews_are_on(self, client, cast):
        anonymous_reviews(True)
        page = client.get(f"/reviews/new/chapter/{cast.chapter.pk}/").content.decode()
        assert 'name="name"' in page and 'name="text"' in page

    @pytest.mark.parametrize("where", ["chapter/999999", "story/999999", "series/999999", "x/1"])
    def test_nothing_to_review_is_404(self, client, cast, where):
        client.force_login(cast.member)
        assert client.get(f"/reviews/new/{where}/").status_code == 404

    def test_a_draft_chapter_cannot_be_reviewed(self, client, cast):
        cast.story.chapters.filter(position=2).update(status="draft")
        client.force_login(cast.member)
        draft = cast.story.chapters.get(position=2)
        assert client.get(f"/reviews/new/chapter/{draft.pk}/").status_code == 404


class TestReply:
    EXPECTED = {
        "visitor": "login",
        "member": "page",
        "author": "page",
        "coauthor": "page",
        "blocked": "forbidden",
        "moderator": "page",
        "reviewer": "page",
    }

    @pytest.mark.parametrize("role", ROLES)
    def test_get_and_post(self, client, cast, role):
        url = f"/reviews/{cast.review.pk}/reply/"
        as_role(client, cast, role)
        assert outcome(client.get(url)) == self.EXPECTED[role]
        response = client.post(url, {"text": "Thanks!"})
        replies = Review.objects.filter(parent=cast.review)
        if self.EXPECTED[role] == "page":
            assert outcome(response) == "done"
            assert replies.get().reviewer == cast.user(role)
            assert response["Location"] == (
                f"/stories/{cast.story.pk}/chapters/1/#review-{replies.get().pk}"
            )
        else:
            assert not replies.exists()

    def test_a_member_the_reviewer_blocked_cannot_reply(self, client, cast):
        Block.objects.create(user=cast.reviewer, blocked=cast.member)
        client.force_login(cast.member)
        assert client.get(f"/reviews/{cast.review.pk}/reply/").status_code == 403

    def test_replying_to_a_reply_answers_its_review(self, client, cast):
        first = make_review(cast.story, "First.", chapter=cast.chapter, parent=cast.review)
        client.force_login(cast.member)
        client.post(f"/reviews/{first.pk}/reply/", {"text": "Second."})
        assert Review.objects.get(text="<p>Second.</p>").parent == cast.review


class TestRespond:
    EXPECTED = {
        "visitor": "login",
        "member": "forbidden",
        "author": "page",
        "coauthor": "page",
        "blocked": "forbidden",
        "moderator": "forbidden",
        "reviewer": "forbidden",
    }

    @pytest.mark.parametrize("role", ROLES)
    def test_get_and_post(self, client, cast, role):
        url = f"/reviews/{cast.review.pk}/respond/"
        as_role(client, cast, role)
        assert outcome(client.get(url)) == self.EXPECTED[role]
        client.post(url, {"text": "Glad you liked it."})
        cast.review.refresh_from_db()
        if self.EXPECTED[role] == "page":
            assert cast.review.response == "<p>Glad you liked it.</p>"
            assert cast.review.responded_by == cast.user(role)
        else:
            assert cast.review.response == ""

    def test_an_empty_response_removes_it(self, client, cast):
        client.force_login(cast.author)
        client.post(f"/reviews/{cast.review.pk}/respond/", {"text": "Thanks."})
        page = client.get(f"/reviews/{cast.review.pk}/respond/").content.decode()
        assert "Thanks.</textarea>" in page  # the box shows the response to edit
        client.post(f"/reviews/{cast.review.pk}/respond/", {"text": ""})
        cast.review.refresh_from_db()
        assert cast.review.response == "" and cast.review.responded_by is None

    def test_series_owner_responds_to_series_reviews(self, client, cast):
        review = Review.objects.create(series=cast.series, reviewer=cast.member, text="<p>x</p>")
        client.force_login(cast.coauthor)
        assert client.get(f"/reviews/{review.pk}/respond/").status_code == 403
        client.force_login(cast.author)
        assert client.get(f"/reviews/{review.pk}/respond/").status_code == 200


class TestEdit:
    @pytest.mark.parametrize("role", ROLES)
    def test_only_the_reviewer_edits(self, client, cast, role):
        url = f"/reviews/{cast.review.pk}/edit/"
        as_role(client, cast, role)
        expected = {"visitor": "login", "reviewer": "page"}.get(role, "forbidden")
        assert outcome(client.get(url)) == expected
        client.post(url, {"text": "Changed\nmy mind.", "rating": "9"})
        cast.review.refresh_from_db()
        if role == "reviewer":
            assert cast.review.text == "<p>Changed<br>\nmy mind.</p>"
            assert cast.review.rating == 9 and cast.review.edited_at is not None
        else:
            assert cast.review.text == "<p>Lovely.</p>"

    def test_the_box_shows_the_text_as_typed_and_an_untouched_save_keeps_formatting(
        self, client, cast
    ):
        cast.review.text = "<p>So <em>good</em>.</p>"
        cast.review.save()
        client.force_login(cast.reviewer)
        page = client.get(f"/reviews/{cast.review.pk}/edit/").content.decode()
        assert ">\nSo good.</textarea>" in page
        client.post(f"/reviews/{cast.review.pk}/edit/", {"text": "So good.\r\n", "rating": ""})
        cast.review.refresh_from_db()
        assert cast.review.text == "<p>So <em>good</em>.</p>"


class TestDelete:
    @pytest.mark.parametrize("authors_delete", [False, True])
    @pytest.mark.parametrize("role", ROLES)
    def test_who_deletes(self, client, cast, role, authors_delete):
        ArchiveSettings(pk=1, authors_delete_reviews=authors_delete).save()
        url = f"/reviews/{cast.review.pk}/delete/"
        as_role(client, cast, role)
        may = role in ("reviewer", "moderator") or (
            authors_delete and role in ("author", "coauthor")
        )
        expected = "login" if role == "visitor" else "page" if may else "forbidden"
        assert outcome(client.get(url)) == expected
        response = client.post(url)
        assert Review.objects.filter(pk=cast.review.pk).exists() is not may
        if may:
            assert response["Location"] == f"/stories/{cast.story.pk}/chapters/1/#reviews"
        cast.story.refresh_from_db()
        assert cast.story.review_count == (0 if may else 1)

    def test_a_moderator_deleting_someone_elses_review_is_logged(self, client, cast):
        client.force_login(cast.moderator)
        client.post(f"/reviews/{cast.review.pk}/delete/")
        decision = ModerationDecision.objects.get()
        assert decision.action == "review_deleted" and decision.moderator == cast.moderator
        assert "Lovely." in decision.message

    def test_a_reviewer_deleting_their_own_is_not_a_moderation_act(self, client, cast):
        client.force_login(cast.reviewer)
        client.post(f"/reviews/{cast.review.pk}/delete/")
        assert not ModerationDecision.objects.exists()


class TestHiddenAndHeldReviews:
    @pytest.mark.parametrize("status", ["hidden", "pending"])
    def test_only_moderators_and_the_reviewer_reach_them(self, client, cast, status):
        Review.objects.filter(pk=cast.review.pk).update(status=status)
        for role, code in [("visitor", 404), ("member", 404), ("author", 404)]:
            client.logout()
            as_role(client, cast, role)
            assert client.get(f"/reviews/{cast.review.pk}/").status_code == code, role
        client.force_login(cast.moderator)
        assert client.get(f"/reviews/{cast.review.pk}/").status_code == 302
        client.force_login(cast.reviewer)
        assert client.get(f"/reviews/{cast.review.pk}/edit/").status_code == 200
        # A reply needs a published review.
        assert client.get(f"/reviews/{cast.review.pk}/reply/").status_code == 403

    def test_reviews_of_a_story_readers_cannot_open_are_404(self, client, cast):
        cast.story.status = "hidden"
        cast.story.save()
        client.force_login(cast.member)
        assert client.get(f"/reviews/{cast.review.pk}/").status_code == 404
        assert client.get(f"/stories/{cast.story.pk}/reviews/").status_code == 404


class TestWhatEachRoleSeesOnTheChapterPage:
    """The buttons come from the same rules as the views."""

    @pytest.mark.parametrize("role", ROLES)
    def test_buttons(self, client, cast, role):
        reply = make_review(
            cast.story, "A reply.", chapter=cast.chapter, reviewer=cast.member, parent=cast.review
        )
        page = as_role(client, cast, role).get(f"/stories/{cast.story.pk}/chapters/1/")
        html = page.content.decode()
        review = cast.review.pk
        assert (f'href="/reviews/{review}/reply/"' in html) is (role not in ("visitor", "blocked"))
        assert (f'href="/reviews/{review}/respond/"' in html) is (role in ("author", "coauthor"))
        assert (f'href="/reviews/{review}/edit/"' in html) is (role == "reviewer")
        assert (f'href="/reviews/{reply.pk}/edit/"' in html) is (role == "member")
        assert (f'href="/reviews/{review}/delete/"' in html) is (role == "reviewer")
        assert (f'action="/moderation/reviews/{review}/decide/"' in html) is (role == "moderator")
        # The review form: not for visitors, blocked members or the story's own authors.
        no_form = ("visitor", "blocked", "author", "coauthor")
        assert ('name="signed_in"' in html) is (role not in no_form)
        if role == "blocked":
            assert "You cannot review this." in html
        if role == "visitor":
            assert "csrfmiddlewaretoken" not in html

    def test_authors_get_delete_links_when_the_archive_allows(self, client, cast):
        ArchiveSettings(pk=1, authors_delete_reviews=True).save()
        client.force_login(cast.coauthor)
        html = client.get(f"/stories/{cast.story.pk}/chapters/1/").content.decode()
        assert f'href="/reviews/{cast.review.pk}/delete/"' in html

    def test_moderators_see_hidden_reviews_marked_with_a_restore_button(self, client, cast):
        Review.objects.filter(pk=cast.review.pk).update(status="hidden")
        assert "Lovely." not in client.get(f"/stories/{cast.story.pk}/chapters/1/").content.decode()
        client.force_login(cast.moderator)
        html = client.get(f"/stories/{cast.story.pk}/chapters/1/").content.decode()
        assert "Lovely." in html and "Hidden</strong>" in html
        assert 'value="restore">Restore</button>' in html

    def test_moderator_buttons_hide_and_restore_with_counts_and_log(self, client, cast):
        client.force_login(cast.moderator)
        chapter_url = f"/stories/{cast.story.pk}/chapters/1/"
        response = client.post(
            f"/moderation/reviews/{cast.review.pk}/decide/",
            {"action": "hide", "next": chapter_url},
        )
        assert response["Location"] == chapter_url
        cast.story.refresh_from_db()
        assert cast.story.review_count == 0
        client.post(f"/moderation/reviews/{cast.review.pk}/decide/", {"action": "restore"})
        cast.story.refresh_from_db()
        assert cast.story.review_count == 1
        actions = list(ModerationDecision.objects.order_by("pk").values_list("action", flat=True))
        assert actions == ["review_hidden", "review_restored"]

    def test_authors_previewing_a_draft_chapter_get_no_review_form(self, client, cast):
        cast.story.chapters.filter(position=2).update(status="draft")
        client.force_login(cast.author)
        html = client.get(f"/stories/{cast.story.pk}/chapters/2/").content.decode()
        assert 'name="signed_in"' not in html
