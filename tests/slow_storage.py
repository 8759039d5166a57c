"""A private storage that pauses after every chunk it writes (TEST_SLOW_WRITES seconds), as a
slow disk or a remote store would: the worker test of tests/reports/test_jobs.py needs the
dossier's ZIP to take a few seconds to write, to kill the worker half-way through it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

from guards.storage import PrivateStorage


class SlowPrivateStorage(PrivateStorage):
    def _save(self, name: str, content: Any) -> str:
        delay = float(os.environ.get("TEST_SLOW_WRITES", "0"))
        chunks = content.chunks

        def slowed(chunk_size: int | None = None) -> Iterator[bytes]:
            for chunk in chunks(chunk_size):
                yield chunk
                time.sleep(delay)

        content.chunks = slowed
        return super()._save(name, content)
