#!/usr/bin/env bash
# The high-availability topology of SPEC §10 on one machine, for tests and for a try-out:
#   PostgreSQL: pg_auto_failover monitor + two nodes (primary and synchronous standby, automatic failover);
#   Redis: master + replica + three Sentinels watching service "mymaster".
#
#   scripts/ha.sh up                 start everything, wait until ready, print the `export CERTLIB_...` lines of a node
#   scripts/ha.sh env                print those lines again
#   scripts/ha.sh failover [postgres] kill -9 the PostgreSQL primary node; return once the standby, promoted,
#                                     accepts writes; then restart the killed node, which rejoins as standby
#   scripts/ha.sh failover redis     the same for the Redis master (Sentinel promotes the replica)
#   scripts/ha.sh wait               until PostgreSQL has a primary and a secondary and Redis a master with its replica
#   scripts/ha.sh state              pg_autoctl show state, and Sentinel's view of the master
#   scripts/ha.sh down               stop everything and delete the state directory
#
# Settings (environment): CERTLIB_HA_DIR (state directory, default /tmp/certlib-ha), CERTLIB_HA_PORT (first of
# 30 consecutive ports, default 57000), CERTLIB_HA_PG_SETTINGS (extra postgresql.conf settings of both nodes,
# space separated name=value, default "max_connections=300").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/servers.sh"

dir=${CERTLIB_HA_DIR:-/tmp/certlib-ha}
base=${CERTLIB_HA_PORT:-57000}
pg_settings=${CERTLIB_HA_PG_SETTINGS:-max_connections=300}
monitor_port=$base
pg_ports=($((base + 1)) $((base + 2)))
redis_ports=($((base + 10)) $((base + 11)))
sentinel_ports=($((base + 20)) $((base + 21)) $((base + 22)))
service=mymaster
pg_user=$([ "$(id -u)" = 0 ] && echo postgres || id -un)

