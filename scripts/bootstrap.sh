#!/usr/bin/env bash
# Prepare this checkout on a fresh Debian 12 machine: Debian packages (as root, with apt-get,
# only those missing), then .venv with the project and its dev tools. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(
  mosquitto redis-server          # the real broker and Redis the tests and the demo start privately
  chromium                        # headless browser for the dashboard tests and screenshots
  docker-compose                  # validates the compose files (no Docker engine is needed for that)
  libgl1 libegl1 libglib2.0-0     # OpenCV / MediaPipe and Qt's offscreen platform
  libxkbcommon0 libfontconfig1 libdbus-1-3 fonts-dejavu-core
)

missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "error: missing Debian packages: ${missing[*]}" >&2
    echo "       run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "error: Python >= 3.11 is needed ($PY is $("$PY" --version 2>&1))" >&2
  exit 1
fi
if [[ ! -x .venv/bin/python ]]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    [[ $(id -u) -eq 0 ]] && apt-get install -y -qq python3-venv >/dev/null && "$PY" -m venv .venv \
      || { echo "error: '$PY -m venv' fails: install python3-venv" >&2; exit 1; }
  fi
fi

stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [[ ! -f $stamp ]]; then
  echo "installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  rm -f .venv/.installed-* && touch "$stamp"
fi
