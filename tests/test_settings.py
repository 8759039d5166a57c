"""The settings refuse an unsafe production start and default to Vietnamese."""

import os
import subprocess
import sys

from django.conf import settings


def run_check(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        env={**clean, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_mode_refuses_the_development_key():
    result = run_check()
    assert result.returncode != 0
    assert "needs DJANGO_SECRET_KEY" in result.stderr


def test_production_mode_starts_with_a_real_key():
    result = run_check(DJANGO_SECRET_KEY="x" * 50, DJANGO_ALLOWED_HOSTS="cqtt.example.vn")
    assert result.returncode == 0, result.stderr


def test_development_mode_starts_with_no_configuration():
    assert run_check(DJANGO_DEBUG="1").returncode == 0


def test_language_and_time_zone():
    assert settings.LANGUAGE_CODE == "vi"
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"
