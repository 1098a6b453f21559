"""The rich-text editor (static/fanfold/editor.js over vendored Quill) in a real browser.

The page is built with set_content() and the static files are loaded from the source tree,
so these tests need neither the database nor a server; a form post is caught by a route.
"""

from pathlib import Path
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import expect

from fanfold.lib.markup import Format, convert
from tests.browser.conftest import DESKTOP

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "src" / "fanfold" / "static"
FORM = """<!doctype html>
<form method="post" action="https://fanfold.test/post">
  <label for="id_body_format">Format</label>
  <select id="id_body_format" name="body_format">
    <option value="rich">Rich text</option><option value="html">HTML</option>
    <option value="markdown">Markdown</option><option value="plain">Plain text</option>
  </select>
  <label for="id_body">Chapter text</label>
  <textarea id="id_body" name="body" rows="8" required data-rich-text
    data-format-field="id_body_format">{body}</textarea>
  <button type="submit">Post</button>
</form>
"""


@pytest.fixture
def editor(browser, shots_dir, request):
    """open(body, fmt): a form like the chapter form, with the editor's files loaded."""
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()

    def open_form(body: str = "", fmt: str = Format.RICH):
        page.set_content(FORM.format(body=body))
        page.select_option("#id_body_format", fmt)
        page.add_style_tag(path=STATIC / "vendor" / "quill" / "quill.snow.css")
        page.add_style_tag(path=STATIC / "fanfold" / "editor.css")
        page.add_script_tag(path=STATIC / "vendor" / "quill" / "quill.js")
        page.add_script_tag(path=STATIC / "fanfold" / "editor.js")
        return page

    yield open_form
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        page.screenshot(path=shots_dir / "failure.png", full_page=True)
    context.close()


def textarea_value(page) -> str:
    return page.locator("#id_body").input_value()


def test_typing_bold_text_writes_paragraphs_and_strong_into_the_textarea(editor, screenshot):
    page = editor()
    expect(page.locator("#id_body")).to_be_hidden()
    text = page.get_by_role("textbox", name="Chapter text")
    text.click()
    page.keyboard.type("“Stay,” she said — ’til morning… ")
    page.get_by_role("button", name="Bold").click()
    page.keyboard.type("Now.")
    screenshot(page, "bold")
    value = textarea_value(page)
    assert value == "<p>“Stay,” she said — ’til morning… <strong>Now.</strong></p>"


def test_the_post_carries_the_editors_html_and_the_pipeline_keeps_it(editor):
    page = editor()
    posted = []

    def catch(route):
        posted.append(parse_qs(route.request.post_data))
        route.fulfill(body="ok")

    page.route("https://fanfold.test/post", catch)
    page.get_by_text("Chapter text").click()  # the label sends focus to the editor
    page.get_by_role("button", name="Paragraph or heading").click()
    page.locator(".ql-picker-item[data-value='2']").click()
    page.keyboard.type("Part Six\n")
    page.get_by_role("button", name="Italic").click()
    page.keyboard.type("Thought")
    page.get_by_role("button", name="Italic").click()
    page.keyboard.type(" and a  gap\n")
    page.get_by_role("button", name="Scene break (horizontal rule)").click()
    page.keyboard.type("After")
    page.get_by_role("button", name="Post").click()
    page.wait_for_function("document.body.textContent === 'ok'")

    body = posted[0]["body"][0]
    converted = convert(body, Format.RICH)
    assert converted.html == "<h2>Part Six</h2><p><em>Thought</em> and a  gap</p><hr><p>After</p>"
    assert converted.text == "Part Six\n\nThought and a gap\n\nAfter"
    assert converted.removed == []


def test_the_editor_starts_with_the_textareas_html(editor):
    page = editor("<p>Hello <em>there</em></p><hr><ul><li>one</li></ul>")
    text = page.get_by_role("textbox", name="Chapter text")
    expect(text.locator("em")).to_have_text("there")
    expect(text.locator("hr")).to_have_count(1)
    assert textarea_value(page) == "<p>Hello <em>there</em></p><hr><ul><li>one</li></ul>"


def test_leaving_rich_text_keeps_the_html_and_switches_the_format_to_html(editor):
    page = editor("<p>Hello <strong>you</strong></p>")
    page.select_option("#id_body_format", "plain")
    expect(page.locator("#id_body_format")).to_have_value("html")
    expect(page.locator("#id_body")).to_be_visible()
    expect(page.locator(".ql-editor")).to_have_count(0)
    assert textarea_value(page) == "<p>Hello <strong>you</strong></p>"
    assert page.locator("#id_body").evaluate("t => t.required")


def test_plain_text_becomes_paragraphs_when_switched_to_rich(editor):
    page = editor("Part one\nline two\n\n<b>not bold</b>", fmt=Format.PLAIN)
    expect(page.locator("#id_body")).to_be_visible()
    page.select_option("#id_body_format", "rich")
    expect(page.locator("#id_body")).to_be_hidden()
    assert (
        textarea_value(page) == "<p>Part one</p><p>line two</p><p>&lt;b&gt;not bold&lt;/b&gt;</p>"
    )


def test_an_emptied_editor_leaves_the_textarea_empty(editor):
    page = editor("<p>x</p>")
    page.get_by_role("textbox", name="Chapter text").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    assert textarea_value(page) == ""


def test_links_get_an_address_field_with_a_name(editor):
    page = editor("<p>my site</p>")
    text = page.get_by_role("textbox", name="Chapter text")
    text.click()
    page.keyboard.press("Control+A")
    page.get_by_role("button", name="Link").click()
    address = page.get_by_role("textbox", name="Link address")
    address.fill("https://example.org/")
    address.press("Enter")
    html = convert(textarea_value(page), Format.RICH)
    assert html.html == (
        '<p><a href="https://example.org/" rel="nofollow noopener noreferrer">my site</a></p>'
    )
    assert html.removed == []
