"""moderation.actions: what approving and rejecting a submitted chapter does."""

import socket
import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from fanfold.accounts.models import Profile
from fanfold.archive.models import Category, Chapter, Status, Story
from fanfold.lib.env import mailers_from_url
from fanfold.moderation import actions
from fanfold.moderation.models import ModerationDecision
from tests.hostile import HOSTILE, executable_parts

pytestmark = pytest.mark.django_db


class TestApprove:
    def test_publishes_the_chapter_and_the_waiting_story(
        self, client, new_story, pending_chapter, moderator, category, author
    ):
        chapter_url = f"/stories/{new_story.pk}/chapters/1/"
        assert client.get(chapter_url).status_code == 404
        before = new_story.updated_at

        decision = actions.approve(pending_chapter, moderator)

        new_story.refresh_from_db()
        pending_chapter.refresh_from_db()
        assert pending_chapter.status == Status.PUBLISHED
        assert pending_chapter.published_at is not None
        assert new_story.status == Status.PUBLISHED
        assert new_story.published_at is not None
        assert new_story.updated_at > before
        assert (new_story.chapter_count, new_story.word_count) == (1, 7)
        assert Category.objects.get(pk=category.pk).story_count == 1
        assert Profile.objects.get(user=author).story_count == 1
        assert decision.action == "approved" and decision.moderator == moderator
        assert decision.subject == "Waiting Story — Chapter 1"
        assert client.get(chapter_url).status_code == 200
        assert "The first words." in client.get(chapter_url).content.decode()

    def test_a_new_chapter_of_a_published_story_keeps_its_first_publication_date(
        self, client, published_story, moderator
    ):
        first_published = published_story.published_at
        chapter = published_story.chapters.get(position=2)
        assert client.get(f"/stories/{published_story.pk}/chapters/2/").status_code == 404

        actions.approve(chapter, moderator)

        published_story.refresh_from_db()
        assert published_story.published_at == first_published
        assert published_story.updated_at > first_published
        assert published_story.chapter_count == 2
        assert client.get(f"/stories/{published_story.pk}/chapters/2/").status_code == 200

    def test_cached_story_page_shows_the_approved_chapter(self, client, published_story, moderator):
        url = published_story.get_absolute_url()
        assert "Second" not in client.get(url).content.decode()
        assert client.get(url)["X-Page-Cache"] == "hit"

        actions.approve(published_story.chapters.get(position=2), moderator)

        assert "Second" in client.get(url).content.decode()

    def test_trust_marks_every_author_of_the_story(
        self, new_story, pending_chapter, moderator, author, coauthor, member
    ):
        decision = actions.approve(pending_chapter, moderator, trust=True)
        assert decision.trusted_authors
        trusted = set(Profile.objects.filter(trusted=True).values_list("user_id", flat=True))
        assert trusted == {author.pk, coauthor.pk}

    def test_approving_twice_changes_nothing_the_second_time(
        self, new_story, pending_chapter, moderator
    ):
        assert actions.approve(pending_chapter, moderator) is not None
        published_at = Story.objects.get(pk=new_story.pk).published_at
        assert actions.approve(pending_chapter, moderator) is None
        assert ModerationDecision.objects.count() == 1
        assert Story.objects.get(pk=new_story.pk).published_at == published_at

    def test_a_rejected_chapter_cannot_then_be_approved(
        self, new_story, pending_chapter, moderator, mailbox
    ):
        actions.reject(pending_chapter, moderator, "Not yet.")
        assert actions.approve(pending_chapter, moderator) is None
        assert Chapter.objects.get(pk=pending_chapter.pk).status == Status.DRAFT

    def test_only_moderators_approve(self, pending_chapter, author, member):
        for user in (author, member):
            with pytest.raises(PermissionDenied):
                actions.approve(pending_chapter, user)
        assert Chapter.objects.get(pk=pending_chapter.pk).status == Status.PENDING


