"""`fanfold worker`: run background tasks with whichever backend settings.TASKS names.

Operators learn one command: it runs django-tasks-db's `db_worker` by default, and RQ's
worker (with django-tasks-rq's job class, without which every task fails) when REDIS_URL
is set. Before taking a task it sends `worker_starting`, so apps can re-enqueue what a
stopped or killed worker left unfinished: neither backend re-runs a task whose worker died.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.dispatch import Signal

RQ_BACKEND = "django_tasks_rq.RQBackend"

# Sent once as the worker starts, before its first task (community resumes deliveries).
worker_starting = Signal()


class Command(BaseCommand):
    help = "Run background tasks; with --batch, run the tasks already queued and exit."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="run every queued task, then exit")

    def handle(self, *, batch: bool, verbosity: int, **options):
        worker_starting.send(self.__class__)
        backend = settings.TASKS["default"]
        if backend["BACKEND"] == RQ_BACKEND:
            call_command(
                "rqworker",
                *backend.get("QUEUES", ["default"]),
                job_class="django_tasks_rq.Job",
                burst=batch,
                # Runs deferred tasks (a notification waiting for the mail server).
                with_scheduler=not batch,
                verbosity=verbosity,
            )
            return
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
