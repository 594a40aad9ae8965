#!/usr/bin/env bash
# Startup benchmark for `valet` (release build, SQLite, 127.0.0.1 only):
#   1. first start (fresh data dir: migrations, master key, signing keys, first admin) -> first 200 on discovery
#   2. restart on the same data dir -> first 200 on discovery
#   3. idle RSS after one discovery and one JWKS request and 2 s of idleness
# Usage: bench/startup.sh [-n RUNS] [--no-build]     (RUNS also from $RUNS; default 10)
set -euo pipefail

runs=${RUNS:-10}
build=1
while (($#)); do
    case $1 in
        -n | --runs) runs=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        -h | --help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "RUNS must be a positive integer" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
valet=${VALET_BIN:-$target/release/valet}
poller=(python3 "$here/first_response.py")

work=$(mktemp -d "${TMPDIR:-/tmp}/valet-bench.XXXXXX")
poller_pid=
cleanup() {
    set +e
    # The poller stops its server itself; the pid file covers a poller that was killed hard.
    [[ -n $poller_pid ]] && kill "$poller_pid" 2>/dev/null && wait "$poller_pid" 2>/dev/null
    if [[ -f $work/server.pid ]]; then
        local pid
        pid=$(<"$work/server.pid")
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ((build)); then
    echo "== building valet (release)" >&2
    (cd "$root" && cargo build --release -p valet-server) >&2
fi
[[ -x $valet ]] || { echo "no valet binary at $valet (build it, or set VALET_BIN)" >&2; exit 1; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# measure DATA_DIR PORT [poller options...]: the poller's output (ms, then RSS kB if asked) goes to
# $work/measure.out. Runs in this shell (no command substitution), so the traps see the poller's pid.
measure() {
    local data=$1 port=$2
    shift 2
    # Only the flags below configure the server: ignore VALET_* settings from the caller's environment.
    env $(env | sed -n 's/^\(VALET_[A-Za-z0-9_]*\)=.*/-u \1/p') \
        "${poller[@]}" "$@" --pidfile "$work/server.pid" "$port" /.well-known/openid-configuration -- \
        "$valet" --listen "127.0.0.1:$port" --issuer "http://127.0.0.1:$port" --data-dir "$data" serve \
        >"$work/measure.out" 2>>"$work/server.log" </dev/null &
    poller_pid=$!
    local status=0
    wait "$poller_pid" || status=$?
    if ((status > 128)); then
        exit "$status" # interrupted: the EXIT trap cleans up
    elif ((status)); then
        poller_pid=
        echo "measurement failed; server log tail:" >&2
        tail -n 20 "$work/server.log" >&2
        exit 1
    fi
    poller_pid=
    rm -f "$work/server.pid"
}

# stats: reads numbers, prints "min median max" (ms, one decimal).
stats() {
    sort -g | awk '{ v[NR] = $1 }
        END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "min %8.1f   median %8.1f   max %8.1f", v[1], m, v[NR] }'
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
mem_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
echo "== machine"
echo "cpus:    $(nproc) (of $(grep -c '^processor' /proc/cpuinfo) online in /proc/cpuinfo)"
echo "cpu:     ${cpu:-unknown}"
echo "memory:  $((mem_kb / 1024)) MiB"
echo "kernel:  $(uname -sr)"
echo "valet:   $valet ($(du -h "$valet" | cut -f1)), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' + local changes')"
echo "runs:    $runs (each on a fresh SQLite data dir: first start, then restart)"
echo

first=() restart=()
for ((i = 1; i <= runs; i++)); do
    data="$work/data-$i"
    port=$(free_port)
    measure "$data" "$port"
    first+=("$(<"$work/measure.out")")
    measure "$data" "$port"
    restart+=("$(<"$work/measure.out")")
    printf 'run %2d: first start %8.1f ms   restart %8.1f ms\n' "$i" "${first[-1]}" "${restart[-1]}" >&2
    rm -rf "$data"
done

data="$work/data-rss"
port=$(free_port)
measure "$data" "$port" --rss-after 2
mapfile -t first_rss <"$work/measure.out"
measure "$data" "$port" --rss-after 2
mapfile -t rss <"$work/measure.out"

echo "== exec -> first 200 on /.well-known/openid-configuration (ms, $runs runs)"
echo "first start (new keys + admin): $(printf '%s\n' "${first[@]}" | stats)"
echo "restart (existing data):        $(printf '%s\n' "${restart[@]}" | stats)"
echo
echo "== idle RSS (VmRSS after discovery + JWKS + 2 s idle)"
awk -v a="${rss[1]}" -v b="${first_rss[1]}" 'BEGIN {
    printf "after a restart:     %6.1f MiB (%d kB)\n", a / 1024, a
    printf "after a first start: %6.1f MiB (%d kB)\n", b / 1024, b }'
