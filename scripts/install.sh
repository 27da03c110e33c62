#!/usr/bin/env bash
# Create the virtualenv in .venv and install the project with its development
# tools, at the exact versions of requirements.lock (scripts/lock.sh renews it).
# Idempotent: a second run only checks that everything is in place.
#
#   TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu scripts/install.sh   # CPU-only PyTorch
#   TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128 scripts/install.sh # a CUDA build
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
say() { printf '[install] %s\n' "$*"; }

need_apt=()
for pkg in python3 python3-venv python3-dev gcc curl; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ] && ! { command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null; }; then
  say "installing ${need_apt[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_apt[@]}" >/dev/null
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
. .venv/bin/activate
export PIP_DISABLE_PIP_VERSION_CHECK=1

LOCK=requirements.lock
locked() { grep -E "^$1==" "$LOCK" | head -1; }
if [ -n "${TORCH_INDEX_URL:-}" ]; then
  say "PyTorch from $TORCH_INDEX_URL"
  pip install -q "$(locked torch)" "$(locked torchvision)" --index-url "$TORCH_INDEX_URL"
fi

stamp=.venv/.agrimon-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "$LOCK" -nt "$stamp" ]; then
  say "installing Python packages from $LOCK (first run takes a few minutes)"
  pip install -q -c "$LOCK" -e '.[dev]' 2>&1 | grep -v -E "^WARNING: Location|is ignored: it is neither" || true
  pip check >/dev/null || { pip check; say "installed packages conflict"; exit 1; }
  python -c "import django, torch, ultralytics, cv2, channels, celery, paho.mqtt" \
    || { say "import check failed"; exit 1; }
  touch "$stamp"
fi
say "python packages ready ($(python -c 'import torch;print("torch", torch.__version__)'))"
