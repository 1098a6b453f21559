"""Author text: the one sanitizing allowlist, plain-text conversion and word counts.

Every piece of author-supplied HTML that reaches a page passes through `sanitize()`;
templates mark only fields produced here as safe.
"""

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser

import nh3

# What fiction needs: paragraphs, emphasis, headings for parts, lists, quotes, tables for
# the odd letter or chat log, rules for scene breaks, links and nothing executable.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "cite", "code", "dd", "del",
    "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "ins", "kbd",
    "li", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"title", "dir", "lang", "align"},
    "a": {"href", "name"},
    "abbr": {"title"},
    "ol": {"start", "type"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def sanitize(markup: str) -> str:
    """Return markup reduced to the allowlist; links get rel="nofollow noopener"."""
    return nh3.clean(
        markup,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


def plain_to_html(text: str) -> str:
    """Plain prose to HTML: blank lines separate paragraphs, single newlines break lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = [p for p in re.split(r"\n[ \t]*\n+", text) if p.strip()]
    return "\n".join(
        "<p>"
        + "<br>\n".join(html.escape(line, quote=False) for line in p.strip("\n").split("\n"))
        + "</p>"
        for p in paragraphs
    )


_BLOCK_TAGS = {
    "p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre",
    "tr", "hr", "dt", "dd", "table", "ul", "ol", "center",
}  # fmt: skip


# Runs of HTML whitespace that a browser shows as one space; single spaces match nothing,
# which keeps this fast on prose.
_HTML_SPACE = re.compile(r"[\t\n\r\f][ \t\n\r\f]*| [ \t\n\r\f]+")
# A start or end tag, with quoted attribute values that may contain ">".
_TAG = re.compile(r"""<(/?)([a-zA-Z][a-zA-Z0-9]*)(?:[^>"']|"[^"]*"|'[^']*')*>""")


def html_to_text(markup: str) -> str:
    """The visible text of sanitized HTML, as a browser shows it.

    Source whitespace collapses, block elements and <br> break lines, entities are decoded
    once. Expects the output of `sanitize()` (well-formed, no comments, `<` escaped in
    text): a tokenizer this simple is several times faster than html.parser.
    """
    parts: list[str] = []
    position = 0
    in_pre = 0
    for tag in _TAG.finditer(markup):
        if tag.start() > position:
            data = markup[position : tag.start()]
            parts.append(data if in_pre else _HTML_SPACE.sub(" ", data))
        name = tag.group(2).lower()
        if name in _BLOCK_TAGS:
            parts.append("\n")
        if name == "pre":
            in_pre = max(in_pre + (-1 if tag.group(1) else 1), 0)
        position = tag.end()
    tail = markup[position:]
    parts.append(tail if in_pre else _HTML_SPACE.sub(" ", tail))
    text = html.unescape("".join(parts))
    lines = [line.strip(" ") for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


def word_count(text: str) -> int:
    """Words in plain text; "’til", "don't" and "well-known" count as one each."""
    return sum(1 for _ in _WORD.finditer(text))


class Format:
    """The ways an author may write a chapter, its notes or a summary."""

    RICH = "rich"
    HTML = "html"
    MARKDOWN = "markdown"
    PLAIN = "plain"
    CHOICES = [
        (RICH, "Rich text"),
        (HTML, "HTML"),
        (MARKDOWN, "Markdown"),
        (PLAIN, "Plain text"),
    ]


@dataclass(frozen=True)
class Converted:
    """Author input after the pipeline: what is stored and what the author is told."""

    html: str
    text: str
    word_count: int
    # What sanitizing took out, in words an author understands ("a <script> element").
    removed: list[str] = field(default_factory=list)


def convert(source: str, fmt: str) -> Converted:
    """Author input in any format → sanitized HTML, its plain text and word count."""
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    if fmt == Format.PLAIN:
        raw = plain_to_html(source)
    elif fmt == Format.MARKDOWN:
        raw = _markdown().render(source)
    else:
        raw = source
    clean = sanitize(raw)
    text = html_to_text(clean)
    # Plain text is escaped, never stripped: a typed "<script>" shows as text.
    removed = [] if fmt == Format.PLAIN else removals(raw)
    return Converted(html=clean, text=text, word_count=word_count(text), removed=removed)


# Attributes the sanitizer changes without losing anything an author meant: it sets its own
# rel on links, and links opening in a new tab (the editor writes target) is no loss.
_QUIETLY_CHANGED = {("a", "rel"), ("a", "target")}
_TAG_NAME = re.compile(r"[a-z][a-z0-9:-]*")  # "o:p" from Word
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
# URL parsers (browsers' and the sanitizer's) drop tabs and newlines anywhere ("java\tscript:")
# and control characters and spaces at either end.
_URL_IGNORED = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$|[\t\n\r]")


class _Removals(HTMLParser):
    """Counts what the allowlist takes out, as the sanitizer sees the input."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: Counter[tuple[str, str]] = Counter()

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            # With the element go its attributes: naming the element says it all.
            self.found["tag", tag if _TAG_NAME.fullmatch(tag) else ""] += 1
            return
        allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name not in allowed:
                if (tag, name) not in _QUIETLY_CHANGED:
                    self.found["attribute", name] += 1
            elif name == "href" and value:
                scheme = _SCHEME.match(_URL_IGNORED.sub("", value).lower())
                if scheme and scheme.group(1) not in ALLOWED_URL_SCHEMES:
                    self.found["link", scheme.group(1)] += 1

    handle_startendtag = handle_starttag

    def handle_comment(self, data):
        self.found["comment", ""] += 1


def removals(markup: str) -> list[str]:
    """What sanitizing `markup` takes out, for the author: ["a <script> element", …].

    Only what is lost is listed (elements, attributes, links with a scheme outside the
    allowlist, comments), each once with its count, in the order first met.
    """
    parser = _Removals()
    parser.feed(markup)
    parser.close()
    return [_describe(kind, name, count) for (kind, name), count in parser.found.items()]


def _describe(kind: str, name: str, count: int) -> str:
    noun = {
        "tag": f"<{name}> element" if name else "malformed tag",
        "attribute": f"{name} attribute",
        "link": f"{name}: link",
        "comment": "HTML comment",
    }[kind]
    if count > 1:
        return f"{count} {noun}s"
    article = "an" if noun.lstrip("<")[0] in "aeiouAEIOU" or noun.startswith("HTML") else "a"
    return f"{article} {noun}"


@cache
def _markdown():
    from markdown_it import MarkdownIt

    # CommonMark with tables and strikethrough; raw HTML passes on to the sanitizer.
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
