"""Evidence benchmark: one large upload and the ZIP of everything, through a real server.

    DJANGO_DEBUG=1 .venv/bin/python bench/evidence_bench.py      (or: make bench)

Builds a throw-away portal (temporary SQLite database and MEDIA_ROOT under var/, demo data),
stores six 200 MB videos through the upload service, then starts `manage.py runserver` in a
subprocess and measures, from the outside:

1. a 200 MB upload, sent as multipart/form-data streamed from disk;
2. the ZIP of every evidence (about 1.4 GB), streamed to nowhere, next to Info-ZIP's
   `zip -0` over the same stored files.

Memory is the server's: VmRSS before, VmHWM (peak) after, from /proc/<pid>/status, with the
peak reset through /proc/<pid>/clear_refs before each step. Figures are printed, not checked.
Everything made is removed at the end.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
FILE_MB = 200
ZIP_FILES = 6  # with the uploaded one: 7 × 200 MB ≈ 1.4 GB in the ZIP
PASSWORD = "demo12345"
UPLOAD_GOAL_MB = 30
ZIP_GOAL_MB = 50


def fake_mp4(path: Path, size_mb: int, seed: int) -> None:
    """An MP4 header the sniffer accepts, then incompressible bytes unique to `seed`."""
    block = bytearray(os.urandom(MB))
    with open(path, "wb") as handle:
        for i in range(size_mb):
            block[:16] = seed.to_bytes(8, "big") + i.to_bytes(8, "big")
            if i == 0:
                block[:16] = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00"
                block[16:24] = seed.to_bytes(8, "big")
            handle.write(block)


# -- the throw-away portal ---------------------------------------------------------------------


def configure(work: Path) -> dict:
    env = {
        "DJANGO_DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "chinhquyen.settings",
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(work / "media"),
        "EVIDENCE_MAX_UPLOAD_SIZE": str((FILE_MB + 10) * MB),
        # The ZIP is measured streamed in the request (its memory must stay flat); by default
        # a selection this large would be written by a job in the worker instead.
        "EVIDENCE_ZIP_IN_REQUEST_MAX_BYTES": str(100 * 1024 * MB),
        # Django spools uploads to TMPDIR; on the media disk the final move is a rename.
        "TMPDIR": str(work / "tmp"),
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    (work / "tmp").mkdir()
    os.environ.update(env)
    return env


def build_portal(work: Path):
    """Migrate, load the demo, store ZIP_FILES videos; returns (assessment, upload leaf)."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.files import File
    from django.core.management import call_command

    from assessments.demo import demo_load
    from assessments.models import Assessment, Assignment
    from evidence.services import evidence_upload

    class OnDisk(File):
        # Like Django's TemporaryUploadedFile: storage moves the file instead of copying it.
        def temporary_file_path(self):
            return self.file.name

    call_command("migrate", verbosity=0)
    demo_load(password=PASSWORD)
    assessment = Assessment.objects.get(commune__name="Nghi Dương")
    leaves = list(
        Assignment.objects.filter(assessment=assessment)
        .select_related("criterion")
        .order_by("criterion__order")
    )
    from django.contrib.auth import get_user_model

    leader = get_user_model().objects.get(username="lanhdao")
    for i in range(ZIP_FILES):
        path = work / "tmp" / f"video-{i}.mp4"
        fake_mp4(path, FILE_MB, seed=i + 1)
        with open(path, "rb") as handle:
            outcome = evidence_upload(
                assessment=assessment,
                criterion=leaves[i].criterion,
                upload=OnDisk(handle, name=f"Video hội nghị {i + 1}.mp4"),
                by=leader,
            )
        assert outcome.status == "stored", outcome.message
        path.unlink(missing_ok=True)
    return assessment, leaves[ZIP_FILES].criterion


# -- the server and a small HTTP client --------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    with open(log, "wb") as output:  # the child keeps its own copy of the descriptor
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"Server exited: {log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("Server did not start within 30 s")


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024
    return values


