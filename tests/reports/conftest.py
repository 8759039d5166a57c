"""Fixtures for signing: a test PKI, a small real report PDF, a SoftHSM2 token, and the demo's
report issued and signed through the portal; a hostile PDF for the verification page."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reports.demo.pki import TestPKI, make_test_pki
from reports.demo.signing import DEMO_PASSPHRASE, demo_signing_setup
from reports.models import SigningKey
from reports.services import report_create
from reports.services.issuing import report_issue
from reports.services.signing import report_sign_organisation, report_sign_person

SIGNER_NAME = "Nguyễn Văn Thành"
ORGANISATION = "Ủy ban nhân dân xã Nghi Dương"
MM = 72 / 25.4
A4_HEIGHT = 297 * MM

# The signature page lays out the signing block at fixed places (mm from the page's top-left
# corner), so the tests know where the signature image and the seal go.
REPORT_HTML = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><style>
  @font-face { font-family: "Report Serif"; src: url(FONTS/LiberationSerif-Regular.ttf) }
  @font-face { font-family: "Report Serif"; font-weight: bold;
               src: url(FONTS/LiberationSerif-Bold.ttf) }
  @page { size: A4; margin: 0 }
  body { font-family: "Report Serif", serif; font-size: 14pt; margin: 0 }
  .page { position: relative; height: 297mm; page-break-after: always }
  .page:last-child { page-break-after: auto }
  .at { position: absolute; text-align: center }
  b { font-weight: bold }
</style></head><body>
<section class="page">
  <div class="at" style="top: 20mm; left: 30mm; width: 70mm; font-size: 13pt">
    <b>ỦY BAN NHÂN DÂN<br>XÃ NGHI DƯƠNG</b><br>Số: /BC-UBND</div>
  <div class="at" style="top: 20mm; left: 100mm; width: 95mm; font-size: 13pt">
    <b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM<br>Độc lập - Tự do - Hạnh phúc</b></div>
  <div class="at" style="top: 60mm; left: 30mm; width: 165mm"><b>BÁO CÁO</b><br>
    Kết quả thực hiện mô hình “Chính quyền thân thiện” 6 tháng đầu năm 2026</div>
  <p style="position: absolute; top: 90mm; left: 30mm; width: 165mm; text-align: justify">
    Thực hiện Kế hoạch của Ủy ban nhân dân thành phố, Ủy ban nhân dân xã báo cáo kết quả
    thực hiện mô hình “Chính quyền thân thiện” như sau.</p>
</section>
<section class="page">
  <p style="position: absolute; top: 20mm; left: 30mm; width: 165mm">
    Trên đây là báo cáo kết quả thực hiện mô hình “Chính quyền thân thiện” của xã.</p>
  <div class="at" style="top: 60mm; left: 115mm; width: 80mm; font-size: 14pt">
    <b>TM. ỦY BAN NHÂN DÂN<br>CHỦ TỊCH</b></div>
  <div class="at" style="top: 105mm; left: 115mm; width: 80mm; font-size: 14pt">
    <b>Nguyễn Văn Thành</b></div>
</section>
</body></html>"""


def mm_box(left: float, top: float, right: float, bottom: float) -> tuple[float, ...]:
    """A box given in mm from the page's top-left corner, as PDF points from bottom-left."""
    return (left * MM, A4_HEIGHT - bottom * MM, right * MM, A4_HEIGHT - top * MM)


# Between "CHỦ TỊCH" (ends near 73 mm) and the name (starts at 105 mm), centred on the block.
SIGNATURE_BOX = mm_box(125, 76, 185, 100)
# A real-size 36 mm seal whose right edge covers the left third of the signature image.
SEAL_BOX = mm_box(109, 70, 145, 106)


@pytest.fixture(scope="session")
def pki() -> TestPKI:
    return make_test_pki(
        signer_name=SIGNER_NAME,
        organisation=ORGANISATION,
        passphrase_signer=b"mat-khau-nguoi-ky-7391",
        passphrase_org=b"mat-khau-co-quan-5528",
    )


@pytest.fixture(scope="session")
def other_pki() -> TestPKI:
    """An unrelated CA: its root must not vouch for `pki`'s certificates."""
    return make_test_pki(
        signer_name="Người lạ",
        organisation="Cơ quan khác",
        passphrase_signer=b"x",
        passphrase_org=b"y",
    )


