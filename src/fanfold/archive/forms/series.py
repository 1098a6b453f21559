"""Series forms: a series' details, and a story to add to it."""

import uuid

from django import forms
from django.utils import timezone

from fanfold.archive.models import Series
from fanfold.lib.markup import Format, convert, html_to_text


class SeriesForm(forms.ModelForm):
    """Title, summary (plain text, stored as sanitized HTML) and whether the series is open."""

    summary = forms.CharField(
        label="Summary",
        required=False,
        max_length=10_000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Plain text; a blank line starts a new paragraph.",
    )
    # A new series' form carries a key so posting it twice creates one series.
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Series
        fields = ["title", "summary", "is_open"]
        labels = {"title": "Title", "is_open": "Open to other authors"}
        help_texts = {"is_open": "Other members may add their own stories to this series."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The stored summary is HTML; the author edits it as the text it shows.
        self.initial["summary"] = html_to_text(self.instance.summary)
        if self.instance.pk is None:
            self.initial["submission_key"] = uuid.uuid4()
        else:
            del self.fields["submission_key"]

    def clean_title(self) -> str:
        return " ".join(self.cleaned_data["title"].split())

    def clean_summary(self) -> str:
        text = self.cleaned_data["summary"].replace("\r\n", "\n").strip()
        if self.instance.pk and text == html_to_text(self.instance.summary):
            # Unchanged: keep its formatting (imported summaries may carry italics, links).
            return self.instance.summary
        return convert(text, Format.PLAIN).html

    def series_fields(self) -> dict:
        """What a new series is made of (fanfold.archive.series_items.create_series)."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def save_for(self, owner) -> Series:
        series = self.save(commit=False)
        if series.pk is None:
            series.owner = owner
        series.updated_at = timezone.now()
        series.save()
        return series


class AddStoryForm(forms.Form):
    story = forms.ModelChoiceField(
        label="Add a story", queryset=None, empty_label="Choose one of your stories"
    )

    def __init__(self, *args, stories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["story"].queryset = stories


class AddSeriesForm(forms.Form):
    subseries = forms.ModelChoiceField(
        label="Add a series", queryset=None, empty_label="Choose one of your series"
    )

    def __init__(self, *args, series, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subseries"].queryset = series
