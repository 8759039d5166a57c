"""DEMO ONLY, not for production: test signing keys for a demo commune.

`manage.py make_test_pki` (refused unless DEBUG) and the tests call `demo_signing_setup`;
every certificate and image it makes says THỬ NGHIỆM (TEST) and has no legal value.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from assessments.models import City, CityMembership, Commune, Membership
from reports.demo.pki import make_test_pki, seal_png, signature_png
from reports.models import SigningKey, TrustAnchor
from reports.services.signing_keys import signing_key_add_pkcs12

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


@transaction.atomic
def demo_city_signing_setup(*, city: City) -> list[SigningKey]:
    """Test certificates for a demo city: each of its leaders (city_leader), and its two
    issuing bodies (the department and the People's Committee). Every name says THỬ NGHIỆM."""
    if SigningKey.objects.filter(city=city).exists():
        return list(SigningKey.objects.filter(city=city))
    committee = city.committee_name
    department = f"{city.department} {city.kind_name} {city.name}"
    leaders = CityMembership.objects.filter(
        city=city, role=CityMembership.Role.LEADER
    ).select_related("user")
    keys = []
    for organisation in (department, committee):
        pki = make_test_pki(
            signer_name=f"{organisation} (THỬ NGHIỆM)",
            organisation=f"{organisation} (THỬ NGHIỆM)",
            passphrase_signer=DEMO_PASSPHRASE.encode(),
            passphrase_org=DEMO_PASSPHRASE.encode(),
        )
        TrustAnchor.objects.get_or_create(
            label=f"CA THỬ NGHIỆM của {organisation}",
            defaults={"certificate_pem": pki.root_pem.decode(), "is_test": True},
        )
        keys.append(
            signing_key_add_pkcs12(
                city=city,
                owner=None,
                label=f"Chữ ký số thử nghiệm – {organisation}",
                pkcs12=pki.org_p12,
                passphrase=DEMO_PASSPHRASE,
                appearance_png=seal_png(organisation),
                is_test=True,
                chain_pem=pki.root_pem.decode(),
            )
        )
    for leader in leaders:
        name = leader.user.get_full_name()
        pki = make_test_pki(
            signer_name=f"{name} (THỬ NGHIỆM)",
            organisation=f"{committee} (THỬ NGHIỆM)",
            passphrase_signer=DEMO_PASSPHRASE.encode(),
            passphrase_org=DEMO_PASSPHRASE.encode(),
            signer_title=leader.title or "Lãnh đạo",
        )
        TrustAnchor.objects.get_or_create(
            label=f"CA THỬ NGHIỆM của {name}",
            defaults={"certificate_pem": pki.root_pem.decode(), "is_test": True},
        )
        keys.append(
            signing_key_add_pkcs12(
                city=city,
                owner=leader.user,
                label=f"Chữ ký số thử nghiệm – {name}",
                pkcs12=pki.signer_p12,
                passphrase=DEMO_PASSPHRASE,
                appearance_png=signature_png(name),
                is_test=True,
                chain_pem=pki.root_pem.decode(),
            )
        )
    return keys
