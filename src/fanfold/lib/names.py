import unicodedata


def name_key(name: str) -> str:
    """The form under which two pen names are the same name: NFKC, casefolded, trimmed."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(folded.split())


def sort_key(text: str) -> str:
    """How titles sort A–Z: accents and case ignored, so "Émile" files beside "emile"."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def initial(text: str) -> str:
    """The A–Z index letter of a title or name; "#" for anything else."""
    key = sort_key(text)
    first = key[:1].upper()
    return first if "A" <= first <= "Z" else "#"
