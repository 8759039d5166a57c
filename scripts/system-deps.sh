#!/usr/bin/env bash
# Installs the Debian packages the portal needs when they are missing.
#   scripts/system-deps.sh          run time: WeasyPrint's pango/harfbuzz libraries
#   scripts/system-deps.sh --test   plus what the tests use: Chromium, poppler-utils, and
#                                   nginx (tests/ops/test_deploy.py runs `nginx -t`) and curl
#                                   for the cluster test (scripts/cluster)
#   scripts/system-deps.sh --cluster run time plus the cluster test's nginx and curl
# Without root (and without sudo) it prints the one apt-get line to run instead.
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(chromium poppler-utils softhsm2 nginx-light)
fi
if [[ "${1:-}" == "--test" || "${1:-}" == "--cluster" ]]; then
  packages+=(curl)
  # Any nginx will do (nginx, nginx-light, nginx-full): the cluster test runs its own.
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || packages+=(nginx-light)
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "Thiếu gói hệ thống: ${missing[*]} (không tìm thấy apt-get; hãy cài bằng trình quản lý gói của máy)." >&2
  exit 1
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo="sudo"
  else
    echo "Thiếu gói hệ thống. Hãy chạy:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi
echo "Cài gói hệ thống: ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
