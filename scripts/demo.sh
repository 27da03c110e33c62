#!/usr/bin/env bash
# The whole system on one machine, with the demo data: services, web, Celery
# worker and beat, the MQTT bridge, a simulated fleet of nodes and the vision worker.
# Ctrl-C stops every process it started; the services keep running.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

scripts/install.sh
scripts/services.sh
. .venv/bin/activate
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/agrimon}"
export AGRIMON_PORT="${AGRIMON_PORT:-8000}"

python manage.py migrate --noinput -v0
# Retention policies before the first write, so no seed or process loses points to them.
python manage.py prepare_timeseries
python manage.py collectstatic --noinput -v0
python manage.py seed_demo
python manage.py seed_alert_templates --all-organisations
python manage.py seed_trace_demo
# Demo cameras and the detectors they use, trained here on synthetic images (a few
# minutes on a CPU the first time, cached afterwards; nothing is downloaded).
python manage.py seed_vision_demo

cat <<MSG

  Web app:   http://127.0.0.1:${AGRIMON_PORT}/       (admin: /admin/, API: /api/docs/)
  Log in as any demo user above, e.g. farmer_wang, manager_honghu, bureau_jingzhou.

MSG
exec honcho start -f Procfile
