"""The one allowlist and the text helpers every author field passes through."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fanfold.lib.markup import (
    Format,
    convert,
    html_to_text,
    plain_to_html,
    sanitize,
    word_count,
)
from tests.hostile import EXECUTABLE_MARKERS, HOSTILE, executable_parts


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


# convert(): what an author types in each format, and what they are told was removed.

SEED_PROSE = (
    "Part Six: The Long Road\r\n"
    "\r\n"
    "“Stay,” she said. “Just ’til morning…”\r\n"
    "\r\n"
    "He hesitated — then nodded. 'Fine,' he said, \"but only ’til the fire’s out.\"\r\n"
    "The rain kept on — steady, patient — against the shutters…"
)


def test_plain_text_survives_byte_for_byte():
    converted = convert(SEED_PROSE, Format.PLAIN)
    assert converted.text == SEED_PROSE.replace("\r\n", "\n")
    assert converted.html.startswith("<p>Part Six: The Long Road</p>\n<p>“Stay,”")
    assert "<br>\nThe rain" in converted.html
    assert converted.word_count == 33
    assert converted.removed == []


def test_plain_text_markup_is_shown_not_removed():
    converted = convert('<script>alert(1)</script> <a href="javascript:x">x</a>', Format.PLAIN)
    assert converted.text == '<script>alert(1)</script> <a href="javascript:x">x</a>'
    assert "<script" not in converted.html
    assert converted.removed == []


def test_markdown_basics():
    source = (
        "## Part Two\n\n*Thought* and **shout** and ~~struck~~ — ’til…\n\n"
        "> a letter\n\n- one\n- two\n\n1. first\n\n---\n\n[home](https://example.org/)"
    )
    converted = convert(source, Format.MARKDOWN)
    for kept in (
        "<h2>Part Two</h2>",
        "<em>Thought</em>",
        "<strong>shout</strong>",
        "<s>struck</s>",
        "— ’til…",
        "<blockquote>",
        "<ul>",
        "<ol>",
        "<hr>",
        '<a href="https://example.org/" rel="nofollow noopener noreferrer">home</a>',
    ):
        assert kept in converted.html
    assert converted.text.startswith("Part Two\n\nThought and shout and struck — ’til…")
    assert converted.removed == []


def test_markdown_hostile_html_is_removed_and_reported():
    converted = convert("Hello <script>alert(1)</script> *there*", Format.MARKDOWN)
    assert "<script" not in converted.html
    assert "<em>there</em>" in converted.html
    assert converted.removed == ["a <script> element"]


def test_html_formatting_is_kept_without_reports():
    source = (
        "<h3>Part Six</h3><p><em>Thought</em>, <i>i</i>, <b>b</b>, <u>u</u>, <s>s</s>"
        '<br>line</p><hr><blockquote><p>Letter</p></blockquote><p align="center">~</p>'
        '<ol start="3"><li>x</li></ol><table><tr><td colspan="2">chat</td></tr></table>'
        '<p><a href="https://example.org/" title="t">link</a> <a href="#n">n</a>'
        ' <a href="mailto:me@example.org">me</a></p>'
    )
    converted = convert(source, Format.HTML)
    assert converted.removed == []
    for kept in ("<h3>", "<em>", "<u>", "<s>", "<hr>", 'align="center"', 'colspan="2"', "#n"):
        assert kept in converted.html


def test_rich_text_from_the_editor_reports_nothing():
    """The editor's links carry target and rel: changed quietly, not reported."""
    source = (
        '<h2>Part</h2><p><strong>bold</strong> <a href="https://example.org/" '
        'rel="noopener noreferrer" target="_blank">link</a>&nbsp;end</p>'
        "<ul><li>one</li></ul>"
    )
    converted = convert(source, Format.RICH)
    assert converted.removed == []
    assert 'rel="nofollow noopener noreferrer"' in converted.html
    assert "target" not in converted.html


@pytest.mark.parametrize("attack", HOSTILE)
@pytest.mark.parametrize("fmt", [Format.HTML, Format.RICH, Format.MARKDOWN])
def test_hostile_input_is_removed_and_reported(attack, fmt):
    converted = convert(attack, fmt)
    assert executable_parts(converted.html) == []
    assert converted.removed, "the author is told something was taken out"


def test_removals_are_counted_and_described():
    source = (
        '<p onclick="a()">one</p><p onclick="b()" style="color:red">two</p>'
        '<script>x</script><a href="JaVa&#x09;Script:alert(1)">x</a><iframe></iframe>'
        "<!-- note --><img src=x onerror=y>"
    )
    assert convert(source, Format.HTML).removed == [
        "2 onclick attributes",
        "a style attribute",
        "a <script> element",
        "a javascript: link",
        "an <iframe> element",
        "an HTML comment",
        "an <img> element",
    ]


def test_relative_and_allowed_links_are_not_reported():
    source = '<a href="Part 2:x">a</a><a href="/stories/1/">b</a><a href="HTTPS://x.org">c</a>'
    assert convert(source, Format.HTML).removed == []


def test_word_html_is_reported_in_words_an_author_knows():
    source = (
        "<p class=MsoNormal style='margin:0'>One<o:p></o:p></p>"
        "<p class=MsoNormal style='margin:0'><font face=Arial>Two</font><o:p></o:p></p>"
    )
    converted = convert(source, Format.HTML)
    assert converted.html == "<p>One</p><p>Two</p>"
    assert converted.removed == [
        "2 class attributes",
        "2 style attributes",
        "2 <o:p> elements",
        "a <font> element",
    ]
