"""Tasks that nobody waits for, started after the response even without a broker.

With CELERY_BROKER_URL, `send(task, ...)` is `task.delay(...)`: a worker runs it. Without a
broker (the embedded default, `make run`) Celery runs a task in the thread that starts it,
which for a thumbnail is the upload's request: the uploader would wait for a picture they do
not need yet, and in a storm every upload would queue behind the others' thumbnails. `send`
hands such a task to a small pool of BACKGROUND_THREADS threads of this process instead: the
response goes at once, and at most that many such tasks run at the same time (the rest wait
in the pool's queue, in order). BACKGROUND_THREADS=0 runs the task in the caller, as before.

A task queued here lives in this process only: the process ending waits for the queue (the
pool's threads are joined at exit), but a process killed, or stopped past its graceful
timeout, loses what was queued. Every task sent here is idempotent and leaves its pending
state in the database, so the command that starts them again (`manage.py make_previews`)
redoes what was lost; `make run` calls it at every start.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from typing import Any

from django.conf import settings
from django.db import connections

from guards.pools import ProcessPool

log = logging.getLogger(__name__)

_pool = ProcessPool("background", lambda: settings.BACKGROUND_THREADS)
_lock = threading.Lock()
# What this process queued and has not finished, by process id: a forked child starts with
# its parent's set, whose tasks it will never run.
_pending: dict[int, set[Future]] = {}


def in_background() -> bool:
    """True when `send` queues in this process (no broker, BACKGROUND_THREADS above 0)."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER) and settings.BACKGROUND_THREADS > 0


def runs_in_caller() -> bool:
    """True when `send` runs the task at once in the caller (no broker, no threads)."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER) and settings.BACKGROUND_THREADS <= 0


def send(task: Any, *args: Any) -> None:
    """Start the Celery `task` with `args`: to the broker, or to this process's pool."""
    if not in_background():
        task.delay(*args)
        return
    future = _pool.get().submit(_run, task.delay, args)
    with _lock:
        _pending.setdefault(os.getpid(), set()).add(future)
    future.add_done_callback(_forget)


def drain(timeout: float | None = None) -> bool:
    """Wait until every task queued so far in this process has run; False if `timeout`
    seconds passed first. For tests and for a command that must see the results."""
    with _lock:
        queued = set(_pending.get(os.getpid(), ()))
    return not wait(queued, timeout=timeout).not_done


def _run(start: Callable[..., Any], args: tuple) -> None:
    """Run one task in a pool thread (eager, as `delay` without a broker runs it, retries
    included), log what it raised, and close the database connections the thread opened."""
    try:
        start(*args)
    except Exception:
        log.exception("Background task failed; it stays pending until it is started again")
    finally:
        connections.close_all()


def _forget(future: Future) -> None:
    with _lock:
        _pending.get(os.getpid(), set()).discard(future)
