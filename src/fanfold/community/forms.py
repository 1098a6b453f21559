"""The forms readers fill in about a work: a review, a reply, an author's response.

Reviews are typed as plain text: what the reader typed is what everyone sees, a typed
"<i>" included (escaped, never stripped). Blank lines make paragraphs and single newlines
line breaks (`lib.markup.plain_to_html`); the result still passes the one allowlist.
Chapters offer four formats because authors paste formatted prose; a review box is a
conversation, and plain text keeps it one box with nothing to learn.
"""

from django import forms

from fanfold.lib.markup import html_to_text, plain_to_html, sanitize

REVIEW_MAX_CHARS = 10_000
NAME_MAX_CHARS = 100
# The hidden field members' forms carry: a post that arrives without a session but with
# it was typed by a member whose session expired, so it is kept for after sign-in even
# when visitors may review (see views.reviews._members_or_visitors).
SIGNED_IN_FIELD = "signed_in"
HONEYPOT_FIELD = "website"
RATING_CHOICES = [("", "No rating"), *((n, f"{n} out of 10") for n in range(10, 0, -1))]
TOO_MANY = (
    "You have posted many reviews in a short time. Please wait a while and send it again; "
    "everything you typed is still here."
)


def text_field(label: str, *, required: bool = True, rows: int = 6) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=REVIEW_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class _TextForm(forms.Form):
    """A form whose `text` is plain text, shown as sanitized HTML."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")  # labels as on the authoring forms
        super().__init__(*args, **kwargs)

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        if self.fields["text"].required and not html_to_text(plain_to_html(text)):
            raise forms.ValidationError("Please write something first.", code="required")
        return text

    def html(self) -> str:
        return sanitize(plain_to_html(self.cleaned_data["text"]))

    @staticmethod
    def initial_text(stored_html: str) -> str:
        """Stored HTML back as the plain text the box shows for editing."""
        return html_to_text(stored_html)


class ReviewForm(_TextForm):
    """A new review or an edit. Visitors also give a name and meet the honeypot."""

    text = text_field("Review")
    rating = forms.TypedChoiceField(
        label="Rating", choices=RATING_CHOICES, coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args, visitor: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.visitor = visitor
        if visitor:
            self.fields["name"] = forms.CharField(
                label="Your name", max_length=NAME_MAX_CHARS, help_text="Shown with your review."
            )
            # Hidden from people by CSS and from assistive technology; bots fill it in.
            self.fields[HONEYPOT_FIELD] = forms.CharField(
                label="Leave this empty",
                required=False,
                widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
            )
            self.order_fields(["name", "text", "rating", HONEYPOT_FIELD])

    def is_bot(self) -> bool:
        return bool(self.visitor and self.cleaned_data.get(HONEYPOT_FIELD))


class ReplyForm(_TextForm):
    text = text_field("Reply", rows=4)


class ResponseForm(_TextForm):
    """The author's response; sending it empty removes it."""

    text = text_field("Respond", required=False, rows=4)
