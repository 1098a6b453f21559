"""Measure the read path under granian with wrk and write bench/REPORT.md.

Run with `make bench` (see bench/README.md). The bench database is prepared once with
`fanfold demo` and reused; each scenario starts granian exactly as `fanfold serve` does
(2 WSGI workers, DEBUG off) on a free loopback port, warms up, then lets wrk load one URL.
Loopback only, bounded in time; nothing here runs under `make test`.
"""

import argparse
import datetime
import functools
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = ROOT / "var" / "bench"
REDIS_URL = "redis://127.0.0.1:6379/15"
GOAL = 4_800  # chapter pages/s: ten times eFiction
BASELINES = [
    ("eFiction 3.5 (PHP), chapter page", "~480"),
    ("Ourchive, chapter page", "~11"),
    ("bare Django render, chapter-like page (granian, 2 workers)", "~1,100"),
    ("same page from a shared cache under granian", "~11,500"),
]


@dataclass
class Scenario:
    name: str
    path: str
    cache: str  # "file", "redis", or "-" for the fixed page
    page_cache: bool = True
    fixed_page: bool = False  # the calibration app below instead of Fanfold


@dataclass
class Result:
    scenario: Scenario
    requests_per_second: float
    p50: str
    p99: str
    errors: str
    served_from_cache: bool


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="granian workers")
    parser.add_argument("--no-redis", action="store_true", help="skip the Redis variant")
    parser.add_argument("--report", type=Path, default=ROOT / "bench" / "REPORT.md")
    args = parser.parse_args()

    if not shutil.which("wrk"):
        print("wrk is not installed. On Debian: apt-get install -y wrk", file=sys.stderr)
        return 2

    load_at_start = os.getloadavg()[0]
    if load_at_start > 1:
        print(f"note: load average is {load_at_start:.1f}; expect lower numbers than when quiet")
    env = bench_environment()
    prepare_database(env, args.stories, args.seed)
    paths = pick_paths(env)
    variants = ["file"] if args.no_redis else ["file", "redis"]
    if "redis" in variants and not redis_answers():
        print(f"Redis does not answer at {REDIS_URL}; skipping the Redis variant.")
        variants.remove("redis")

    scenarios = []
    for cache in variants:
        scenarios += [
            Scenario("chapter page, page cache", paths["chapter"], cache),
            Scenario("chapter page, no page cache", paths["chapter"], cache, page_cache=False),
            Scenario("story index, page cache", paths["story"], cache),
            Scenario("browse listing, page cache", paths["listing"], cache),
        ]
    # The machine's ceiling: the same bytes from a bare WSGI function, no Django.
    scenarios.append(Scenario("same page as bytes, no Django", paths["chapter"], "-", False, True))
    results = [run_scenario(s, env, args) for s in scenarios]
    write_report(args, env, paths, results, load_at_start)
    print(f"Wrote {args.report}")
    return 0


def bench_environment() -> dict[str, str]:
    """Production-like settings on a database and var/ of the bench's own."""
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env["FANFOLD_VAR_DIR"] = str(BENCH_VAR)
    env["DEBUG"] = "false"
    env.setdefault("DJANGO_SETTINGS_MODULE", "fanfold.settings")
    env.setdefault("DATABASE_URL", f"sqlite:///{BENCH_VAR / 'bench.sqlite3'}")
    env["RATELIMIT_ENABLE"] = "false"
    return env


def fanfold(env: dict[str, str], *arguments: str, capture: bool = False) -> str:
    command = [sys.executable, "-m", "fanfold", *arguments]
    if arguments[0] == "shell":
        command.append("--no-imports")
    done = subprocess.run(command, env=env, check=True, text=True, capture_output=capture)
    return done.stdout if capture else ""


