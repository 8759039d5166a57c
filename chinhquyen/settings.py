"""Settings for the Chính quyền thân thiện portal.

Everything that differs between a laptop and a server comes from environment variables.
With none set, the portal refuses to start: production mode is the default, and it needs a
real DJANGO_SECRET_KEY. `make run` sets DJANGO_DEBUG=1 for local use.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
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
# The key signs sessions, password-reset links and CSRF tokens: the same rule as Django's
# security.W009, but production refuses to start rather than warn.
if not DEBUG and (
    len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")
):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is too weak for production: it needs at least 50 random characters "
        "(at least 5 different ones, not starting with 'django-insecure-'). Generate one with "
        "`python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`."
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
    "notifications",
    "accounts.apps.AxesConfig",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "administration",
    "appraisal",
    "audit",
    "ops",  # backup and restore (issue 15)
    "jobs",  # work that does not hold a request: dossier, exports, PDFs (issue 15)
]

MIDDLEWARE = [
    # First: the request id is on every response and every log line (chinhquyen/requestlog.py).
    "chinhquyen.requestlog.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Where each request comes from, for the audit trail (audit.services.audit_record).
    "audit.middleware.AuditContextMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CsrfViewMiddleware, whose process_view reads the body (guards/throttle.py).
    "guards.throttle.RateLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Cache-Control: private, no-store for signed-in users and files (outside the upload
    # policy, so that its 413 answers are covered too).
    "guards.headers.PrivateCacheMiddleware",
    # Before anything reads request.POST: decides whether the body may carry files at all.
    "guards.uploads.UploadPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: an expired session is ended with a message on the login page.
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
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

# Django's rules with Vietnamese messages (accounts/passwords.py).
PASSWORD_MIN_LENGTH = int(os.environ.get("PASSWORD_MIN_LENGTH", 10))
# Django's default hashers, with PBKDF2-SHA256 computed in a low-priority pool of threads
# (accounts/hashers.py: the same hashes; a burst of logins does not slow the pages). Django
# picks the last hasher of an algorithm, so the plain PBKDF2PasswordHasher is not listed.
PASSWORD_HASHERS = [
    "accounts.hashers.YieldingPBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_HASH_THREADS = int(os.environ.get("LOGIN_HASH_THREADS", 2))
LOGIN_HASH_NICE = int(os.environ.get("LOGIN_HASH_NICE", 10))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "accounts.passwords.UserAttributeSimilarityValidator"},
    {
        "NAME": "accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "accounts.passwords.CommonPasswordValidator"},
    {"NAME": "accounts.passwords.NumericPasswordValidator"},
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
# Evidence files and issued documents (PDFs, dossiers, signing keys): private storages, never
# served by URL (guards/storage.py). Another backend (e.g. S3) is a change here only.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "evidence": {"BACKEND": "guards.storage.PrivateStorage", "OPTIONS": {"folder": "evidence"}},
    "documents": {"BACKEND": "guards.storage.PrivateStorage", "OPTIONS": {"folder": "documents"}},
}

# Files in S3-compatible storage (issue 15): with STORAGE_S3_BUCKET set, evidence and issued
# documents go to that bucket under their own key prefixes, private (no public URL; every
# download still goes through the permission-checked views, streamed by the portal).
STORAGE_S3_BUCKET = os.environ.get("STORAGE_S3_BUCKET", "")
if STORAGE_S3_BUCKET:
    _s3_prefix = os.environ.get("STORAGE_S3_PREFIX", "").strip("/")
    _s3_options = {
        "bucket_name": STORAGE_S3_BUCKET,
        "endpoint_url": os.environ.get("STORAGE_S3_ENDPOINT_URL") or None,
        "access_key": os.environ.get("STORAGE_S3_ACCESS_KEY_ID") or None,
        "secret_key": os.environ.get("STORAGE_S3_SECRET_ACCESS_KEY") or None,
        "region_name": os.environ.get("STORAGE_S3_REGION") or None,
        # "path" for MinIO and most servers on a plain host name; unset: boto3 chooses.
        "addressing_style": os.environ.get("STORAGE_S3_ADDRESSING_STYLE") or None,
    }
    for _alias in ("evidence", "documents"):
        STORAGES[_alias] = {
            "BACKEND": "guards.storage.PrivateS3Storage",
            "OPTIONS": {
                **_s3_options,
                "location": "/".join(part for part in (_s3_prefix, _alias) if part),
            },
        }

# "documents" keeps rendered PDFs by the hash of their HTML, shared by the server's processes.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "documents": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("DJANGO_DOCUMENT_CACHE", str(BASE_DIR / "var" / "cache")),
        "OPTIONS": {"MAX_ENTRIES": 500},
    },
}
# Several application nodes share one cache: with REDIS_URL (redis://127.0.0.1:6379/1) the
# default cache (rate limits of the verification page, throttles, short-lived state, the data
# versions of guards/versions.py and the results computed under them) is Redis, not each
# process's memory. The "documents" cache keeps draft PDFs under their data version (made by
# the worker, read by every web node) and by the hash of their HTML: with REDIS_URL it is
# Redis too (its own key prefix), since a per-node folder would never see the worker's PDF;
# without it, the folder above (one process or one machine). Issued documents are stored
# files, never cached. Sessions are in the database.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "cqtt",
    }
    CACHES["documents"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "cqtt-documents",
        "TIMEOUT": 7 * 24 * 3600,
    }

# Printed in the QR code of issued documents: where the verification page is reachable.
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000")

# Email for notifications (notifications/): printed to the console unless an SMTP server is
# given. People can turn their own email off in the portal.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Chính quyền thân thiện <no-reply@localhost>"
)
# Worker processes that lay out PDFs beside the request's own process (report and appendix
# side by side); 0 renders everything in the request's process.
RENDER_WORKERS = int(os.environ.get("RENDER_WORKERS", "1"))
# PAdES B-T when a timestamp service is configured (e.g. the Ban Cơ yếu TSA); B-B otherwise.
SIGNING_TSA_URL = os.environ.get("SIGNING_TSA_URL", "")
# Extra trusted roots for verification (PEM files), besides those in the admin.
SIGNING_TRUST_ROOTS = env_list("SIGNING_TRUST_ROOTS")
# Roots for tests and demos only (PEM files): signatures under them are shown as
# "THỬ NGHIỆM – không có giá trị pháp lý", never as trusted.
SIGNING_TEST_TRUST_ROOTS = env_list("SIGNING_TEST_TRUST_ROOTS")
# Remote signing (the signer confirms on the phone) through a Cloud Signature Consortium API
# service, e.g. https://csc.example.vn (the part before /csc/v1/...); the portal logs in with
# its client id and secret (CSC auth/login). A request not confirmed within
# SIGNING_CSC_TIMEOUT_SECONDS expires. SIGNING_REMOTE_BACKEND names another provider's class
# (docs/issue12-csc.md).
SIGNING_CSC_URL = os.environ.get("SIGNING_CSC_URL", "").rstrip("/")
SIGNING_CSC_CLIENT_ID = os.environ.get("SIGNING_CSC_CLIENT_ID", "")
SIGNING_CSC_CLIENT_SECRET = os.environ.get("SIGNING_CSC_CLIENT_SECRET", "")
SIGNING_CSC_TIMEOUT_SECONDS = int(os.environ.get("SIGNING_CSC_TIMEOUT_SECONDS", "300"))
SIGNING_REMOTE_BACKEND = os.environ.get("SIGNING_REMOTE_BACKEND", "reports.signing.csc.CSCService")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"  # no page of the portal is ever shown in a frame
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# HTTPS. On by default in production, off with DJANGO_DEBUG=1 (`make run` serves plain HTTP on
# 127.0.0.1). Behind a reverse proxy that terminates TLS, DJANGO_SECURE_PROXY_SSL_HEADER names
# the header the proxy sets to "https" (e.g. X-Forwarded-Proto); set it only if the proxy
# always overwrites that header, or a client could claim HTTPS.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
if proxy_header := os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER", "").strip():
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + proxy_header.upper().replace("-", "_"), "https")
SECURE_HSTS_SECONDS = int(
    os.environ.get("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading binds the whole registrable domain (e.g. haiphong.gov.vn) in every browser for
# months; that is its owner's decision, so the portal only sends the token when asked.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): scripts and styles only from the portal's own static
# files; no inline script, no style attributes (templates pass data in data-* attributes and
# static/js/portal.js applies it). Bootstrap's CSS draws its small icons (select arrow, close
# button, menu toggler) as data: SVG images. The report and appendix previews allow their
# one <style> element by nonce (reports/views/report.py). DJANGO_CSP_REPORT_ONLY=1 sends the
# policy as Content-Security-Policy-Report-Only to try it out; DJANGO_CSP_REPORT_URI collects
# violation reports.
CSP_DIRECTIVES = {
    "default-src": [SELF],
    "script-src": [SELF],
    "style-src": [SELF],
    "img-src": [SELF, "data:"],
    "font-src": [SELF],
    "connect-src": [SELF],
    "object-src": [NONE],
    "base-uri": [SELF],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
}
if csp_report_uri := os.environ.get("DJANGO_CSP_REPORT_URI", "").strip():
    CSP_DIRECTIVES["report-uri"] = [csp_report_uri]
if env_bool("DJANGO_CSP_REPORT_ONLY"):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": CSP_DIRECTIVES}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": CSP_DIRECTIVES}

# Permissions-Policy (django-permissions-policy): powerful browser features off for every
# page; the camera stays available to the portal's own pages for taking evidence photos.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "browsing-topics": [],
    "camera": ["self"],
    "display-capture": [],
    "encrypted-media": [],
    "fullscreen": ["self"],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "idle-detection": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "publickey-credentials-get": [],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "chinhquyen.requestlog.RequestIdFilter"}},
    "formatters": {
        # LOG_FORMAT=json (see "Application server" below): one JSON object per line.
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            # ISO 8601 in UTC (the portal's processes run in Asia/Ho_Chi_Minh, gunicorn's master
            # in the server's zone: local times would not compare).
            "timestamp": "time",
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # WeasyPrint logs every layout step at INFO; only its warnings matter.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Failed logins and lockouts are warnings; every successful login is not news.
        "axes": {"level": "WARNING"},
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
# The evidence ZIP is streamed in the request up to these many files and bytes (the files'
# total size); a larger selection is written by the worker, with a progress page (jobs/).
EVIDENCE_ZIP_IN_REQUEST_MAX_BYTES = int(
    os.environ.get("EVIDENCE_ZIP_IN_REQUEST_MAX_BYTES", 50 * 1024 * 1024)
)
EVIDENCE_ZIP_IN_REQUEST_MAX_FILES = int(os.environ.get("EVIDENCE_ZIP_IN_REQUEST_MAX_FILES", 200))
ADMIN_MAX_UPLOAD_SIZE = int(os.environ.get("ADMIN_MAX_UPLOAD_SIZE", 10 * 1024 * 1024))
VERIFY_MAX_UPLOAD_SIZE = int(os.environ.get("VERIFY_MAX_UPLOAD_SIZE", 30 * 1024 * 1024))
# The public verification page, per client address (django-ratelimit rates: "60/m", "5/h").
VERIFY_RATE_GET = os.environ.get("VERIFY_RATE_GET", "60/m")
VERIFY_RATE_POST = os.environ.get("VERIFY_RATE_POST", "10/m")
# An uploaded PDF is checked in a child process with these limits (guards/bounded.py).
# A signed 29 MB PDF takes about 80 MB and 0.2 s; a hostile one of that size 1.1 GB and 50 s.
VERIFY_CHECK_MEMORY_MB = int(os.environ.get("VERIFY_CHECK_MEMORY_MB", 384))
VERIFY_CHECK_CPU_SECONDS = int(os.environ.get("VERIFY_CHECK_CPU_SECONDS", 5))
VERIFY_CHECK_WALL_SECONDS = float(os.environ.get("VERIFY_CHECK_WALL_SECONDS", 15))
# How long a validation is reused (per file and set of trust roots); certificates expire.
VERIFY_CACHE_SECONDS = int(os.environ.get("VERIFY_CACHE_SECONDS", 3600))
# Reverse proxies in front of the portal that append to X-Forwarded-For (guards/net.py).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", 0))
# Children that parse untrusted files (guards/bounded.py) at once per server process.
BOUNDED_MAX_PARALLEL = int(os.environ.get("BOUNDED_MAX_PARALLEL", 2))
# Previews of uploaded images and PDFs are drawn in such a child (evidence/thumbs.py); a file
# over these limits is stored without a preview. An image is judged by its decoded size (with
# the decoder's own full-size buffers) before a pixel is decoded.
THUMBNAIL_MEMORY_MB = int(os.environ.get("THUMBNAIL_MEMORY_MB", 384))
THUMBNAIL_CPU_SECONDS = int(os.environ.get("THUMBNAIL_CPU_SECONDS", 10))
THUMBNAIL_WALL_SECONDS = float(os.environ.get("THUMBNAIL_WALL_SECONDS", 20))
THUMBNAIL_MAX_DECODED_MB = int(os.environ.get("THUMBNAIL_MAX_DECODED_MB", 256))
# The thumbnail's process runs this much nicer than the server (0 to 19): nobody waits for it.
THUMBNAIL_NICE = int(os.environ.get("THUMBNAIL_NICE", 10))
# Criteria workbooks (criteria/xlsx.py): rows of the first sheet, and the uncompressed size of
# the workbook's parts, checked before the file is opened.
CRITERIA_IMPORT_MAX_ROWS = int(os.environ.get("CRITERIA_IMPORT_MAX_ROWS", 2000))
CRITERIA_IMPORT_MAX_XML_MB = int(os.environ.get("CRITERIA_IMPORT_MAX_XML_MB", 10))

# -- Logins (accounts/) ---------------------------------------------------------------------------
# django-axes: an account is locked after LOGIN_FAILURE_LIMIT wrong passwords, an address after
# LOGIN_ADDRESS_FAILURE_LIMIT (higher: a commune office shares one public address), each for
# LOGIN_COOLOFF_MINUTES after the last failure. An administrator unlocks in the admin.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", 5))
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", 20))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "guards.net.client_ip"
# A wrong password while locked does not push the end of the lockout further away, so the
# time the lockout page gives is the time it ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False

# Second factor (TOTP, django-otp). Which roles need it is data (accounts.TwoFactorRule, in the
# admin); OTP_ENFORCE switches the requirement on, by default everywhere but development.
OTP_ENFORCE = env_bool("OTP_ENFORCE", not DEBUG)
OTP_TOTP_ISSUER = "Chính quyền thân thiện"
TWO_FACTOR_RECOVERY_CODES = 10

# A session ends after SESSION_IDLE_MINUTES without a request, and SESSION_MAX_HOURS after
# the login whatever happens (accounts/middleware.py).
SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", 30))
SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", 10))
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60

# Wrong passphrases or PINs for one signing key: SIGNING_FAILURE_LIMIT per person and
# SIGNING_KEY_FAILURE_LIMIT in all within SIGNING_FAILURE_WINDOW_MINUTES, then signing with
# that key waits (reports/services/signing_attempts.py).
SIGNING_FAILURE_LIMIT = int(os.environ.get("SIGNING_FAILURE_LIMIT", 5))
SIGNING_KEY_FAILURE_LIMIT = int(os.environ.get("SIGNING_KEY_FAILURE_LIMIT", 10))
SIGNING_FAILURE_WINDOW_MINUTES = int(os.environ.get("SIGNING_FAILURE_WINDOW_MINUTES", 15))

# -- Application server (issue 15: gunicorn.conf.py, README "Production") ---------------------
# Static files: WhiteNoise answers /static/ from STATIC_ROOT (filled by `manage.py
# collectstatic`) before any other middleware, unless the front web server serves that folder
# itself (STATIC_BY_WHITENOISE=0). In production the collected files carry a hash of their
# content in their name and a compressed copy beside them, cached for ever by browsers
# (chinhquyen/staticfiles.py).
# runserver (DJANGO_DEBUG=1) serves them itself as before.
STATIC_BY_WHITENOISE = env_bool("STATIC_BY_WHITENOISE", not DEBUG)
if STATIC_BY_WHITENOISE:
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )
if not DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "chinhquyen.staticfiles.StaticFilesStorage"}
# The load balancer asks /suc-khoe/ over plain HTTP on the node's own address.
SECURE_REDIRECT_EXEMPT = [r"^suc-khoe/$"]
# LOG_FORMAT=json: the console writes JSON lines (time, level, logger, message, request_id,
# and method, path, status, duration_ms on the request lines); human-readable otherwise.
# REQUEST_LOG: one line per request on the "portal.request" logger (on with JSON logs).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT == "json":
    LOGGING["handlers"]["console"]["formatter"] = "json"
REQUEST_LOG = env_bool("REQUEST_LOG", LOG_FORMAT == "json")

# -- Task workers (Celery; README "Task workers") ----------------------------------------------
# With CELERY_BROKER_URL (redis://host:6379/0) tasks go to `make worker`; without it they run
# in the process that starts them, at the commit, so `make run` needs no other service.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# Without a broker, the tasks nobody waits for (thumbnails) run after the response in this
# many threads of each web process (jobs/background.py); 0 runs them in the request.
BACKGROUND_THREADS = int(os.environ.get("BACKGROUND_THREADS", 1))
# Results are kept only where a backend is named (redis://…); nothing in the portal reads them.
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
# A task is acknowledged when it ends, and a worker killed mid-task gives it back to the
# broker: it runs again (every task is idempotent). One task at a time per worker process.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis hands a task whose worker died without acknowledging it to another worker after
# CELERY_VISIBILITY_TIMEOUT seconds (Redis' default, one hour, unless set). It must exceed the
# longest task, or a task still running is handed out a second time (jobs are idempotent, but
# the work is done twice). The cluster test sets 20 s. The worker looks for such tasks every
# 10 s (kombu's default throttle made it every 100 s: one small Redis query either way).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", 3600)),
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
}
# Threads, not forked processes: the decoders of a preview already run in a bounded child of
# their own (guards/bounded.py), which a daemonic prefork process may not start.
CELERY_WORKER_POOL = "threads"
CELERY_WORKER_CONCURRENCY = int(os.environ.get("CELERY_WORKER_CONCURRENCY", 2))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# `make beat`: the reminders every morning (the same as cron running `manage.py send_reminders`).
CELERY_BEAT_SCHEDULE = {
    "send-reminders": {
        "task": "assessments.send_reminders",
        "schedule": crontab(
            hour=int(os.environ.get("REMINDERS_HOUR", 7)),
            minute=int(os.environ.get("REMINDERS_MINUTE", 0)),
        ),
    },
}
