"""Search latency: median and p95 of the search page for the issue's five kinds of query.

    .venv/bin/python bench/search.py --stories 20000                       # SQLite
    .venv/bin/python bench/search.py --stories 20000 --postgres URL        # PostgreSQL

Prepares a scratch database once (`fanfold demo --stories N --seed 1`, which also builds
the search index) and reuses it: var/bench/search-N.sqlite3, or the PostgreSQL database
`fanfold_bench_search_N` on the server of URL. Then renders /search/ in this process
(Django's test client, page cache off, DEBUG off), so the numbers are the view's own:
queries, ranking, passages, facets and the template, without HTTP or an app server.

Text queries come in frequency bands measured on a sample of the chapters (rare, medium
and common words, two-word phrases), at least 50 of them. See bench/SEARCH.md.
"""

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def prepare(url: str, stories: int) -> None:
    """Migrate and fill the bench database unless it already holds stories."""
    env = {**os.environ, "DATABASE_URL": url}
    fanfold = str(ROOT / ".venv/bin/fanfold")
    subprocess.run([fanfold, "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [fanfold, "demo", "--stories", str(stories), "--seed", "1", "--if-empty"],
        env=env,
        check=True,
    )


def settle() -> None:
    """Planner statistics and a vacuumed heap, as autovacuum leaves a live archive: the
    demo's bulk inserts and recount leave none (the planner then guessed 6 stories)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def database_url(args) -> str:
    if not args.postgres:
        (ROOT / "var/bench").mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{ROOT}/var/bench/search-{args.stories}.sqlite3"
    import psycopg

    name = f"fanfold_bench_search_{args.stories}"
    with psycopg.connect(args.postgres, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    return re.sub(r"/[^/]*$", f"/{name}", args.postgres)


def vocabulary(sample_size: int, rng: random.Random) -> dict[str, list[str]]:
    """Query texts in frequency bands, from the words of a sample of chapters."""
    from fanfold.archive.models import Chapter

    ids = list(Chapter.objects.values_list("pk", flat=True)[: sample_size * 20])
    texts = Chapter.objects.filter(pk__in=rng.sample(ids, min(sample_size, len(ids))))
    documents = [t.lower() for t in texts.values_list("body_text", flat=True)]
    frequency = Counter(w for text in documents for w in set(re.findall(r"[^\W\d_]{4,}", text)))
    stop_words = ignored_words(list(frequency))
    share = {word: n / len(documents) for word, n in frequency.items() if word not in stop_words}
    bands = {
        "rare word": [w for w, s in share.items() if s <= 0.01],
        "medium word": [w for w, s in share.items() if 0.05 <= s <= 0.2],
        "common word": [w for w, s in share.items() if s >= 0.5],
    }
    phrases = []
    for text in rng.sample(documents, min(40, len(documents))):
        words = re.findall(r"[^\W\d_]{4,}", text)
        start = rng.randrange(max(1, len(words) - 2))
        phrases.append(f'"{" ".join(words[start : start + 2])}"')
    bands = {name: rng.sample(words, min(15, len(words))) for name, words in bands.items()}
    bands["phrase"] = phrases[:15]
    return bands


def ignored_words(words: list[str]) -> set[str]:
    """The words the engine drops (PostgreSQL's stop words: "that" finds nothing there,
    at no cost); FTS5 drops none."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return set()
    from fanfold.search.backends import TEXT_SEARCH_CONFIG

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w FROM unnest(%s::text[]) AS w WHERE to_tsvector(%s::regconfig, w) = ''",
            [words, TEXT_SEARCH_CONFIG],
        )
        return {w for (w,) in cursor.fetchall()}


def scenarios(rng: random.Random) -> dict[str, list[str]]:
    from fanfold.archive.models import Category

    bands = vocabulary(400, rng)
    fandoms = list(Category.objects.values_list("pk", flat=True))
    words = [w for band in ("medium word", "common word") for w in bands[band]]

    def filters() -> str:
        return f"category={rng.choice(fandoms)}&complete=yes&words_min=2000"

    return {
        **{f"text: {band}": [f"q={q}" for q in queries] for band, queries in bands.items()},
        "three filters": [filters() for _ in range(30)],
        "text + filters, facets": [f"q={rng.choice(words)}&{filters()}" for _ in range(30)],
        "deep page (200), filters only": ["sort=updated&page=200"] * 10,
        "deep page (200), common word": [
            f"q={rng.choice(bands['common word'])}&page=200" for _ in range(10)
        ],
    }


def measure(client, queries: list[str], rounds: int, then: str = "") -> list[float]:
    """Timings of each query `rounds` times, after one untimed request of it (the
    database's own caches warm, as on a live archive); `then` is added to the timed
    requests' parameters (another sort, with facet counts kept from the first)."""
    timings = []
    for query in queries:
        client.get(f"/search/?{query}")
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get(f"/search/?{query}{then}")
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code not in (200, 404):
                raise SystemExit(f"/search/?{query} answered {response.status_code}")
    return timings


def report(name: str, queries: list[str], timings: list[float]) -> None:
    p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0]
    print(f"| {name} | {len(queries)} | {statistics.median(timings):.1f} | {p95:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=20_000)
    parser.add_argument("--postgres", metavar="URL", help="postgres://… of a server to use")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each query")
    args = parser.parse_args()

    url = database_url(args)
    prepare(url, args.stories)
    os.environ.update(
        DATABASE_URL=url,
        PAGE_CACHE_SECONDS="0",
        FACET_CACHE_SECONDS="0",
        DEBUG="false",
        ALLOWED_HOSTS="testserver",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fanfold.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from fanfold.archive.models import Chapter, Story

    settle()
    client = Client()
    rng = random.Random(1)
    print(
        f"{connection.vendor}, {Story.objects.count():,} stories, "
        f"{Chapter.objects.count():,} chapters, {args.rounds} runs per query, "
        f"load average {os.getloadavg()[0]:.1f} at the start\n"
    )
    table = "| query | queries run | median ms | p95 ms |\n|---|---:|---:|---:|"
    print(f"Facet counts computed on every request (FACET_CACHE_SECONDS=0):\n\n{table}")
    planned = scenarios(rng)
    for name, queries in planned.items():
        report(name, queries, measure(client, queries, args.rounds))
    settings.FACET_CACHE_SECONDS = 600
    print(f"\nThe same result sorted by title, its facet counts kept from the first:\n\n{table}")
    for name in ("three filters", "text + filters, facets"):
        queries = planned[name]
        report(name, queries, measure(client, queries, args.rounds, then="&sort=title"))
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
