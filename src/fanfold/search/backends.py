"""The two search engines behind one interface: SQLite FTS5 and PostgreSQL full text.

Each backend writes story documents into the `search_terms` table (fanfold.search.models),
narrows a Story queryset to the stories matching a parsed query, orders by relevance, and
returns the best passage of each story's chapter text with the matched words between
MARK_START and MARK_END (fanfold.search.highlight escapes the text and turns them into
<mark>). Queries are built from the parsed clauses, never from what the reader typed.
"""

import operator
from dataclasses import dataclass
from functools import reduce

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    ExpressionWrapper,
    F,
    Func,
    Lookup,
    QuerySet,
    StringAgg,
    TextField,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest, NullIf, Replace, StrIndex, Substr

from fanfold.archive.models import Chapter
from fanfold.search.models import SearchTerms
from fanfold.search.query import Clause, Query

# Private-use characters: stripped from every document, so only the engine can emit them.
MARK_START = "\ue000"
MARK_END = "\ue001"
PASSAGE_WORDS = 30
# ts_headline parses all the text it is given (0.6 s a page with whole stories, 50 ms
# with their first 20,000 characters), so a PostgreSQL passage is looked for in this
# many characters around the first place where a searched word's stem appears.
PASSAGE_WINDOW_CHARS = 1_500
TEXT_SEARCH_CONFIG = "fanfold_english"
# What `tsvector @@ tsquery` costs the planner: see migration 0002.
MATCH_FUNCTION = "ts_match_vq(tsvector, tsquery)"
MATCH_COST = 1000


def without_marks(text: str) -> str:
    return text.replace(MARK_START, "").replace(MARK_END, "")


@dataclass(frozen=True)
class Document:
    """What a story is found by: plain text of its parts, chapter text published only."""

    story_id: int
    title: str
    summary: str
    notes: str
    authors: str
    body: str


@TextField.register_lookup
class Matches(Lookup):
    """`search_terms__terms__matches=…`: FTS5's MATCH, PostgreSQL's @@."""

    lookup_name = "matches"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        operator = "@@" if connection.vendor == "postgresql" else "MATCH"
        return f"{lhs} {operator} {rhs}", (*lhs_params, *rhs_params)


class SQLiteBackend:
    # bm25() weights of the columns title, summary, notes, authors, body.
    WEIGHTS = (10.0, 4.0, 4.0, 4.0, 1.0)
    BODY_COLUMN = 4

    def expression(self, clauses: tuple[Clause, ...], joiner: str) -> str:
        """FTS5 syntax: each clause a quoted string (its words are letters and digits)."""
        parts = [f'"{" ".join(c.words)}"' + (" *" if c.prefix else "") for c in clauses]
        return f" {joiner} ".join(parts)

    def match(self, stories: QuerySet, query: Query, *, every: bool = False) -> QuerySet:
        """Stories matching the query (`every` matters to PostgreSQL only).

        An IN (subquery) rather than a join, so SQLite runs the MATCH once instead of
        once per story (measured: 1.6 s → ms for a count over 20,000 stories). FTS5
        cannot match "everything but": a query of exclusions only excludes the stories
        that match any of them.
        """
        if not query.include:
            return stories.exclude(pk__in=_matching(self.expression(query.exclude, "OR")))
        return stories.filter(pk__in=_matching(self.expression_of(query)))

    def expression_of(self, query: Query) -> str:
        expression = self.expression(query.include, "AND")
        if query.exclude:
            expression = f"({expression}) NOT ({self.expression(query.exclude, 'OR')})"
        return expression

    def ranked(self, stories: QuerySet, query: Query) -> list[int]:
        """Ids of the stories matching the query, best match first.

        bm25() needs document statistics that FTS5 gathers once per MATCH cursor: joined
        to the stories, each story opened a cursor of its own (1.5 s for 1,250 stories
        and a common word over 20,000). So the matches are scored once, in a subquery
        that `LIMIT -1` keeps SQLite from flattening into the join, and then narrowed.
        """
        try:
            ids_sql, params = stories.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:
            return []
        weights = ", ".join(map(str, self.WEIGHTS))
        sql = (
            "SELECT m.id FROM (SELECT rowid AS id, "
            f"bm25(search_terms, {weights}) AS score FROM search_terms "
            "WHERE search_terms MATCH %s LIMIT -1) AS m "
            f"WHERE m.id IN ({ids_sql}) ORDER BY m.score, m.id DESC"
        )  # bm25() is lower for better matches
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.expression_of(query), *params])
            return [pk for (pk,) in cursor.fetchall()]

    def passages(self, story_ids: list[int], query: Query) -> dict[int, str]:
        if not query.include or not story_ids:
            return {}
        rows = (
            SearchTerms.objects.filter(
                story_id__in=story_ids,
                terms__matches=self.expression(query.include, "AND"),
            )
            .annotate(
                passage=Func(
                    F("terms"),
                    Value(self.BODY_COLUMN),
                    Value(MARK_START),
                    Value(MARK_END),
                    Value("…"),
                    Value(PASSAGE_WORDS),
                    function="snippet",
                    output_field=TextField(),
                )
            )
            .values_list("story_id", "passage")
        )
        return dict(rows)

    def write(self, documents: list[Document]) -> None:
        self.delete([d.story_id for d in documents])
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO search_terms (rowid, title, summary, notes, authors, body) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                [(d.story_id, d.title, d.summary, d.notes, d.authors, d.body) for d in documents],
            )

    def delete(self, story_ids: list[int]) -> None:
        SearchTerms.objects.filter(story_id__in=story_ids).delete()

    def optimize(self) -> None:
        """Merge FTS5's segments after a rebuild: fewer b-trees to read per query."""
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_terms (search_terms) VALUES ('optimize')")


