"""The search index table for the database in use (see fanfold.search.models)."""

from django.db import migrations, models

SQLITE = [
    # Title, summary, notes, author names and chapter text, weighted in bm25() at query
    # time. Porter stemming and accent folding, as PostgreSQL's configuration below.
    "CREATE VIRTUAL TABLE search_terms USING fts5("
    "title, summary, notes, authors, body, "
    "tokenize = 'porter unicode61 remove_diacritics 2')",
]
SQLITE_REVERSE = ["DROP TABLE search_terms"]

POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # English stemming as the built-in configuration, accents folded first.
    "CREATE TEXT SEARCH CONFIGURATION fanfold_english (COPY = english)",
    "ALTER TEXT SEARCH CONFIGURATION fanfold_english "
    "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem",
    # The tsvectors live in TOAST, so the table itself looks tiny and the planner prefers
    # reading it all (detoasting every vector) to the GIN index: measured 200 ms against
    # 14 ms for a rare word over 5,000 stories. A low fillfactor makes it look its size.
    # No foreign key to archive_story: Django's flush truncates only the tables of managed
    # models, and a reference from this one would stop it. Deleted stories' documents go
    # through the index's post_delete receiver, and a rebuild drops any left behind.
    "CREATE TABLE search_terms ("
    "rowid bigint PRIMARY KEY, "
    "search_terms tsvector NOT NULL) WITH (fillfactor = 10)",
    "CREATE INDEX search_terms_gin ON search_terms USING gin (search_terms)",
]
POSTGRESQL_REVERSE = [
    "DROP TABLE search_terms",
    "DROP TEXT SEARCH CONFIGURATION fanfold_english",
]


def _run(statements: dict):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    initial = True

    dependencies = [("archive", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
        ),
        migrations.CreateModel(
            name="SearchTerms",
            fields=[
                (
                    "story",
                    models.OneToOneField(
                        db_column="rowid",
                        db_constraint=False,
                        on_delete=models.DO_NOTHING,
                        primary_key=True,
                        related_name="search_terms",
                        serialize=False,
                        to="archive.story",
                    ),
                ),
                ("terms", models.TextField(db_column="search_terms")),
            ],
            options={"db_table": "search_terms", "managed": False},
        ),
    ]
