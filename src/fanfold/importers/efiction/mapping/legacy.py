"""Tables Fanfold has no model for yet (news, comments, challenges…), kept as records.

Each row becomes one `LegacyRecord(source_table, key, data)` holding every column
decoded, so a later issue that adds news or challenges can move them over. The last step
compares eFiction's cached counters with the import's totals and says, for every table
the import did not read, why.
"""

import ipaddress

from fanfold.importers.efiction.steps import Step
from fanfold.importers.efiction.text import number
from fanfold.importers.models import LegacyRecord


def every_column(step: Step, row) -> dict:
    """A whole row as JSON-safe values: text decoded and repaired, integers as they are."""
    return {
        column: value if isinstance(value, int) or value is None else step.text(value)
        for column, value in row.items()
    }


def keep_records(source_table: str, records: dict[str, dict]) -> tuple[int, int]:
    """Create or update the LegacyRecords {key: data} of one table; (created, updated)."""
    existing = {
        record.key: record
        for record in LegacyRecord.objects.filter(source_table=source_table, key__in=records)
    }
    for key, record in existing.items():
        record.data = records[key]
    LegacyRecord.objects.bulk_update(existing.values(), ["data"])
    LegacyRecord.objects.bulk_create(
        LegacyRecord(source_table=source_table, key=key, data=data)
        for key, data in records.items()
        if key not in existing
    )
    return len(records) - len(existing), len(existing)


class KeptTableStep(Step):
    """A table kept row by row as LegacyRecords, keyed by its id column."""

    key_column: str

    def record(self, row) -> dict:
        return every_column(self, row)

    def import_batch(self, rows):
        records = {str(row[self.key_column]): self.record(row) for row in rows}
        created, updated = keep_records(self.table, records)
        self.report.created += created
        self.report.updated += updated
        # The same key twice in a dump: the later row is the one kept.
        self.report.merged += len(rows) - len(records)


class NewsStep(KeptTableStep):
    table = "news"
    order_by = "nid"
    key_column = "nid"


class NewsCommentsStep(KeptTableStep):
    """eFiction's `comments` table holds the comments on news items."""

    table = "comments"
    order_by = "cid"
    key_column = "cid"


class ChallengesStep(KeptTableStep):
    """The challenges module's table (chalid, challenger, uid, title, catid, characters,
    summary, responses), when the archive had the module."""

    table = "challenges"
    order_by = "chalid"
    key_column = "chalid"


class ModerationLogStep(KeptTableStep):
    """The moderation log is the archive's history: kept whole."""

    table = "log"
    order_by = "log_id"
    key_column = "log_id"

    def record(self, row):
        data = every_column(self, row)
        data["log_ip"] = _ip_address(row.get("log_ip"))
        return data


def _ip_address(value) -> str | None:
    """eFiction stores the address as packed bytes (inet_pton); older logs as text."""
    if isinstance(value, bytes) and len(value) in (4, 16):
        return str(ipaddress.ip_address(value))
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    return value


# eFiction's `stats` columns → (the report's total, the table whose step counts it).
_STATS_TOTALS = {
    "stories": ("stories", "stories"),
    "chapters": ("chapters", "chapters"),
    "wordcount": ("words", "chapters"),
    "reviews": ("reviews", "reviews"),
}

# Why eFiction's own tables that no step reads are left behind.
_NOT_READ = {
    "blocks": "not read: eFiction's page blocks (its layout); Fanfold has its own",
    "panels": "not read: eFiction's menus of admin and member pages; Fanfold has its own",
    "pagelinks": "not read: eFiction's menu links; Fanfold has its own, and old links redirect",
    "codeblocks": "not read: PHP code that eFiction's modules hook into its pages",
    "modules": "not read: the list of eFiction modules installed",
}

# Every table eFiction 3.x itself creates; any other table belongs to a module.
EFICTION_TABLES = frozenset(
    {
        *_NOT_READ,
        "authorfields", "authorinfo", "authorprefs", "authors", "categories", "chapters",
        "characters", "classes", "classtypes", "coauthors", "comments", "favorites",
        "inseries", "log", "messages", "news", "ratings", "reviews", "series", "settings",
        "stats", "stories",
    }
)  # fmt: skip


class FinalChecksStep(Step):
    """Runs last: eFiction's cached counters against the import's totals, and a reason for
    every table the import did not read.

    Keyed to `stats`, a table every eFiction install has, because the runner runs a step
    only when its table exists. The row itself is kept as a record of what eFiction said.
    """

    table = "stats"

    def prepare(self):
        # The first row's counters by `stats` column.
        self.counters: dict[str, int] = {}

    def import_batch(self, rows):
        records = {self.text(row.get("sitekey")): every_column(self, row) for row in rows}
        created, updated = keep_records(self.table, records)
        self.report.created += created
        self.report.updated += updated
        self.report.merged += len(rows) - len(records)
        if not self.counters:
            self.counters = {column: number(rows[0].get(column)) for column in _STATS_TOTALS}

    def finish(self):
        self._compare_counters()
        self._describe_other_tables()

    def _compare_counters(self):
        report = self.ctx.report
        for column, cached in self.counters.items():
            total, table = _STATS_TOTALS[column]
            # When that table was not read, there is nothing to compare with.
            if table in report.tables and cached != report.source_totals[total]:
                report.notice(
                    "eFiction's cached counters differ",
                    f"{total}: eFiction's stats table says {cached:,}, its tables hold "
                    f"{report.source_totals[total]:,} (eFiction counts only validated work "
                    "and refreshes these counters now and then; the totals count the rows)",
                )

    def _describe_other_tables(self):
        report = self.ctx.report
        for table in self.ctx.source.tables():
            if table in report.tables or table in report.other_tables:
                continue
            if table in _NOT_READ:
                report.other_tables[table] = _NOT_READ[table]
            elif table not in EFICTION_TABLES:
                report.other_tables[table] = "not read: unknown table (a module's own?)"


STEPS: list[type[Step]] = [
    NewsStep,
    NewsCommentsStep,
    ChallengesStep,
    ModerationLogStep,
    FinalChecksStep,
]
