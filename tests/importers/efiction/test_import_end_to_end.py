"""The eFiction import as an archive owner meets it, end to end.

The trap archive (traps.py) imported from its live database and from each kind of dump
must give the same Fanfold archive; a rerun updates and duplicates nothing; a dry run
writes nothing; an import killed half-way finishes on a rerun as if never interrupted;
and the sample archive arrives whole, with its old links working.

Archives are compared by `snapshot()`: every row of every model the import writes, with
primary keys replaced by the legacy ids (or names) of the rows they point at, so two
imports into different databases compare equal when they hold the same archive.
"""

import io
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import connection

from fanfold.archive.models import Chapter, Series, SeriesItem, Status, Story
from fanfold.community.models import Favorite, Review
from fanfold.importers.efiction.database import open_database
from tests.importers.efiction import traps
from tests.importers.efiction.conftest import SAMPLE

ROOT = Path(__file__).resolve().parents[3]
SNAPSHOT_APPS = ("core", "accounts", "archive", "community", "importers")
# How a row is named when another row points at it: the first of these that is set.
NATURAL_KEYS = {
    "accounts.user": ("legacy_uid", "username"),
    "accounts.profile": ("user__legacy_uid", "user__username"),
    "accounts.profilefield": ("legacy_field_id", "name"),
    "archive.category": ("legacy_catid", "name"),
    "archive.character": ("legacy_charid", "name"),
    "archive.classificationtype": ("legacy_classtype_id", "name"),
    "archive.classification": ("legacy_class_id", "name"),
    "archive.rating": ("legacy_rid", "name"),
    "archive.story": ("legacy_sid", "title"),
    "archive.chapter": ("legacy_chapid", "title"),
    "archive.series": ("legacy_seriesid", "title"),
    "community.review": ("legacy_reviewid",),
}
IMPORT_TIME = "(set at import)"


# --- Comparing archives ----------------------------------------------------------------


def _models():
    return [model for label in SNAPSHOT_APPS for model in apps.get_app_config(label).get_models()]


def _naturals(model) -> dict:
    """pk → a name that does not depend on the database: `legacy_uid=3`, `name=K`…"""
    paths = NATURAL_KEYS.get(model._meta.label_lower)
    if not paths:
        return {}
    names = {}
    for pk, *values in model.objects.values_list("pk", *paths):
        path, value = next(((p, v) for p, v in zip(paths, values, strict=True) if v), ("", None))
        names[pk] = f"{path}={value}"
    return names


def _plain(value, recent: datetime):
    """A value as JSON; times the import took from the clock (no date in eFiction) and
    Django's random unusable passwords become markers."""
    if isinstance(value, datetime):
        return IMPORT_TIME if value >= recent else value.astimezone(UTC).isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    if isinstance(value, str) and value.startswith("!") and len(value) == 41:
        return "!unusable"
    return value


def snapshot() -> dict[str, list[dict]]:
    """Every row the import writes, without primary keys, sorted."""
    recent = datetime.now(UTC) - timedelta(days=1)
    models = _models()
    naturals = {model: _naturals(model) for model in models}
    archive = {}
    for model in models:
        links = {}
        for m2m in model._meta.many_to_many:
            targets = naturals.get(m2m.related_model, {})
            found: dict = {}
            for pk, target in model.objects.values_list("pk", m2m.name):
                if target is not None:
                    found.setdefault(pk, []).append(targets.get(target, target))
            links[m2m.name] = found
        rows = []
        for values in model.objects.values():
            row = {}
            for field in model._meta.concrete_fields:
                if field.primary_key:
                    continue
                value = values[field.attname]
                if field.is_relation and value is not None:
                    value = naturals.get(field.related_model, {}).get(value, value)
                row[field.name] = _plain(value, recent)
            for name, found in links.items():
                row[name] = sorted(found.get(values["id"], []), key=str)
            rows.append(row)
        rows.sort(key=lambda row: json.dumps(row, sort_keys=True, default=str))
        archive[model._meta.label_lower] = rows
    return archive


def row_counts() -> dict[str, int]:
    return {model._meta.label_lower: model.objects.count() for model in _models()}


def assert_same_archive(expected: dict, actual: dict) -> None:
    assert expected.keys() == actual.keys()
    for label in expected:
        assert actual[label] == expected[label], f"{label} differs"


