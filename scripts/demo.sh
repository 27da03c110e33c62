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
# The domain every printed QR code carries. By default the demo serves this machine only,
# so its codes open http://127.0.0.1:PORT. DEMO_LAN=1 serves the local network instead and
# prints this machine's LAN address, so a phone on the same Wi-Fi scans a label to the
# public page (the demo's passwords are public: do this on a trusted network only). In
# production set RESOLVER_DOMAIN to the public domain (README, "Labels and the resolver").
if [[ "${DEMO_LAN:-0}" == 1 ]]; then
  LAN_IP="$(hostname -I 2>/dev/null | awk '{print $1}')"
  [[ -n "$LAN_IP" ]] || { echo "DEMO_LAN=1: no LAN address found" >&2; exit 1; }
  export AGRIMON_HOST=0.0.0.0
  export ALLOWED_HOSTS="${ALLOWED_HOSTS:-localhost,127.0.0.1,[::1],$LAN_IP}"
  export RESOLVER_DOMAIN="${RESOLVER_DOMAIN:-http://$LAN_IP:$AGRIMON_PORT}"
fi
export RESOLVER_DOMAIN="${RESOLVER_DOMAIN:-http://127.0.0.1:$AGRIMON_PORT}"

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
  QR labels open ${RESOLVER_DOMAIN}  (RESOLVER_DOMAIN; DEMO_LAN=1 for phones on this network)

MSG
exec honcho start -f Procfile
