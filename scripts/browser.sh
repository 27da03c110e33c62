#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it by executable path;
# nothing is downloaded by Playwright itself).
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  echo "[browser] installing Debian chromium"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-noto-cjk >/dev/null
fi
