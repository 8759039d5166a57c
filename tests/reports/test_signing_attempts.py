"""Guessing a signing key's passphrase or PIN is limited: per person and key, and per key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from reports.demo.signing import DEMO_PASSPHRASE, demo_signing_setup
from reports.models import SignatureRecord, SigningAttempt, SigningKey
from reports.services import report_create
from reports.services.issuing import report_issue
from reports.services.signing_attempts import WRONG_SECRET, signing_attempts_limited

# -- the rule, on a stand-in for the signing service ---------------------------------------------

calls = []


@signing_attempts_limited
def sign(*, key, by, secret):
    calls.append(secret)
    if secret == "right":
        return "signed"
    if secret == "not-issued":
        raise ValidationError("Chỉ ký được báo cáo đã ban hành.")
    raise ValidationError("Sai mật khẩu của tệp khóa (.p12/.pfx).", code=WRONG_SECRET)


@pytest.fixture
def key(demo):
    demo_signing_setup(commune=demo.commune)
    calls.clear()
    return SigningKey.objects.get(commune=demo.commune, owner__isnull=False)


def messages_of(callable_, **kwargs) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        callable_(**kwargs)
    return caught.value.messages


def test_five_wrong_secrets_then_even_the_right_one_waits(key, secretary, settings):
    assert settings.SIGNING_FAILURE_LIMIT == 5 and settings.SIGNING_FAILURE_WINDOW_MINUTES == 15
    for left in (4, 3, 2, 1):
        found = messages_of(sign, key=key, by=secretary, secret="wrong")
        assert found == [
            "Sai mật khẩu của tệp khóa (.p12/.pfx).",
            f"Còn {left} lần thử trước khi khóa ký này tạm ngừng.",
        ]
    fifth = messages_of(sign, key=key, by=secretary, secret="wrong")
    assert fifth[1] == "Đã nhập sai quá số lần cho phép: tạm ngừng ký bằng khóa này 15 phút."
    first = SigningAttempt.objects.order_by("at").first().at
    refused = messages_of(sign, key=key, by=secretary, secret="right")
    until = timezone.localtime(first + timedelta(minutes=15))
    assert refused == [
        f"Mật khẩu (mã PIN) của khóa ký “{key.label}” đã bị nhập sai nhiều lần. "
        f"Tạm ngừng ký bằng khóa này đến {until:%H:%M} (khoảng 15 phút nữa)."
    ]
    assert calls == ["wrong"] * 5  # the key was not even tried the sixth time


def test_the_wait_ends_when_the_oldest_tries_leave_the_window(key, secretary):
    for _ in range(5):
        messages_of(sign, key=key, by=secretary, secret="wrong")
    oldest = SigningAttempt.objects.order_by("at").first()
    SigningAttempt.objects.filter(pk=oldest.pk).update(at=timezone.now() - timedelta(minutes=16))
    assert sign(key=key, by=secretary, secret="right") == "signed"
    assert not SigningAttempt.objects.exists()  # success clears the person's count


def test_success_clears_the_count(key, secretary):
    for _ in range(4):
        messages_of(sign, key=key, by=secretary, secret="wrong")
    sign(key=key, by=secretary, secret="right")
    for left in (4, 3):
        assert f"Còn {left} lần thử" in messages_of(sign, key=key, by=secretary, secret="wrong")[1]


def test_other_failures_are_not_counted(key, secretary):
    for _ in range(8):
        assert messages_of(sign, key=key, by=secretary, secret="not-issued") == [
            "Chỉ ký được báo cáo đã ban hành."
        ]
    assert not SigningAttempt.objects.exists()


def test_the_key_has_its_own_limit_for_everyone_together(
    key, secretary, administrator, leader, settings
):
    settings.SIGNING_KEY_FAILURE_LIMIT = 8
    for person in (secretary, administrator):
        for _ in range(4):
            messages_of(sign, key=key, by=person, secret="wrong")
    assert "đã bị nhập sai nhiều lần" in messages_of(sign, key=key, by=leader, secret="right")[0]
    # Success by one person clears only that person's tries.
    SigningAttempt.objects.filter(user=administrator).update(
        at=timezone.now() - timedelta(minutes=20)
    )
    assert sign(key=key, by=leader, secret="right") == "signed"
    assert SigningAttempt.objects.filter(user=secretary).count() == 4


def test_another_key_is_not_affected(key, demo, secretary):
    for _ in range(5):
        messages_of(sign, key=key, by=secretary, secret="wrong")
    organisation = SigningKey.objects.get(commune=demo.commune, owner__isnull=True)
    assert sign(key=organisation, by=secretary, secret="right") == "signed"


def test_the_try_is_recorded_before_the_key_is_opened(key, secretary):
    """So parallel tries see each other, and a process killed mid-signature leaves it
    counted (signing_attempt_start commits on its own, outside the signing transaction)."""
    seen = []

    @signing_attempts_limited
    def peek(*, key, by):
        seen.append(SigningAttempt.objects.filter(key=key, user=by).count())
        return "signed"

    peek(key=key, by=secretary)
    assert seen == [1]
    assert not SigningAttempt.objects.exists()


def test_an_unexpected_error_is_not_held_against_the_person(key, secretary):
    @signing_attempts_limited
    def broken(*, key, by):
        raise RuntimeError("a bug, not a guess")

    with pytest.raises(RuntimeError):
        broken(key=key, by=secretary)
    assert not SigningAttempt.objects.exists()


# -- through the signing page, with a real key ---------------------------------------------------


def test_the_signing_page_stops_a_guessing_signer(client, demo_scored, login_as, secretary, leader):

    login_as(leader)
    demo_signing_setup(commune=demo_scored.commune)
    person = SigningKey.objects.get(commune=demo_scored.commune, owner__isnull=False)
    report = report_issue(
        report=report_create(assessment=demo_scored.assessment, by=secretary), by=secretary
    )
    url = reverse("reports:sign", args=[demo_scored.assessment.pk, report.pk])

    def post(secret: str) -> str:
        response = client.post(
            url,
            {"key": person.pk, "secret": secret, "step": "person", "confirm": "on"},
            follow=True,
        )
        return response.content.decode()

    first = post("doan-1")
    assert "Sai mật khẩu của tệp khóa (.p12/.pfx)." in first
    assert "Còn 4 lần thử trước khi khóa ký này tạm ngừng." in first
    for guess in range(2, 6):
        post(f"doan-{guess}")
    refused = post(DEMO_PASSPHRASE)
    assert "đã bị nhập sai nhiều lần. Tạm ngừng ký bằng khóa này đến" in refused
    assert not SignatureRecord.objects.exists()
    assert SigningAttempt.objects.filter(key=person, user=leader).count() == 5

    SigningAttempt.objects.update(at=timezone.now() - timedelta(minutes=16))
    signed = post(DEMO_PASSPHRASE)
    assert "đã ký số báo cáo" in signed
    assert SignatureRecord.objects.filter(key=person).count() == 1
    assert not SigningAttempt.objects.exists()
