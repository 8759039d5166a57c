"""The deployment files run the processes of one list (deploy/Procfile): each systemd unit
starts `deploy/run <process>` for a process the list names, and deploy/run refuses others."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

DEPLOY = Path(settings.BASE_DIR) / "deploy"


def procfile() -> dict[str, str]:
    lines = (DEPLOY / "Procfile").read_text(encoding="utf-8").splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read(DEPLOY / "systemd" / name, encoding="utf-8")
    return parser


def test_every_unit_runs_a_process_of_the_list():
    processes = procfile()
    assert set(processes) == {"web", "worker", "beat"}
    assert "gunicorn.conf.py" in processes["web"]
    services = {path.name for path in (DEPLOY / "systemd").glob("*.service")}
    assert services == {f"cqtt-{name}.service" for name in processes} | {"cqtt-backup.service"}
    for name in sorted(services - {"cqtt-backup.service"}):
        start = unit(name)["Service"]["ExecStart"].split()
        assert start[0].endswith("/deploy/run"), name
        assert start[1] in processes, name
        assert unit(name)["Service"]["EnvironmentFile"], name


def test_the_daily_backup_is_a_timer_running_the_backup_command(db, tmp_path):
    """cqtt-backup.timer starts cqtt-backup.service once a day (a missed day at the next
    boot), which runs `deploy/manage backup --into … --keep-days …` as the portal's user; the
    arguments are the command's own (parsed here by it, into a folder of the test's)."""
    timer = unit("cqtt-backup.timer")["Timer"]
    assert timer["OnCalendar"] == "*-*-* 01:30"
    assert timer["Persistent"] == "true"
    service = unit("cqtt-backup.service")["Service"]
    assert service["Type"] == "oneshot"
    assert service["User"] == "cqtt"
    program, command, *arguments = service["ExecStart"].split()
    assert (program, command) == ("/srv/cqtt/app/deploy/manage", "backup")
    assert arguments[:2] == ["--into", "/srv/cqtt/backups"]
    call_command(command, "--into", str(tmp_path / "backups"), *arguments[2:], verbosity=0)
    [made] = (tmp_path / "backups").iterdir()
    assert (made / "manifest.json").is_file()


def test_manage_runs_manage_py_with_the_environment_file(tmp_path):
    env_file = tmp_path / "production.env"
    env_file.write_text(
        'DJANGO_DEBUG=1\nPORTAL_BASE_URL=https://xa.example.vn\nDJANGO_TITLE="a b"\n',
        encoding="utf-8",
    )
    script = "from django.conf import settings; print(settings.PORTAL_BASE_URL)"
    result = subprocess.run(
        [str(DEPLOY / "manage"), "shell", "--no-imports", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ["PATH"], "CQTT_ENV_FILE": str(env_file)},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "https://xa.example.vn"


def test_manage_says_when_it_cannot_read_the_environment_file(tmp_path):
    result = subprocess.run(
        [str(DEPLOY / "manage"), "check"],
        capture_output=True,
        text=True,
        timeout=10,
        env={"PATH": os.environ["PATH"], "CQTT_ENV_FILE": str(tmp_path / "missing.env")},
    )
    assert result.returncode == 2
    assert "cannot read" in result.stderr and "missing.env" in result.stderr


def test_the_worker_runs_at_a_lower_priority_than_the_web(tmp_path):
    """WORKER_NICE (5 by default) more than its caller, as `deploy/run worker` runs it."""
    command = procfile()["worker"]
    assert command.endswith(".venv/bin/celery -A chinhquyen worker --loglevel INFO")
    probe = command.replace(
        ".venv/bin/celery -A chinhquyen worker --loglevel INFO",
        f"{sys.executable} -c 'import os; print(os.nice(0))'",
    )
    own = os.nice(0)
    for env, more in (({}, 5), ({"WORKER_NICE": "2"}, 2)):
        result = subprocess.run(
            ["sh", "-c", f"exec {probe}"],
            capture_output=True,
            text=True,
            timeout=10,
            env={"PATH": os.environ["PATH"], **env},
            check=True,
        )
        assert int(result.stdout) == min(own + more, 19)
    # The web and beat run at the caller's priority.
    assert not any(procfile()[name].startswith("nice") for name in ("web", "beat"))


def test_run_refuses_a_process_not_in_the_list():
    result = subprocess.run(
        [str(DEPLOY / "run"), "nosuch"], capture_output=True, text=True, timeout=10
    )
    assert result.returncode == 2
    assert "no process 'nosuch'" in result.stderr


def test_nginx_passes_the_request_id_and_the_protocol():
    conf = (DEPLOY / "nginx" / "cqtt-proxy.conf").read_text(encoding="utf-8")
    assert "proxy_set_header X-Request-ID $request_id;" in conf
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    # Slow uploads are received by nginx, not by the portal's few threads (README "Threads").
    assert "proxy_request_buffering on;" in conf


def test_production_and_the_cluster_test_include_the_same_proxying():
    """One file holds the proxying: the production site includes it from the checkout, and
    the cluster test's generated configuration includes it as it is (only the listening
    address and the nodes are its own)."""
    site = (DEPLOY / "nginx" / "cqtt.conf").read_text(encoding="utf-8")
    assert "include /srv/cqtt/app/deploy/nginx/cqtt-proxy.conf;" in site
    assert "proxy_pass" not in site
    cluster = (DEPLOY.parent / "scripts" / "cluster").read_text(encoding="utf-8")
    assert "include $ROOT/deploy/nginx/cqtt-proxy.conf;" in cluster
    assert "upstream cqtt {" in site and "upstream cqtt {" in cluster
    # and the cluster's processes are the list's, started as systemd starts them
    assert 'exec "$ROOT/deploy/run" "$process"' in cluster


def test_nginx_accepts_the_configuration(tmp_path):
    """`nginx -t` on deploy/nginx/cqtt.conf as the guide installs it (Debian 12's nginx 1.22,
    installed by scripts/system-deps.sh --test), with a throwaway certificate at its paths."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is missing: bash scripts/system-deps.sh --test"
    certificate, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=cqtt.example.vn", "-keyout", str(key), "-out", str(certificate)],
        check=True,
        capture_output=True,
    )
    conf = (DEPLOY / "nginx" / "cqtt.conf").read_text(encoding="utf-8")
    conf = conf.replace("/etc/ssl/cqtt/fullchain.pem", str(certificate))
    conf = conf.replace("/etc/ssl/cqtt/privkey.pem", str(key))
    conf = conf.replace("/srv/cqtt/app/deploy", str(DEPLOY))
    (tmp_path / "cqtt.conf").write_text(conf, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{ access_log off; include {tmp_path}/cqtt.conf; }}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
