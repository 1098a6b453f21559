"""Ratings, categories, characters, classification types and classes."""

from fanfold.importers.efiction.steps import Step

STEPS: list[type[Step]] = []
