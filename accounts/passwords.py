"""Django's password rules, with messages written in Vietnamese here.

Django's own Vietnamese catalogue leaves the "too short" message in English and words others
awkwardly; small subclasses keep the rules and own the wording.
"""

from __future__ import annotations

import secrets

from django.contrib.auth import password_validation as django_rules
from django.contrib.auth.models import User
from django.core.exceptions import FieldDoesNotExist, ValidationError

NAMES = {
    "username": "tên đăng nhập",
    "first_name": "họ và tên",  # one "Họ và tên", stored split at its last space
    "last_name": "họ và tên",
    "email": "địa chỉ thư điện tử",
}


class MinimumLengthValidator(django_rules.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return f"Mật khẩu quá ngắn: cần ít nhất {self.min_length} ký tự."

    def get_help_text(self) -> str:
        return f"Mật khẩu có ít nhất {self.min_length} ký tự."


class UserAttributeSimilarityValidator(django_rules.UserAttributeSimilarityValidator):
    def validate(self, password: str, user: User | None = None) -> None:
        try:
            super().validate(password, user)
        except ValidationError as error:
            assert user is not None  # Django compares with the attributes of a given user
            found = str((error.params or {})["verbose_name"])
            names = {self._verbose_name(user, field): label for field, label in NAMES.items()}
            raise ValidationError(
                f"Mật khẩu quá giống {names.get(found, found.lower())} của tài khoản.",
                code="password_too_similar",
            ) from None

    @staticmethod
    def _verbose_name(user: User, field: str) -> str:
        try:
            return str(getattr(user._meta.get_field(field), "verbose_name", field))
        except FieldDoesNotExist:
            return field

    def get_help_text(self) -> str:
        return "Mật khẩu không được giống tên đăng nhập, họ tên hay thư điện tử của bạn."


class CommonPasswordValidator(django_rules.CommonPasswordValidator):
    def get_error_message(self) -> str:
        return "Mật khẩu này quá phổ biến, dễ bị đoán."

    def get_help_text(self) -> str:
        return "Không dùng mật khẩu phổ biến (như 12345678, password, qwerty)."


class NumericPasswordValidator(django_rules.NumericPasswordValidator):
    def get_error_message(self) -> str:
        return "Mật khẩu không được chỉ gồm chữ số."

    def get_help_text(self) -> str:
        return "Mật khẩu không chỉ gồm chữ số."


# Temporary passwords the portal makes (an import, a city person added): shown once, never
# stored. No letters a reader mixes up on paper (0/O, 1/l/I): the passwords are printed.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_LENGTH = 12


def temporary_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))
