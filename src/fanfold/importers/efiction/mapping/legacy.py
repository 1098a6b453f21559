"""Tables Fanfold has no model for yet (news, comments, challenges…), kept as records."""

from fanfold.importers.efiction.steps import Step

STEPS: list[type[Step]] = []
