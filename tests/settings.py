"""Test settings: the real settings, with a test key and a fast password hasher."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-key")

from chinhquyen.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "documents": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
}

# Tests render in their own process (one test below starts the worker on purpose).
RENDER_WORKERS = 0

# The second factor is off here so the demo personas log in with a password; the tests of
# the second factor switch it on (tests/accounts/).
OTP_ENFORCE = False
