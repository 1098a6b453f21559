"""eFiction chapters become Fanfold's: numbering, text from the database or files, totals."""

import pytest

from fanfold.archive.models import Chapter, Status
from tests.hostile import HOSTILE, executable_parts
from tests.importers.efiction.test_map_stories import add_basics, add_chapter, add_story, insert


@pytest.fixture
def archive(efiction_sql):
    add_basics(efiction_sql)
    return efiction_sql


@pytest.fixture
def stories_dir(tmp_path, monkeypatch):
    """The archive's `stories` folder, as eFiction's relative storiespath finds it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path / "stories"


def store_in_files(sql) -> None:
    """The archive's settings row: chapter text in files under `stories`."""
    insert(sql, "settings", sitekey="test", store="files", storiespath="stories")


def write(path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def chapter(chapid: int) -> Chapter:
    return Chapter.objects.get(legacy_chapid=chapid)


def test_positions_renumbered_from_duplicates_and_gaps(archive, efiction_db, run_import):
    add_story(archive, 1)
    add_story(archive, 2)
    for chapid, sid, inorder in [(10, 1, 3), (11, 1, 1), (12, 1, 1), (13, 1, 7), (14, 2, 0)]:
        add_chapter(archive, chapid, sid, inorder=inorder, wordcount=chapid, count=chapid * 2)
    report = run_import(efiction_db)

    numbered = Chapter.objects.filter(story__legacy_sid=1).order_by("position")
    assert [(c.position, c.legacy_chapid, c.legacy["inorder"]) for c in numbered] == [
        (1, 11, 1),
        (2, 12, 1),
        (3, 10, 3),
        (4, 13, 7),
    ]
    assert chapter(14).position == 1
    assert (chapter(13).legacy["wordcount"], chapter(13).legacy["hits"]) == (13, 26)
    assert report.source_totals["chapters"] == 5
    assert (
        report.source_totals["words"] == report.imported_totals["words"] == 10 + 11 + 12 + 13 + 14
    )
    assert report.problems() == []


def test_positions_follow_a_story_across_batches(archive, efiction_db, run_import):
    add_story(archive, 1)
    for chapid in range(1, 206):  # more than one batch of 200
        add_chapter(archive, chapid, 1, inorder=chapid)
    run_import(efiction_db)
    positions = Chapter.objects.order_by("legacy_chapid").values_list("position", flat=True)
    assert list(positions) == list(range(1, 206))


def test_chapter_fields_dates_and_status(archive, efiction_db, run_import):
    add_story(archive, 1)
    add_chapter(
        archive, 1, 1, title="Part &amp; Parcel", notes="<em>Before</em>", endnotes="After",
        rating=4, reviews=2,
    )  # fmt: skip
    add_chapter(archive, 2, 1, inorder=2, validated="0")
    run_import(efiction_db)

    first = chapter(1)
    assert (first.title, first.notes, first.end_notes) == (
        "Part & Parcel",
        "<em>Before</em>",
        "After",
    )
    assert (first.legacy["rating"], first.legacy["reviews"]) == (4, 2)
    story = first.story
    assert (first.created_at, first.updated_at) == (story.created_at, story.updated_at)
    assert first.published_at == story.published_at
    assert (first.status, chapter(2).status, chapter(2).published_at) == (
        Status.PUBLISHED,
        Status.PENDING,
        None,
    )


def test_plain_text_gets_line_breaks_html_keeps_its_own(archive, efiction_db, run_import):
    add_story(archive, 1)
    add_chapter(archive, 1, 1, storytext="First line\nsecond line\n\nI &lt;3 you")
    add_chapter(archive, 2, 1, inorder=2, storytext="<p>One</p>\n<p>Two\nstill two</p>")
    run_import(efiction_db)

    plain = chapter(1)
    assert plain.body == "First line<br>\nsecond line<br>\n<br>\nI &lt;3 you"
    assert plain.body_text == "First line\nsecond line\n\nI <3 you"
    assert plain.word_count == 7
    assert chapter(2).body == "<p>One</p>\n<p>Two\nstill two</p>"
    assert chapter(2).word_count == 4


def test_text_from_files_in_every_encoding(archive, efiction_db, run_import, stories_dir):
    store_in_files(archive)
    add_story(archive, 1, uid=2)
    # The path uses the chapter's uid, not the story's.
    for chapid, uid in [(1, 3), (2, 3), (3, 4), (4, 4)]:
        add_chapter(archive, chapid, 1, uid=uid, inorder=chapid, storytext="")
    write(stories_dir / "3" / "1.txt", "Café “noir”".encode())
    write(stories_dir / "3" / "2.txt", b"\xef\xbb\xbf" + "Naïve".encode())
    write(stories_dir / "4" / "3.txt", "It’s “cp1252” ça".encode("cp1252"))
    report = run_import(efiction_db)

    assert chapter(1).body == "Café “noir”"
    assert chapter(2).body == "Naïve"
    assert chapter(3).body == "It’s “cp1252” ça"
    assert (chapter(4).body, chapter(4).status) == ("", Status.PUBLISHED)
    assert report.notices["missing chapter file"] == [
        "chapter 4 of story 1: stories/4/4.txt not found; imported without text"
    ]
    assert report.problems() == []


def test_text_in_database_and_file(archive, efiction_db, run_import, stories_dir):
    store_in_files(archive)
    add_story(archive, 1)
    add_chapter(archive, 1, 1, storytext="Old text in the database")
    add_chapter(archive, 2, 1, inorder=2, storytext="Only in the database")
    add_chapter(archive, 3, 1, inorder=3, storytext="Same\r\ntext")
    write(stories_dir / "2" / "1.txt", b"New text in the file")
    write(stories_dir / "2" / "2.txt", b"")
    write(stories_dir / "2" / "3.txt", b"Same\ntext\n")
    report = run_import(efiction_db)

    assert chapter(1).body == "New text in the file"
    assert chapter(2).body == "Only in the database"
    assert chapter(3).body_text == "Same\ntext"
    assert len(report.notices["chapter text in database and file"]) == 1
    assert "kept the file's text" in report.notices["chapter text in database and file"][0]


def test_database_store_reads_files_only_for_empty_text(archive, efiction_db, run_import, tmp_path):
    insert(archive, "settings", sitekey="test", store="mysql", storiespath="nowhere")
    add_story(archive, 1)
    add_chapter(archive, 1, 1, storytext="In the database")
    add_chapter(archive, 2, 1, inorder=2, storytext="")
    write(tmp_path / "2" / "1.txt", b"A stale copy")
    write(tmp_path / "2" / "2.txt", b"Moved to a file")

    report = run_import(efiction_db)
    assert chapter(1).body == "In the database"
    assert chapter(2).body == ""
    assert len(report.notices["missing chapter file"]) == 1

    # Told where the files are, the import compares them and keeps the database's text.
    report = run_import(efiction_db, stories_dir=tmp_path)
    assert chapter(1).body == "In the database"
    assert chapter(2).body == "Moved to a file"
    assert "kept the database's text" in report.notices["chapter text in database and file"][0]


def test_orphaned_chapters_are_skipped_with_their_words(archive, efiction_db, run_import):
    add_story(archive, 1)
    add_chapter(archive, 1, 1, wordcount=100)
    add_chapter(archive, 2, 99, wordcount=250)
    add_chapter(archive, 3, 99, wordcount=50, inorder=2)
    report = run_import(efiction_db)

    assert list(Chapter.objects.values_list("legacy_chapid", flat=True)) == [1]
    assert report.tables["chapters"].skipped == {"story not found": 2}
    assert (report.skipped_totals["chapters"], report.skipped_totals["words"]) == (2, 300)
    assert (report.source_totals["words"], report.imported_totals["words"]) == (400, 100)
    assert report.problems() == []


def test_mojibake_in_a_latin1_table_is_repaired(archive, efiction_db, run_import):
    archive("ALTER TABLE fanfiction_chapters CONVERT TO CHARACTER SET latin1")
    add_story(archive, 1)
    add_chapter(archive, 1, 1, storytext="She said “hi”…".encode())
    add_chapter(archive, 2, 1, inorder=2, storytext=b"Don\x92t")
    add_chapter(archive, 3, 1, inorder=3, storytext="Zoë’s".encode().decode("cp1252").encode())
    report = run_import(efiction_db)
    assert chapter(1).body == "She said “hi”…"
    assert chapter(2).body == "Don’t"
    assert chapter(3).body == "Zoë’s"
    assert report.tables["chapters"].repaired == 2


def test_hostile_text_never_runs(archive, efiction_db, run_import, client):
    add_story(archive, 1)
    hostile = "".join(HOSTILE)
    add_chapter(archive, 1, 1, title=hostile[:250], notes=hostile, storytext=hostile,
                endnotes=hostile)  # fmt: skip
    run_import(efiction_db)
    imported = chapter(1)
    for url in (imported.get_absolute_url(), imported.story.get_absolute_url()):
        page = client.get(url)
        assert page.status_code == 200, url
        assert executable_parts(page.content.decode()) == [], url


def test_rerun_updates_in_place(archive, efiction_db, run_import):
    add_story(archive, 1)
    add_chapter(archive, 1, 1, inorder=1)
    add_chapter(archive, 2, 1, inorder=2)
    run_import(efiction_db)
    pks = dict(Chapter.objects.values_list("legacy_chapid", "pk"))

    archive("UPDATE fanfiction_chapters SET inorder = 0, storytext = 'Rewritten' WHERE chapid = 2")
    report = run_import(efiction_db)

    table = report.tables["chapters"]
    assert (table.read, table.created, table.updated) == (2, 0, 2)
    assert dict(Chapter.objects.values_list("legacy_chapid", "pk")) == pks
    assert (chapter(2).position, chapter(2).body, chapter(1).position) == (1, "Rewritten", 2)
    assert report.problems() == []
