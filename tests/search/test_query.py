"""The search box's language: what a reader types becomes clauses, whatever it is."""

import re

from hypothesis import given
from hypothesis import strategies as st

from fanfold.search.query import MAX_CLAUSES, Clause, Query, parse


def words(*clauses: str) -> tuple[Clause, ...]:
    return tuple(Clause(tuple(c.split())) for c in clauses)


class TestParse:
    def test_words_must_all_match(self):
        assert parse("Red  dragon") == Query(include=words("red", "dragon"))

    def test_quoted_phrase(self):
        assert parse('"red dragon" cave') == Query(include=words("red dragon", "cave"))

    def test_minus_excludes_a_word_or_a_phrase(self):
        assert parse('dragon -blue -"ice cave"') == Query(
            include=words("dragon"), exclude=words("blue", "ice cave")
        )

    def test_star_makes_a_prefix(self):
        assert parse("drag*") == Query(include=(Clause(("drag",), prefix=True),))

    def test_a_one_letter_prefix_is_a_word(self):
        assert parse("d*") == Query(include=words("d"))

    def test_words_joined_by_punctuation_are_a_phrase(self):
        assert parse("don't well-known") == Query(include=words("don t", "well known"))

    def test_engine_operators_are_plain_words(self):
        assert parse("cats AND dogs NEAR(x) ^y title:z") == Query(
            include=words("cats", "and", "dogs", "near", "x", "y", "title", "z")
        )

    def test_an_unbalanced_quote_is_ignored(self):
        assert parse('"open ended') == Query(include=words("open", "ended"))

    def test_sql_is_words(self):
        assert parse("'; DROP TABLE archive_story; --") == Query(
            include=words("drop", "table", "archive", "story")
        )

    def test_nothing_to_search_for(self):
        assert not parse("")
        assert not parse(' " * - ( ) ^ : ')

    def test_a_long_query_is_cut(self):
        query = parse("word " * 5000)
        assert query == Query(include=words("word"))
        assert len(parse(" ".join(f"w{n}" for n in range(5000))).include) == MAX_CLAUSES

    def test_unicode_words_keep_their_letters(self):
        assert parse("Café 漢字 naïve") == Query(include=words("café", "漢字", "naïve"))


@given(st.text(max_size=300))
def test_any_text_gives_clauses_of_letters_and_digits(text):
    """Clauses hold only what both engines read as words: nothing of the query syntax."""
    query = parse(text)
    for clause in (*query.include, *query.exclude):
        assert clause.words
        for word in clause.words:
            assert re.fullmatch(r"[^\W_]+", word)
        assert not clause.prefix or len(clause.words) == 1
