"""The one allowlist and the text helpers every author field passes through."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fanfold.lib.markup import html_to_text, plain_to_html, sanitize, word_count
from tests.hostile import EXECUTABLE_MARKERS, HOSTILE


@pytest.mark.parametrize("attack", HOSTILE)
def test_nothing_executable_survives(attack):
    cleaned = sanitize(attack).lower()
    for marker in EXECUTABLE_MARKERS:
        assert marker not in cleaned


def test_fiction_formatting_survives():
    markup = (
        "<h3>Part Six: The Crossing</h3><p><em>Thought</em> and <strong>shout</strong>"
        "<br>line</p><hr><blockquote><p>Letter</p></blockquote>"
        '<p align="center">~</p><a href="https://example.org/">link</a>'
    )
    cleaned = sanitize(markup)
    for kept in ("<h3>", "<em>", "<strong>", "<br>", "<hr>", "<blockquote>", 'align="center"'):
        assert kept in cleaned
    assert 'rel="nofollow noopener noreferrer"' in cleaned


def test_plain_text_paragraphs_and_line_breaks():
    html = plain_to_html("One\nstill one\n\n\nTwo <b>not bold</b> & ’til…")
    assert html == ("<p>One<br>\nstill one</p>\n<p>Two &lt;b&gt;not bold&lt;/b&gt; &amp; ’til…</p>")


def test_crlf_becomes_lf():
    assert plain_to_html("a\r\nb\r\n\r\nc") == "<p>a<br>\nb</p>\n<p>c</p>"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"))))
def test_plain_text_round_trips_through_html(text):
    """What an author types is what a reader sees, apart from surrounding blank space."""
    expected = "\n\n".join(
        "\n".join(line.strip(" ") for line in paragraph.strip("\n").split("\n"))
        for paragraph in text.replace("\r", "").split("\n\n")
        if paragraph.strip()
    )
    got = html_to_text(sanitize(plain_to_html(text)))
    normalise = lambda s: " ".join(s.split())  # noqa: E731  whitespace runs are HTML's business
    assert normalise(got) == normalise(expected)


def test_html_to_text_collapses_source_whitespace():
    assert html_to_text("<p>one\n  two</p>\n<p>three<br>\nfour</p>") == "one two\n\nthree\nfour"


def test_entities_are_decoded_once():
    assert html_to_text("<p>&lt;3 &amp;amp; caf&eacute;</p>") == "<3 &amp; café"


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 0),
        ("One two three.", 3),
        ("’til don't well-known — yes…", 4),
        ("Zoë met Søren and 美咲.", 5),
        ("a_b  c", 3),
    ],
)
def test_word_count(text, count):
    assert word_count(text) == count
