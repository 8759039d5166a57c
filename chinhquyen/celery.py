"""The Celery application (README "Task workers").

With CELERY_BROKER_URL set, tasks go through the broker (Redis) to `make worker`, and
`make beat` starts the scheduled ones (settings.CELERY_BEAT_SCHEDULE). Without it every task
runs in the process that starts it (CELERY_TASK_ALWAYS_EAGER), so `make run` needs no service.
Tasks live in each app's tasks.py and are found by autodiscovery.
"""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chinhquyen.settings")

app = Celery("chinhquyen")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _warm_up(**kwargs: object) -> None:
    """Each worker process loads the object store's client before its first task (a
    thumbnail right after an upload, most often), as gunicorn's workers do."""
    from guards.storage import warm_up  # noqa: PLC0415  (Django is set up by then)

    warm_up()