def prepare_database(env: dict[str, str], stories: int, seed: int) -> None:
    """Migrate, then fill an empty bench database with the demo archive, once.

    No collectstatic: only the pages' HTML is measured, and without a manifest the
    {% static %} tag keeps plain names, which costs the same.
    """
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    fanfold(env, "migrate", "--noinput", "--verbosity", "0")
    count = fanfold(env, "shell", "-c", SHELL_COUNT, capture=True).strip()
    if count == "0":
        print(f"Preparing the bench database: fanfold demo --stories {stories} --seed {seed}")
        fanfold(env, "demo", "--stories", str(stories), "--seed", str(seed))


SHELL_COUNT = "from fanfold.archive.models import Story; print(Story.objects.count())"
SHELL_PATHS = """
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count
from fanfold.archive.models import Category, Story
story = (
    Story.objects.listed_for(AnonymousUser())
    .filter(chapter_count__gte=2, rating__shows_warning=False, rating__needs_consent=False)
    .order_by("pk")
    .first()
)
category = Category.objects.annotate(n=Count("stories")).order_by("-n", "pk").first()
print(story.chapter_url(2), story.get_absolute_url(), category.get_absolute_url())
"""


def pick_paths(env: dict[str, str]) -> dict[str, str]:
    """Chapter 2 of the first multi-chapter story without an age gate, its index, and the
    listing of the biggest category."""
    chapter, story, listing = fanfold(env, "shell", "-c", SHELL_PATHS, capture=True).split()
    return {"chapter": chapter, "story": story, "listing": listing}


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_scenario(scenario: Scenario, base_env: dict[str, str], args) -> Result:
    from fanfold.core.management.commands.serve import granian_command

    env = dict(base_env)
    env["PAGE_CACHE_SECONDS"] = "600" if scenario.page_cache else "0"
    if scenario.cache == "redis":
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        env["REDIS_URL"] = REDIS_URL
    else:
        shutil.rmtree(BENCH_VAR / "cache", ignore_errors=True)
        env["CACHE_DIR"] = str(BENCH_VAR / "cache")

    port = free_port()
    url = f"http://127.0.0.1:{port}{scenario.path}"
    command = granian_command("127.0.0.1", port, args.workers)
    if scenario.fixed_page:
        command[-1:] = ["--working-dir", str(ROOT / "bench"), "chapter_page:fixed_page_app"]
    log = (BENCH_VAR / "granian.log").open("a")
    server = subprocess.Popen(
        command,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        process_group=0,
    )
    try:
        wait_until_ok(url, server)
        if not scenario.fixed_page:
            with urllib.request.urlopen(url, timeout=10) as response:
                FIXED_PAGE.write_bytes(response.read())
        served_from_cache = fetch_twice_from_cache(url)
        if scenario.page_cache and not served_from_cache:
            print(f"  note: {scenario.path} was not served from the page cache")
        wrk(url, args.warmup, args)
        output = wrk(url, args.duration, args)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    result = parse_wrk(scenario, output, served_from_cache)
    print(
        f"{scenario.name:32} [{scenario.cache:5}] {result.requests_per_second:10,.0f} req/s"
        f"  p50 {result.p50:>8}  p99 {result.p99:>8}  {result.errors}"
    )
    return result


FIXED_PAGE = BENCH_VAR / "fixed-page.html"


@functools.cache
def _fixed_page() -> bytes:
    return FIXED_PAGE.read_bytes()


def fixed_page_app(environ, start_response):
    """WSGI app for the ceiling scenario: the last Fanfold page fetched, as plain bytes."""
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [_fixed_page()]


