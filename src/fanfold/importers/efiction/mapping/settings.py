"""The archive's settings row and its messages (rules, terms)."""

from fanfold.importers.efiction.steps import Step

STEPS: list[type[Step]] = []
