#!/usr/bin/env bash
# Install (if missing) and start the servers the system needs: PostgreSQL, Redis,
# Mosquitto and InfluxDB 1.x. Idempotent: a server that already answers is reused,
# never restarted. Waits until each one answers, then creates the databases.
#
# Environment: AGRIMON_STATE_DIR (default: <repo>/.state), PGHOST/PGPORT/PGUSER,
#              AGRIMON_DB_NAMES (default: "agrimon"), INFLUX_DB (default: agrimon).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${AGRIMON_STATE_DIR:-$REPO/.state}"
PGHOST="${PGHOST:-127.0.0.1}"; PGPORT="${PGPORT:-5432}"; PGUSER="${PGUSER:-postgres}"
DB_NAMES="${AGRIMON_DB_NAMES:-agrimon}"
INFLUX_DB="${INFLUX_DB:-agrimon}"
mkdir -p "$STATE/log"

say() { printf '[services] %s\n' "$*"; }

APT_UPDATED=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    say "missing Debian packages: ${missing[*]} (run as root, or install them)"; exit 1
  fi
  if [ $APT_UPDATED = 0 ]; then apt-get update -q >/dev/null; APT_UPDATED=1; fi
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# wait_for NAME SECONDS COMMAND... — poll until COMMAND succeeds.
wait_for() {
  local name=$1 timeout=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then say "$name did not answer within ${timeout}s"; return 1; fi
    sleep 0.3
  done
  say "$name is up"
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

pg_up() { pg_isready -q -h "$PGHOST" -p "$PGPORT"; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }
mqtt_up() { port_open 127.0.0.1 1883; }
influx_up() { curl -sf -o /dev/null "http://127.0.0.1:8086/ping"; }

start_postgres() {
  pg_up && { say "PostgreSQL already answering"; return; }
  apt_install postgresql postgresql-client
  local ver; ver=$(ls /etc/postgresql | sort -V | tail -1)
  # Local trust authentication on loopback, for development and CI only.
  local hba="/etc/postgresql/$ver/main/pg_hba.conf"
  if ! grep -q "agrimon-dev-trust" "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust # agrimon-dev-trust\nhost all all ::1/128 trust # agrimon-dev-trust\nlocal all all trust # agrimon-dev-trust' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start
  wait_for PostgreSQL 60 pg_up
}

start_redis() {
  redis_up && { say "Redis already answering"; return; }
  apt_install redis-server
  mkdir -p "$STATE/redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir "$STATE/redis" --logfile "$STATE/log/redis.log"
  wait_for Redis 30 redis_up
}

start_mosquitto() {
  mqtt_up && { say "Mosquitto already answering"; return; }
  apt_install mosquitto mosquitto-clients
  mkdir -p "$STATE/mosquitto"
  sed "s#@STATE@#$STATE#g" "$REPO/deploy/mosquitto.conf" > "$STATE/mosquitto/mosquitto.conf"
  # Started as root, mosquitto drops to its own user: let that user save sessions and log.
  if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then
    touch "$STATE/log/mosquitto.log"
    chown mosquitto "$STATE/mosquitto" "$STATE/log/mosquitto.log"
  fi
  mosquitto -d -c "$STATE/mosquitto/mosquitto.conf"
  wait_for Mosquitto 30 mqtt_up
}

start_influxdb() {
  if ! influx_up; then
    apt_install influxdb influxdb-client curl
    mkdir -p "$STATE/influxdb"
    sed "s#@STATE@#$STATE#g" "$REPO/deploy/influxdb.conf.in" > "$STATE/influxdb/influxdb.conf"
    nohup influxd -config "$STATE/influxdb/influxdb.conf" >>"$STATE/log/influxdb.log" 2>&1 &
    echo $! > "$STATE/influxdb/influxd.pid"
    wait_for InfluxDB 60 influx_up
  else
    say "InfluxDB already answering"
  fi
  curl -sf -o /dev/null -XPOST "http://127.0.0.1:8086/query" \
    --data-urlencode "q=CREATE DATABASE \"$INFLUX_DB\""
}

create_databases() {
  for db in $DB_NAMES; do
    if ! psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -tAc \
        "SELECT 1 FROM pg_database WHERE datname='$db'" postgres | grep -q 1; then
      psql -q -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -c "CREATE DATABASE \"$db\"" postgres
      say "created database $db"
    fi
  done
}

command -v pg_isready >/dev/null || apt_install postgresql-client
command -v redis-cli >/dev/null || apt_install redis-tools
command -v curl >/dev/null || apt_install curl

start_postgres
start_redis
start_mosquitto
start_influxdb
create_databases
say "all services ready (state in $STATE)"
