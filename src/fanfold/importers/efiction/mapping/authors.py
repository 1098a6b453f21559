"""Members: accounts, profiles, custom author fields and preferences."""

from fanfold.importers.efiction.steps import Step

STEPS: list[type[Step]] = []
