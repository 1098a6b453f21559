"""Helpers for migrations that only one database engine needs."""


def on_postgresql(sql: str):
    """A RunPython function that runs `sql` on PostgreSQL and does nothing elsewhere."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run
