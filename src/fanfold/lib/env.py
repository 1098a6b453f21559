"""Typed readers for environment variables; a bad value stops start-up with a clear error."""

import os
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def mailers_from_url(url: str, default_dir: str) -> dict[str, dict]:
    """Django's MAILERS setting from EMAIL_URL.

    `smtp://user:pass@host:port`, `smtps://…` (implicit TLS), `smtp+tls://…` (STARTTLS),
    `console:` and `file:///path`; an empty value writes messages as files in default_dir.
    """
    if not url:
        return _mailer("filebased", file_path=default_dir)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "console":
        return _mailer("console")
    if scheme == "file":
        return _mailer("filebased", file_path=unquote(parts.path) or default_dir)
    if scheme not in {"smtp", "smtps", "smtp+tls"}:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme must be smtp, smtps, smtp+tls, console or file, not {scheme!r}"
        )
    try:
        port = parts.port
        timeout = int(parse_qs(parts.query).get("timeout", ["10"])[0])
    except ValueError:
        raise ImproperlyConfigured(f"EMAIL_URL has a bad port or timeout: {url!r}") from None
    return _mailer(
        "smtp",
        host=parts.hostname or "localhost",
        port=port or (465 if scheme == "smtps" else 25),
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_ssl=scheme == "smtps",
        use_tls=scheme == "smtp+tls",
        timeout=timeout,
    )


def _mailer(kind: str, **options) -> dict[str, dict]:
    return {
        "default": {"BACKEND": f"django.core.mail.backends.{kind}.EmailBackend", "OPTIONS": options}
    }
