#!/usr/bin/env bash
# Renew requirements.lock: resolve pyproject.toml's ranges afresh in a throw-away virtualenv
# and record the exact version of every package. Run it after changing a dependency, then run
# scripts/test.sh and commit the lock with the change.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"${PYTHON:-python3}" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --disable-pip-version-check -e '.[dev]'
{
  echo "# Exact versions for scripts/install.sh (pip -c). Renew with scripts/lock.sh."
  echo "# Resolved with $("$tmp/venv/bin/python" --version) on $(uname -m)."
  "$tmp/venv/bin/pip" freeze --exclude-editable | grep -v -E '^(agrimon|-e )'
} > requirements.lock
echo "[lock] wrote requirements.lock ($(grep -c '==' requirements.lock) packages)"
