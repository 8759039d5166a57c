"""A real Celery worker for the tests marked `worker` (Redis on 127.0.0.1:6379): the database
it reads, the environment it runs in, and starting it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection


def worker_database(tmp_path: Path) -> str:
    """A DATABASE_URL for the worker process that holds what this test committed."""
    if connection.vendor == "sqlite":  # the test database lives in memory: copy it to a file
        path = tmp_path / "worker.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(path) as target:
            connection.connection.backup(target)
        target.close()
        return f"sqlite:///{path}"
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def worker_env(database_url: str, media_root: Path, broker: str, **extra: str) -> dict:
    """The test settings, the test's database and files, the broker (and `extra`)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": database_url,
        "DJANGO_MEDIA_ROOT": str(media_root),
        "CELERY_BROKER_URL": broker,
        **extra,
    }


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    """One worker process, one task at a time, its output appended to `log`."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "chinhquyen", "worker", "--concurrency", "1"]
            + ["--loglevel", "INFO", "--without-gossip", "--without-mingle"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
