"""`fanfold serve` and `fanfold worker`, run for real: processes, ports, the task queue."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus, task

START_SECONDS = 60
STOP_SECONDS = 30


@task
def add(a: int, b: int) -> int:
    """A task the worker must find by its module path, run, and record."""
    return a + b


@pytest.fixture
def restore_signals():
    """db_worker installs its own SIGINT/SIGTERM handlers; give pytest its own back."""
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


@pytest.mark.django_db(transaction=True)
def test_worker_batch_runs_queued_tasks_to_success(restore_signals):
    first = add.enqueue(2, 3)
    second = add.enqueue(40, 2)
    assert first.status == TaskResultStatus.READY

    call_command("worker", batch=True, verbosity=0)

    for result, expected in ((first, 5), (second, 42)):
        result.refresh()
        assert result.status == TaskResultStatus.SUCCESSFUL
        assert result.return_value == expected


# --- fanfold serve ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _descendants(pid: int) -> dict[int, str]:
    """Every process below pid, with its command line, read from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name may contain spaces and parentheses: split after the last ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = {}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in found:
                try:
                    cmdline = (Path("/proc") / str(child) / "cmdline").read_bytes()
                except OSError:
                    continue
                found[child] = cmdline.replace(b"\0", b" ").decode(errors="replace")
                frontier.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def site(tmp_path):
    """A migrated SQLite archive of its own, and the environment to run commands on it."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}
    }
    env["FANFOLD_VAR_DIR"] = str(tmp_path / "var")
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    subprocess.run(
        [sys.executable, "-m", "fanfold", "migrate", "--noinput", "--verbosity", "0"],
        env=env,
        check=True,
        timeout=120,
    )
    return env


def _start_serve(env: dict[str, str], tmp_path: Path):
    port = _free_port()
    log = (tmp_path / "serve.log").open("w+")
    serve = subprocess.Popen(
        [sys.executable, "-m", "fanfold", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/static/fanfold/site.css"
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                break
        except urllib.error.HTTPError:
            break  # any HTTP answer means granian and Django are up
        except (urllib.error.URLError, ConnectionError):
            if serve.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"serve did not answer on {url}:\n{log.read()}")
            time.sleep(0.2)  # poll interval while granian binds the port
    return serve, log


def _stop(serve: subprocess.Popen) -> None:
    if serve.poll() is None:
        serve.kill()
        serve.wait()


def _wait_until_gone(pids, seconds: float = STOP_SECONDS) -> list[int]:
    deadline = time.monotonic() + seconds
    while (alive := [pid for pid in pids if _alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)  # poll interval while the processes exit
    return alive


def test_serve_answers_http_then_stops_both_children_on_sigterm(site, tmp_path):
    serve, log = _start_serve(site, tmp_path)
    try:
        log.seek(0)
        port = serve.args[serve.args.index("--port") + 1]
        assert f"http://127.0.0.1:{port}/" in log.read()
        processes = _descendants(serve.pid)
        commands = list(processes.values())
        assert any("granian" in command for command in commands), commands
        assert any(command.rstrip().endswith("fanfold worker") for command in commands), commands

        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=STOP_SECONDS) == 0
        assert _wait_until_gone(processes) == []
    finally:
        _stop(serve)


def test_serve_stops_the_server_and_fails_when_the_worker_dies(site, tmp_path):
    serve, _log = _start_serve(site, tmp_path)
    try:
        processes = _descendants(serve.pid)
        worker = next(pid for pid, cmd in processes.items() if cmd.rstrip().endswith("worker"))

        os.kill(worker, signal.SIGKILL)
        assert serve.wait(timeout=STOP_SECONDS) != 0
        assert _wait_until_gone(processes) == []
    finally:
        _stop(serve)
