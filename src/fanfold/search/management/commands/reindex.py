"""`fanfold reindex`: rebuild the search index from the stories and their chapters."""

import time

from django.core.management.base import BaseCommand

from fanfold.lib.progress import progress_bar
from fanfold.search import index


class Command(BaseCommand):
    help = (
        "Rebuild the search index of every story. Saves keep it up to date by themselves; "
        "run this after writing stories in bulk or restoring a backup."
    )

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        count = index.rebuild(progress=lambda **kwargs: progress_bar(self.stderr, **kwargs))
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Indexed {count:,} stories in {elapsed:.1f} s."))
