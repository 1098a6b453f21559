"""The validation queue pages: who may see them, what they show, what posting does."""

import pytest
from django.test import Client

from fanfold.archive.models import Chapter, Status, Story
from fanfold.lib.markup import sanitize
from fanfold.moderation import actions
from fanfold.moderation.models import ModerationDecision
from tests.factories import make_chapter, make_story, make_user
from tests.hostile import HOSTILE, executable_parts

pytestmark = pytest.mark.django_db


def as_user(client, user):
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def personas(member, author, moderator):
    """Everyone but the moderator is turned away: visitors to log in, members with a 403."""
    return {"anonymous": None, "member": member, "author": author, "moderator": moderator}


def expected_refusal(who: str, response, url: str) -> None:
    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    else:
        assert response.status_code == 403
        assert "Not allowed" in response.content.decode()


class TestWhoMayEnter:
    @pytest.mark.parametrize("who", ["anonymous", "member", "author", "moderator"])
    def test_queue_and_preview(self, client, personas, pending_chapter, who):
        as_user(client, personas[who])
        for url in ["/moderation/", f"/moderation/chapters/{pending_chapter.pk}/"]:
            response = client.get(url)
            if who == "moderator":
                assert response.status_code == 200
            else:
                expected_refusal(who, response, url)

    @pytest.mark.parametrize("who", ["anonymous", "member", "author", "moderator"])
    @pytest.mark.parametrize("decision", ["approve", "reject"])
    def test_deciding(self, client, personas, pending_chapter, mailbox, who, decision):
        as_user(client, personas[who])
        url = f"/moderation/chapters/{pending_chapter.pk}/{decision}/"
        response = client.post(url, {"message": "Please fix the summary."})
        status = Chapter.objects.get(pk=pending_chapter.pk).status
        if who == "moderator":
            assert response.status_code == 302 and response["Location"] == "/moderation/"
            assert status == (Status.PUBLISHED if decision == "approve" else Status.DRAFT)
        else:
            expected_refusal(who, response, url)
            assert status == Status.PENDING
            assert not ModerationDecision.objects.exists()

    def test_deciding_is_post_only(self, client, moderator, pending_chapter):
        client.force_login(moderator)
        for decision in ["approve", "reject"]:
            response = client.get(f"/moderation/chapters/{pending_chapter.pk}/{decision}/")
            assert response.status_code == 405
        assert Chapter.objects.get(pk=pending_chapter.pk).status == Status.PENDING

    def test_deciding_needs_the_csrf_token(self, moderator, pending_chapter):
        client = Client(enforce_csrf_checks=True)
        client.force_login(moderator)
        response = client.post(f"/moderation/chapters/{pending_chapter.pk}/approve/")
        assert response.status_code == 403
        assert Chapter.objects.get(pk=pending_chapter.pk).status == Status.PENDING

    def test_unknown_chapter_is_404(self, client, moderator):
        client.force_login(moderator)
        assert client.get("/moderation/chapters/999999/").status_code == 404
        assert client.post("/moderation/chapters/999999/approve/").status_code == 404


