"""What an import did, table by table, so the owner can check that nothing was lost.

Every row read is accounted for exactly once: imported (created or updated), merged into
another row (a duplicate favorite, an author's extra field folded into their profile) or
skipped with a reason. `Report.problems()` lists any table where the sums disagree; the
tests assert there are none. Rows an earlier run imported that eFiction no longer has are
counted apart, as removed (or kept, when Fanfold members have added to them since).
"""

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class TableReport:
    read: int = 0
    created: int = 0
    updated: int = 0
    merged: int = 0
    skipped: Counter = field(default_factory=Counter)
    # Text values whose encoding had to be repaired (mojibake, Windows-1252 bytes).
    repaired: int = 0
    # Source columns with no place in Fanfold, kept in a `legacy` JSON field.
    kept_columns: set[str] = field(default_factory=set)
    # Rows an earlier run imported that were deleted in eFiction since, deleted here too.
    removed: int = 0

    @property
    def imported(self) -> int:
        return self.created + self.updated

    @property
    def accounted(self) -> int:
        return self.imported + self.merged + sum(self.skipped.values())

    def as_dict(self) -> dict:
        return {
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "merged": self.merged,
            "skipped": dict(self.skipped),
            "repaired": self.repaired,
            "kept_columns": sorted(self.kept_columns),
            "removed": self.removed,
        }


# The totals compared between eFiction and Fanfold after an import.
TOTALS = ("stories", "chapters", "words", "reviews")


@dataclass
class Report:
    tables: dict[str, TableReport] = field(default_factory=dict)
    # Things the owner should look at, by kind: "pen name clash", "needs password reset",
    # "missing chapter file", "text in database and file"… each a list of messages.
    notices: dict[str, list[str]] = field(default_factory=dict)
    # Tables the source has that the importer does not read (kept as legacy records or
    # not at all: the message says which).
    other_tables: dict[str, str] = field(default_factory=dict)
    # eFiction's own totals (its stored counters and row counts) and Fanfold's after import.
    source_totals: Counter = field(default_factory=Counter)
    imported_totals: Counter = field(default_factory=Counter)
    # What skipped rows held (an orphaned chapter's words…): source = imported + skipped.
    skipped_totals: Counter = field(default_factory=Counter)
    # What Fanfold keeps though eFiction deleted it (members added to it since): counted
    # in imported_totals, so source = imported - kept + skipped.
    kept_totals: Counter = field(default_factory=Counter)
    # Fanfold's own recount of words, which may differ from eFiction's stored word counts
    # (eFiction counted words differently); reported, not compared.
    recounted_words: int | None = None
    # What `fanfold recount` said, shown after the report.
    recount_summary: str = ""
    dry_run: bool = False

    def table(self, name: str) -> TableReport:
        if name not in self.tables:
            self.tables[name] = TableReport()
        return self.tables[name]

    def notice(self, kind: str, message: str) -> None:
        self.notices.setdefault(kind, []).append(message)

    def problems(self) -> list[str]:
        """Tables whose rows are not all accounted for, and totals that do not match."""
        found = [
            f"{name}: read {t.read} but accounted for {t.accounted}"
            for name, t in self.tables.items()
            if t.read != t.accounted
        ]
        for total in TOTALS:
            source, imported = self.source_totals[total], self.imported_totals[total]
            kept, skipped = self.kept_totals[total], self.skipped_totals[total]
            if source != imported - kept + skipped:
                found.append(
                    f"{total}: {source:,} in eFiction, {imported:,} imported "
                    f"({kept:,} of them kept though deleted in eFiction) and {skipped:,} skipped"
                )
        return found

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "tables": {name: t.as_dict() for name, t in self.tables.items()},
            "notices": self.notices,
            "other_tables": self.other_tables,
            "source_totals": {key: self.source_totals[key] for key in TOTALS},
            "imported_totals": {key: self.imported_totals[key] for key in TOTALS},
            "skipped_totals": {key: self.skipped_totals[key] for key in TOTALS},
            "kept_totals": {key: self.kept_totals[key] for key in TOTALS},
            "recounted_words": self.recounted_words,
            "problems": self.problems(),
        }

    def render(self) -> str:
        """The report as the command prints it: a table per eFiction table, then totals."""
        lines = ["Dry run: nothing was written." if self.dry_run else "Import finished."]
        lines.append("")
        header = ("table", "read", "created", "updated", "merged", "skipped", "repaired", "removed")
        rows = [header]
        for name, t in self.tables.items():
            rows.append(
                (
                    name,
                    f"{t.read:,}",
                    f"{t.created:,}",
                    f"{t.updated:,}",
                    f"{t.merged:,}",
                    f"{sum(t.skipped.values()):,}",
                    f"{t.repaired:,}",
                    f"{t.removed:,}",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for row in rows:
            lines.append(
                "  ".join(
                    cell.ljust(width) if i == 0 else cell.rjust(width)
                    for i, (cell, width) in enumerate(zip(row, widths, strict=True))
                )
            )
        skipped = [(name, t) for name, t in self.tables.items() if t.skipped]
        if skipped:
            lines += ["", "Skipped rows:"]
            for name, t in skipped:
                for reason, count in t.skipped.most_common():
                    lines.append(f"  {name}: {count:,} {reason}")
        kept = [(name, t) for name, t in self.tables.items() if t.kept_columns]
        if kept:
            lines += ["", "Columns kept in legacy fields (no place in Fanfold yet):"]
            for name, t in kept:
                lines.append(f"  {name}: {', '.join(sorted(t.kept_columns))}")
        if self.other_tables:
            lines += ["", "Other tables:"]
            for name, what in sorted(self.other_tables.items()):
                lines.append(f"  {name}: {what}")
        lines += ["", f"Totals      {'eFiction':>13}{'Fanfold':>13}{'skipped':>13}{'kept':>13}"]
        columns = (self.source_totals, self.imported_totals, self.skipped_totals, self.kept_totals)
        for total in TOTALS:
            lines.append(f"  {total:<10}" + "".join(f"{column[total]:>13,}" for column in columns))
        if any(self.kept_totals.values()):
            lines.append(
                "  kept: deleted in eFiction since an earlier run, kept because members "
                "added to it in Fanfold (see the notices)"
            )
        if self.recounted_words is not None:
            lines.append(
                f"  Fanfold's own word count of the imported text: {self.recounted_words:,}"
            )
        for kind, messages in self.notices.items():
            lines += ["", f"{kind} ({len(messages):,}):"]
            lines += [f"  {message}" for message in messages[:50]]
            if len(messages) > 50:
                lines.append(f"  … and {len(messages) - 50:,} more (see the JSON report)")
        problems = self.problems()
        lines += ["", "Problems:" if problems else "Every row read is accounted for."]
        lines += [f"  {problem}" for problem in problems]
        if self.recount_summary:
            lines += ["", self.recount_summary]
        return "\n".join(lines)
