"""The search index: one row per story, kept by fanfold.search.index.

The table is not an ordinary one: on SQLite it is an FTS5 virtual table (its rowid is the
story id, its columns the document's text), on PostgreSQL a table of weighted tsvectors
with a GIN index. Migration 0001 creates the one that fits the database. Both are named
`search_terms` with a column `search_terms`, because FTS5 names its whole-row column after
the table: one model then serves both engines.
"""

from django.db import models

from fanfold.archive.models import Story


class SearchTerms(models.Model):
    story = models.OneToOneField(
        Story,
        primary_key=True,
        db_column="rowid",
        on_delete=models.DO_NOTHING,  # the index follows deletions itself (index.py)
        db_constraint=False,
        related_name="search_terms",
    )
    # FTS5: the table's hidden column, the left side of MATCH and bm25()'s argument.
    # PostgreSQL: the story's tsvector.
    terms = models.TextField(db_column="search_terms")

    class Meta:
        managed = False
        db_table = "search_terms"

    def __str__(self) -> str:
        return f"Search terms of story {self.story_id}"