def wait_until_ok(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        if server.poll() is not None:
            raise SystemExit(f"granian exited with {server.returncode}; see var/bench/granian.log")
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer 200 within {seconds} s")
        time.sleep(0.2)  # poll interval while granian starts


def fetch_twice_from_cache(url: str) -> bool:
    """True when the second anonymous request came from the page cache."""
    for _ in range(2):
        with urllib.request.urlopen(url, timeout=10) as response:
            header = response.headers.get("X-Page-Cache")
    return header == "hit"


def wrk(url: str, seconds: int, args) -> str:
    command = [
        "wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--latency", url,
    ]  # fmt: skip
    return subprocess.run(
        command, check=True, text=True, capture_output=True, timeout=seconds + 60
    ).stdout


def parse_wrk(scenario: Scenario, output: str, served_from_cache: bool) -> Result:
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE).group(1)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1)
    problems = []
    for label, pattern in (
        ("non-2xx", r"Non-2xx or 3xx responses:\s+(\d+)"),
        ("socket errors", r"Socket errors:\s+(.+)"),
    ):
        match = re.search(pattern, output)
        if match:
            problems.append(f"{label}: {match.group(1).strip()}")
    return Result(scenario, rate, p50, p99, "; ".join(problems) or "none", served_from_cache)


def versions() -> dict[str, str]:
    from importlib.metadata import version

    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        match = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        cpu = match.group(1).strip() if match else cpu
    wrk_line = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    return {
        "cores (nproc)": str(os.cpu_count()),
        "CPU": cpu,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Django": version("Django"),
        "granian": version("granian"),
        "wrk": wrk_line.split(" [")[0].removeprefix("wrk ").strip() or "unknown",
    }


def write_report(args, env, paths: dict[str, str], results: list[Result], load: float) -> None:
    database = env["DATABASE_URL"].split("://")[0]
    database = "SQLite (WAL), var/bench/bench.sqlite3" if database == "sqlite" else database
    cached_chapter = [
        r for r in results if r.scenario.path == paths["chapter"] and r.scenario.page_cache
    ]
    best = max(cached_chapter, key=lambda r: r.requests_per_second)
    verdict = "met" if best.requests_per_second >= GOAL else "NOT met"
    lines = [
        "# Read-path benchmark",
        "",
        f"Written by `make bench` (bench/chapter_page.py) on "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"**Goal: ≥ {GOAL:,} anonymous chapter pages/s (10× eFiction): {verdict}** — "
        f"best {best.requests_per_second:,.0f}/s ({best.scenario.cache} cache).",
        "",
        "## Results",
        "",
        f"granian, {args.workers} WSGI workers (`fanfold serve`'s command line), DEBUG off; "
        f"wrk {args.threads} threads, {args.connections} connections, {args.duration} s "
        f"per scenario after {args.warmup} s of warm-up, loopback; wrk and the server share "
        f"the machine's cores. Data: `fanfold demo --stories {args.stories} --seed "
        f"{args.seed}` on {database}. The last row is the machine's ceiling during this "
        "run: on a shared host speed varies from run to run, so compare rows of one run.",
        "",
        "| scenario | URL | shared cache | requests/s | p50 | p99 | from page cache | errors |",
        "|---|---|---|---:|---:|---:|---|---|",
    ]
    for r in results:
        cache = {"file": "file (var/bench/cache)", "redis": f"Redis ({REDIS_URL})"}.get(
            r.scenario.cache, "none"
        )
        lines.append(
            f"| {r.scenario.name} | `{r.scenario.path}` | {cache} | "
            f"{r.requests_per_second:,.0f} | {r.p50} | {r.p99} | "
            f"{'yes' if r.served_from_cache else 'no'} | {r.errors} |"
        )
    lines += [
        "",
        "## Baselines",
        "",
        "Measured before Fanfold existed (see the task and shared/CLARIFICATIONS.md), on "
        "machines of this kind:",
        "",
        "| baseline | requests/s |",
        "|---|---:|",
        *(f"| {name} | {rate} |" for name, rate in BASELINES),
        f"| **goal: 10× eFiction** | **≥ {GOAL:,}** |",
        "",
        "## Machine",
        "",
        *(f"- {key}: {value}" for key, value in versions().items()),
        f"- load average (1 min) before the run: {load:.2f} (on 2 cores, above ~0.5 means "
        "other work competed with the run)",
        "",
    ]
    args.report.write_text("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
