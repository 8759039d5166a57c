"""Settings for the Chính quyền thân thiện portal.

Everything that differs between a laptop and a server comes from environment variables.
With none set, the portal refuses to start: production mode is the default, and it needs a
real DJANGO_SECRET_KEY. `make run` sets DJANGO_DEBUG=1 for local use.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")

DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "Production mode (DJANGO_DEBUG is off) needs DJANGO_SECRET_KEY. "
        "For local use run `make run`, or set DJANGO_DEBUG=1."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "import_export",
    "django_htmx",
    "criteria",
    "assessments",
    "evidence",
    "reports",
    "guards",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Where each request comes from, for the audit trail (audit.services.audit_record).
    "audit.middleware.AuditContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before anything reads request.POST: decides whether the body may carry files at all.
    "guards.uploads.UploadPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "chinhquyen.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "assessments.context_processors.membership",
            ],
        },
    },
]

WSGI_APPLICATION = "chinhquyen.wsgi.application"

# SQLite with no set-up; PostgreSQL in production through DATABASE_URL,
# e.g. postgres://postgres@127.0.0.1:5432/chinhquyen
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["chinhquyen.formats"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "var" / "staticfiles"))

# Uploaded evidence is never served from a public URL: downloads go through a view that
# checks permissions. MEDIA_URL is therefore unused on purpose.
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "var" / "media"))

# "documents" keeps rendered PDFs by the hash of their HTML, shared by the server's processes.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "documents": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("DJANGO_DOCUMENT_CACHE", str(BASE_DIR / "var" / "cache")),
        "OPTIONS": {"MAX_ENTRIES": 500},
    },
}

# Printed in the QR code of issued documents: where the verification page is reachable.
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000")
# Worker processes that lay out PDFs beside the request's own process (report and appendix
# side by side); 0 renders everything in the request's process.
RENDER_WORKERS = int(os.environ.get("RENDER_WORKERS", "1"))
# PAdES B-T when a timestamp service is configured (e.g. the Ban Cơ yếu TSA); B-B otherwise.
SIGNING_TSA_URL = os.environ.get("SIGNING_TSA_URL", "")
# Extra trusted roots for verification (PEM files), besides those in the admin.
SIGNING_TRUST_ROOTS = env_list("SIGNING_TRUST_ROOTS")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # WeasyPrint logs every layout step at INFO; only its warnings matter.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Files are accepted only by views marked @accepts_files (guards/uploads.py), streamed to
# temporary files in FILE_UPLOAD_TEMP_DIR (never whole in memory); a file over the limit is
# skipped with a message. Elsewhere file parts are dropped unread.
FILE_UPLOAD_HANDLERS = ["guards.uploads.RefuseFilesHandler"]
FILE_UPLOAD_TEMP_DIR = Path(
    os.environ.get("DJANGO_UPLOAD_TEMP_DIR", BASE_DIR / "var" / "tmp" / "uploads")
)
UPLOAD_TEMP_MAX_AGE = int(os.environ.get("UPLOAD_TEMP_MAX_AGE", 3 * 3600))
UPLOAD_TEMP_SWEEP_INTERVAL = 600
DATA_UPLOAD_MAX_NUMBER_FILES = 5
EVIDENCE_MAX_UPLOAD_SIZE = int(os.environ.get("EVIDENCE_MAX_UPLOAD_SIZE", 50 * 1024 * 1024))
EVIDENCE_MAX_IMAGE_PIXELS = int(os.environ.get("EVIDENCE_MAX_IMAGE_PIXELS", 120_000_000))
ADMIN_MAX_UPLOAD_SIZE = int(os.environ.get("ADMIN_MAX_UPLOAD_SIZE", 10 * 1024 * 1024))
VERIFY_MAX_UPLOAD_SIZE = int(os.environ.get("VERIFY_MAX_UPLOAD_SIZE", 30 * 1024 * 1024))
# Reverse proxies in front of the portal that append to X-Forwarded-For (nginx alone: 1).
# 0 ignores the header: the client address is REMOTE_ADDR (guards/net.py).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# Children that parse untrusted files (guards/bounded.py) at once per server process.
BOUNDED_MAX_PARALLEL = int(os.environ.get("BOUNDED_MAX_PARALLEL", 2))
