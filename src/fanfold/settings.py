"""The one settings module. Every value an operator may change comes from the environment.

See README.md ("Configuration") for the variables and docs/ARCHITECTURE.md for why.
"""

import secrets
from pathlib import Path

import dj_database_url

from fanfold.lib.env import env_bool, env_int, env_list, env_str, mailers_from_url

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("FANFOLD_VAR_DIR", str(PACKAGE_DIR.parent.parent / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, or one generated once and kept under var/."""
    key = env_str("SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks_db",
    "fanfold.core",
    "fanfold.accounts",
    "fanfold.archive",
    "fanfold.community",
    "fanfold.search",
    "fanfold.moderation",
    "fanfold.importers",
    "fanfold.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous readers are answered from the shared page cache before sessions, auth
    # and CSRF run; see fanfold/archive/pagecache.py.
    "fanfold.archive.pagecache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fanfold.urls"
WSGI_APPLICATION = "fanfold.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": [
                "django.templatetags.static",
                "django.contrib.humanize.templatetags.humanize",
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fanfold.core.context_processors.archive",
                "fanfold.community.context_processors.notifications",
                "fanfold.community.relations.context",
                "fanfold.community.library.member_library",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'fanfold.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside one writer; IMMEDIATE takes the write lock at BEGIN so
    # two processes wait for each other (up to `timeout` seconds) instead of failing with
    # "database is locked" half-way through a transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": env_str("FANFOLD_TEST_SQLITE_NAME") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: shared by every process of one install ---------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "fanfold.lib.rediscache.SharedRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "fanfold"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env_str("CACHE_DIR", str(VAR_DIR / "cache")),
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }
# How long an anonymous page may be served from the cache at most; changes to a story
# invalidate its pages at once, this only bounds how stale hit counts can look.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 600, minimum=0)
# Memory each process may use to keep recently served pages in front of the shared cache.
PAGE_CACHE_LOCAL_BYTES = env_int("PAGE_CACHE_LOCAL_BYTES", 32 * 1024 * 1024, minimum=0)
# How long the facet counts of a listing or search result are kept (0: not at all); any
# change to the listings invalidates them at once.
FACET_CACHE_SECONDS = env_int("FACET_CACHE_SECONDS", 600, minimum=0)
# How often each process writes its buffered hit counts to the database.
HITS_FLUSH_SECONDS = env_int("HITS_FLUSH_SECONDS", 10, minimum=1)

# --- Background tasks ---------------------------------------------------------------
# The database backend by default; with Redis, RQ (django-tasks-rq). `fanfold worker` runs
# whichever is configured.
if REDIS_URL:
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Recipients the worker handles per step of a notification's fan-out (one transaction).
NOTIFICATION_BATCH_SIZE = env_int("NOTIFICATION_BATCH_SIZE", 500, minimum=1)
# How long an email may stay "sending" after a worker started before it is tried again:
# longer than one SMTP send, so a live worker's message is never taken from it.
NOTIFICATION_SENDING_TIMEOUT = env_int("NOTIFICATION_SENDING_TIMEOUT", 300, minimum=0)

# --- Accounts -----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    # Imported eFiction passwords, upgraded to Argon2 at the member's next sign-in.
    "fanfold.accounts.hashers.EFictionMD5PasswordHasher",
]
AUTHENTICATION_BACKENDS = ["fanfold.accounts.backends.PenNameBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
# Rate limits: attempts per window (seconds). RATELIMIT_ENABLE=false turns all of them off.
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)
RATELIMIT_LOGIN_PER_ADDRESS = (env_int("RATELIMIT_LOGIN_PER_ADDRESS", 20, minimum=1), 300)
RATELIMIT_LOGIN_PER_ACCOUNT = (env_int("RATELIMIT_LOGIN_PER_ACCOUNT", 10, minimum=1), 900)
RATELIMIT_REGISTER_PER_ADDRESS = (env_int("RATELIMIT_REGISTER_PER_ADDRESS", 5, minimum=1), 3600)
RATELIMIT_RESET_PER_ADDRESS = (env_int("RATELIMIT_RESET_PER_ADDRESS", 10, minimum=1), 3600)
RATELIMIT_RESET_PER_ACCOUNT = (env_int("RATELIMIT_RESET_PER_ACCOUNT", 3, minimum=1), 3600)
# Stories and chapters posted per member per hour.
RATELIMIT_POST_PER_ACCOUNT = (env_int("RATELIMIT_POST_PER_ACCOUNT", 60, minimum=1), 3600)
# Reviews and replies: per member, and per address for visitors (anonymous reviews).
RATELIMIT_REVIEW_PER_ACCOUNT = (env_int("RATELIMIT_REVIEW_PER_ACCOUNT", 30, minimum=1), 3600)
RATELIMIT_REVIEW_PER_ADDRESS = (env_int("RATELIMIT_REVIEW_PER_ADDRESS", 10, minimum=1), 3600)

# What authors may send (CLARIFICATIONS.md). Django's own request limits sit above these
# so that the form, not a bare 400, answers an oversized post with the text still there.
CHAPTER_MAX_CHARS = 500_000
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
DOCX_MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Age consent lives in a signed cookie so reading stays write-free and cacheable.
CONSENT_COOKIE_NAME = "fanfold_consent"

# --- Security -----------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_HTTPS_PROXY", False) else None
)
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# --- E-mail -------------------------------------------------------------------------
MAILERS = mailers_from_url(env_str("EMAIL_URL"), str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Fanfold <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Static files and media ---------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "fanfold.lib.staticfiles.StaticStorage"},
}
# Files are found in the source tree too, so tests and a fresh checkout need no
# collectstatic; `make run` collects them for hashed, compressed serving.
WHITENOISE_USE_FINDERS = True

# --- Internationalisation -----------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = False  # English-only interface for now; see docs/ARCHITECTURE.md
USE_TZ = True

# --- Archive ------------------------------------------------------------------------
SITE_NAME = env_str("SITE_NAME", "Fanfold")
# The archive's public address, for links in emails the worker sends (no request there).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
STORIES_PER_PAGE = env_int("STORIES_PER_PAGE", 20, minimum=1)
REVIEWS_PER_PAGE = env_int("REVIEWS_PER_PAGE", 25, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
