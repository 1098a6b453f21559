"""Stories, co-authors, chapters, series and their members."""

from fanfold.importers.efiction.steps import Step

STEPS: list[type[Step]] = []
