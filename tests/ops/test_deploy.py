"""The deployment files run the processes of one list (deploy/Procfile): each systemd unit
starts `deploy/run <process>` for a process the list names, and deploy/run refuses others."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

DEPLOY = Path(settings.BASE_DIR) / "deploy"


def procfile() -> dict[str, str]:
    lines = (DEPLOY / "Procfile").read_text(encoding="utf-8").splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def test_every_unit_runs_a_process_of_the_list():
    processes = procfile()
    assert set(processes) == {"web", "worker", "beat"}
    assert "gunicorn.conf.py" in processes["web"]
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.read(unit, encoding="utf-8")
        start = parser["Service"]["ExecStart"].split()
        assert start[0].endswith("/deploy/run"), unit.name
        assert start[1] in processes, unit.name
        assert parser["Service"]["EnvironmentFile"], unit.name


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
    assert "proxy_request_buffering off;" in conf


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


NGINX = shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin")


# `make test` installs nginx (scripts/system-deps.sh --test); CI always runs this test.
@pytest.mark.skipif(NGINX is None, reason="nginx is not installed")
def test_nginx_accepts_the_proxying(tmp_path):
    """`nginx -t` on a configuration that includes cqtt-proxy.conf as production does."""
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\n"
        "events {}\n"
        "http {\n"
        "  upstream cqtt { server 127.0.0.1:9; }\n"
        "  server {\n"
        "    listen 127.0.0.1:9;\n"
        f"    include {DEPLOY}/nginx/cqtt-proxy.conf;\n"
        "  }\n"
        "}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [str(NGINX), "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "e.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
