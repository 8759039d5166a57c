"""Opening key material: a PKCS#12 file with its passphrase, or a key on a PKCS#11 token
with its PIN. Nothing is kept: the caller gives the secret for each use. No Django here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from asn1crypto import keys as asn1_keys
from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from reports.signing.certificates import (
    CertificateInfo,
    KeyMaterial,
    SigningError,
    WrongSecret,
    asn1_certificate,
    asn1_certificates,
    check_validity,
    describe,
    load_certificate,
)

if TYPE_CHECKING:
    from pyhanko.sign.signers import Signer


@dataclass
class _Loaded:
    cert: x509.Certificate
    signer: Signer
    close: Callable[[], None]


def _open_pkcs12(material: KeyMaterial) -> _Loaded:
    from pyhanko.sign.signers import SimpleSigner  # noqa: PLC0415 (pyHanko: slow import)
    from pyhanko_certvalidator.registry import SimpleCertificateStore  # noqa: PLC0415 (pyHanko: slow import)

    if not material.pkcs12:
        raise SigningError("Chưa có tệp khóa PKCS#12 (.p12/.pfx).")
    try:
        asn1_pkcs12.Pfx.load(material.pkcs12).native  # noqa: B018 - parses the whole structure
    except Exception as exc:
        raise SigningError("Tệp khóa bị hỏng hoặc không phải tệp PKCS#12 (.p12/.pfx).") from exc
    if material.passphrase and b"\x00" in material.passphrase:
        # cryptography panics on it (a BaseException no `except Exception` catches).
        raise SigningError("Mật khẩu có ký tự không hợp lệ (ký tự NUL).")
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(material.pkcs12, material.passphrase)
    except ValueError as exc:
        raise WrongSecret("Sai mật khẩu của tệp khóa (.p12/.pfx).") from exc
    except Exception as exc:
        raise SigningError("Không mở được tệp khóa PKCS#12 (.p12/.pfx).") from exc
    if key is None or cert is None:
        raise SigningError("Tệp PKCS#12 không chứa khóa bí mật kèm chứng thư số của người ký.")
    # RSA, EC and DSA keys have numbers; any other kind fails here, as it always has.
    if cert.public_key().public_numbers() != key.public_key().public_numbers():  # type: ignore[union-attr]
        raise SigningError("Khóa bí mật trong tệp PKCS#12 không khớp với chứng thư số.")

    store = SimpleCertificateStore()
    store.register_multiple(
        [asn1_certificate(c) for c in extra] + asn1_certificates(material.chain_pem)
    )
    signer = SimpleSigner(
        signing_cert=asn1_certificate(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        cert_registry=store,
    )
    return _Loaded(cert=cert, signer=signer, close=lambda: None)


def _open_pkcs11(material: KeyMaterial) -> _Loaded:
    import pkcs11  # noqa: PLC0415 (token signing only)
    from pkcs11 import Attribute, ObjectClass  # noqa: PLC0415 (token signing only)
    from pyhanko.config.pkcs11 import TokenCriteria  # noqa: PLC0415 (pyHanko: slow import)
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session  # noqa: PLC0415 (pyHanko: slow import)

    if not (material.pkcs11_module and material.token_label and material.key_label):
        raise SigningError("Thiếu thông tin thiết bị ký (thư viện PKCS#11, tên token, tên khóa).")
    if not Path(material.pkcs11_module).exists():
        raise SigningError(f"Không tìm thấy thư viện PKCS#11 {material.pkcs11_module}.")
    try:
        session = open_pkcs11_session(
            material.pkcs11_module,
            token_criteria=TokenCriteria(label=material.token_label),
            user_pin=material.pin,
        )
    except (pkcs11.PinIncorrect, pkcs11.PinInvalid, pkcs11.PinLenRange) as exc:
        raise WrongSecret("Sai mã PIN của thiết bị ký.") from exc
    except pkcs11.PinLocked as exc:
        raise SigningError("Thiết bị ký đã bị khóa do nhập sai mã PIN nhiều lần.") from exc
    except pkcs11.PKCS11Error as exc:
        if type(exc) is pkcs11.PKCS11Error:  # pyHanko's "no token matching the criteria"
            raise SigningError(
                f"Không tìm thấy thiết bị ký (token) “{material.token_label}”."
            ) from exc
        raise SigningError("Không kết nối được với thiết bị ký (PKCS#11).") from exc
    except Exception as exc:
        raise SigningError("Không kết nối được với thiết bị ký (PKCS#11).") from exc

    try:
        try:
            key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=material.key_label)
        except pkcs11.NoSuchKey as exc:
            raise SigningError(
                f"Không tìm thấy khóa bí mật “{material.key_label}” trên thiết bị ký."
            ) from exc
        except pkcs11.MultipleObjectsReturned as exc:
            raise SigningError(
                f"Có nhiều khóa cùng tên “{material.key_label}” trên thiết bị ký."
            ) from exc

        if material.certificate_pem:
            cert = load_certificate(material.certificate_pem)
        else:
            certs = list(
                session.get_objects(
                    {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: material.key_label}
                )
            )
            if not certs:
                raise SigningError(
                    "Thiết bị ký không có chứng thư số đi kèm khóa; hãy cung cấp chứng thư."
                )
            cert = x509.load_der_x509_certificate(certs[0][Attribute.VALUE])

        public = cert.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            modulus = int.from_bytes(key[Attribute.MODULUS], "big")
            if modulus != public.public_numbers().n:
                raise SigningError("Khóa bí mật trên thiết bị ký không khớp với chứng thư số.")

        signer = PKCS11Signer(
            pkcs11_session=session,
            key_label=material.key_label,
            signing_cert=asn1_certificate(cert),
            ca_chain=asn1_certificates(material.chain_pem),
            other_certs_to_pull=None,
        )
    except BaseException:
        session.close()
        raise
    return _Loaded(cert=cert, signer=signer, close=session.close)


def open_key(material: KeyMaterial) -> _Loaded:
    if material.kind == "pkcs12":
        loaded = _open_pkcs12(material)
    elif material.kind == "pkcs11":
        loaded = _open_pkcs11(material)
    else:
        raise SigningError(f"Loại khóa không được hỗ trợ: {material.kind}.")
    try:
        check_validity(loaded.cert)
    except SigningError:
        loaded.close()
        raise
    return loaded


def inspect_key(material: KeyMaterial) -> CertificateInfo:
    """Open the key material and return its signing certificate, or raise SigningError."""
    loaded = open_key(material)
    loaded.close()
    return describe(loaded.cert)
