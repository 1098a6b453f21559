"""Reviews (with author responses) and favorites."""

from fanfold.importers.efiction.steps import Step

STEPS: list[type[Step]] = []
