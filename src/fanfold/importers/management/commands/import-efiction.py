"""`fanfold import-efiction SOURCE`: move an eFiction 3.x archive into Fanfold."""

import json
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fanfold.importers.efiction.database import DEFAULT_PREFIX
from fanfold.importers.efiction.errors import ImportSourceError
from fanfold.importers.efiction.importer import run
from fanfold.importers.efiction.source import open_source
from fanfold.importers.efiction.steps import Options


class Command(BaseCommand):
    help = (
        "Import an eFiction 3.x archive from its live database (mysql://user:pass@host/db) "
        "or a mysqldump, phpMyAdmin or eFiction backup file (.sql or .sql.gz). Running it "
        "again updates what an earlier run imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="mysql://… URL or path to a .sql / .sql.gz dump")
        parser.add_argument(
            "--prefix", default=DEFAULT_PREFIX, help="eFiction's table prefix (%(default)s)"
        )
        parser.add_argument(
            "--stories-dir",
            type=Path,
            help="Folder of chapter files when the archive stored text in files "
            "(default: the archive's own storiespath)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Read and map everything, write nothing"
        )
        parser.add_argument(
            "--schema",
            type=Path,
            help="CREATE TABLE statements for a dump whose tables match no known layout",
        )
        parser.add_argument(
            "--report",
            type=Path,
            help="Where to write the full report as JSON (default: under var/import/)",
        )

    def handle(self, *args, **options):
        work_dir = settings.VAR_DIR / "import"
        work_dir.mkdir(parents=True, exist_ok=True)
        try:
            with open_source(
                options["source"],
                prefix=options["prefix"],
                schema_path=options["schema"],
                work_dir=work_dir,
                err=self.stderr,
            ) as source:
                report = run(
                    source,
                    Options(stories_dir=options["stories_dir"], dry_run=options["dry_run"]),
                    self.stderr,
                )
        except ImportSourceError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(report.render())
        report_path = options["report"] or work_dir / (
            f"report-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
        )
        report_path.write_text(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        self.stdout.write(f"\nThe full report is in {report_path}.")
        if report.problems():
            raise CommandError("Some rows are not accounted for: see Problems above.")