def reset_peak(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class Client:
    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def open(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return connection, response

    def fetch(self, method, path, body=None, headers=None) -> tuple[int, bytes]:
        connection, response = self.open(method, path, body, headers)
        data = response.read()
        connection.close()
        return response.status, data

    def login(self, username: str) -> None:
        self.fetch("GET", "/dang-nhap/")
        form = f"username={username}&password={PASSWORD}&csrfmiddlewaretoken={self.cookies['csrftoken']}"
        status, _ = self.fetch(
            "POST",
            "/dang-nhap/",
            body=form.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"Login failed ({status})")


def multipart(path: Path, name: str):
    """(content type, length, body generator) for one file field, read 1 MiB at a time."""
    boundary = "bench" + secrets.token_hex(12)
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body():
        yield head
        with open(path, "rb") as handle:
            while chunk := handle.read(MB):
                yield chunk
        yield tail

    length = len(head) + path.stat().st_size + len(tail)
    return f"multipart/form-data; boundary={boundary}", length, body()


# -- the measurements --------------------------------------------------------------------------


def mib(n: float) -> str:
    return f"{n / MB:,.1f} MB"


def memory_line(before: dict, after: dict, goal_mb: int, reset: bool) -> str:
    growth = after["VmHWM"] - before["VmRSS"]
    verdict = "within" if growth < goal_mb * MB else "OVER"
    note = "" if reset else " (peak not resettable: includes earlier peaks)"
    return (
        f"  server RSS before {mib(before['VmRSS'])}, peak after {mib(after['VmHWM'])}: "
        f"growth {mib(growth)} ({verdict} goal < {goal_mb} MB){note}"
    )


def bench_upload(client, server, work, assessment_pk, criterion_pk):
    path = work / "tmp" / "upload.mp4"
    fake_mp4(path, FILE_MB, seed=999)
    content_type, length, body = multipart(path, "Video tiếp dân.mp4")
    reset = reset_peak(server.pid)
    before = proc_status(server.pid)
    start = time.perf_counter()
    status, data = client.fetch(
        "POST",
        f"/ky-danh-gia/{assessment_pk}/minh-chung/tieu-chi/{criterion_pk}/tai-len/",
        body=body,
        headers={
            "Content-Type": content_type,
            "Content-Length": str(length),
            "Accept": "application/json",
            "X-CSRFToken": client.cookies["csrftoken"],
        },
    )
    elapsed = time.perf_counter() - start
    after = proc_status(server.pid)
    path.unlink()
    result = json.loads(data)["results"][0] if status == 200 else {"status": status}
    print(f"1. Upload of one {FILE_MB} MB file (multipart, streamed from disk)")
    print(f"  HTTP {status}, {result.get('status')} as {result.get('code', '–')}")
    print(f"  {elapsed:.2f} s, {length / MB / elapsed:,.1f} MB/s")
    print(memory_line(before, after, UPLOAD_GOAL_MB, reset))


def bench_zip(client, server, work, assessment_pk):
    from evidence.models import Evidence

    stored = [
        Path(e.current_file.file.path)
        for e in Evidence.objects.filter(
            assessment_id=assessment_pk, deleted_at__isnull=True
        ).select_related("current_file")
    ]
    total_in = sum(p.stat().st_size for p in stored)

    reset = reset_peak(server.pid)
    before = proc_status(server.pid)
    start = time.perf_counter()
    connection, response = client.open("GET", f"/ky-danh-gia/{assessment_pk}/minh-chung/tai-ve.zip")
    received = 0
    while chunk := response.read(MB):
        received += len(chunk)
    connection.close()
    elapsed = time.perf_counter() - start
    after = proc_status(server.pid)
    print(f"2. ZIP of all evidence: {len(stored)} files, {mib(total_in)} stored")
    print(f"  HTTP {response.status}, {response.getheader('Content-Disposition')}")
    print(f"  portal:  {mib(received)} in {elapsed:.2f} s, {received / MB / elapsed:,.1f} MB/s")

    if shutil.which("zip") is None:
        print("  zip -0:  not run: Info-ZIP `zip` is not installed (apt-get install -y zip)")
    else:
        start = time.perf_counter()
        subprocess.run(
            ["zip", "-0", "-q", "-", *map(str, stored)], stdout=subprocess.DEVNULL, check=True
        )
        zip_elapsed = time.perf_counter() - start
        print(
            f"  zip -0:  {mib(total_in)} in {zip_elapsed:.2f} s, "
            f"{total_in / MB / zip_elapsed:,.1f} MB/s (same files, to /dev/null)"
        )
    print(memory_line(before, after, ZIP_GOAL_MB, reset))


def main() -> None:
    (ROOT / "var").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="evidence-bench-", dir=ROOT / "var"))
    server = None
    began = time.perf_counter()
    try:
        env = configure(work)
        print(f"Evidence benchmark in {work} (temporary SQLite database and MEDIA_ROOT)")
        assessment, leaf = build_portal(work)
        prepared = time.perf_counter() - began
        print(f"  prepared demo and {ZIP_FILES} × {FILE_MB} MB evidence in {prepared:.1f} s")
        port = free_port()
        server = start_server(env, port, work / "server.log")
        print(f"  runserver --noreload on 127.0.0.1:{port}, pid {server.pid}")
        client = Client(port)
        client.login("lanhdao")
        bench_upload(client, server, work, assessment.pk, leaf.pk)
        bench_zip(client, server, work, assessment.pk)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)
    print(f"Done in {time.perf_counter() - began:.0f} s; temporary files removed.")


if __name__ == "__main__":
    main()
