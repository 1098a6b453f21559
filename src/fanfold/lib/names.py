import json
import unicodedata
from functools import cache
from importlib import resources

_LRM = "\u200e"  # the confusables data wraps right-to-left characters in these marks
_INVISIBLE = {"Cf", "Cc"}


def fold(name: str) -> str:
    """A name with case, width and spacing differences removed: NFKC, casefolded, trimmed.

    Invisible format and control characters (zero-width spaces and joiners, direction
    marks, soft hyphens) are dropped, so "Spi\u200bke" is still "spike".
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    visible = "".join(c for c in folded if unicodedata.category(c) not in _INVISIBLE)
    return " ".join(visible.split())


def name_key(name: str) -> str:
    """The form under which two pen names are the same name.

    NFKC + casefold, then the Unicode confusables skeleton (UTS #39), so "Ѕpike" with a
    Cyrillic Ѕ, "ＳＰＩＫＥ" and "spike" share one key. Folding again after the skeleton
    catches prototypes that are capitals ("0" → "O" → "o").
    """
    key = fold(name)
    for _ in range(3):
        again = fold(unicodedata.normalize("NFC", skeleton(key)))
        if again == key:
            break
        key = again
    return key


def skeleton(text: str) -> str:
    """UTS #39 skeleton: NFD, each character replaced by its prototype, NFD again."""
    prototypes = _prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(prototypes.get(c, c) for c in decomposed))


@cache
def _prototypes() -> dict[str, str]:
    """Character → prototype, rebuilt once from confusable-homoglyphs' bundled data.

    That package stores each line of Unicode's confusables.txt in both directions and has
    no skeleton function. A source is one code point listed under exactly one entry (its
    prototype); a prototype lists its sources. When a source and its only prototype each
    list just the other, the direction is lost, and either works as long as both map to the
    same one: the ASCII one if there is one, otherwise the lower code point.
    """
    data = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    )

    def bare(s: str) -> str:
        return s.strip(_LRM) if len(s) > 1 else s

    entries = {bare(k): [bare(e["c"]) for e in v] for k, v in data.items()}
    mapping = {}
    for char, others in entries.items():
        if len(char) != 1 or len(others) != 1:
            continue
        target = others[0]
        if len(target) == 1 and entries.get(target) == [char]:
            target = min(char, target, key=lambda c: (not c.isascii(), c))
        if target != char:
            mapping[char] = target
    return mapping


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
