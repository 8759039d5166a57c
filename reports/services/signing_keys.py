"""Storing signing keys (the admin, and the demo set-up in reports.demo.signing)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from assessments.models import City, Commune
from reports.models import SigningKey
from reports.services.remote_signing import remote_signer
from reports.signing import KeyMaterial, SigningError, certificate_info, inspect_key


@transaction.atomic
def signing_key_add_pkcs12(
    *,
    commune: Commune | None = None,
    city: City | None = None,
    owner: User | None,
    label: str,
    pkcs12: bytes,
    passphrase: str,
    appearance_png: bytes | None = None,
    is_test: bool = False,
    chain_pem: str = "",
) -> SigningKey:
    """Check the file with its passphrase (used now, never stored) and keep the key."""
    try:
        info = inspect_key(
            KeyMaterial(kind="pkcs12", pkcs12=pkcs12, passphrase=passphrase.encode())
        )
    except SigningError as error:
        raise ValidationError(str(error)) from None
    key = SigningKey(
        commune=commune,
        city=city,
        owner=owner,
        label=label,
        kind=SigningKey.Kind.PKCS12,
        subject=info.subject,
        issuer=info.issuer,
        serial=info.serial,
        not_after=info.not_after,
        is_test=is_test,
        chain_pem=chain_pem,
    )
    key.pkcs12.save("key.p12", ContentFile(pkcs12), save=False)
    if appearance_png:
        key.appearance.save("appearance.png", ContentFile(appearance_png), save=False)
    key.save()
    return key


@transaction.atomic
def signing_key_add_csc(
    *,
    commune: Commune,
    owner: User,
    label: str,
    credential_id: str = "",
    user_id: str = "",
    appearance_png: bytes | None = None,
    is_test: bool = False,
) -> SigningKey:
    """A signer's credential at the remote signing service (CSC): its certificate is read
    from the service now (credentials/info), so the key shows whose it is and until when."""
    try:
        credential_id, credential = remote_signer().credential(credential_id, user_id)
        info = certificate_info(credential.certificate)
    except SigningError as error:
        raise ValidationError(str(error)) from None
    key = SigningKey(
        commune=commune,
        owner=owner,
        label=label,
        kind=SigningKey.Kind.CSC,
        csc_credential_id=credential_id,
        csc_user_id=user_id,
        subject=info.subject,
        issuer=info.issuer,
        serial=info.serial,
        not_after=info.not_after,
        is_test=is_test,
    )
    if appearance_png:
        key.appearance.save("appearance.png", ContentFile(appearance_png), save=False)
    key.save()
    return key
