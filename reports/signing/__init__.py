"""PAdES signing and validation of PDF files with pyHanko: bytes in, bytes out.

No Django here (the verification page runs `check_file` in a bare child process). The
caller decides where key material comes from and where the signed file goes; this package
never stores a passphrase or PIN.

- `certificates`: errors, key material, certificate details (shared);
- `keys`: opening a PKCS#12 file or a PKCS#11 token;
- `appearance`: the visible signature (image, text);
- `pades`: signing (`sign_pdf`);
- `validation`: checking signatures (`validate_pdf`, `check_file`).
"""

from reports.signing.certificates import (
    Appearance,
    CertificateInfo,
    KeyMaterial,
    SignatureCheck,
    SigningError,
    WrongSecret,
    certificate_info,
)
from reports.signing.keys import inspect_key
from reports.signing.pades import sign_pdf
from reports.signing.validation import check_file, checks_from_plain, validate_pdf

__all__ = [
    "Appearance",
    "CertificateInfo",
    "KeyMaterial",
    "SignatureCheck",
    "SigningError",
    "WrongSecret",
    "certificate_info",
    "check_file",
    "checks_from_plain",
    "inspect_key",
    "sign_pdf",
    "validate_pdf",
]
