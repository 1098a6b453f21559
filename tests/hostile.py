"""Hostile author input, and a check that none of it can run on a page that shows it."""

from html.parser import HTMLParser

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    "<svg><script>alert(1)</script></svg>",
    '<svg onload="alert(1)"></svg>',
    "<math><mtext><script>alert(1)</script></mtext></math>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<div style="width: expression(alert(1))">x</div>',
    '<iframe src="https://evil.example"></iframe>',
    '<p onclick="alert(1)">click',
    "<scr<script>ipt>alert(1)</script>",
    '<object data="x"></object><embed src="x">',
    '<form action="https://evil.example"><input name=a></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    "<!--<script>alert(1)</script>-->",
    '<a href="vbscript:msgbox(1)">x</a>',
    "<style>body{display:none}</style>",
]

# Text that must never appear (lower-cased) in the HTML a page sends, whatever was typed.
EXECUTABLE_MARKERS = [
    "<script", "onerror", "onload", "onclick", "javascript:", "vbscript:", "data:text",
    "<iframe", "<svg", "<math", "style=", "<object", "<embed", "<form action=\"https://evil",
    "<meta http-equiv", "<base", "<style", "expression(",
]  # fmt: skip


class _Audit(HTMLParser):
    """Collects every executable thing in a page as a browser would parse it."""

    FORBIDDEN_TAGS = {"iframe", "svg", "math", "object", "embed", "base", "style", "frame"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.FORBIDDEN_TAGS:
            self.found.append(f"<{tag}>")
        if tag == "meta" and any(name == "http-equiv" for name, _ in attrs):
            self.found.append("<meta http-equiv>")
        if tag == "script":
            source = dict(attrs).get("src") or ""
            # The archive's own scripts come from /static/; nothing else may run.
            if not source.startswith("/static/"):
                self.found.append("<script>")
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on"):
                self.found.append(f"{name}= on <{tag}>")
            if name == "style" and ("expression" in value or "url(" in value):
                self.found.append(f"style= on <{tag}>")
            if name in {"href", "src", "action", "formaction", "xlink:href"} and value.startswith(
                ("javascript:", "vbscript:", "data:")
            ):
                self.found.append(f"{name}={value[:20]} on <{tag}>")

    handle_startendtag = handle_starttag


def executable_parts(page: str) -> list[str]:
    """Everything in a page that could run script; a page showing hostile input gives []."""
    audit = _Audit()
    audit.feed(page)
    audit.close()
    return audit.found
