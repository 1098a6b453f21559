import unicodedata


def name_key(name: str) -> str:
    """The form under which two pen names are the same name: NFKC, casefolded, trimmed."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(folded.split())
