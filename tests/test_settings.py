"""The settings refuse an unsafe production start and default to Vietnamese."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

PRODUCTION_ENV = Path(settings.BASE_DIR) / "production.env.example"


def python(*args, **env):
    """Python with `args`, in the project folder, with `env` and none of this run's DJANGO_
    and DATABASE_ variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, *args],
        env={**clean, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def manage(*args, **env):
    return python("manage.py", *args, **env)


def run_check(**env):
    return manage("check", **env)


def setting(name: str, **env) -> str:
    """The repr of one setting as the portal computes it from `env` (Django's default when
    the portal leaves it unset; None when neither sets it). The settings module alone is
    imported, in a clean interpreter: a sixth of the time of `manage.py shell`, which also
    loads every app."""
    code = (
        "from django.conf import global_settings; import chinhquyen.settings as s; "
        f"print(repr(getattr(s, {name!r}, getattr(global_settings, {name!r}, None))))"
    )
    result = python("-c", code, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def production_env(tmp_path) -> dict[str, str]:
    """production.env.example as the service gets it: a fresh key, /srv/cqtt in tmp_path.
    Read by `sh` as the README's guide and backup schedule read it (`set -a; . file`);
    systemd's EnvironmentFile= gives the same values (it takes off the same double quotes)."""
    names = [
        line.partition("=")[0].strip()
        for line in PRODUCTION_ENV.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    script = (
        'f=$1; shift; set -a; . "$f"; set +a; for n; do printf "%s\\0" "$(printenv "$n")"; done'
    )
    result = subprocess.run(
        ["sh", "-c", script, "sh", str(PRODUCTION_ENV), *names],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        check=True,
    )
    values = result.stdout.decode().split("\0")
    env = {
        name: value.replace("/srv/cqtt", str(tmp_path))
        for name, value in zip(names, values, strict=False)
    }
    assert env["DJANGO_SECRET_KEY"] == "", "the example must never carry a real key"
    env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    for name in ("DJANGO_STATIC_ROOT", "DJANGO_MEDIA_ROOT", "DJANGO_UPLOAD_TEMP_DIR"):
        Path(env[name]).mkdir(parents=True)
    return env


def test_production_mode_refuses_the_development_key():
    result = run_check()
    assert result.returncode != 0
    assert "needs DJANGO_SECRET_KEY" in result.stderr


def test_production_mode_starts_with_a_real_key():
    result = run_check(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50), DJANGO_ALLOWED_HOSTS="cqtt.example.vn"
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "short-key-1234",
        secrets.token_urlsafe(60)[:49],  # one character short
        "ab" * 40,  # long, but only two different characters
        "django-insecure-" + secrets.token_urlsafe(50),  # what startproject writes
    ],
)
def test_production_mode_refuses_a_weak_key(key):
    result = run_check(DJANGO_SECRET_KEY=key, DJANGO_ALLOWED_HOSTS="cqtt.example.vn")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is too weak for production" in result.stderr
    assert key not in result.stderr  # the message never echoes the key


def test_development_mode_starts_with_no_configuration():
    assert run_check(DJANGO_DEBUG="1").returncode == 0


def test_check_deploy_has_nothing_to_say_about_the_documented_configuration(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output


def test_check_deploy_does_complain_when_a_policy_is_off(tmp_path):
    env = {**production_env(tmp_path), "DJANGO_SECURE_HSTS_SECONDS": "0"}
    env["DJANGO_SECURE_SSL_REDIRECT"] = "0"
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    assert "security.W004" in result.stderr
    assert "security.W008" in result.stderr


def test_production_defaults_turn_https_on(tmp_path):
    env = production_env(tmp_path)
    for name in [n for n in env if n.startswith("DJANGO_SECURE_")]:
        del env[name]  # nothing said: the defaults
    assert setting("SECURE_SSL_REDIRECT", **env) == "True"
    assert setting("SECURE_HSTS_SECONDS", **env) == "31536000"
    assert setting("SECURE_HSTS_INCLUDE_SUBDOMAINS", **env) == "True"
    assert setting("SECURE_HSTS_PRELOAD", **env) == "False"
    assert setting("SESSION_COOKIE_SECURE", **env) == "True"
    assert setting("CSRF_COOKIE_SECURE", **env) == "True"
    assert setting("X_FRAME_OPTIONS", **env) == "'DENY'"


def test_behind_a_proxy_the_forwarded_protocol_counts(tmp_path):
    env = production_env(tmp_path)
    assert setting("SECURE_PROXY_SSL_HEADER", **env) == "('HTTP_X_FORWARDED_PROTO', 'https')"
    del env["DJANGO_SECURE_PROXY_SSL_HEADER"]
    assert setting("SECURE_PROXY_SSL_HEADER", **env) == "None"


def test_only_the_tests_serve_axe_core(tmp_path):
    """axe-core (npm, node_modules/) is a test tool: tests/settings.py serves it; the portal's
    settings never do, in production or in development."""
    assert "node_modules" not in setting("STATICFILES_DIRS", **production_env(tmp_path))
    assert "node_modules" not in setting("STATICFILES_DIRS", DJANGO_DEBUG="1")
    assert ("test-vendor/axe", Path(settings.BASE_DIR) / "node_modules" / "axe-core") in (
        settings.STATICFILES_DIRS
    )


def test_development_mode_serves_plain_http():
    assert setting("SECURE_SSL_REDIRECT", DJANGO_DEBUG="1") == "False"
    assert setting("SECURE_HSTS_SECONDS", DJANGO_DEBUG="1") == "0"
    assert setting("SESSION_COOKIE_SECURE", DJANGO_DEBUG="1") == "False"


def test_csp_can_be_tried_in_report_only_mode():
    env = {"DJANGO_DEBUG": "1", "DJANGO_CSP_REPORT_URI": "/csp-report/"}
    assert "script-src" in setting("CONTENT_SECURITY_POLICY", **env)
    report_only = {**env, "DJANGO_CSP_REPORT_ONLY": "1"}
    assert setting("CONTENT_SECURITY_POLICY", **report_only) == "None"
    policy = setting("CONTENT_SECURITY_POLICY_REPORT_ONLY", **report_only)
    assert "'report-uri': ['/csp-report/']" in policy


def test_language_and_time_zone():
    assert settings.LANGUAGE_CODE == "vi"
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"


def test_production_serves_static_files_by_whitenoise_with_hashed_names(tmp_path):
    env = production_env(tmp_path)
    middleware = setting("MIDDLEWARE", **env)
    assert (
        "'django.middleware.security.SecurityMiddleware', "
        "'whitenoise.middleware.WhiteNoiseMiddleware'"
    ) in middleware
    assert "chinhquyen.staticfiles.StaticFilesStorage" in setting("STORAGES", **env)
    # runserver serves them in development, as before.
    assert "whitenoise" not in setting("MIDDLEWARE", DJANGO_DEBUG="1")


def test_redis_url_makes_the_default_cache_shared():
    """Two nodes share rate limits and throttles through Redis (127.0.0.1:6379 here and on CI)."""
    assert setting("CACHES", DJANGO_DEBUG="1", REDIS_URL="").count("LocMemCache") == 1
    code = (
        "from django.core.cache import caches; cache = caches['default']; cache.set('cqtt-probe', 41); "
        "print(type(cache).__name__, cache.incr('cqtt-probe'))"
    )
    redis = {"DJANGO_DEBUG": "1", "REDIS_URL": "redis://127.0.0.1:6379/13"}
    result = manage("shell", "-v", "0", "-c", code, **redis)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["RedisCache", "42"]
    again = manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from django.core.cache import cache; print(cache.get('cqtt-probe')); "
        "cache.delete('cqtt-probe')",
        **redis,
    )
    assert again.stdout.strip() == "42"  # another process reads what the first one wrote


def test_the_example_reads_the_same_for_sh_and_for_the_portal(tmp_path):
    """A value with spaces is quoted in the example, so `sh` (the guide, the backup schedule)
    reads it whole; the database is reached through the local socket (peer authentication)."""
    env = production_env(tmp_path)
    assert env["DEFAULT_FROM_EMAIL"] == "Chính quyền thân thiện <no-reply@example.gov.vn>"
    assert setting("DEFAULT_FROM_EMAIL", **env) == repr(env["DEFAULT_FROM_EMAIL"])
    database = setting("DATABASES", **env)
    assert "'HOST': '/var/run/postgresql'" in database and "'NAME': 'cqtt'" in database


def test_redis_url_makes_the_documents_cache_shared_too():
    """The worker's draft PDFs must be seen by every web node: with REDIS_URL the documents
    cache is Redis, under its own prefix; without it, the file cache."""
    assert "FileBasedCache" in setting("CACHES", DJANGO_DEBUG="1", REDIS_URL="")
    code = (
        "from django.core.cache import caches; documents = caches['documents']; "
        "documents.set('pdf-probe', b'%PDF', 60); "
        "print(type(documents).__name__, documents.make_key('pdf-probe'), "
        "caches['default'].get('pdf-probe'))"
    )
    redis = {"DJANGO_DEBUG": "1", "REDIS_URL": "redis://127.0.0.1:6379/11"}
    result = manage("shell", "-v", "0", "-c", code, **redis)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["RedisCache", "cqtt-documents:1:pdf-probe", "None"]
    again = manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from django.core.cache import caches; d = caches['documents']; "
        "print(d.get('pdf-probe')); d.delete('pdf-probe')",
        **redis,
    )
    assert again.stdout.strip() == "b'%PDF'"  # another process reads what the first one wrote