class TestQueue:
    def test_lists_waiting_stories_and_chapters_oldest_first(
        self, client, moderator, new_story, published_story
    ):
        make_story("Already Out", chapters=2)  # nothing of it waits
        draft = make_story("Still Drafting", chapters=0, status=Status.DRAFT)
        make_chapter(draft, "Draft text.", status=Status.DRAFT)
        client.force_login(moderator)

        page = client.get("/moderation/").content.decode()

        assert "<h1>Validation queue</h1>" in page
        assert page.index("Waiting Story") < page.index("Old Favourite")
        assert "Already Out" not in page and "Still Drafting" not in page
        assert "New story" in page
        assert "Quill Feather" in page and "Second Pen" in page
        assert "Sunnydale" in page
        assert f'href="/moderation/chapters/{published_story.chapters.get(position=2).pk}/"' in page
        assert "2. Second" in page

    def test_empty_queue_says_so(self, client, moderator):
        client.force_login(moderator)
        assert "Nothing is waiting for validation." in client.get("/moderation/").content.decode()

    @pytest.mark.parametrize("waiting", [1, 30])
    def test_query_count_does_not_grow_with_the_queue(
        self, client, moderator, waiting, django_assert_max_num_queries, category
    ):
        for n in range(waiting):
            story = make_story(
                f"Waiting {n}",
                authors=[make_user(), make_user()],
                chapters=0,
                categories=[category],
                status=Status.PENDING,
            )
            make_chapter(story, "Text.", status=Status.PENDING)
        for n in range(3):  # and a decision log to show
            decided = make_story(f"Decided {n}", chapters=0, status=Status.PENDING)
            actions.reject(make_chapter(decided, "x", status=Status.PENDING), moderator, "No.")
            actions.approve(make_chapter(decided, "y", status=Status.PENDING), moderator)
        client.force_login(moderator)
        with django_assert_max_num_queries(9):
            response = client.get("/moderation/")
        assert response.status_code == 200
        assert response.content.decode().count('<td><a href="/moderation/chapters/') == min(
            waiting, 25
        )

    def test_pages(self, client, moderator):
        for n in range(26):
            story = make_story(f"Waiting {n:02}", chapters=0, status=Status.PENDING)
            make_chapter(story, "Text.", status=Status.PENDING)
        client.force_login(moderator)
        second = client.get("/moderation/?page=2").content.decode()
        assert "Waiting 25" in second and "Waiting 00" not in second
        assert client.get("/moderation/?page=3").status_code == 404
        assert client.get("/moderation/?page=abc").status_code == 200

    def test_shows_recent_decisions(self, client, moderator, pending_chapter, published_story):
        actions.reject(pending_chapter, moderator, "Needs a summary.")
        actions.approve(published_story.chapters.get(position=2), moderator, trust=True)
        client.force_login(moderator)
        page = client.get("/moderation/").content.decode()
        log = page[page.index("Recent decisions") :]
        assert "Mod Mara" in log
        assert "approved" in log and "Old Favourite — Second" in log
        assert "and trusted its authors" in log
        assert "rejected" in log and "Needs a summary." in log
        assert log.index("Old Favourite") < log.index("Waiting Story")  # newest first


class TestPreview:
    def test_shows_the_chapter_as_readers_will_with_both_forms(
        self, client, moderator, new_story, pending_chapter
    ):
        pending_chapter.notes = "<p>Notes before the text.</p>"
        pending_chapter.end_notes = "<p>Thanks for reading!</p>"
        pending_chapter.save()
        new_story.summary = "<p>A summary to check.</p>"
        new_story.save()
        client.force_login(moderator)

        page = client.get(f"/moderation/chapters/{pending_chapter.pk}/").content.decode()

        assert "Waiting Story" in page and "Quill Feather" in page
        assert "A summary to check." in page and "Sunnydale" in page
        assert "Author's Chapter Notes:" in page and "Notes before the text." in page
        assert "The first words." in page and "Thanks for reading!" in page
        assert f'action="/moderation/chapters/{pending_chapter.pk}/approve/"' in page
        assert f'action="/moderation/chapters/{pending_chapter.pk}/reject/#decide-heading"' in page
        assert '<label for="id_message">Message to the authors:</label>' in page
        assert '<label for="id_trust">' in page

    def test_a_decided_chapter_has_nothing_to_decide(self, client, moderator, pending_chapter):
        actions.approve(pending_chapter, moderator)
        client.force_login(moderator)
        page = client.get(f"/moderation/chapters/{pending_chapter.pk}/").content.decode()
        assert "there is nothing to decide" in page
        assert "/approve/" not in page

    def test_hostile_fields_never_run(self, client, moderator, new_story, pending_chapter):
        hostile = "\n".join(HOSTILE)
        new_story.title = hostile[:200]
        new_story.summary = sanitize(hostile)
        new_story.notes = sanitize(hostile)
        new_story.save()
        pending_chapter.title = hostile[:200]
        pending_chapter.notes = sanitize(hostile)
        pending_chapter.body = sanitize(hostile)
        pending_chapter.end_notes = sanitize(hostile)
        pending_chapter.save()
        client.force_login(moderator)
        for url in ["/moderation/", f"/moderation/chapters/{pending_chapter.pk}/"]:
            page = client.get(url).content.decode()
            assert executable_parts(page) == []
            assert "&lt;script&gt;" in page  # the title is shown as text


