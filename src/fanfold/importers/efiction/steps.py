"""The shape every table's import takes: read in batches, map, upsert by legacy id.

A `Step` maps one eFiction table. The runner (importer.py) streams the table's rows in
`batch_size` batches and calls `import_batch` for each inside its own transaction, so a
run killed half-way keeps every finished batch, and a rerun updates rows by their legacy
ids instead of duplicating them. Steps count every row they are given exactly once in
their TableReport: created, updated, merged or skipped with a reason. Each step notes the
ids its table holds (`Context.present`), so that in `finish` it can remove what an earlier
run imported and eFiction has deleted since (`remove_gone`), counted as removed.
"""

import itertools
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

from django.db import models, transaction

from fanfold.importers.efiction.errors import ImportSourceError
from fanfold.importers.efiction.report import Report, TableReport
from fanfold.importers.efiction.text import (
    Value,
    decode,
    html_from_stored,
    number,
    plain_from_stored,
)


class Source(Protocol):
    """What both readers offer: a live database (database.py) or a staged dump (staging.py)."""

    def tables(self) -> list[str]: ...
    def columns(self, table: str) -> list[str]: ...
    def count(self, table: str) -> int: ...
    def rows(self, table: str, order_by: str | tuple[str, ...] | None = None) -> Iterable[dict]: ...
    def close(self) -> None: ...


class BaseSource(ABC):
    """What both readers share: they close their connection on leaving a `with` block,
    and check the columns a table is to be ordered by."""

    prefix: str

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def columns(self, table: str) -> list[str]: ...

    def order_keys(self, table: str, order_by: str | Sequence[str]) -> list[str]:
        """`order_by` as a list of the table's columns; an unknown one is a clear error."""
        keys = [order_by] if isinstance(order_by, str) else list(order_by)
        unknown = [key for key in keys if key not in self.columns(table)]
        if unknown:
            raise ImportSourceError(
                f"Cannot order {self.prefix}{table} by {', '.join(unknown)}: no such column"
            )
        return keys


@dataclass
class Options:
    # Where chapter files live when the archive stored text in files (`store` = files);
    # None: the settings row's `storiespath`, as seen from here.
    stories_dir: Path | None = None
    dry_run: bool = False


@dataclass
class Context:
    """What steps share: the source, the report and what earlier steps learned."""

    source: Source
    report: Report
    options: Options = field(default_factory=Options)
    # The archive's settings row, decoded (the settings step fills it in first).
    settings: dict[str, str] = field(default_factory=dict)
    # The legacy ids each table holds in eFiction now, by table, as its step read them:
    # what an earlier run imported and is no longer among them was deleted in eFiction.
    present: dict[str, set[int]] = field(default_factory=dict)

    def present_in(self, table: str) -> set[int]:
        """The ids read from `table` so far (filled in by its step)."""
        return self.present.setdefault(table, set())

    def pks(self, model: type[models.Model], legacy_field: str, legacy_ids: Iterable[int]):
        """{legacy id: pk} for the rows of `model` imported with these legacy ids."""
        wanted = {legacy_id for legacy_id in legacy_ids if legacy_id}
        if not wanted:
            return {}
        return dict(
            model.objects.filter(**{f"{legacy_field}__in": wanted}).values_list(legacy_field, "pk")
        )


class Step:
    """One eFiction table. Subclasses set `table` (without the prefix) and `mapped`."""

    table: str = ""
    order_by: str | tuple[str, ...] | None = None
    batch_size = 500
    # Columns the step maps to Fanfold fields; the rest go to the row's legacy JSON.
    mapped: frozenset[str] = frozenset()

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.report: TableReport = ctx.report.table(self.table)

    def prepare(self) -> None:
        """Before the first batch (e.g. eFiction's totals for the report)."""

    def import_batch(self, rows: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """After the last batch, still inside the run."""

    # --- Helpers for subclasses ---------------------------------------------------------

    def text(self, value: Value) -> str:
        """A decoded, encoding-repaired text value (repairs are counted)."""
        decoded, repaired = decode(value)
        if repaired:
            self.report.repaired += 1
        return decoded

    def html(self, value: Value) -> str:
        """Stored eFiction HTML or plain text as sanitized HTML, shown as eFiction did."""
        return html_from_stored(self.text(value))

    def plain(self, value: Value) -> str:
        """A stored title or name as plain text (entities decoded once, tags dropped)."""
        return plain_from_stored(self.text(value))

    def leftovers(self, row: dict[str, Any]) -> dict[str, Any]:
        """The row's unmapped columns as JSON-safe values, for a `legacy` field."""
        kept = {}
        for column, value in row.items():
            if column in self.mapped:
                continue
            self.report.kept_columns.add(column)
            kept[column] = value if isinstance(value, int) or value is None else self.text(value)
        return kept

    def skip(self, reason: str, count: int = 1) -> None:
        self.report.skipped[reason] += count

    def first_rows(
        self, rows: list[dict[str, Any]], id_column: str, *, what: str, total: str = ""
    ) -> list[dict[str, Any]]:
        """The rows whose id this run meets for the first time, noted as present in
        eFiction. A repeated row (dumps may repeat one) counts as merged; a row without an
        id is skipped, and counted on both sides of the report's `total` when given."""
        present = self.ctx.present_in(self.table)
        kept = []
        for row in rows:
            legacy_id = number(row.get(id_column))
            if legacy_id <= 0:
                self.skip(f"no {what} id")
                if total:
                    self.ctx.report.source_totals[total] += 1
                    self.ctx.report.skipped_totals[total] += 1
            elif legacy_id in present:
                self.report.merged += 1
            else:
                present.add(legacy_id)
                kept.append(row)
        return kept

    def remove(self, model: type[models.Model], pks: list[int]) -> None:
        """Delete these rows, which eFiction deleted since an earlier run, counted."""
        with transaction.atomic():
            for chunk in chunks(pks):
                model.objects.filter(pk__in=chunk).delete()
        self.report.removed += len(pks)

    def remove_gone(
        self,
        model: type[models.Model],
        legacy_field: str,
        *members_work: tuple[models.QuerySet, str],
    ) -> set[int]:
        """Delete the rows of `model` this step's table no longer has, except the ones
        that members' own work in Fanfold points at: each (queryset, field) names rows
        born in Fanfold and their field pointing at `model`. Returns the kept pks."""
        stale = gone(model.objects.all(), legacy_field, self.ctx.present_in(self.table))
        kept: set[int] = set()
        for chunk in chunks(stale):
            for queryset, pointer in members_work:
                kept.update(
                    queryset.filter(**{f"{pointer}__in": chunk}).values_list(pointer, flat=True)
                )
        self.remove(model, [pk for pk in stale if pk not in kept])
        return kept


# --- Rows deleted in eFiction since an earlier run ---------------------------------------

# Primary keys per DELETE or UPDATE: SQLite takes at most 32,766 parameters a statement.
CHUNK = 1000


def gone(queryset: models.QuerySet, legacy_field: str, present: set[int]) -> list[int]:
    """Primary keys of the imported rows of `queryset` whose legacy id eFiction no longer
    has (read in one pass: an `IN` list of every present id would not fit a statement)."""
    rows = queryset.filter(**{f"{legacy_field}__isnull": False}).values_list("pk", legacy_field)
    return [pk for pk, legacy_id in rows.iterator(chunk_size=5000) if legacy_id not in present]


def chunks(pks: Iterable[int]) -> Iterable[tuple[int, ...]]:
    return itertools.batched(pks, CHUNK)
