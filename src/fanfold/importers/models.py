"""What an import brings that no Fanfold model holds yet (news, comments, challenges…).

Kept row by row, keyed like the source, so nothing is dropped and a later issue that adds
the model can move the rows over.
"""

from django.db import models


class LegacyRecord(models.Model):
    source_table = models.CharField(max_length=64)
    # The row's id in that table (as text: some tables have composite or text keys).
    key = models.CharField(max_length=100)
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source_table", "key"], name="unique_legacy_record")
        ]

    def __str__(self) -> str:
        return f"{self.source_table} {self.key}"
