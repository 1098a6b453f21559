"""`fanfold serve`: the whole archive in one command.

Starts granian (WSGI, N worker processes) and one `fanfold worker` as child processes and
keeps them together: Ctrl-C, SIGTERM or SIGHUP stops both, and if either exits on its own
the other is stopped too and serve exits non-zero, so a supervisor sees the failure.
"""

import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError

# How long a child may take to finish its current request or task after SIGTERM.
STOP_GRACE_SECONDS = 20
THREADS_PER_WORKER = 4


def granian_command(host: str, port: int, workers: int) -> list[str]:
    """The app server's command line; bench/ starts the very same one."""
    return [
        sys.executable, "-m", "granian",
        "--interface", "wsgi",
        "--host", host,
        "--port", str(port),
        "--workers", str(workers),
        # Python threads per worker: enough to overlap database waits, few enough to keep
        # database connections bounded; more than 2 × cores + 1 makes granian warn.
        "--blocking-threads", str(THREADS_PER_WORKER),
        "--no-ws",
        "--log-level", "warning",
        "fanfold.wsgi:application",
    ]  # fmt: skip


class _Stop(Exception):
    """Raised by the signal handler to leave the wait for the children."""


def _raise_stop(signum, frame):
    raise _Stop(signum)


def _ignore_signals() -> None:
    """From here on a second Ctrl-C must not interrupt the clean-up."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)


class Command(BaseCommand):
    help = "Serve Fanfold with granian and run one task worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="granian worker processes")
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start a background task worker"
        )

    def handle(self, *, host: str, port: int, workers: int, no_worker: bool, **options):
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        commands = {"granian": granian_command(host, port, workers)}
        if not no_worker:
            commands["worker"] = [sys.executable, "-m", "fanfold", "worker"]

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _raise_stop)

        children: dict[str, subprocess.Popen] = {}
        name = code = None
        try:
            for child_name, command in commands.items():
                # Own process group: a Ctrl-C reaches only serve, which then stops each child
                # once (a second signal would make the worker abandon its current task).
                children[child_name] = subprocess.Popen(command, process_group=0)
            shown_host = f"[{host}]" if ":" in host else host
            self.stdout.write(
                f"Fanfold is serving at http://{shown_host}:{port}/ "
                f"({workers} web worker{'s' if workers != 1 else ''}, "
                f"{'no task worker' if no_worker else 'one task worker'}). Ctrl-C stops it."
            )
            name, code = _wait_for_first_exit(children)
            _ignore_signals()
        except _Stop:
            _ignore_signals()
            self.stdout.write("Stopping…")
        _stop_all(children)
        if name is not None:
            raise CommandError(
                f"{name} exited unexpectedly (code {code}); stopped the rest.",
                returncode=code if code > 0 else 1,
            )


def _wait_for_first_exit(children: dict[str, subprocess.Popen]) -> tuple[str, int]:
    """Block until one child exits (no polling) and return its name and exit code."""
    while True:
        pid, status = os.wait()
        for name, child in children.items():
            if child.pid == pid:
                child.returncode = os.waitstatus_to_exitcode(status)
                return name, child.returncode


def _stop_all(children: dict[str, subprocess.Popen]) -> None:
    """SIGTERM every running child, then SIGKILL whatever outlives the grace period."""
    running = [child for child in children.values() if child.poll() is None]
    for child in running:
        child.terminate()
    for child in running:
        try:
            child.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
