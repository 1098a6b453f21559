"""Nothing lost: edit conflicts, double submissions, limits, bad uploads, rate limits and an
expired session all leave the author's text in front of them, and never overwrite or
duplicate anything.
"""

import io
import re
import zipfile
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fanfold.archive import actions
from fanfold.archive.models import Chapter, PendingSubmission, Story
from tests.archive.authoring_support import chapter_data, people_fixture, story_data  # noqa: F401

pytestmark = pytest.mark.django_db


class TestEditConflict:
    def test_an_older_revision_gets_both_texts_and_overwrites_nothing(self, client, people):
        url = f"/my/chapters/{people.chapter.pk}/edit/"
        # The co-author saves first, from a form loaded at revision 1.
        client.force_login(people.coauthor)
        client.post(url, chapter_data(body="The co-author’s version.", revision=1))
        # The author's form was also loaded at revision 1.
        client.force_login(people.author)
        mine = "My version: “three hours” of typing…\n\nSecond paragraph."

        response = client.post(url, chapter_data(body=mine, notes="My notes", revision=1))

        page = response.content.decode()
        assert response.status_code == 409
        chapter = Chapter.objects.get(pk=people.chapter.pk)
        assert chapter.body == "<p>The co-author’s version.</p>"
        assert chapter.revision == 2
        assert "&lt;p&gt;The co-author’s version.&lt;/p&gt;</textarea>" in page
        assert "My version: “three hours” of typing…\n\nSecond paragraph.</textarea>" in page
        assert "My notes</textarea>" in page
        assert 'name="revision" value="2"' in page
        assert "not</strong> saved" in page

        # Having read both, the author may save theirs deliberately.
        response = client.post(url, chapter_data(body=mine, revision=2))
        assert response.status_code == 302
        assert "three hours" in Chapter.objects.get(pk=people.chapter.pk).body

    def test_the_update_is_conditional(self, people):
        form_text = actions.ChapterText("T", "", "<p>x</p>", "x", 1, "")
        assert actions.update_chapter(people.chapter, form_text, revision=1)
        assert not actions.update_chapter(people.chapter, form_text, revision=1)
        assert Chapter.objects.get(pk=people.chapter.pk).revision == 2

    def test_a_missing_revision_is_refused_not_guessed(self, client, people):
        client.force_login(people.author)
        data = chapter_data(body="Without a revision.")
        response = client.post(f"/my/chapters/{people.chapter.pk}/edit/", data)
        assert response.status_code == 200
        assert "Without a revision.</textarea>" in response.content.decode()
        assert "Without" not in Chapter.objects.get(pk=people.chapter.pk).body


class TestDoubleSubmission:
    def test_a_story_form_posted_twice_creates_one_story(self, client, people):
        client.force_login(people.author)
        page = client.get("/my/stories/new/").content.decode()
        key = page.split('name="submission_key" value="')[1].split('"')[0]
        data = story_data(title="Only Once", submission_key=key)

        first = client.post("/my/stories/new/", data)
        second = client.post("/my/stories/new/", data)

        assert Story.objects.filter(title="Only Once").count() == 1
        assert first.status_code == second.status_code == 302
        assert first["Location"] == second["Location"]

    def test_a_chapter_form_posted_twice_creates_one_chapter(self, client, people):
        client.force_login(people.author)
        url = f"/my/stories/{people.story.pk}/chapters/new/"
        page = client.get(url).content.decode()
        key = page.split('name="submission_key" value="')[1].split('"')[0]
        data = chapter_data(body="Posted once.", submission_key=key, action="post")

        first = client.post(url, data)
        second = client.post(url, data)

        assert people.story.chapters.filter(body__contains="Posted once.").count() == 1
        assert first["Location"] == second["Location"]

    def test_the_unique_key_settles_a_race(self, people):
        """Two requests that both passed any check: the database keeps one story."""
        import uuid

        key = uuid.uuid4()
        fields = {"title": "Raced", "rating": people.story.rating}
        first, created = actions.create_story(people.author, fields, {}, submission_key=key)
        again, created_again = actions.create_story(people.author, fields, {}, submission_key=key)
        assert created and not created_again
        assert again.pk == first.pk
        assert Story.objects.filter(title="Raced").count() == 1

    def test_forms_without_a_key_still_work(self, client, people):
        client.force_login(people.author)
        client.post("/my/stories/new/", story_data(title="Keyless"))
        client.post("/my/stories/new/", story_data(title="Keyless"))
        assert Story.objects.filter(title="Keyless").count() == 2