@pytest.fixture(scope="session")
def report_pdf() -> bytes:
    """A real two-page report, as WeasyPrint makes it."""
    from weasyprint import HTML  # noqa: PLC0415 (slow import: paid by the PDF tests only)

    fonts = (Path(__file__).resolve().parents[2] / "static" / "fonts").as_uri()
    return HTML(string=REPORT_HTML.replace("FONTS", fonts)).write_pdf()


def _softhsm_module() -> str:
    candidates = [Path("/usr/lib/softhsm/libsofthsm2.so")]
    if shutil.which("dpkg"):
        listing = subprocess.run(
            ["dpkg", "-L", "softhsm2", "libsofthsm2"], capture_output=True, text=True
        ).stdout
        candidates += [
            Path(line) for line in listing.splitlines() if line.endswith("libsofthsm2.so")
        ]
    for path in candidates:
        if path.exists():
            return str(path)
    pytest.fail("SoftHSM2 is not installed: run scripts/system-deps.sh --test (softhsm2).")


@dataclass
class SoftToken:
    module: str
    token_label: str
    key_label: str
    pin: str


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory, pki) -> Iterator[SoftToken]:
    """A SoftHSM2 token in a temporary directory holding the signer's private key.

    A missing SoftHSM2 fails the tests rather than skipping them: CI installs it.
    """
    module = _softhsm_module()
    util = shutil.which("softhsm2-util")
    if util is None:
        pytest.fail("softhsm2-util is not installed: run scripts/system-deps.sh --test.")

    home = tmp_path_factory.mktemp("softhsm")
    (home / "tokens").mkdir()
    conf = home / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {home / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    key_file = home / "signer.pem"
    key_file.write_bytes(pki.signer_key_pem)
    previous = os.environ.get("SOFTHSM2_CONF")
    # The module reads SOFTHSM2_CONF when it is first loaded, so set it before anything opens it.
    os.environ["SOFTHSM2_CONF"] = str(conf)

    def util_run(*args: str) -> None:
        done = subprocess.run([util, *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr

    util_run("--init-token", "--free", "--label", "cqtt-test", "--pin", "1234", "--so-pin", "4321")
    util_run(
        "--import", str(key_file), "--token", "cqtt-test", "--label", "signer", "--id", "01",
        "--pin", "1234",
    )  # fmt: skip
    key_file.unlink()
    yield SoftToken(module=module, token_label="cqtt-test", key_label="signer", pin="1234")
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


# -- the demo's report, issued and signed through the portal --------------------------------------


@pytest.fixture
def keys(demo_scored):

    demo_signing_setup(commune=demo_scored.commune)
    person = SigningKey.objects.get(commune=demo_scored.commune, owner__isnull=False)
    organisation = SigningKey.objects.get(commune=demo_scored.commune, owner__isnull=True)
    return person, organisation


@pytest.fixture
def draft(demo_scored, secretary):
    return report_create(assessment=demo_scored.assessment, by=secretary)


@pytest.fixture
def issued(draft, secretary):
    return report_issue(report=draft, by=secretary)


@pytest.fixture
def signed(issued, keys, secretary):
    person, organisation = keys
    report_sign_person(report=issued, key=person, secret=DEMO_PASSPHRASE, by=person.owner)
    report_sign_organisation(report=issued, key=organisation, secret=DEMO_PASSPHRASE, by=secretary)
    return issued


def reference_bomb(size: int) -> bytes:
    """A well-formed PDF of about `size` bytes whose form lists one field millions of times:
    parsing it costs about 40 times its size in memory (29 MB: 1.1 GB and 34 s unbounded)."""
    count = size // 6
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [" + b"3 0 R " * count + b"] >> >>",
        b"<< /Type /Pages /Kids [] /Count 0 >>",
        b"<< /FT /Sig /T (a) >>",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


@pytest.fixture
def post_job(client, django_capture_on_commit_callbacks):
    """POST to a view that starts a job (issuing, the dossier): the job runs at the commit,
    as without a broker, and the redirects are then followed, as the browser does."""

    def post(url: str, data: dict | None = None, follow: bool = True):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data or {})
        if follow and response.status_code == 302:
            response = client.get(response["Location"], follow=True)
        return response

    return post
