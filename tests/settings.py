"""Test settings: the real settings, with a test key and a fast password hasher."""

import os

# Production mode (DJANGO_DEBUG unset) refuses keys shorter than 50 characters.
os.environ.setdefault(
    "DJANGO_SECRET_KEY", "test-only-key-7Qm2vX9pL4sT8wZ1bN6cR3dF5gH0jK-not-for-production"
)

from chinhquyen.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,  # noqa: F405 (the private "evidence" and "documents" storages)
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "documents": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
}

# The test client and the live server speak plain HTTP; tests/test_browser_policies.py
# turns the redirect back on where it checks it.
SECURE_SSL_REDIRECT = False

# Tests render in their own process (one test below starts the worker on purpose).
RENDER_WORKERS = 0

# The second factor is off here so the demo personas log in with a password; the tests of
# the second factor switch it on (tests/accounts/).
OTP_ENFORCE = False

# axe-core from npm (package.json, `npm ci`), served to the accessibility browser tests at
# /static/test-vendor/axe/axe.min.js. Production settings never list node_modules.
STATICFILES_DIRS = [
    *STATICFILES_DIRS,  # noqa: F405
    ("test-vendor/axe", BASE_DIR / "node_modules" / "axe-core"),  # noqa: F405
]

# A worker started by tests/reports/test_jobs.py writes issued documents slowly, so that it can
# be killed while it writes a dossier.
if os.environ.get("TEST_SLOW_WRITES"):
    STORAGES["documents"] = {
        **STORAGES["documents"],
        "BACKEND": "tests.slow_storage.SlowPrivateStorage",
    }

# Thumbnails are drawn in the upload's request, at the commit, so that a test sees them at
# once; tests/evidence/test_background.py switches the background threads on.
BACKGROUND_THREADS = 0