class TestDeciding:
    def test_approve_and_trust(self, client, moderator, author, coauthor, pending_chapter):
        client.force_login(moderator)
        response = client.post(
            f"/moderation/chapters/{pending_chapter.pk}/approve/", {"trust": "on"}, follow=True
        )
        assert "Approved and published: Waiting Story — Chapter 1" in response.content.decode()
        author.profile.refresh_from_db()
        coauthor.profile.refresh_from_db()
        assert author.profile.trusted and coauthor.profile.trusted

    def test_approve_without_trust(self, client, moderator, author, pending_chapter):
        client.force_login(moderator)
        client.post(f"/moderation/chapters/{pending_chapter.pk}/approve/")
        author.profile.refresh_from_db()
        assert not author.profile.trusted

    def test_double_post_is_harmless(self, client, moderator, pending_chapter):
        client.force_login(moderator)
        url = f"/moderation/chapters/{pending_chapter.pk}/approve/"
        client.post(url)
        response = client.post(url, follow=True)
        assert "already decided; nothing changed" in response.content.decode()
        assert ModerationDecision.objects.count() == 1

    def test_reject_without_a_message_shows_the_same_form_with_an_error(
        self, client, moderator, pending_chapter
    ):
        client.force_login(moderator)
        response = client.post(
            f"/moderation/chapters/{pending_chapter.pk}/reject/", {"message": "   "}
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert "Tell the authors why, so they can fix it and resubmit." in page
        assert Chapter.objects.get(pk=pending_chapter.pk).status == Status.PENDING

    def test_a_too_long_message_is_kept_as_typed(self, client, moderator, pending_chapter):
        client.force_login(moderator)
        typed = "Zoë’s <b>notes</b> " * 300
        response = client.post(
            f"/moderation/chapters/{pending_chapter.pk}/reject/", {"message": typed}
        )
        page = response.content.decode()
        assert "Ensure this value has at most 5000 characters" in page
        assert "Zoë’s &lt;b&gt;notes&lt;/b&gt; Zoë’s" in page
        assert Chapter.objects.get(pk=pending_chapter.pk).status == Status.PENDING

    def test_reject_emails_the_authors_and_the_author_can_edit_again(
        self, client, moderator, author, new_story, pending_chapter, mailbox
    ):
        client.force_login(moderator)
        response = client.post(
            f"/moderation/chapters/{pending_chapter.pk}/reject/",
            {"message": "Please tag the pairing."},
            follow=True,
        )
        assert "Sent back to the authors: Waiting Story — Chapter 1" in response.content.decode()
        mailbox.wait_for(2)
        body = mailbox.bodies()[0]
        assert "Please tag the pairing." in body
        assert "http://testserver" + actions.edit_link(new_story) in body
        assert Story.objects.get(pk=new_story.pk).status == Status.DRAFT
        as_user(client, author)
        assert client.get(actions.edit_link(new_story)).status_code == 200

    def test_hostile_rejection_message_is_shown_as_text(
        self, client, moderator, pending_chapter, mailbox
    ):
        client.force_login(moderator)
        message = "\n".join(HOSTILE)
        client.post(f"/moderation/chapters/{pending_chapter.pk}/reject/", {"message": message})
        assert ModerationDecision.objects.get().message == message
        page = client.get("/moderation/").content.decode()
        assert executable_parts(page) == []
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        html = mailbox.wait_for(2)[0].get_body(preferencelist=("html",)).get_content()
        assert executable_parts(html) == []
