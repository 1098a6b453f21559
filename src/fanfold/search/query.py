"""The search box's language, parsed into a small tree that backends translate.

Readers may type words (all must match), "phrases", -exclusions and prefix* words.
Everything else is read as plain words: operators of either engine (AND OR NOT NEAR ^ :),
brackets, unbalanced quotes and SQL are just text. User text never reaches an engine's
query syntax; backends build it from these clauses, whose words hold only letters and
digits.
"""

import re
from dataclasses import dataclass

# Longer input is cut here (a pasted chapter is not a query), and so is the clause count.
MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 20
MAX_WORD_CHARS = 100
# A shorter prefix would match a large part of the vocabulary: it is read as a word.
MIN_PREFIX_CHARS = 2

# What both engines' tokenizers keep as word characters: letters and digits, no "_".
_WORD = r"[^\W_]+"
# A token: optional "-", then a quoted phrase or a run of non-space characters.
_TOKEN = re.compile(r'(-?)(?:"([^"]*)"|(\S+))')
_PREFIX = re.compile(rf"^({_WORD})\*+$")


@dataclass(frozen=True)
class Clause:
    """One word (len(words) == 1) or a phrase; `prefix` only on a single word."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Query:
    include: tuple[Clause, ...] = ()
    exclude: tuple[Clause, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)


def words_of(text: str) -> tuple[str, ...]:
    return tuple(word[:MAX_WORD_CHARS].lower() for word in re.findall(_WORD, text))


def _clauses(quoted: str | None, bare: str | None) -> list[Clause]:
    """Clauses for one token: a phrase; a word or prefix; a hyphenated word as a phrase."""
    if quoted is not None:
        words = words_of(quoted)
        return [Clause(words)] if words else []
    prefix = _PREFIX.match(bare)
    if prefix and len(prefix.group(1)) >= MIN_PREFIX_CHARS:
        return [Clause(words_of(prefix.group(1)), prefix=True)]
    # "don't", "well-known", "a.b" are one token of several words: their phrase.
    # Anything else that is not a plain word (brackets, operators, SQL) is read as words.
    if re.fullmatch(rf"[\"(]*{_WORD}(?:['’.\-]{_WORD})+[\")?!,.;:]*", bare):
        return [Clause(words_of(bare))]
    return [Clause((word,)) for word in words_of(bare)]


def parse(text: str) -> Query:
    """The query a reader typed, as clauses; never fails, whatever the text."""
    text = text[:MAX_QUERY_CHARS]
    if text.count('"') % 2:  # an unbalanced quote is not a phrase
        text = text.replace('"', " ")
    include: list[Clause] = []
    exclude: list[Clause] = []
    for match in _TOKEN.finditer(text):
        negated, quoted, bare = match.groups()
        target = exclude if negated else include
        for clause in _clauses(quoted, bare):
            if clause not in include and clause not in exclude:
                target.append(clause)
    return Query(tuple(include[:MAX_CLAUSES]), tuple(exclude[:MAX_CLAUSES]))
