"""Names of certificate holders as a person reads them."""

from __future__ import annotations


def common_name(distinguished_name: object) -> str:
    """'CN=CA THỬ NGHIỆM,OU=…,C=VN' -> 'CA THỬ NGHIỆM'; the whole text when it has no CN."""
    text = str(distinguished_name or "")
    for part in text.replace("\\,", "\x00").split(","):
        key, _, value = part.partition("=")
        if key.strip().upper() == "CN":
            return value.replace("\x00", ",").strip()
    return text
