"""Storing signing keys and trusted roots (services for the admin and the demo command)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from assessments.models import Commune, Membership
from reports.models import SigningKey, TrustAnchor
from reports.pki import make_test_pki, seal_png, signature_png
from reports.signing import KeyMaterial, SigningError, inspect_key


@transaction.atomic
def signing_key_add_pkcs12(
    *,
    commune: Commune,
    owner,
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


DEMO_PASSPHRASE = "demo12345"


@transaction.atomic
def demo_signing_setup(*, commune: Commune) -> list[SigningKey]:
    """Test certificates for a demo commune: its Phó Chủ tịch and the commune itself, plus
    the test root as a trusted anchor. Every name says THỬ NGHIỆM (TEST)."""
    if SigningKey.objects.filter(commune=commune).exists():
        return list(SigningKey.objects.filter(commune=commune))
    leader = (
        Membership.objects.filter(
            commune=commune, role=Membership.Role.LEADER, title__istartswith="phó"
        )
        .select_related("user")
        .first()
        or Membership.objects.filter(commune=commune, role=Membership.Role.LEADER)
        .select_related("user")
        .first()
    )
    if leader is None:
        raise ValidationError(f"{commune} chưa có lãnh đạo để cấp chứng thư thử nghiệm.")
    name = leader.user.get_full_name()
    pki = make_test_pki(
        signer_name=f"{name} (THỬ NGHIỆM)",
        organisation=f"{commune.committee_name} (THỬ NGHIỆM)",
        passphrase_signer=DEMO_PASSPHRASE.encode(),
        passphrase_org=DEMO_PASSPHRASE.encode(),
        signer_title=leader.title,
    )
    TrustAnchor.objects.get_or_create(
        label=f"CA THỬ NGHIỆM của {commune}",
        defaults={"certificate_pem": pki.root_pem.decode(), "is_test": True},
    )
    return [
        signing_key_add_pkcs12(
            commune=commune,
            owner=leader.user,
            label=f"Chữ ký số thử nghiệm – {name}",
            pkcs12=pki.signer_p12,
            passphrase=DEMO_PASSPHRASE,
            appearance_png=signature_png(name),
            is_test=True,
            chain_pem=pki.root_pem.decode(),
        ),
        signing_key_add_pkcs12(
            commune=commune,
            owner=None,
            label=f"Chữ ký số thử nghiệm – {commune.committee_name}",
            pkcs12=pki.org_p12,
            passphrase=DEMO_PASSPHRASE,
            appearance_png=seal_png(commune.committee_name),
            is_test=True,
            chain_pem=pki.root_pem.decode(),
        ),
    ]
