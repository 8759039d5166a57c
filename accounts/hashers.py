"""Password hashing that yields the CPU to the pages.

Checking a password with Django's PBKDF2 (a million rounds of SHA-256) costs about 0.35 s of
CPU, on purpose. When many people log in at once (the morning of a deadline day), those
hashes take the cores from everyone already at work, and every page slows while they run.
Here the hash runs in a small pool of threads of the web process that run at a lower priority
(LOGIN_HASH_NICE, Linux only): a login gets the CPU the pages leave, and at most
LOGIN_HASH_THREADS hashes run at once per process (the other logins wait their turn).

Same algorithm, same rounds, same stored hashes (`pbkdf2_sha256$...`): only where the hash is
computed changes, so the hashes of Django's PBKDF2PasswordHasher and these verify each other.
"""

from __future__ import annotations

import os
import sys
import threading

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from guards.pools import ProcessPool


def _lower_priority() -> None:
    """Run the calling pool thread nicer than the server (on Linux `setpriority` with a
    thread id reaches that thread alone; elsewhere the pool keeps the server's priority)."""
    nice = settings.LOGIN_HASH_NICE
    if nice and sys.platform == "linux":
        current = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(current + nice, 19))


_pool = ProcessPool(
    "password-hash", lambda: settings.LOGIN_HASH_THREADS, initializer=_lower_priority
)


class YieldingPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2-SHA256 as Django computes it, in the low-priority pool."""

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        parent = super().encode
        return _pool.get().submit(parent, password, salt, iterations).result()