class TestReject:
    def test_sends_chapter_and_story_back_to_draft_and_emails_every_author(
        self, client, new_story, pending_chapter, moderator, mailbox
    ):
        decision = actions.reject(
            pending_chapter,
            moderator,
            "  Please add a rating warning.\nThen resubmit.  ",
            site_url="https://archive.example/",
        )

        pending_chapter.refresh_from_db()
        new_story.refresh_from_db()
        assert pending_chapter.status == Status.DRAFT
        assert new_story.status == Status.DRAFT
        assert decision.action == "rejected"
        assert decision.message == "Please add a rating warning.\nThen resubmit."
        assert decision.authors_notified
        messages = mailbox.wait_for(2)
        assert sorted(m["To"] for m in messages) == ["quill@example.org", "second@example.org"]
        link = "https://archive.example" + actions.edit_link(new_story)
        bodies = [body.replace("\r\n", "\n") for body in mailbox.bodies()]  # SMTP sends CRLF
        for message, body in zip(messages, bodies, strict=True):
            assert message["Subject"] == (
                "[Fanfold] Your chapter was sent back: Waiting Story — Chapter 1"
            )
            assert "Please add a rating warning.\nThen resubmit." in body
            assert link in body
        assert f"/{new_story.pk}/" in link
        assert client.get(f"/stories/{new_story.pk}/chapters/1/").status_code == 404

    def test_a_published_story_stays_published(self, published_story, moderator, mailbox):
        chapter = published_story.chapters.get(position=2)
        actions.reject(chapter, moderator, "Too short.")
        published_story.refresh_from_db()
        assert published_story.status == Status.PUBLISHED
        assert published_story.chapter_count == 1
        assert mailbox.wait_for(1)[0]["To"] == "quill@example.org"

    def test_a_story_with_another_waiting_chapter_keeps_waiting(
        self, new_story, pending_chapter, moderator, mailbox
    ):
        from tests.factories import make_chapter

        second = make_chapter(new_story, "More.", status=Status.PENDING)
        actions.reject(second, moderator, "Chapter two needs work.")
        assert Story.objects.get(pk=new_story.pk).status == Status.PENDING
        actions.approve(pending_chapter, moderator)
        assert Story.objects.get(pk=new_story.pk).status == Status.PUBLISHED

    def test_rejecting_twice_sends_one_email(self, new_story, pending_chapter, moderator, mailbox):
        assert actions.reject(pending_chapter, moderator, "No.") is not None
        assert actions.reject(pending_chapter, moderator, "No!") is None
        mailbox.wait_for(2)
        assert ModerationDecision.objects.count() == 1
        assert len(mailbox.messages) == 2  # one per author, once

    def test_needs_a_message(self, pending_chapter, moderator):
        with pytest.raises(ValueError):
            actions.reject(pending_chapter, moderator, "   ")
        assert Chapter.objects.get(pk=pending_chapter.pk).status == Status.PENDING

    def test_only_moderators_reject(self, pending_chapter, author):
        with pytest.raises(PermissionDenied):
            actions.reject(pending_chapter, author, "Mine is bad.")

    def test_authors_without_an_address_are_skipped(
        self, new_story, pending_chapter, moderator, coauthor, mailbox
    ):
        coauthor.email = ""
        coauthor.save()
        actions.reject(pending_chapter, moderator, "Fix it.")
        assert [m["To"] for m in mailbox.wait_for(1)] == ["quill@example.org"]

    def test_an_unreachable_mail_server_keeps_the_decision_and_says_so(
        self, settings, pending_chapter, moderator
    ):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        settings.MAILERS = mailers_from_url(f"smtp://127.0.0.1:{closed_port}?timeout=2", "")
        decision = actions.reject(pending_chapter, moderator, "Fix it.")
        assert decision.pk and not decision.authors_notified
        assert Chapter.objects.get(pk=pending_chapter.pk).status == Status.DRAFT

    def test_hostile_message_and_title_stay_text_in_the_email(
        self, new_story, pending_chapter, moderator, mailbox
    ):
        new_story.title = "<script>alert(1)</script>\nBcc: victim@example.org"
        new_story.save()
        message = "\n".join(HOSTILE)
        actions.reject(pending_chapter, moderator, message)
        sent = mailbox.wait_for(2)[0]
        assert "\n" not in sent["Subject"] and sent["Bcc"] is None
        text = sent.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
        assert message in text
        html = sent.get_body(preferencelist=("html",)).get_content()
        assert executable_parts(html) == []
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.django_db(transaction=True)
def test_two_moderators_deciding_at_once_make_one_decision(new_story, pending_chapter):
    from tests.factories import make_user

    if connection.vendor == "sqlite":
        # The in-memory test database answers "table is locked" instead of waiting (shared
        # cache ignores the busy timeout); PostgreSQL exercises the row locks for real.
        pytest.skip("needs a database with row locks (runs on the PostgreSQL pass)")
    moderators = [make_user(f"Mod {n}", is_staff=True) for n in range(2)]
    results, errors = [], []
    barrier = threading.Barrier(2)

    def decide(moderator):
        try:
            barrier.wait()
            results.append(actions.approve(pending_chapter, moderator))
        except Exception as error:  # reported below, in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(m,)) for m in moderators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(result is not None for result in results) == 1
    assert ModerationDecision.objects.count() == 1
    assert Story.objects.get(pk=new_story.pk).chapter_count == 1