def wipe() -> None:
    """Delete everything an import writes, so the next import starts from nothing."""
    for model in reversed(_models()):
        model.objects.all().delete()
    assert not any(row_counts().values())


def report_summary(report) -> dict:
    summary = report.as_dict()
    summary.pop("dry_run")
    return summary


# --- The trap archive ------------------------------------------------------------------


@pytest.fixture(autouse=True)
def efiction_passwords(settings):
    """Imported eFiction hashes can be checked (tests otherwise keep only a fast hasher)."""
    settings.PASSWORD_HASHERS = [
        *settings.PASSWORD_HASHERS,
        "fanfold.accounts.hashers.EFictionMD5PasswordHasher",
    ]


@pytest.fixture
def trap_archive() -> traps.Archive:
    return traps.build()


@pytest.fixture
def trap_url(trap_archive, efiction_db) -> str:
    traps.write_database(trap_archive, efiction_db)
    return efiction_db


@pytest.fixture
def stories_dir(trap_archive, tmp_path) -> Path:
    return trap_archive.write_files(tmp_path / "stories")


@pytest.mark.parametrize("style", ["mysqldump", "phpmyadmin"])
def test_dumps_restore_to_the_database_the_trap_writer_makes(
    trap_archive, trap_url, mariadb_server, tmp_path, style
):
    """The dump writers are true to MySQL: loaded by the mariadb client, a dump holds
    exactly what the trap database holds (so comparing imports compares importers)."""
    path = traps.write_trap_dump(trap_archive, tmp_path / f"traps-{style}.sql", style)
    with (
        mariadb_server.database(path) as restored,
        open_database(trap_url) as written,
        open_database(mariadb_server.url(restored)) as loaded,
    ):
        assert loaded.tables() == written.tables()
        for table in written.tables():
            columns = tuple(written.columns(table))
            assert tuple(loaded.columns(table)) == columns, table
            # Every column as the order: MyISAM returns rows in no fixed order.
            assert list(loaded.rows(table, columns)) == list(written.rows(table, columns)), table


@pytest.mark.parametrize("style", traps.STYLES)
def test_every_dump_style_gives_the_archive_the_database_gives(
    run_import, trap_archive, trap_url, stories_dir, tmp_path, style
):
    by_url = run_import(trap_url, stories_dir=stories_dir)
    assert by_url.problems() == []
    expected = snapshot()
    wipe()

    dump = traps.write_trap_dump(trap_archive, tmp_path / f"traps-{style}.sql.gz", style)
    by_dump = run_import(dump, stories_dir=stories_dir)

    assert by_dump.problems() == []
    assert_same_archive(expected, snapshot())
    assert by_dump.imported_totals == by_url.imported_totals
    assert by_dump.source_totals == by_url.source_totals


def test_the_trap_archive_arrives_as_efiction_showed_it(run_import, trap_url, stories_dir):
    report = run_import(trap_url, stories_dir=stories_dir)

    assert report.problems() == []
    # Seven stories; every chapter but the orphan; reviews with a target.
    assert Story.objects.filter(legacy_sid__isnull=False).count() == 7
    assert Chapter.objects.filter(legacy_chapid__isnull=False).count() == 15
    assert not Chapter.objects.filter(legacy_chapid=30).exists()
    assert report.skipped_totals["chapters"] == 1
    assert report.source_totals["words"] == report.imported_totals["words"] + 7
    # Encodings repaired, entities kept as text, scripts gone.
    assert Story.objects.get(legacy_sid=2).title == "Don\u2019t Go"
    assert Story.objects.get(legacy_sid=3).title == "Tom & Jerry <3"
    assert "&lt;3" in Chapter.objects.get(legacy_chapid=1).body
    sid, chapid = traps.CP1252_CHAPTER
    assert traps.CP1252_QUOTE in Chapter.objects.get(legacy_chapid=chapid).body_text
    assert "na\u00efve caf\u00e9" in Chapter.objects.get(legacy_chapid=11).body_text
    assert traps.CP1252_QUOTE in Review.objects.get(legacy_reviewid=2).text
    assert "\u2019til" in Review.objects.get(legacy_reviewid=1).text
    for text in [
        *Story.objects.values_list("summary", flat=True),
        *Chapter.objects.values_list("body", flat=True),
        *Chapter.objects.values_list("notes", flat=True),
        *Review.objects.values_list("text", flat=True),
    ]:
        assert "<script" not in text and "javascript:" not in text and "onerror" not in text
    # Members keep their passwords; accounts without one need a reset.
    assert authenticate(username="Willow Rosenberg", password="pw2") is not None
    assert authenticate(username="Dawn", password="0") is None
    assert report.notices.get("missing chapter file")


