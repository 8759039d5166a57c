"""Logging in through the real login page, and TOTP codes computed as a phone would."""

from __future__ import annotations

from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import DEMO_PASSWORD


def password_login(client, username: str, password: str = DEMO_PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def totp_code(device: TOTPDevice) -> str:
    """The code the phone shows now; a step later if this step's code was already used (a
    code is accepted once, and the device allows one step of clock difference)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.drift = max(0, device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"