def _tsquery(clause: Clause):
    from django.contrib.postgres.search import SearchQuery

    if clause.prefix:
        # Safe as to_tsquery syntax: the word holds only letters and digits.
        text, search_type = f"'{clause.words[0]}':*", "raw"
    else:
        text, search_type = " ".join(clause.words), "phrase" if len(clause.words) > 1 else "plain"
    return SearchQuery(text, search_type=search_type, config=TEXT_SEARCH_CONFIG)


def _all_of(clauses: tuple[Clause, ...]):
    return _typed(reduce(operator.and_, map(_tsquery, clauses)))


def _typed(tsquery):
    """A combined query with its type said, which Django cannot infer when grouping."""
    from django.contrib.postgres.search import SearchQueryField

    return ExpressionWrapper(tsquery, output_field=SearchQueryField())


def _any_of(clauses: tuple[Clause, ...]):
    return reduce(operator.or_, map(_tsquery, clauses))


class PostgreSQLBackend:
    def tsquery(self, query: Query):
        """The tsquery of a query that has something to include."""
        tsquery = reduce(operator.and_, map(_tsquery, query.include))
        for clause in query.exclude:
            tsquery &= ~_tsquery(clause)
        return _typed(tsquery)

    def match(self, stories: QuerySet, query: Query, *, every: bool = False) -> QuerySet:
        """`every`: all the matches will be read (to count them), not the first few in
        some order (a page).

        Then `OFFSET 0` keeps the planner from flattening the match into a join, which
        it ran as a nested loop testing each filtered story's vector, each one read from
        TOAST (11 µs a story), and it reads the matches from the GIN index instead: 250 →
        115 ms for the counts of a medium word in 14,500 filtered of 100,000 stories. A
        page wants the flattened join: it tests stories in the page's order and stops
        after 20 (the fenced subquery made it rescan all the matches for each story).
        The planner cannot tell the two apart: it prices a GIN recheck as testing every
        vector, though single words need none.
        """
        terms = self.tsquery(query) if query.include else _any_of(query.exclude)
        ids = _matching(terms)
        if every:
            sql, params = ids.query.sql_with_params()
            ids = RawSQL(f"{sql} OFFSET 0", params)
        if not query.include:
            return stories.exclude(pk__in=ids)
        return stories.filter(pk__in=ids)

    def ranked(self, stories: QuerySet, query: Query) -> list[int]:
        """Ids of the stories matching the query, best match (ts_rank) first: one join
        both matches (through the GIN index) and ranks."""
        from django.contrib.postgres.search import SearchRank

        tsquery = self.tsquery(query)
        return list(
            stories.filter(search_terms__terms__matches=tsquery)
            .annotate(relevance=SearchRank(F("search_terms__terms"), tsquery))
            .order_by("-relevance", "-pk")
            .values_list("pk", flat=True)
        )

    def passages(self, story_ids: list[int], query: Query) -> dict[int, str]:
        from django.contrib.postgres.search import SearchHeadline

        if not query.include or not story_ids:
            return {}
        text = StringAgg("body_text", delimiter=Value("\n"), order_by="position")
        # As written or Capitalized (lower() of whole stories cost more than the headline).
        needle = _stem_prefix(query)
        found = Coalesce(
            NullIf(StrIndex(text, needle), Value(0)),
            StrIndex(text, Func(needle, function="initcap", output_field=TextField())),
        )
        start = found - PASSAGE_WINDOW_CHARS // 3
        text = Substr(text, Greatest(start, Value(1)), PASSAGE_WINDOW_CHARS)
        text = Replace(Replace(text, Value(MARK_START)), Value(MARK_END))
        rows = (
            Chapter.objects.published()
            .filter(story_id__in=story_ids)
            .values("story_id")
            .annotate(
                passage=SearchHeadline(
                    text,
                    _all_of(query.include),
                    config=TEXT_SEARCH_CONFIG,
                    start_sel=MARK_START,
                    stop_sel=MARK_END,
                    max_words=PASSAGE_WORDS,
                    min_words=PASSAGE_WORDS // 2,
                    max_fragments=1,
                )
            )
            .values_list("story_id", "passage")
        )
        # ts_headline shows the text's start when nothing matched in it.
        return {pk: passage for pk, passage in rows if MARK_START in passage}

    def write(self, documents: list[Document]) -> None:
        weighted = " || ".join(
            f"setweight(to_tsvector('{TEXT_SEARCH_CONFIG}', %s), '{weight}')" for weight in "ABC"
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO search_terms (rowid, search_terms) VALUES (%s, {weighted}) "
                "ON CONFLICT (rowid) DO UPDATE SET search_terms = EXCLUDED.search_terms",
                [
                    (d.story_id, d.title, f"{d.summary}\n{d.notes}\n{d.authors}", d.body)
                    for d in documents
                ],
            )

    def delete(self, story_ids: list[int]) -> None:
        SearchTerms.objects.filter(story_id__in=story_ids).delete()

    def optimize(self) -> None:
        """Fresh statistics after a rebuild, and the match cost of migration 0002 again
        (a dump and restore loses it), when we may."""
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE search_terms")
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cursor.fetchone()[0]:
                cursor.execute(f"ALTER FUNCTION pg_catalog.{MATCH_FUNCTION} COST {MATCH_COST}")


def _stem_prefix(query: Query) -> RawSQL:
    """The start of one searched word's stem ("happi" from "happiness" → "happ", which
    "happy" also begins with): where in the text a passage is worth looking for. NULL
    (look at the start) when every word is a stop word."""
    words = " ".join(word for clause in query.include for word in clause.words)
    return RawSQL(
        "(SELECT left(lexeme, greatest(3, length(lexeme) - 1)) "
        "FROM unnest(to_tsvector(%s::regconfig, %s)) LIMIT 1)",
        (TEXT_SEARCH_CONFIG, words),
        output_field=TextField(),
    )


def _matching(terms) -> QuerySet:
    return SearchTerms.objects.filter(terms__matches=terms).values("story_id")


def backend() -> SQLiteBackend | PostgreSQLBackend:
    """The engine of the database in use."""
    return PostgreSQLBackend() if connection.vendor == "postgresql" else SQLiteBackend()