def test_a_rerun_updates_and_duplicates_nothing(run_import, trap_url, stories_dir):
    run_import(trap_url, stories_dir=stories_dir)
    first, counts = snapshot(), row_counts()

    again = run_import(trap_url, stories_dir=stories_dir)

    assert again.problems() == []
    assert row_counts() == counts
    assert_same_archive(first, snapshot())
    assert sum(table.created for table in again.tables.values()) == 0
    for table in ("authors", "stories", "chapters", "reviews", "favorites", "series"):
        assert again.table(table).updated > 0, table


def test_a_dry_run_writes_nothing_and_reports_what_the_import_does(
    run_import, trap_url, stories_dir
):
    before = row_counts()
    dry = run_import(trap_url, stories_dir=stories_dir, dry_run=True)
    assert row_counts() == before

    real = run_import(trap_url, stories_dir=stories_dir)

    assert dry.dry_run and not real.dry_run
    assert report_summary(dry) == report_summary(real)
    assert dry.problems() == []
    # Over an imported archive, too, a dry run changes nothing.
    after, counts = snapshot(), row_counts()
    run_import(trap_url, stories_dir=stories_dir, dry_run=True)
    assert row_counts() == counts
    assert_same_archive(after, snapshot())


# --- The sample archive ------------------------------------------------------------------


def assert_sample_counts(problems: list[str], imported: dict) -> None:
    """What the sample's README says it holds."""
    assert problems == []
    assert (imported["stories"], imported["chapters"], imported["reviews"]) == (300, 1457, 3000)
    assert (
        apps.get_model("accounts", "User").objects.filter(legacy_uid__isnull=False).count() == 151
    )
    assert Story.objects.filter(status=Status.PUBLISHED).count() == 296
    assert Series.objects.count() == 20
    assert SeriesItem.objects.filter(story__isnull=False).values("story").distinct().count() == 85
    assert Review.objects.filter(series__isnull=False).count() == 30
    assert Review.objects.filter(reviewer__isnull=True).count() == 654
    assert Review.objects.exclude(response="").count() == 444
    assert Favorite.objects.filter(story__isnull=False).count() == 605
    assert Favorite.objects.filter(author__isnull=False).count() == 169
    assert Favorite.objects.filter(series__isnull=False).count() == 34


def assert_old_links_work(client) -> None:
    """Old chapter links, as eFiction numbered chapters (inorder), for a spread of stories."""
    chapters = Chapter.objects.published().filter(story__status=Status.PUBLISHED)
    for chapter in chapters.select_related("story").order_by("legacy_chapid")[::97]:
        inorder = chapter.legacy.get("inorder", chapter.position)
        old = f"/viewstory.php?sid={chapter.story.legacy_sid}&chapter={inorder}"
        response = client.get(old)
        assert response.status_code == 301, old
        assert response["Location"] == chapter.story.chapter_url(chapter.position), old
    missing = Story.objects.order_by("-legacy_sid").first().legacy_sid + 1
    assert client.get(f"/viewstory.php?sid={missing}&chapter=1").status_code == 404


