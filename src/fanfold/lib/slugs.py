import unicodedata

from django.utils.text import slugify


def story_slug(title: str, max_length: int = 60) -> str:
    """A readable ASCII slug; titles with no Latin letters keep a Unicode slug."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = slugify(ascii_title) or slugify(title, allow_unicode=True) or "story"
    return slug[:max_length].strip("-") or "story"
