"""Issue 6's journey in a real browser: after the trap archive (chapter text in files) is
imported from its eFiction database, a member signs in with the password they had on
eFiction, typing their pen name in another case, follows an old `viewstory.php` link and
reads the chapter that came from a Windows-1252 file, quotes intact."""

import re

import pytest
from playwright.sync_api import expect

from fanfold.archive.models import Story
from tests.importers.efiction import conftest as efiction
from tests.importers.efiction import traps

pytestmark = [pytest.mark.browser, pytest.mark.mariadb]

# The MariaDB fixtures live beside the importer's tests.
mariadb_server = efiction.mariadb_server
efiction_db = efiction.efiction_db
run_import = efiction.run_import


@pytest.fixture
def imported(run_import, efiction_db, tmp_path, settings):
    """The trap archive, imported with its chapter files, as `fanfold import-efiction` does."""
    settings.PASSWORD_HASHERS = [
        *settings.PASSWORD_HASHERS,
        "fanfold.accounts.hashers.EFictionMD5PasswordHasher",
    ]
    archive = traps.build()
    traps.write_database(archive, efiction_db)
    report = run_import(efiction_db, stories_dir=archive.write_files(tmp_path / "stories"))
    assert report.problems() == []
    return archive


def test_member_signs_in_with_the_old_password_and_follows_an_old_link(page, imported, screenshot):
    sid, chapid = traps.CP1252_CHAPTER
    story = Story.objects.get(legacy_sid=sid)
    position = story.chapters.get(legacy_chapid=chapid).position

    page.goto("/")
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("Pen name or email").fill("willow rosenberg")
    page.get_by_label("Password").fill(traps.PASSWORDS[2])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    screenshot(page, "signed-in")

    page.goto(f"/viewstory.php?sid={sid}&chapter=3")
    expect(page).to_have_url(re.compile(rf"/stories/{story.pk}/chapters/{position}/$"))
    expect(page.get_by_role("heading", name="Windows File")).to_be_visible()
    screenshot(page, "chapter-from-a-windows-1252-file")

    text = page.locator(".chapter-text").inner_text()
    assert traps.CP1252_QUOTE in text
    assert "He nodded." in text
    assert "\ufffd" not in text and "\u00e2\u20ac" not in text
