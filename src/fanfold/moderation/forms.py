from django import forms


class ApproveForm(forms.Form):
    trust = forms.BooleanField(
        required=False,
        label="Also trust the authors (their next chapters skip the queue)",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")  # the label follows its checkbox
        super().__init__(*args, **kwargs)


class RejectForm(forms.Form):
    message = forms.CharField(
        label="Message to the authors",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Emailed to every author of the story. Say what to change before resubmitting.",
        error_messages={"required": "Tell the authors why, so they can fix it and resubmit."},
    )