class TestLimits:
    def test_oversized_chapter_text_is_refused_with_everything_kept(self, client, people):
        client.force_login(people.author)
        text = "word " * 100_001  # 500,005 characters
        response = client.post(
            f"/my/stories/{people.story.pk}/chapters/new/",
            chapter_data(title="Too Long", notes="Notes kept", body=text),
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert "The chapter text is 500,005 characters long; the limit is 500,000." in page
        assert 'value="Too Long"' in page and "Notes kept</textarea>" in page
        assert text in page
        assert not Chapter.objects.filter(title="Too Long").exists()

    def test_text_at_the_limit_is_accepted(self, client, people, settings):
        settings.CHAPTER_MAX_CHARS = 20
        client.force_login(people.author)
        url = f"/my/stories/{people.story.pk}/chapters/new/"
        assert client.post(url, chapter_data(body="x" * 20)).status_code == 302
        assert client.post(url, chapter_data(body="x" * 21)).status_code == 200

    def test_empty_chapter_text_is_an_error(self, client, people):
        client.force_login(people.author)
        response = client.post(
            f"/my/stories/{people.story.pk}/chapters/new/",
            chapter_data(title="Kept title", body="  \n "),
        )
        assert "Write the chapter text or upload a file." in response.content.decode()
        assert 'value="Kept title"' in response.content.decode()

    def test_text_that_is_only_unsafe_markup_is_an_error(self, client, people):
        client.force_login(people.author)
        response = client.post(
            f"/my/stories/{people.story.pk}/chapters/new/",
            chapter_data(body="<script>alert(1)</script>", body_format="html"),
        )
        assert "Nothing readable is left" in response.content.decode()

    def test_summary_and_notes_have_generous_limits(self, client, people):
        client.force_login(people.author)
        response = client.post("/my/stories/new/", story_data(summary="s" * 10_001))
        assert "Summary is 10,001 characters long; the limit is 10,000." in (
            response.content.decode()
        )


def _docx(paragraphs: list[str]) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxml'
            'formats-package.relationships+xml"/><Default Extension="xml" ContentType="applic'
            'ation/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd'
            '.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/pack'
            'age/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlform'
            'ats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.'
            'xml"/></Relationships>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/word'
            f'processingml/2006/main"><w:body>{body}</w:body></w:document>',
        )
    return buffer.getvalue()


