"""Password rules speak Vietnamese, on the password change page too."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.conftest import DEMO_PASSWORD

ENGLISH = re.compile(r"\b(password|must|contain|characters?|too|similar|common|numeric)\b", re.I)


def problems(password: str, user) -> list[str]:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        return error.messages
    return []


def test_the_minimum_length_is_ten(settings):
    assert settings.PASSWORD_MIN_LENGTH == 10


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Ab3$xyz", "Mật khẩu quá ngắn: cần ít nhất 10 ký tự."),
        ("lanhdao2026", "Mật khẩu quá giống tên đăng nhập của tài khoản."),
        ("Thanh Trung Nguyen", "Mật khẩu quá giống họ và tên của tài khoản."),
        ("password123", "Mật khẩu này quá phổ biến, dễ bị đoán."),
        ("48213907561", "Mật khẩu không được chỉ gồm chữ số."),
    ],
)
def test_each_rule_says_what_is_wrong_in_vietnamese(demo, password, expected, leader):
    user = leader
    user.first_name = "Thanh Trung Nguyen"
    found = problems(password, user)
    assert expected in found
    assert not any(ENGLISH.search(message) for message in found), found


def test_a_good_password_passes(demo, leader):
    assert problems("Hoa-sen-no-2026", leader) == []


def test_the_rules_are_listed_in_vietnamese():
    texts = password_validation.password_validators_help_texts()
    assert texts == [
        "Mật khẩu không được giống tên đăng nhập, họ tên hay thư điện tử của bạn.",
        "Mật khẩu có ít nhất 10 ký tự.",
        "Không dùng mật khẩu phổ biến (như 12345678, password, qwerty).",
        "Mật khẩu không chỉ gồm chữ số.",
    ]


def test_the_password_change_page_in_vietnamese(client, demo, login_as, own_staff):
    login_as(own_staff)
    page = client.get(reverse("password_change")).content.decode()
    assert "Mật khẩu có ít nhất 10 ký tự." in page
    response = client.post(
        reverse("password_change"),
        {"old_password": DEMO_PASSWORD, "new_password1": "12345", "new_password2": "12345"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Mật khẩu quá ngắn: cần ít nhất 10 ký tự." in html
    assert "Mật khẩu này quá phổ biến, dễ bị đoán." in html
    assert "This password" not in html
