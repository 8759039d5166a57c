"""Passwords are hashed in a low-priority pool of threads (accounts/hashers.py): the same
hashes as Django's PBKDF2, computed nicer than the pages, a few at a time per process."""

from __future__ import annotations

import os
import threading
import time

import pytest
from django.contrib.auth import hashers as django_hashers
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, make_password

from accounts import hashers
from accounts.hashers import YieldingPBKDF2PasswordHasher
from chinhquyen import settings as production

PRODUCTION_HASHERS = production.PASSWORD_HASHERS


@pytest.fixture
def pool(settings, monkeypatch):
    """A new pool for the test, with the production hashers and the test's settings."""
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    monkeypatch.setattr(hashers._pool, "_pool", None)  # made again, with these settings
    return settings


@pytest.fixture
def seen(monkeypatch):
    """What each PBKDF2 computation saw: its thread's name and nice value; and the most that
    ran at once."""
    original = django_hashers.pbkdf2
    lock = threading.Lock()
    record = {"calls": [], "running": 0, "most": 0}

    def watched(*args, **kwargs):
        with lock:
            record["running"] += 1
            record["most"] = max(record["most"], record["running"])
            record["calls"].append(
                (
                    threading.current_thread().name,
                    os.getpriority(os.PRIO_PROCESS, threading.get_native_id()),
                )
            )
        try:
            time.sleep(0.05)
            return original(*args, **kwargs)
        finally:
            with lock:
                record["running"] -= 1

    monkeypatch.setattr(django_hashers, "pbkdf2", watched)
    return record


def test_the_hashes_are_djangos_own():
    yielding, plain = YieldingPBKDF2PasswordHasher(), PBKDF2PasswordHasher()

    encoded = yielding.encode("mật khẩu dài 123", "muoi1234", 1000)

    assert encoded == plain.encode("mật khẩu dài 123", "muoi1234", 1000)
    assert yielding.algorithm == plain.algorithm == "pbkdf2_sha256"
    assert plain.verify("mật khẩu dài 123", encoded)
    assert yielding.verify("mật khẩu dài 123", plain.encode("mật khẩu dài 123", "x" * 22))
    assert not yielding.verify("sai", encoded)


def test_the_portal_hashes_and_checks_passwords_with_it(pool, seen):
    stored_by_django = PBKDF2PasswordHasher().encode("mật khẩu cũ 2025", "muoi5678", 1000)
    seen["calls"].clear()

    assert check_password("mật khẩu cũ 2025", stored_by_django)
    assert make_password("mật khẩu mới 2026").startswith("pbkdf2_sha256$")
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" not in PRODUCTION_HASHERS
    assert len(seen["calls"]) == 2
    assert all(name.startswith("password-hash") for name, _ in seen["calls"])


def test_the_hash_runs_nicer_than_the_server(pool, seen):
    pool.LOGIN_HASH_NICE = 10
    server = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    YieldingPBKDF2PasswordHasher().encode("mật khẩu dài 123", "muoi1234", 1000)

    [(_, nice)] = seen["calls"]
    assert nice == min(server + 10, 19)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == server


def test_no_more_hashes_run_at_once_than_the_threads(pool, seen):
    pool.LOGIN_HASH_THREADS = 2
    hasher = YieldingPBKDF2PasswordHasher()
    logins = [
        threading.Thread(target=hasher.encode, args=(f"mật khẩu {i}", "muoi1234", 1000))
        for i in range(6)
    ]

    for login in logins:
        login.start()
    for login in logins:
        login.join()

    assert len(seen["calls"]) == 6
    assert seen["most"] == 2
