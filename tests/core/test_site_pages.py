"""The archive's name, slogan, rules and terms, as the owner set them (or the import did)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fanfold.core.models import ArchiveSettings
from tests.hostile import HOSTILE, executable_parts

pytestmark = pytest.mark.django_db


def set_archive(**fields) -> ArchiveSettings:
    archive = ArchiveSettings.objects.filter(pk=1).first() or ArchiveSettings()
    for name, value in fields.items():
        setattr(archive, name, value)
    archive.save()
    return archive


class TestHeader:
    def test_a_fresh_archive_shows_the_site_name_setting(self, client, settings):
        settings.SITE_NAME = "Quill Hollow"
        page = client.get("/").content.decode()
        assert '<a class="brand" href="/">Quill Hollow</a>' in page
        assert "<title>Quill Hollow" in page or "Quill Hollow</title>" in page
        assert 'class="slogan"' not in page

    def test_the_owners_name_and_slogan(self, client):
        set_archive(site_name="Tom & Jerry's Archive", slogan="I <3 fic")
        page = client.get("/").content.decode()
        assert '<a class="brand" href="/">Tom &amp; Jerry&#x27;s Archive</a>' in page
        assert '<span class="slogan">I &lt;3 fic</span>' in page

    def test_a_new_name_shows_at_once_on_cached_pages(self, client):
        set_archive(site_name="Old Name")
        assert "Old Name" in client.get("/").content.decode()
        cached = client.get("/")
        assert cached["X-Page-Cache"] == "hit" and "Old Name" in cached.content.decode()

        set_archive(site_name="New Name")
        page = client.get("/")
        assert page["X-Page-Cache"] == "miss"
        assert "New Name" in page.content.decode() and "Old Name" not in page.content.decode()

    def test_the_header_costs_no_query_once_cached(self, client, settings):
        settings.PAGE_CACHE_SECONDS = 0  # render every time
        set_archive(site_name="Counted", rules="<p>Be kind.</p>")
        client.get("/rules/")
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/rules/").content.decode()
        assert "Counted" in page
        assert [q["sql"] for q in queries if "archivesettings" in q["sql"]] == []


class TestRulesAndTerms:
    def test_rules_and_terms_pages_show_the_text(self, client):
        set_archive(rules="<p>Be <b>kind</b>.</p>", terms="<p>We keep your stories.</p>")
        rules = client.get("/rules/").content.decode()
        assert "<h1>Rules</h1>" in rules and "<p>Be <b>kind</b>.</p>" in rules
        terms = client.get("/terms/").content.decode()
        assert "<h1>Terms of service</h1>" in terms and "<p>We keep your stories.</p>" in terms

    def test_footer_links_only_to_what_is_set(self, client):
        page = client.get("/").content.decode()
        assert 'href="/rules/"' not in page and 'href="/terms/"' not in page

        set_archive(rules="<p>Be kind.</p>")
        page = client.get("/").content.decode()
        assert '<a href="/rules/">Rules</a>' in page and 'href="/terms/"' not in page

        set_archive(terms="<p>Terms.</p>")
        assert '<a href="/terms/">Terms</a>' in client.get("/").content.decode()

    @pytest.mark.parametrize(("url", "message"), [
        ("/rules/", "No rules published yet."),
        ("/terms/", "No terms of service published yet."),
    ])  # fmt: skip
    def test_nothing_published_yet(self, client, url, message):
        response = client.get(url)
        assert response.status_code == 200
        assert message in response.content.decode()


class TestHostileText:
    """Rules and terms are sanitized on save, whoever wrote them; the name and slogan are
    plain text. Whatever an old archive or an admin typed, nothing on these pages can run."""

    def test_nothing_hostile_runs(self, client):
        hostile = "".join(HOSTILE)
        set_archive(site_name=hostile[:100], slogan=hostile[:200], rules=hostile, terms=hostile)
        assert "<script" not in ArchiveSettings.objects.get().rules
        for url in ("/", "/rules/", "/terms/"):
            page = client.get(url).content.decode()
            assert executable_parts(page) == [], url

    @pytest.mark.parametrize("text", HOSTILE)
    def test_each_hostile_name_is_shown_as_text(self, client, text):
        set_archive(site_name=text[:100], slogan=text[:200])
        page = client.get("/").content.decode()
        assert executable_parts(page) == []
