"""Measure `fanfold import-efiction` on a big generated dump and write bench/IMPORT.md.

Generates an eFiction 3.5.8 mysqldump (.sql.gz) of `--stories` stories with
`--chapters` chapters each, members, reviews and favorites, streaming it to disk row by
row (nothing is held in memory), then times the import command on it against a fresh
SQLite file and a fresh PostgreSQL database (`fanfold_bench_import`), and once more on a
dump a third the size to show that peak memory does not grow with the dump. Dumps are
kept under var/bench/import/ and reused by later runs with the same parameters.

    .venv/bin/python bench/import_efiction.py            # 30,000 stories, 150,000 chapters
    .venv/bin/python bench/import_efiction.py --stories 3000 --engines sqlite
"""

import argparse
import datetime
import gzip
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.importers.efiction.traps import md5, schema, write_dump  # noqa: E402

WORK = ROOT / "var" / "bench" / "import"
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
POSTGRES_DATABASE = "fanfold_bench_import"
START = 1_230_768_000  # 2009-01-01, unix time


# --- The dump ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    stories: int
    chapters: int  # per story
    words: int  # per chapter
    seed: int

    @property
    def authors(self) -> int:
        return max(10, self.stories // 10)

    @property
    def writers(self) -> int:
        return max(5, self.authors // 4)

    @property
    def reviews(self) -> int:
        return self.stories * 2

    @property
    def favorites(self) -> int:
        return self.authors * 3

    @property
    def name(self) -> str:
        return f"efiction-{self.stories}x{self.chapters}-{self.words}w-seed{self.seed}.sql.gz"


class Prose:
    """Paragraphs drawn once from a Zipf-like vocabulary; chapters pick among them, so
    text is cheap to make and differs from chapter to chapter."""

    def __init__(self, seed: int):
        rng = random.Random(seed)
        syllables = ["ka", "lo", "mir", "ten", "sa", "vel", "dor", "i", "ne", "ru", "th", "ae"]
        vocabulary = sorted(
            {"".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(4000)}
        )
        rng.shuffle(vocabulary)
        weights = [1 / rank for rank in range(1, len(vocabulary) + 1)]
        decorations = ["\u201c{}\u201d", "{}\u2026", "\u2019til {}", "{} \u2014", "<i>{}</i>"]
        self.paragraphs = []
        for _ in range(400):
            words = rng.choices(vocabulary, weights, k=rng.randint(40, 120))
            words = [
                rng.choice(decorations).format(word) if rng.random() < 0.03 else word
                for word in words
            ]
            self.paragraphs.append(" ".join(words).capitalize() + ".")

    def chapter(self, rng: random.Random, words: int) -> tuple[str, int]:
        """A chapter of about `words` words, plain text or HTML as eFiction held both."""
        chosen, count = [], 0
        while count < words:
            paragraph = rng.choice(self.paragraphs)
            chosen.append(paragraph)
            count += paragraph.count(" ") + 1
        if rng.random() < 0.5:
            return "\n\n".join(chosen), count
        return "".join(f"<p>{paragraph}</p>\n" for paragraph in chosen), count


def groups(scale: Scale) -> Iterator[tuple[str, str, Iterator[dict]]]:
    """The archive's tables in mysqldump's (alphabetical) order, each a row generator."""
    prose = Prose(scale.seed)
    stories_of = range(1, scale.stories + 1)

    def owner(sid: int) -> int:
        return 2 + (sid * 7919) % scale.writers

    def authorprefs():
        for uid in range(1, scale.authors + 1):
            yield {"uid": uid, "level": 1 if uid == 1 else 0, "validated": 1, "ageconsent": 1}

    def authors():
        for uid in range(1, scale.authors + 1):
            yield {
                "uid": uid,
                "penname": "Admin" if uid == 1 else f"Member {uid}",
                "email": f"user{uid}@example.org",
                "bio": f"Member {uid} writes \u2019til late.",
                "date": START + uid * 600,
                "password": md5(f"pw{uid}"),
            }

    def categories():
        for catid in range(1, 21):
            parent = -1 if catid <= 12 else (catid % 12) + 1
            yield {"catid": catid, "parentcatid": parent, "category": f"Fandom {catid}",
                   "description": "", "displayorder": catid}  # fmt: skip

    def chapters():
        for sid in stories_of:
            rng = random.Random(scale.seed * 1_000_003 + sid)
            for number in range(1, scale.chapters + 1):
                text, words = prose.chapter(rng, scale.words)
                yield {
                    "chapid": (sid - 1) * scale.chapters + number,
                    "title": f"Chapter {number}",
                    "inorder": number,
                    "notes": "Thanks to my beta \u2014 you know who you are."
                    if number == 1
                    else "",
                    "storytext": text,
                    "endnotes": "",
                    "validated": "1",
                    "wordcount": words,
                    "sid": sid,
                    "uid": owner(sid),
                    "count": rng.randint(0, 500),
                }

    def characters():
        for charid in range(1, 101):
            yield {"charid": charid, "catid": 1 + charid % 20, "charname": f"Character {charid}",
                   "bio": ""}  # fmt: skip

    def classes():
        for class_id in range(1, 31):
            yield {"class_id": class_id, "class_type": 1 + class_id % 2,
                   "class_name": f"Class {class_id}"}  # fmt: skip

    def classtypes():
        yield {"classtype_id": 1, "classtype_name": "genre", "classtype_title": "Genres"}
        yield {"classtype_id": 2, "classtype_name": "warnings", "classtype_title": "Warnings"}

    def favorites():
        rng = random.Random(scale.seed + 2)
        seen = set()
        for _ in range(scale.favorites):
            uid, item = rng.randint(1, scale.authors), rng.choice(stories_of)
            if (uid, item) not in seen:
                seen.add((uid, item))
                yield {"uid": uid, "item": item, "type": "ST", "comments": ""}

    def ratings():
        for rid, (name, flags) in enumerate(
            [("K", "0"), ("K+", "0"), ("T", "0"), ("M", "1"), ("MA", "2")], start=1
        ):
            yield {"rid": rid, "rating": name, "ratingwarning": flags, "warningtext": ""}

    def reviews():
        rng = random.Random(scale.seed + 1)
        for reviewid in range(1, scale.reviews + 1):
            sid = rng.choice(stories_of)
            uid = rng.choice([0, rng.randint(1, scale.authors)])
            yield {
                "reviewid": reviewid,
                "item": sid,
                "chapid": (sid - 1) * scale.chapters + rng.randint(1, scale.chapters),
                "reviewer": "Anonymous" if uid == 0 else f"Member {uid}",
                "uid": uid,
                "review": "Loved it \u2014 more please\u2026",
                "date": START + reviewid * 60,
                "rating": rng.randint(1, 10),
                "type": "ST",
            }

    def settings():
        yield {"sitekey": "bench", "sitename": "Bench Archive", "store": "mysql",
               "reviewsallowed": 1, "ratings": 1, "anonreviews": 1, "favorites": 1}  # fmt: skip

    def stories():
        for sid in stories_of:
            rng = random.Random(scale.seed * 7 + sid)
            yield {
                "sid": sid,
                "title": f"Story {sid}: \u201cThe Long Road\u201d",
                "summary": "Two travellers and a <b>storm</b>.",
                "storynotes": "",
                "catid": f"{1 + sid % 20},{1 + (sid * 3) % 20}",
                "classes": f"{1 + sid % 30}",
                "charid": f"{1 + sid % 100}, {1 + (sid * 7) % 100}",
                "rid": str(1 + sid % 5),
                "date": START + sid * 3600,
                "updated": START + sid * 3600 + 86_400,
                "uid": owner(sid),
                "validated": "1",
                "completed": str(sid % 2),
                "wordcount": 0,  # eFiction's story total; the chapters carry the counts
                "count": rng.randint(0, 5000),
            }

    tables = {
        "authorprefs": authorprefs,
        "authors": authors,
        "categories": categories,
        "chapters": chapters,
        "characters": characters,
        "classes": classes,
        "classtypes": classtypes,
        "favorites": favorites,
        "ratings": ratings,
        "reviews": reviews,
        "settings": settings,
        "stories": stories,
    }
    for name, rows in tables.items():
        yield name, "INSERT", rows()


def make_dump(scale: Scale) -> Path:
    """The dump for `scale`, written once (to a temporary name, renamed when complete)."""
    path = WORK / scale.name
    if path.exists():
        print(f"reusing {path.relative_to(ROOT)}")
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    started = time.monotonic()
    print(f"writing {path.relative_to(ROOT)} …", flush=True)
    with gzip.open(partial, "wb", compresslevel=1) as out:
        write_dump(out, "mysqldump", schema(trap_columns=False), groups(scale))
    partial.rename(path)
    print(f"  {path.stat().st_size / 1e6:,.0f} MB in {time.monotonic() - started:,.0f} s")
    return path


# --- Timing the import ------------------------------------------------------------------


@dataclass
class Run:
    engine: str
    scale: Scale
    dump_mb: float
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    accounted: bool
    # The machine's 5- and 15-minute load averages as the import ended: how much other
    # work shared the two cores while it ran.
    load_at_end: tuple[float, float]

    @property
    def stories_per_second(self) -> float:
        return self.scale.stories / self.seconds

    @property
    def chapters_per_second(self) -> float:
        return self.scale.stories * self.scale.chapters / self.seconds

    @property
    def chapters_per_cpu_second(self) -> float:
        """The rate on a machine of its own: wall time here depends on the neighbours."""
        return self.scale.stories * self.scale.chapters / self.cpu_seconds


def environment(engine: str, var_dir: Path) -> dict[str, str]:
    """A fresh, migrated database for `engine` and the environment that points at it."""
    if var_dir.exists():
        shutil.rmtree(var_dir)  # the staged dump too: staging is part of the import
    var_dir.mkdir(parents=True)
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env["FANFOLD_VAR_DIR"] = str(var_dir)
    if engine == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{var_dir / 'import.sqlite3'}"
    else:
        import psycopg

        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {POSTGRES_DATABASE}")
        env["DATABASE_URL"] = f"{POSTGRES_SERVER}/{POSTGRES_DATABASE}"
    command = [sys.executable, "-m", "fanfold", "migrate", "--noinput", "--verbosity", "0"]
    subprocess.run(command, env=env, cwd=ROOT, check=True)
    return env


def time_import(engine: str, scale: Scale, dump: Path) -> Run:
    var_dir = WORK / f"run-{engine}-{scale.stories}"
    env = environment(engine, var_dir)
    log = var_dir / "import.log"
    print(f"importing {dump.name} into {engine} …", flush=True)
    started = time.monotonic()
    with log.open("w") as output:
        child = subprocess.Popen(
            [sys.executable, "-m", "fanfold", "import-efiction", str(dump)],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    printed = log.read_text()
    if child.returncode != 0:
        print(printed[-3000:], file=sys.stderr)
    run = Run(
        engine=engine,
        scale=scale,
        dump_mb=dump.stat().st_size / 1e6,
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
        accounted=child.returncode == 0 and "Every row read is accounted for." in printed,
        load_at_end=os.getloadavg()[1:],
    )
    print(
        f"  {run.seconds:,.0f} s ({run.cpu_seconds:,.0f} s CPU): {run.stories_per_second:,.1f} "
        f"stories/s, {run.chapters_per_second:,.1f} chapters/s, peak RSS {run.peak_rss_mb:,.0f} MB"
        + ("" if run.accounted else " — NOT every row accounted for: see " + str(log)),
        flush=True,
    )
    return run


# --- The report ----------------------------------------------------------------------------


def write_report(path: Path, runs: list[Run], load: float) -> None:
    full = runs[0].scale
    lines = [
        "# eFiction import benchmark",
        "",
        f"Written by `bench/import_efiction.py` on "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"Dump: a generated eFiction 3.5.8 mysqldump (gzip) of {full.stories:,} stories, "
        f"{full.stories * full.chapters:,} chapters of about {full.words:,} words "
        f"({full.chapters} a story, half plain text and half HTML), {full.authors:,} members, "
        f"{full.reviews:,} reviews and about {full.favorites:,} favorites; chapter text in the "
        "database (`store` = mysql). Each run starts from an empty, migrated database and a "
        "dump that is not staged yet, so the time covers parsing the dump into the stage "
        "file, every mapping step and `fanfold recount`. Peak RSS is the import process's "
        "own (`wait4`), CPU is its user + system time; wall time shares the machine's two "
        "cores with whatever else runs, so compare CPU time across runs.",
        "",
        "| database | stories | chapters | dump (gzip) | wall time | CPU time | stories/s | "
        "chapters/s | chapters per CPU second | peak RSS | every row accounted for | "
        "load (5/15 min) at the end |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for run in runs:
        engine = {"sqlite": "SQLite (WAL)", "postgres": "PostgreSQL 15"}[run.engine]
        lines.append(
            f"| {engine} | {run.scale.stories:,} | {run.scale.stories * run.scale.chapters:,} "
            f"| {run.dump_mb:,.0f} MB | {run.seconds:,.0f} s | {run.cpu_seconds:,.0f} s | "
            f"{run.stories_per_second:,.1f} | {run.chapters_per_second:,.1f} | "
            f"{run.chapters_per_cpu_second:,.0f} | {run.peak_rss_mb:,.0f} MB | "
            f"{'yes' if run.accounted else 'NO'} | "
            f"{run.load_at_end[0]:.1f} / {run.load_at_end[1]:.1f} |"
        )
    big = [r for r in runs if r.scale == full and r.engine == "sqlite"]
    small = [r for r in runs if r.scale != full and r.engine == "sqlite"]
    if big and small:
        lines += [
            "",
            f"Memory against dump size (SQLite): {small[0].peak_rss_mb:,.0f} MB for "
            f"{small[0].scale.stories:,} stories, {big[0].peak_rss_mb:,.0f} MB for "
            f"{big[0].scale.stories:,} (×{big[0].scale.stories / small[0].scale.stories:.0f} "
            f"the data, ×{big[0].peak_rss_mb / small[0].peak_rss_mb:.2f} the memory).",
        ]
    lines += [
        "",
        "## Machine",
        "",
        f"- cores (nproc): {os.cpu_count()}",
        f"- OS: {platform.platform()}",
        f"- Python: {platform.python_version()}",
        f"- load average (1 min) before the run: {load:.2f} (on 2 cores, above ~0.5 means "
        "other work competed with the run)",
        f"- command: `.venv/bin/python bench/import_efiction.py {' '.join(sys.argv[1:])}`",
        "",
    ]
    path.write_text("\n".join(lines))
    print(f"wrote {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=30_000)
    parser.add_argument("--chapters", type=int, default=5, help="chapters per story")
    parser.add_argument("--words", type=int, default=1_000, help="words per chapter")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--compare-stories",
        type=int,
        help="stories in the second, smaller SQLite run that shows memory does not grow "
        "with the dump (default: a tenth of --stories)",
    )
    parser.add_argument(
        "--engines", default="sqlite,postgres", help="comma list of sqlite and postgres"
    )
    parser.add_argument("--report", type=Path, default=ROOT / "bench" / "IMPORT.md")
    args = parser.parse_args()
    engines = [engine.strip() for engine in args.engines.split(",") if engine.strip()]
    if not engines or set(engines) - {"sqlite", "postgres"}:
        parser.error("--engines takes sqlite, postgres or both")

    load = os.getloadavg()[0]
    full = Scale(args.stories, args.chapters, args.words, args.seed)
    small_stories = args.compare_stories or max(1, args.stories // 10)
    small = Scale(small_stories, args.chapters, args.words, args.seed)
    dump = make_dump(full)
    runs = [time_import(engine, full, dump) for engine in engines]
    if "sqlite" in engines:
        runs.append(time_import("sqlite", small, make_dump(small)))
    write_report(args.report, runs, load)
    return 0 if all(run.accounted for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
