#!/usr/bin/env bash
# The test command: install, start the services, lint, then the whole suite
# against real PostgreSQL, Redis, Mosquitto and InfluxDB. Extra arguments go to pytest.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
start=$SECONDS

scripts/install.sh
scripts/browser.sh
scripts/services.sh
. .venv/bin/activate

echo "[test] ruff"
ruff check .
ruff format --check .

export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/agrimon}"
export AGRIMON_STATE_DIR="${AGRIMON_STATE_DIR:-$REPO/.state}"
export YOLO_OFFLINE=1
echo "[test] pytest"
set +e
python -m pytest -p no:cacheprovider "$@"
rc=$?
set -e
echo "[test] finished in $((SECONDS - start)) s"
exit $rc
