"""A pool of threads of the current process (jobs/background.py, accounts/hashers.py).

Made when first asked for, and made again in a process forked from one that had it: a pool's
threads do not survive a fork (gunicorn's workers fork from a master that may have made one).
Its size and its threads' initializer are read when it is made, so settings apply then.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


class ProcessPool:
    def __init__(
        self, name: str, size: Callable[[], int], initializer: Callable[[], None] | None = None
    ) -> None:
        self.name = name
        self._size = size
        self._initializer = initializer
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0

    def get(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                self._pool = ThreadPoolExecutor(
                    max_workers=self._size(),
                    thread_name_prefix=self.name,
                    initializer=self._initializer,
                )
                self._pid = os.getpid()
            return self._pool
