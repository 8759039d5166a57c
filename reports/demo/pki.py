"""DEMO ONLY, not for production: a throw-away PKI and signature images for the demo and
the tests.

Everything made here is marked "THỬ NGHIỆM" / "TEST" wherever a person can see it (certificate
names, the seal image), so nobody mistakes a demo signature for a real one.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image, ImageDraw, ImageFont

FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"
ROOT_NAME = "CA THỬ NGHIỆM – Chính quyền thân thiện (TEST)"
TEST_MARK = "THỬ NGHIỆM – TEST, không có giá trị pháp lý"
SIGNATURE_BLUE = (16, 44, 160)
SEAL_RED = (206, 18, 24)


@dataclass
class TestPKI:
    __test__ = False  # not a pytest test class, despite the name

    root_pem: bytes
    root_key_pem: bytes
    signer_p12: bytes
    signer_passphrase: bytes
    org_p12: bytes
    org_passphrase: bytes
    signer_cert_pem: bytes
    org_cert_pem: bytes
    signer_key_pem: bytes  # PKCS#8, unencrypted: for `softhsm2-util --import`
    org_key_pem: bytes
    tsa_cert_pem: bytes
    tsa_key_pem: bytes


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str, organisation: str | None = None, title: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, TEST_MARK))
    if title:
        attributes.append(x509.NameAttribute(NameOID.TITLE, title))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _certificate(
    *,
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey,
    usage: str,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=2 * 365))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    is_ca = usage == "ca"
    builder = builder.add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), True)
    builder = builder.add_extension(
        x509.KeyUsage(
            digital_signature=not is_ca,
            content_commitment=usage == "sign",  # nonRepudiation
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=is_ca,
            crl_sign=is_ca,
            encipher_only=False,
            decipher_only=False,
        ),
        True,
    )
    if usage == "tsa":
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _p12(
    label: str, key: rsa.RSAPrivateKey, cert: x509.Certificate, root: x509.Certificate, pw: bytes
) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        label.encode(), key, cert, [root], serialization.BestAvailableEncryption(pw)
    )


def make_test_pki(
    *,
    signer_name: str,
    organisation: str,
    passphrase_signer: bytes,
    passphrase_org: bytes,
    signer_title: str = "Chủ tịch",
) -> TestPKI:
    """A root CA, a person's and an organisation's signing certificate, and a TSA certificate.

    Every key is RSA-2048 and every certificate is valid from yesterday for two years.
    """
    root_key = _key()
    root = _certificate(
        subject=_name(ROOT_NAME, "TỔ CHỨC CHỨNG THỰC THỬ NGHIỆM (TEST)"),
        key=root_key,
        issuer=None,
        issuer_key=root_key,
        usage="ca",
    )
    signer_key, org_key, tsa_key = _key(), _key(), _key()

    def issue(subject: x509.Name, key: rsa.RSAPrivateKey, usage: str) -> x509.Certificate:
        return _certificate(subject=subject, key=key, issuer=root, issuer_key=root_key, usage=usage)

    signer = issue(_name(signer_name, organisation, signer_title), signer_key, "sign")
    org = issue(_name(organisation, organisation), org_key, "sign")
    tsa = issue(_name("Dịch vụ cấp dấu thời gian THỬ NGHIỆM (TEST TSA)"), tsa_key, "tsa")
    return TestPKI(
        root_pem=_pem(root),
        root_key_pem=_key_pem(root_key),
        signer_p12=_p12("signer", signer_key, signer, root, passphrase_signer),
        signer_passphrase=passphrase_signer,
        org_p12=_p12("organisation", org_key, org, root, passphrase_org),
        org_passphrase=passphrase_org,
        signer_cert_pem=_pem(signer),
        org_cert_pem=_pem(org),
        signer_key_pem=_key_pem(signer_key),
        org_key_pem=_key_pem(org_key),
        tsa_cert_pem=_pem(tsa),
        tsa_key_pem=_key_pem(tsa_key),
    )


# --- images -------------------------------------------------------------------------------


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _stroke(
    draw: ImageDraw.ImageDraw,
    points: list[tuple[float, float]],
    width: float,
    fill: tuple[int, ...],
) -> None:
    """A pen stroke: thick segments with round joints, thinner towards both ends."""
    count = len(points)
    for i in range(count - 1):
        taper = min(1.0, 0.35 + 1.3 * min(i, count - 1 - i) / count)
        w = max(2, round(width * taper))
        draw.line([points[i], points[i + 1]], fill=fill, width=w)
        r = w / 2
        x, y = points[i + 1]
        draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)


def signature_png(name: str) -> bytes:
    """A blue, handwritten-looking signature (about 600×240) on a transparent background.

    The same name always gives the same picture.
    """
    scale = 3  # drawn large and scaled down, which smooths the strokes
    width, height = 600, 240
    canvas = Image.new("RGBA", (width * scale, height * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    rng = random.Random(hashlib.sha256(name.encode()).digest())
    ink = (*SIGNATURE_BLUE, 255)
    pen = 6.5 * scale

    # The "letters": loops and humps (a trochoid) whose height and width change like
    # handwriting, slanting to the right, in two words that each start with a tall capital.
    baseline = 150
    x0 = 70
    words = [w for w in name.split() if w][-2:] or ["Ký"]
    letters = []  # (height, width, back-swing): back-swing > 0.5 makes a loop, less a hump
    for word in words:
        letters.append((rng.uniform(70, 85), rng.uniform(40, 50), 0.75))
        for _ in range(max(2, min(5, len(word) - 1))):
            tall = rng.random() < 0.3
            letters.append(
                (
                    rng.uniform(45, 60) if tall else rng.uniform(16, 30),
                    rng.uniform(24, 34),
                    rng.uniform(0.6, 0.8) if tall else rng.uniform(0.25, 0.55),
                )
            )
        letters.append((0, 28, 0))  # the gap between words: the pen drags along the line
    total = sum(width for _, width, _ in letters)
    stretch = 420 / total
    points = []
    x_start: float = x0
    for h, w, swing in letters:
        w *= stretch
        for s in range(60):
            t = s / 60
            angle = 2 * math.pi * t
            x = x_start + w * t - swing * w * math.sin(angle)
            y = baseline - h * (1 - math.cos(angle)) / 2 - 8 * t * (h == 0)
            x += (baseline - y) * 0.35  # slant
            points.append((x * scale, y * scale))
        x_start += w
    _stroke(draw, points, pen, ink)

    # A quick entry hook into the capital.
    hook = [
        ((x0 - 40 + 40 * t) * scale, (baseline + 10 - 18 * math.sin(math.pi * t / 2)) * scale)
        for t in (i / 30 for i in range(31))
    ]
    _stroke(draw, hook, pen * 0.8, ink)

    # The flourish: a long, slightly rising underline that curls back at the end.
    end_x = x0 + 420 + 30
    flourish = []
    for i in range(121):
        t = i / 120
        x = 40 + (end_x - 40) * t
        y = baseline + 40 - 30 * t + 10 * math.sin(math.pi * t) + rng.uniform(-0.6, 0.6)
        flourish.append((x * scale, y * scale))
    for i in range(41):
        a = math.pi * i / 40
        flourish.append(
            ((end_x - 25 + 25 * math.cos(a)) * scale, (baseline + 10 - 18 * math.sin(a)) * scale)
        )
    _stroke(draw, flourish, pen * 0.7, ink)

    # A dot, as many signatures have.
    dot = (x0 + 420 - 60) * scale, (baseline - 70) * scale
    r = 5 * scale
    draw.ellipse((dot[0] - r, dot[1] - r, dot[0] + r, dot[1] + r), fill=ink)

    return _png(canvas.resize((width, height), Image.Resampling.LANCZOS))


def _font(size: float, bold: bool = True) -> ImageFont.FreeTypeFont:
    name = "LiberationSerif-Bold.ttf" if bold else "NotoSerif-Regular.ttf"
    return ImageFont.truetype(str(FONTS / name), size)


def _ring_text(
    canvas: Image.Image,
    text: str,
    radius: float,
    font: ImageFont.FreeTypeFont,
    fill: tuple[int, ...],
    *,
    top: bool,
) -> None:
    """Write `text` along a circle, over the top (reading left to right) or along the bottom."""
    cx, cy = canvas.width / 2, canvas.height / 2
    advances = [font.getlength(ch) for ch in text]
    total = sum(advances)
    span = min(total / radius, math.radians(300 if top else 110))
    spacing = span / total if total else 0
    angle = -span / 2  # measured from the top (or bottom) of the circle
    for ch, advance in zip(text, advances, strict=True):
        middle = angle + advance * spacing / 2
        angle += advance * spacing
        if not ch.strip():
            continue
        size = int(font.size * 2)
        glyph = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((size / 2, size / 2), ch, font=font, fill=fill, anchor="mm")
        if top:
            x, y = cx + radius * math.sin(middle), cy - radius * math.cos(middle)
            glyph = glyph.rotate(-math.degrees(middle), resample=Image.Resampling.BICUBIC)
        else:
            x, y = cx + radius * math.sin(middle), cy + radius * math.cos(middle)
            glyph = glyph.rotate(math.degrees(middle), resample=Image.Resampling.BICUBIC)
        canvas.alpha_composite(glyph, (round(x - size / 2), round(y - size / 2)))


def _star(cx: float, cy: float, outer: float, inner: float) -> list[tuple[float, float]]:
    points = []
    for i in range(10):
        r = outer if i % 2 == 0 else inner
        a = math.pi * i / 5 - math.pi / 2
        points.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return points


def seal_png(organisation: str) -> bytes:
    """A red round seal (about 400×400) on a transparent background, marked "MẪU THỬ NGHIỆM"."""
    scale = 2
    size = 400 * scale
    canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    ink = (*SEAL_RED, 235)
    c = size / 2

    def circle(radius: float, width: float) -> None:
        draw.ellipse(
            (c - radius, c - radius, c + radius, c + radius), outline=ink, width=round(width)
        )

    circle(194 * scale, 9 * scale)
    circle(140 * scale, 3 * scale)
    draw.polygon(_star(c, c - 62 * scale, 34 * scale, 14 * scale), fill=ink)

    ring_font = _font(30 * scale)
    # One line round the ring: tabs and line breaks in a typed name would fail the layout.
    text = " ".join(organisation.upper().split())
    while ring_font.getlength(text) > math.radians(300) * 167 * scale and ring_font.size > 14:
        ring_font = _font(ring_font.size - 2 * scale)
    _ring_text(canvas, text, 167 * scale, ring_font, ink, top=True)
    _ring_text(canvas, "• TEST •", 167 * scale, _font(24 * scale), ink, top=False)

    draw.text((c, c + 6 * scale), "MẪU", font=_font(34 * scale), fill=ink, anchor="mm")
    draw.text((c, c + 48 * scale), "THỬ NGHIỆM", font=_font(30 * scale), fill=ink, anchor="mm")
    draw.line(
        (c - 90 * scale, c + 80 * scale, c + 90 * scale, c + 80 * scale), fill=ink, width=3 * scale
    )

    return _png(canvas.resize((400, 400), Image.Resampling.LANCZOS))
