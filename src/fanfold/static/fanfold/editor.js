// Rich-text editor for authoring pages. A Quill editor (static/vendor/quill) takes over each
// <textarea data-rich-text> while the format <select> named by its data-format-field says
// "rich". The textarea stays the form's field and always holds the editor's HTML, so the
// server sees the same thing with or without script; without script the textarea takes HTML.
(() => {
  "use strict";
  const Quill = window.Quill;
  if (!Quill) return;

  const RICH = "rich";
  const HTML = "html";

  // Scene breaks: a horizontal rule the author can insert from the toolbar.
  const BlockEmbed = Quill.import("blots/block/embed");
  class SceneBreak extends BlockEmbed {}
  SceneBreak.blotName = "scene-break";
  SceneBreak.tagName = "hr";
  Quill.register(SceneBreak);
  Quill.import("ui/icons")["scene-break"] =
    '<svg viewBox="0 0 18 18" aria-hidden="true"><line class="ql-stroke" x1="2" x2="16" y1="9" y2="9"></line></svg>';

  const TOOLBAR = [
    [{ header: [2, 3, false] }],
    ["bold", "italic", "underline", "strike"],
    ["blockquote", { list: "ordered" }, { list: "bullet" }],
    ["link", "scene-break"],
    ["clean"],
  ];
  // Only what the toolbar offers: pasted colours, fonts and sizes are dropped on the way in.
  const FORMATS = [
    "header", "bold", "italic", "underline", "strike", "blockquote", "list", "link",
    "scene-break",
  ];
  const BUTTON_NAMES = {
    bold: "Bold", italic: "Italic", underline: "Underline", strike: "Strikethrough",
    blockquote: "Quotation", "list: ordered": "Numbered list", "list: bullet": "Bulleted list",
    link: "Link", "scene-break": "Scene break (horizontal rule)", clean: "Remove formatting",
  };

  function insertSceneBreak() {
    const range = this.quill.getSelection(true);
    this.quill.insertEmbed(range.index, "scene-break", true, Quill.sources.USER);
    this.quill.setSelection(range.index + 1, Quill.sources.SILENT);
  }

  function labelOf(textarea) {
    const label = textarea.labels && textarea.labels[0];
    return label ? label.textContent.trim() : textarea.name;
  }

  function escapeHTML(text) {
    const div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  // Plain text or Markdown typed before switching to rich text: blank lines make paragraphs.
  function textToHTML(text) {
    return text
      .replace(/\r\n?/g, "\n")
      .split(/\n[ \t]*\n+/)
      .filter((paragraph) => paragraph.trim())
      .map((paragraph) => `<p>${escapeHTML(paragraph.trim()).replace(/\n/g, "<br>")}</p>`)
      .join("");
  }

  class RichText {
    constructor(textarea, select) {
      this.textarea = textarea;
      this.select = select;
      this.quill = null;
      this.format = select.value;
      select.addEventListener("change", () => this.formatChanged());
      textarea.form.addEventListener("submit", () => this.save());
      // Labels point at the hidden textarea: send their clicks to the editor.
      for (const label of textarea.labels || []) {
        label.addEventListener("click", () => this.quill && this.quill.focus());
      }
      if (this.format === RICH) this.mount(HTML);
    }

    formatChanged() {
      const chosen = this.select.value;
      if (chosen === RICH && !this.quill) {
        this.mount(this.format);
      } else if (chosen !== RICH && this.quill) {
        this.unmount();
        // What the editor wrote is HTML: read as plain text it would show its tags.
        this.select.value = HTML;
      }
      this.format = this.select.value;
    }

    mount(previousFormat) {
      const textarea = this.textarea;
      this.holder = document.createElement("div");
      this.holder.className = "rich-text";
      const area = document.createElement("div");
      area.style.minHeight = `${1.6 * Math.max(textarea.rows || 6, 4)}em`;
      this.holder.append(area);
      textarea.after(this.holder);

      this.quill = new Quill(area, {
        theme: "snow",
        formats: FORMATS,
        modules: { toolbar: { container: TOOLBAR, handlers: { "scene-break": insertSceneBreak } } },
      });
      const source = textarea.value;
      const html = previousFormat === RICH || previousFormat === HTML ? source : textToHTML(source);
      this.quill.setContents(this.quill.clipboard.convert({ html }), Quill.sources.SILENT);
      this.quill.on("text-change", () => this.save());
      this.describe();

      // The server checks a required field; a hidden required textarea would block submitting.
      this.wasRequired = textarea.required;
      textarea.required = false;
      textarea.hidden = true;
      this.save();
    }

    // Names for assistive technology: the editor is named by the field's label.
    describe() {
      const editor = this.quill.root;
      editor.setAttribute("role", "textbox");
      editor.setAttribute("aria-multiline", "true");
      editor.setAttribute("aria-label", labelOf(this.textarea));
      for (const name of ["aria-describedby", "aria-invalid"]) {
        const value = this.textarea.getAttribute(name);
        if (value) editor.setAttribute(name, value);
      }
      const toolbar = this.holder.querySelector(".ql-toolbar");
      toolbar.setAttribute("role", "toolbar");
      toolbar.setAttribute("aria-label", `Formatting: ${labelOf(this.textarea)}`);
      for (const button of toolbar.querySelectorAll("button[aria-label]")) {
        const name = BUTTON_NAMES[button.getAttribute("aria-label")];
        if (name) {
          button.setAttribute("aria-label", name);
          button.title = name;
        }
      }
      const heading = toolbar.querySelector(".ql-header .ql-picker-label");
      if (heading) heading.setAttribute("aria-label", "Paragraph or heading");
      const address = this.holder.querySelector(".ql-tooltip input");
      if (address) {
        address.setAttribute("aria-label", "Link address");
        address.dataset.link = "https://";
      }
    }

    unmount() {
      this.save();
      this.holder.remove();
      this.quill = null;
      this.textarea.hidden = false;
      this.textarea.required = this.wasRequired;
    }

    html() {
      const quill = this.quill;
      if (quill.getLength() <= 1 && !quill.root.querySelector("hr")) return "";
      // Quill writes every space as &nbsp;; typed no-break spaces stay characters.
      return quill.getSemanticHTML().replaceAll("&nbsp;", " ");
    }

    save() {
      if (this.quill) this.textarea.value = this.html();
    }
  }

  function start() {
    for (const textarea of document.querySelectorAll("textarea[data-rich-text]")) {
      if (textarea.richText) continue;
      const select = document.getElementById(textarea.dataset.formatField);
      if (select && textarea.form) textarea.richText = new RichText(textarea, select);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