def test_the_command_imports_the_sample_database(efiction_sample_db, db, tmp_path):
    """`fanfold import-efiction URL`: a dry run first (nothing written), then the import,
    each printing its report."""
    out = io.StringIO()
    call_command(
        "import-efiction", efiction_sample_db, "--dry-run", "--report", tmp_path / "dry.json",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    printed = out.getvalue()
    assert "Dry run: nothing was written." in printed
    assert "Every row read is accounted for." in printed
    assert not Story.objects.exists() and not Review.objects.exists()
    dry = json.loads((tmp_path / "dry.json").read_text())
    assert dry["problems"] == [] and dry["imported_totals"]["stories"] == 300

    out = io.StringIO()
    call_command(
        "import-efiction", efiction_sample_db, "--report", tmp_path / "real.json",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    printed = out.getvalue()
    assert "Import finished." in printed
    assert "Every row read is accounted for." in printed
    real = json.loads((tmp_path / "real.json").read_text())
    assert {k: v for k, v in real.items() if k != "dry_run"} == {
        k: v for k, v in dry.items() if k != "dry_run"
    }
    assert_sample_counts(real["problems"], real["imported_totals"])


# --- An import killed half-way -----------------------------------------------------------


class ScratchDatabase:
    """A database of its own for `fanfold` subprocesses, on the engine the tests use."""

    def __init__(self, tmp_path: Path):
        settings = connection.settings_dict
        self.postgres = connection.vendor == "postgresql"
        if self.postgres:
            self.name = f"fanfold_test_resume_{secrets.token_hex(4)}"
            login = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
            server = (
                f"postgres://{login}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
            )
            self.admin_url = f"{server}/postgres"
            self.url = f"{server}/{self.name}"
            with psycopg.connect(self.admin_url, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{self.name}"')
        else:
            self.url = f"sqlite:///{tmp_path / 'resume.sqlite3'}"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        }
        self.env.update(DATABASE_URL=self.url, FANFOLD_VAR_DIR=str(tmp_path / "var"))

    def fanfold(self, *args: str, **kwargs):
        return [sys.executable, "-m", "fanfold", *args], {"env": self.env, "cwd": ROOT, **kwargs}

    def count(self, table: str) -> int:
        """Rows in a table right now, read around Django (the import holds its own)."""
        sql = f"SELECT COUNT(*) FROM {table}"
        if self.postgres:
            with psycopg.connect(self.url) as conn:
                return conn.execute(sql).fetchone()[0]
        import sqlite3

        with sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=20) as conn:
            return conn.execute(sql).fetchone()[0]

    def drop(self) -> None:
        if self.postgres:
            with psycopg.connect(self.admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture
def scratch(tmp_path):
    database = ScratchDatabase(tmp_path)
    try:
        args, options = database.fanfold("migrate", "--noinput", "--verbosity", "0")
        subprocess.run(args, check=True, timeout=300, **options)
        yield database
    finally:
        database.drop()


def test_the_sample_dump_killed_half_way_finishes_on_a_rerun(scratch, run_import, client, tmp_path):
    """`fanfold import-efiction sample.sql.gz` killed (-9) once stories are being written,
    then run again, gives the archive a clean import gives: the sample's whole content,
    with its old links working."""
    args, options = scratch.fanfold("import-efiction", str(SAMPLE))
    killed = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **options)
    deadline = time.monotonic() + 600
    stories = Story._meta.db_table
    try:
        while killed.poll() is None and time.monotonic() < deadline:
            if scratch.count(stories) > 0:
                break
            time.sleep(0.05)
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.wait()
    assert killed.returncode == -signal.SIGKILL, "the import ended before it could be killed"
    assert scratch.count(Review._meta.db_table) < 3000, "the kill came after the import"

    args, options = scratch.fanfold("import-efiction", str(SAMPLE))
    rerun = subprocess.run(args, capture_output=True, text=True, timeout=900, **options)
    assert rerun.returncode == 0, rerun.stderr
    assert "Every row read is accounted for." in rerun.stdout

    resumed = tmp_path / "resumed.json"
    args, options = scratch.fanfold(
        "shell",
        "--no-imports",
        "-c",
        "import json; from tests.importers.efiction.test_import_end_to_end import snapshot; "
        f"open({str(resumed)!r}, 'w').write(json.dumps(snapshot(), default=str))",
    )
    shell = subprocess.run(args, capture_output=True, text=True, timeout=300, **options)
    assert shell.returncode == 0, shell.stderr

    clean = run_import(SAMPLE)
    expected = json.loads(json.dumps(snapshot(), default=str))
    assert_same_archive(expected, json.loads(resumed.read_text()))
    assert_sample_counts(clean.problems(), clean.imported_totals)
    assert_old_links_work(client)
    # Signing in upgrades the hash, so this comes after the comparison.
    assert authenticate(username="Admin", password="efiction-admin") is not None
