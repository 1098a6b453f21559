"""Running an import: every step in dependency order, then counts, totals and caches.

Steps come from the mapping modules in the order the data needs them (settings before
chapters, which need `store`; ratings and taxonomy before stories; authors before
everything they wrote). A dry run does all of it inside one transaction that is rolled
back at the end, so it reads and maps every row, with the same report, and writes nothing.
"""

import io
import itertools
from typing import TextIO

from django.core.management import call_command
from django.db import transaction
from django.db.models import IntegerField, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from fanfold.archive import pagecache
from fanfold.archive.models import Chapter, Story
from fanfold.community.models import Review
from fanfold.importers.efiction.mapping import (
    authors,
    community,
    legacy,
    settings,
    stories,
    taxonomy,
)
from fanfold.importers.efiction.report import Report
from fanfold.importers.efiction.steps import Context, Options, Source, Step
from fanfold.lib.progress import progress_bar
from fanfold.search import index as search_index

STEPS: list[type[Step]] = [
    *settings.STEPS,
    *taxonomy.STEPS,
    *authors.STEPS,
    *stories.STEPS,
    *community.STEPS,
    *legacy.STEPS,
]


class _DryRunRollback(Exception):
    """Raised at the end of a dry run to roll the whole run back."""


def run(source: Source, options: Options, err: TextIO, steps: list[type[Step]] = STEPS) -> Report:
    """Import everything from `source`; progress bars go to `err` (the command's stderr),
    everything else into the report."""
    report = Report(dry_run=options.dry_run)
    ctx = Context(source=source, report=report, options=options)
    if not options.dry_run:
        _run_steps(ctx, steps, err)
        return report
    try:
        with transaction.atomic():
            _run_steps(ctx, steps, err)
            raise _DryRunRollback
    except _DryRunRollback:
        pass
    return report


def _run_steps(ctx: Context, steps: list[type[Step]], err: TextIO) -> None:
    tables = set(ctx.source.tables())
    for step_class in steps:
        if step_class.table not in tables:
            continue
        step = step_class(ctx)
        step.prepare()
        total = ctx.source.count(step.table)
        with progress_bar(err, total=total, desc=step.table, unit="row") as progress:
            rows = ctx.source.rows(step.table, step.order_by)
            for batch in itertools.batched(rows, step.batch_size):
                with transaction.atomic():
                    step.import_batch(list(batch))
                step.report.read += len(batch)
                progress.update(len(batch))
        step.finish()
    known = {step.table for step in steps}
    for table in sorted(tables - known):
        ctx.report.other_tables.setdefault(table, "not read")
    _recount(ctx.report, err)
    # Bulk writes send no signals: the imported stories' search documents are built here.
    search_index.rebuild(
        Story.objects.filter(legacy_sid__isnull=False).values_list("pk", flat=True),
        progress=lambda **kwargs: progress_bar(err, **kwargs),
    )
    _count_imported(ctx.report)
    pagecache.everything_changed()


def _recount(report: Report, err: TextIO) -> None:
    """Fanfold's derived counts (words, chapters, reviews, favorites) from the new rows;
    what the recount says is printed after the report, not above it."""
    summary = io.StringIO()
    call_command("recount", stdout=summary, stderr=err)
    report.recount_summary = summary.getvalue().strip()


def _count_imported(report: Report) -> None:
    """What Fanfold now holds from eFiction, counted from the rows, for the totals."""
    imported_chapters = Chapter.objects.filter(legacy_chapid__isnull=False)
    report.imported_totals.update(
        stories=Story.objects.filter(legacy_sid__isnull=False).count(),
        chapters=imported_chapters.count(),
        reviews=Review.objects.filter(legacy_reviewid__isnull=False).count(),
        # eFiction's own word counts, kept on each chapter, against eFiction's total.
        words=imported_chapters.aggregate(words=Sum(Cast(KT("legacy__wordcount"), IntegerField())))[
            "words"
        ]
        or 0,
    )
    report.recounted_words = imported_chapters.aggregate(words=Sum("word_count"))["words"] or 0
