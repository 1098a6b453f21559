"""`fanfold worker`: run background tasks.

Wraps django-tasks-db's `db_worker` so operators learn one command whatever the task
backend. When settings.REDIS_URL is set, the Redis/RQ backend (django-tasks-rq, whose
worker must be started with `--job-class django_tasks_rq.Job`) arrives with the community
issue; until then tasks always go through the database, with or without Redis.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run background tasks; with --batch, run the tasks already queued and exit."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="run every queued task, then exit")

    def handle(self, *, batch: bool, verbosity: int, **options):
        call_command(
            "db_worker",
            queue_name="*",
            batch=batch,
            # The autoreloader would fork a second process that `fanfold serve` cannot stop.
            reload=False,
            # The random start-up delay only spreads out many workers starting together.
            startup_delay=not batch,
            verbosity=verbosity,
            stdout=self.stdout,
            stderr=self.stderr,
        )