class TestUploads:
    def url(self, people):
        return f"/my/stories/{people.story.pk}/chapters/new/"

    def test_a_text_file_becomes_the_chapter_text(self, client, people):
        client.force_login(people.author)
        upload = SimpleUploadedFile("ch.txt", "“Hello,” she said…\n\nThe end.".encode())
        client.post(self.url(people), chapter_data(body="", body_file=upload))
        chapter = people.story.chapters.get(position=2)
        assert chapter.body == "<p>“Hello,” she said…</p>\n<p>The end.</p>"

    def test_a_word_document_becomes_the_chapter_text(self, client, people):
        client.force_login(people.author)
        upload = SimpleUploadedFile("ch.docx", _docx(["’Til dawn.", "Second."]))
        client.post(self.url(people), chapter_data(body="", body_file=upload))
        chapter = people.story.chapters.get(position=2)
        assert chapter.body_text == "’Til dawn.\n\nSecond."

    def test_a_bad_upload_is_an_error_with_everything_else_kept(self, client, people):
        client.force_login(people.author)
        upload = SimpleUploadedFile("story.pdf", b"%PDF-1.4 not text")
        response = client.post(
            self.url(people),
            chapter_data(title="Kept", notes="Notes kept", body="", body_file=upload),
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert "is not a file type Fanfold can read" in page
        assert 'value="Kept"' in page and "Notes kept</textarea>" in page
        assert people.story.chapters.count() == 1

    def test_a_corrupt_word_document_is_an_error(self, client, people):
        client.force_login(people.author)
        upload = SimpleUploadedFile("broken.docx", b"PK\x03\x04 not really a zip")
        response = client.post(self.url(people), chapter_data(body="", body_file=upload))
        assert response.status_code == 200
        assert "broken.docx" in response.content.decode()
        assert people.story.chapters.count() == 1

    def test_an_uploaded_text_stays_in_the_form_when_something_else_is_wrong(self, client, people):
        client.force_login(people.author)
        upload = SimpleUploadedFile("ch.txt", b"From the file.")
        response = client.post(
            self.url(people),
            chapter_data(title="t" * 201, body="", body_file=upload),
        )
        page = response.content.decode()
        assert "Ensure this value has at most 200 characters" in page
        assert "From the file.</textarea>" in page


class TestRateLimit:
    def test_posting_too_often_is_a_429_with_the_text_kept(self, client, people, settings):
        settings.RATELIMIT_ENABLE = True
        settings.RATELIMIT_POST_PER_ACCOUNT = (2, 3600)
        client.force_login(people.author)
        url = f"/my/stories/{people.story.pk}/chapters/new/"
        assert client.post(url, chapter_data(body="One.")).status_code == 302
        assert client.post(url, chapter_data(body="Two.")).status_code == 302

        response = client.post(url, chapter_data(body="Three, kept."))

        assert response.status_code == 429
        page = response.content.decode()
        assert "You have posted a lot in the last hour." in page
        assert "Three, kept.</textarea>" in page
        assert people.story.chapters.count() == 3  # the draft from the fixture + two
        response = client.post("/my/stories/new/", story_data(title="Also limited"))
        assert response.status_code == 429
        assert 'value="Also limited"' in response.content.decode()

    def test_editing_is_not_limited(self, client, people, settings):
        settings.RATELIMIT_ENABLE = True
        settings.RATELIMIT_POST_PER_ACCOUNT = (1, 3600)
        client.force_login(people.author)
        url = f"/my/chapters/{people.chapter.pk}/edit/"
        for revision in (1, 2, 3):
            data = chapter_data(body=f"Edit {revision}.", revision=revision)
            assert client.post(url, data).status_code == 302


class TestExpiredSession:
    def test_a_post_after_the_session_expired_is_kept_and_sent_again(self, people):
        client = Client(enforce_csrf_checks=True)
        client.force_login(people.author)
        url = f"/my/stories/{people.story.pk}/chapters/new/"
        page = client.get(url).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
        client.session.delete()  # the session expired on the server while the author typed
        data = chapter_data(body="Hours of work.", submission_key=key, action="post")

        response = client.post(url, {**data, "csrfmiddlewaretoken": token})

        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/my/pending/")
        kept = PendingSubmission.objects.get()
        assert kept.action_path == url
        assert ["body", ["Hours of work."]] in kept.data["fields"]
        assert people.story.chapters.count() == 1

        client.force_login(people.author)
        pending = unquote(response["Location"].split("next=")[1])
        page = client.get(pending).content.decode()
        assert f'action="{url}"' in page and "Hours of work." in page
        fresh = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        again = client.post(url, {**data, "csrfmiddlewaretoken": fresh})
        assert again.status_code == 302
        assert people.story.chapters.get(position=2).body == "<p>Hours of work.</p>"


class TestEditingADeletedChapter:
    def test_the_text_comes_back_on_a_clear_page_not_a_404(self, client, people):
        url = f"/my/chapters/{people.chapter.pk}/edit/"
        client.force_login(people.coauthor)
        client.post(f"/my/chapters/{people.chapter.pk}/delete/")
        assert not Chapter.objects.filter(pk=people.chapter.pk).exists()
        client.force_login(people.author)
        mine = "Three hours of <typing>.\n\nSecond paragraph."

        response = client.post(url, chapter_data(body=mine, notes="My notes", revision=1))

        page = response.content.decode()
        assert response.status_code == 410
        assert "This chapter was deleted" in page
        assert "Three hours of &lt;typing&gt;.\n\nSecond paragraph.</textarea>" in page
        assert "My notes</textarea>" in page
        assert 'value="Part One"' in page

    def test_a_delete_landing_mid_request_gives_the_text_back_too(self, rf, people):
        from fanfold.archive.forms.stories import ChapterForm
        from fanfold.archive.views import authoring

        request = rf.post("/", chapter_data(body="Typed while it went.", revision=1))
        request.user = people.author
        form = ChapterForm(request.POST, chapter=people.chapter)
        assert form.is_valid()
        Chapter.objects.filter(pk=people.chapter.pk).delete()

        response = authoring._conflict(request, people.chapter, form)

        assert response.status_code == 410
        assert "Typed while it went.</textarea>" in response.content.decode()
