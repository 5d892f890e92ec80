#!/usr/bin/env bash
# A throwaway PostgreSQL on loopback for the suite: `start DIR PORT` prints the URL, `stop DIR`,
# `kill DIR` (an immediate shutdown: what a crash of the server looks like to its clients).
# Uses Debian's server packages (installed with apt when missing and we are root). Postgres
# refuses to run as root, so as root the cluster belongs to the `postgres` user.
set -euo pipefail
cmd=${1:?start|stop} dir=${2:?data folder} port=${3:-55432}
find_bin() {
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && { echo "$d"; return; }; done
  command -v pg_ctl >/dev/null && { dirname "$(command -v pg_ctl)"; return; }
  return 1
}
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    if ! bin=$(find_bin); then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q postgresql >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null; }
        bin=$(find_bin)
      else
        echo "no PostgreSQL server here (install Debian's postgresql package)" >&2; exit 1
      fi
    fi
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; chmod 700 "$dir"; fi
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir" -U taorui --auth=trust -E UTF8 >/dev/null
    fi
    as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=500 -c fsync=on" start >/dev/null
    as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U taorui -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='taorui'" | grep -q 1 || \
      as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U taorui taorui
    echo "postgresql://taorui@127.0.0.1:$port/taorui"
    ;;
  stop)
    bin=$(find_bin) || exit 0
    [ -f "$dir/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
    ;;
  kill)
    bin=$(find_bin) || exit 0
    [ -f "$dir/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null || true
    ;;
  *) echo "usage: $0 start|stop|kill DIR [PORT]" >&2; exit 2 ;;
esac