log() { echo "ha.sh: $*" >&2; }
die() { log "$*"; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# pg_autoctl keeps its configuration, state and pid files under the XDG directories: private ones here.
autoctl() {
  run_pg env XDG_CONFIG_HOME="$dir/xdg/config" XDG_DATA_HOME="$dir/xdg/data" XDG_RUNTIME_DIR="$dir/xdg/run" \
    PG_CONFIG="$pg_bin/pg_config" pg_autoctl "$@"
}

psql_at() { # PORT DATABASE SQL
  "$pg_bin/psql" -X -q -At -h 127.0.0.1 -p "$1" -U "$pg_user" -d "$2" -c "$3"
}

monitor_sql() { psql_at "$monitor_port" pg_auto_failover "$1"; }

# Starts `pg_autoctl run` for PGDATA in its own session (so that a kill of the session is a kill of the node).
start_keeper() { # NAME
  local name=$1
  local as_pg=()
  [ "$(id -u)" = 0 ] && as_pg=(runuser -u postgres --)
  setsid "${as_pg[@]}" env XDG_CONFIG_HOME="$dir/xdg/config" XDG_DATA_HOME="$dir/xdg/data" \
    XDG_RUNTIME_DIR="$dir/xdg/run" PG_CONFIG="$pg_bin/pg_config" \
    pg_autoctl run --pgdata "$dir/$name" >>"$dir/log/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/$name.session"
}

wait_for() { # SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "timed out after ${seconds}s waiting for $what (logs: $dir/log)"
    sleep 0.2
  done
}

# The node the monitor calls primary (port), when its state is settled.
pg_primary_port() { monitor_sql "SELECT nodeport FROM pgautofailover.node WHERE reportedstate = 'primary' AND goalstate = 'primary'"; }
pg_settled() { [ "$(monitor_sql "SELECT count(*) FROM pgautofailover.node WHERE reportedstate = goalstate AND reportedstate IN ('primary', 'secondary')")" = 2 ]; }
node_is() { [ "$(monitor_sql "SELECT reportedstate FROM pgautofailover.node WHERE nodename = '$1'")" = "$2" ]; }
pg_sync() { [ -n "$(psql_at "$1" postgres "SELECT 1 FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')")" ]; }
pg_writable() { psql_at "$1" postgres "CREATE TABLE IF NOT EXISTS ha_probe (at timestamptz); INSERT INTO ha_probe VALUES (now())"; }

redis_master_port() { redis-cli -p "${sentinel_ports[0]}" SENTINEL get-master-addr-by-name "$service" 2>/dev/null | sed -n 2p; }
redis_writable() { [ "$(redis-cli -p "$1" SET ha:probe 1 2>/dev/null)" = OK ]; }
redis_synced() {
  local master
  master=$(redis_master_port)
  [ -n "$master" ] && redis_writable "$master" && [ "$(redis-cli -p "$master" INFO replication | tr -d '\r' | sed -n 's/^connected_slaves://p')" = 1 ] \
    && for s in "${sentinel_ports[@]}"; do
      [ "$(redis-cli -p "$s" SENTINEL get-master-addr-by-name "$service" | sed -n 2p)" = "$master" ] || return 1
      [ "$(redis-cli -p "$s" SENTINEL master "$service" | tr -d '\r' | awk 'p { print; exit } $0 == "num-other-sentinels" { p = 1 }')" = 2 ] || return 1
    done
}

print_env() {
  local hosts="127.0.0.1:${pg_ports[0]},127.0.0.1:${pg_ports[1]}"
  local sentinels="127.0.0.1:${sentinel_ports[0]},127.0.0.1:${sentinel_ports[1]},127.0.0.1:${sentinel_ports[2]}"
  echo "export CERTLIB_STORE=postgresql"
  echo "export CERTLIB_POSTGRES='Host=$hosts;Target Session Attributes=primary;Host Recheck Seconds=1;Username=$pg_user;Database=postgres;Pooling=true;Maximum Pool Size=50;Timeout=3'"
  echo "export CERTLIB_REDIS='$sentinels,serviceName=$service'"
}

start_redis() { # PORT [redis-server options...]
  local port=$1
  shift
  mkdir -p "$dir/redis-$port"
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no --dir "$dir/redis-$port" \
    --pidfile "$dir/redis-$port.pid" --logfile "$dir/log/redis-$port.log" "$@"
}

up() {
  local started
  started=$(now)
  [ ! -e "$dir/up" ] || die "already up in $dir (scripts/ha.sh down first)"
  local need=()
  command -v pg_autoctl >/dev/null || need+=(postgresql-15-auto-failover)
  command -v redis-sentinel >/dev/null || need+=(redis-sentinel)
  certlib_install_missing "${need[@]}"
  pg_user=$([ "$(id -u)" = 0 ] && echo postgres || id -un)
  rm -rf "$dir"
  mkdir -p "$dir/log" "$dir/xdg/config" "$dir/xdg/data" "$dir/xdg/run"
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown -R postgres "$dir/log" "$dir/xdg" && chmod 700 "$dir/xdg/run" && chown postgres "$dir"

  # Monitor; failure detection tuned from the defaults (20 s) to about 2 s for one machine.
  autoctl create monitor --pgdata "$dir/monitor" --pgport "$monitor_port" --pgctl "$pg_bin/pg_ctl" \
    --hostname 127.0.0.1 --auth trust --no-ssl >>"$dir/log/monitor.log" 2>&1
  autoctl config set --pgdata "$dir/monitor" postgresql.listen_addresses 127.0.0.1 >/dev/null
  start_keeper monitor
  wait_for 60 "the monitor" monitor_sql "SELECT 1 FROM pgautofailover.formation"
  local setting
  for setting in health_check_period=1000 health_check_timeout=1000 health_check_max_retries=1 \
    health_check_retry_delay=500 node_considered_unhealthy_timeout=2000 primary_demote_timeout=3000; do
    monitor_sql "ALTER SYSTEM SET pgautofailover.${setting%%=*} = ${setting#*=}" >/dev/null
  done
  monitor_sql "SELECT pg_reload_conf()" >/dev/null
  local monitor_uri="postgres://autoctl_node@127.0.0.1:$monitor_port/pg_auto_failover?sslmode=disable"

  local i
  for i in 0 1; do
    local name="node$((i + 1))"
    autoctl create postgres --pgdata "$dir/$name" --pgport "${pg_ports[$i]}" --pgctl "$pg_bin/pg_ctl" \
      --hostname 127.0.0.1 --name "$name" --listen 127.0.0.1 --username "$pg_user" --dbname postgres --auth trust --no-ssl \
      --monitor "$monitor_uri" --replication-quorum true --candidate-priority 50 >>"$dir/log/$name.log" 2>&1
    if [ "$i" = 0 ]; then
      # Settings written before the standby is cloned, so both nodes have them.
      local s
      for s in $pg_settings; do
        echo "${s%%=*} = '${s#*=}'" >>"$dir/$name/postgresql.conf"
      done
      run_pg "$pg_bin/pg_ctl" -D "$dir/$name" -w -m fast stop >/dev/null 2>&1 || true
    fi
    # A node answers quickly to a network partition: demote itself after 2 s without monitor nor standby.
    autoctl config set --pgdata "$dir/$name" timeout.network_partition_timeout 2 >/dev/null
    start_keeper "$name"
    if [ "$i" = 0 ]; then
      wait_for 60 "node1 to become a single primary" node_is node1 single
    fi
  done
  wait_for 120 "primary + synchronous standby" pg_settled
  local primary
  primary=$(pg_primary_port)
  wait_for 30 "synchronous replication" pg_sync "$primary"
  wait_for 30 "a write on the primary" pg_writable "$primary"

  # Redis master, replica and three Sentinels (quorum 2).
  start_redis "${redis_ports[0]}"
  start_redis "${redis_ports[1]}" --replicaof 127.0.0.1 "${redis_ports[0]}"
  local s
  for s in "${sentinel_ports[@]}"; do
    mkdir -p "$dir/sentinel-$s"
    cat >"$dir/sentinel-$s/sentinel.conf" <<EOF
port $s
bind 127.0.0.1
daemonize yes
pidfile $dir/sentinel-$s.pid
logfile $dir/log/sentinel-$s.log
dir $dir/sentinel-$s
sentinel monitor $service 127.0.0.1 ${redis_ports[0]} 2
sentinel down-after-milliseconds $service 1000
sentinel failover-timeout $service 5000
sentinel parallel-syncs $service 1
EOF
    redis-sentinel "$dir/sentinel-$s/sentinel.conf"
  done
  wait_for 60 "Redis master, replica and Sentinels" redis_synced

  touch "$dir/up"
  log "up in $(elapsed "$started") s (state: $dir)"
  print_env
}

# Kills a whole node: its pg_autoctl session (keeper and supervisor) and its postgres processes, all with SIGKILL.
kill_pg_node() { # NAME
  local name=$1 pids=() postmaster
  postmaster=$(head -n 1 "$dir/$name/postmaster.pid" 2>/dev/null || true)
  if [ -n "$postmaster" ]; then
    pids+=("$postmaster")
    mapfile -t -O ${#pids[@]} pids < <(pgrep -P "$postmaster" || true)
  fi
  kill -9 -- "-$(cat "$dir/$name.session")" 2>/dev/null || true
  [ ${#pids[@]} -eq 0 ] || kill -9 "${pids[@]}" 2>/dev/null || true
}

failover_postgres() {
  local old old_name new started
  pg_settled || die "PostgreSQL is not settled (primary + secondary): see scripts/ha.sh state"
  old=$(pg_primary_port)
  old_name=$(monitor_sql "SELECT nodename FROM pgautofailover.node WHERE nodeport = $old")
  started=$(now)
  kill_pg_node "$old_name"
  log "kill -9 of PostgreSQL primary $old_name (port $old): done"
  local deadline=$((SECONDS + 90))
  while :; do
    new=$(monitor_sql "SELECT nodeport FROM pgautofailover.node WHERE nodeport <> $old AND reportedstate IN ('wait_primary', 'primary')" 2>/dev/null || true)
    [ -n "$new" ] && pg_writable "$new" >/dev/null 2>&1 && break
    [ $SECONDS -lt $deadline ] || die "no new primary after 90 s (logs: $dir/log)"
    sleep 0.2
  done
  log "new primary on port $new accepts writes $(elapsed "$started") s after the kill"
  # The killed machine comes back: its keeper rewinds it and it rejoins as the standby.
  start_keeper "$old_name"
  echo "$new"
}

failover_redis() {
  local old new started pid
  redis_synced || die "Redis is not settled (master + replica + 3 Sentinels)"
  old=$(redis_master_port)
  pid=$(cat "$dir/redis-$old.pid")
  started=$(now)
  kill -9 "$pid"
  log "kill -9 of Redis master (port $old): done"
  local deadline=$((SECONDS + 60))
  while :; do
    new=$(redis_master_port)
    [ -n "$new" ] && [ "$new" != "$old" ] && redis_writable "$new" && break
    [ $SECONDS -lt $deadline ] || die "Sentinel promoted no replica after 60 s (logs: $dir/log)"
    sleep 0.2
  done
  log "new Redis master on port $new accepts writes $(elapsed "$started") s after the kill"
  # The old master comes back empty; Sentinel turns it into a replica of the new master.
  rm -f "$dir/redis-$old.pid"
  start_redis "$old"
  echo "$new"
}

down() {
  set +e
  local f
  for f in "$dir"/sentinel-*.pid "$dir"/redis-*.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
  done
  for f in "$dir"/node1 "$dir"/node2 "$dir"/monitor; do
    [ -f "$f.session" ] && kill -TERM -- "-$(cat "$f.session")" 2>/dev/null
  done
  sleep 1
  for f in "$dir"/node1 "$dir"/node2 "$dir"/monitor; do
    [ -f "$f.session" ] && kill -9 -- "-$(cat "$f.session")" 2>/dev/null
    [ -f "$f/postmaster.pid" ] && run_pg "$pg_bin/pg_ctl" -D "$f" -m immediate stop >/dev/null 2>&1
  done
  rm -rf "$dir"
  return 0
}

state() {
  autoctl show state --pgdata "$dir/monitor"
  echo "Redis master (Sentinel): 127.0.0.1:$(redis_master_port)"
}

pg_bin=$(find_pg_bin)
case "${1:-}" in
  up) up ;;
  env) print_env ;;
  failover)
    case "${2:-postgres}" in
      postgres | postgresql) failover_postgres ;;
      redis) failover_redis ;;
      *) die "usage: ha.sh failover [postgres|redis]" ;;
    esac
    ;;
  wait)
    wait_for 120 "PostgreSQL primary + secondary" pg_settled
    wait_for 30 "synchronous replication" pg_sync "$(pg_primary_port)"
    wait_for 60 "Redis master, replica and Sentinels" redis_synced
    ;;
  state) state ;;
  down) down ;;
  *) die "usage: ha.sh up|env|failover [postgres|redis]|wait|state|down" ;;
esac
