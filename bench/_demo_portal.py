"""A throw-away portal for the benchmarks: settings pointed at a temporary folder, Django set
up, migrated, and the demo loaded (with the seed report's outcome). Not a benchmark itself:
`make bench` skips files starting with "_"."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def demo_portal(work: Path, *, password: str = "x", **extra_env: str):
    """Set the environment (SQLite, media and document cache under `work`), set Django up,
    migrate and load the demo; returns xã Nghi Dương's assessment."""
    os.environ.update(
        {
            "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "1"),
            "DJANGO_SETTINGS_MODULE": "chinhquyen.settings",
            "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",  # sqlite:////tmp/…
            "DJANGO_MEDIA_ROOT": str(work / "media"),
            "DJANGO_DOCUMENT_CACHE": str(work / "cache"),
            "DJANGO_LOG_LEVEL": "WARNING",
            **extra_env,
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from assessments.demo import demo_load
    from assessments.models import Assessment

    call_command("migrate", verbosity=0)
    demo_load(password=password)
    return Assessment.objects.get(commune__name="Nghi Dương")
