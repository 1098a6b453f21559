"""The shape every table's import takes: read in batches, map, upsert by legacy id.

A `Step` maps one eFiction table. The runner (importer.py) streams the table's rows in
`batch_size` batches and calls `import_batch` for each inside its own transaction, so a
run killed half-way keeps every finished batch, and a rerun updates rows by their legacy
ids instead of duplicating them. Steps count every row they are given exactly once in
their TableReport: created, updated, merged or skipped with a reason.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.db import models

from fanfold.importers.efiction.report import Report, TableReport
from fanfold.importers.efiction.text import Value, decode, html_from_stored, plain_from_stored


class Source(Protocol):
    """What both readers offer: a live database (database.py) or a staged dump (staging.py)."""

    def tables(self) -> list[str]: ...
    def columns(self, table: str) -> list[str]: ...
    def count(self, table: str) -> int: ...
    def rows(self, table: str, order_by: str | tuple[str, ...] | None = None) -> Iterable[dict]: ...
    def close(self) -> None: ...


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
