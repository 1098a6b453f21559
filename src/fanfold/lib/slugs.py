import unicodedata

from django.utils.text import slugify


def story_slug(title: str, max_length: int = 60) -> str:
    """An ASCII slug when folding accents loses no letter, else a Unicode one (美咲 stays)."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    ascii_slug = slugify(folded)
    unicode_slug = slugify(title, allow_unicode=True)
    if len(ascii_slug.replace("-", "")) < len(unicode_slug.replace("-", "")):
        ascii_slug = ""
    slug = ascii_slug or unicode_slug or "story"
    return slug[:max_length].strip("-") or "story"
