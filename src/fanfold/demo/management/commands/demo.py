"""`fanfold demo`: fill the archive with generated stories to read, search and measure."""

import os
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from fanfold.archive.models import Story
from fanfold.demo.generator import generate
from fanfold.lib.progress import progress_bar


class Command(BaseCommand):
    help = (
        "Add a generated demo archive: authors, fandoms, stories with chapters, series, "
        "reviews and favorites. The same --seed and --stories always give the same archive."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--stories", type=int, default=60, help="how many (default 60)")
        parser.add_argument("--seed", type=int, default=1, help="which archive (default 1)")
        parser.add_argument(
            "--processes",
            type=int,
            default=os.cpu_count() or 1,
            help="worker processes writing stories (default: one per CPU)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the archive already has stories (`make run` uses this)",
        )

    def handle(
        self, *args, stories: int, seed: int, processes: int, if_empty: bool, **options
    ) -> None:
        if stories < 1 or processes < 1:
            raise CommandError("--stories and --processes must be at least 1.")
        if if_empty and Story.objects.exists():
            self.stdout.write("The archive already has stories: no demo data added.")
            return
        started = time.monotonic()
        # One transaction: an interrupted run leaves no half-counted archive behind, so
        # the next `--if-empty` run starts again from nothing.
        with transaction.atomic():
            demo = generate(
                stories,
                seed,
                processes=processes,
                progress=lambda **kwargs: progress_bar(self.stderr, **kwargs),
            )
            _analyze()
            call_command("recount", stdout=self.stdout, stderr=self.stderr)
            # Bulk inserts send no signals: the search index is built once, at the end.
            call_command("reindex", stdout=self.stdout, stderr=self.stderr)
        elapsed = time.monotonic() - started
        rows = ", ".join(f"{count:,} {name}" for name, count in demo.rows.items())
        self.stdout.write(f"Created {rows} in {elapsed:.1f} s.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Sign in as {demo.login_pen_name} (username “{demo.login_username}”) "
                f"with the password “{demo.login_password}”."
            )
        )


def _analyze() -> None:
    """Table statistics for the rows this transaction inserted, on PostgreSQL.

    Autovacuum cannot see uncommitted rows, so without this the planner believes the
    tables are empty and runs the recount's correlated subqueries as whole-table scans
    per row: hours at 100,000 stories instead of seconds. ANALYZE inside the transaction
    counts its own inserts.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
