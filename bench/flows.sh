#!/usr/bin/env bash
# Load benchmark of the protocol endpoints (not a test: prints figures, never fails on a threshold).
# The server is pinned to CPU 0 and wrk to CPU 1 (with a PostgreSQL server on this machine, while its
# backend is measured); every scenario is bounded in time and targets
# 127.0.0.1 only. Reports requests/s, p50/p99 latency and requests per server CPU-second.
# Scenarios: discovery jwks client_credentials userinfo code_flow refresh introspection login.
# `login` also measures the argon2id ceiling (the `argon2_ceiling` example of valet-core, pinned to
# CPU 0 like the server) right before and right after each run, and prints logins/s against their
# mean, and the server's CPU per login by kind of thread.
#
#   bench/flows.sh                 # SQLite and PostgreSQL, 16 and 64 connections, 10 s per run
#   DURATION=5s BACKENDS=sqlite bench/flows.sh
#   SCENARIOS="refresh introspection" bench/flows.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10s}"
BACKENDS="${BACKENDS:-sqlite postgres}"
CONNECTIONS="${CONNECTIONS:-16 64}"
ALL_SCENARIOS="discovery jwks client_credentials userinfo code_flow refresh introspection login"
SCENARIOS="${SCENARIOS:-$ALL_SCENARIOS}"
for s in $SCENARIOS; do
  [[ " $ALL_SCENARIOS " == *" $s "* ]] || { echo "unknown scenario $s (known: $ALL_SCENARIOS)" >&2; exit 2; }
done
want() { [[ " $SCENARIOS " == *" $1 "* ]]; }
PG_ADMIN_URL="${VALET_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/valet-target}"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
BIN_ORIGIN="built from the working tree at commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
[ -z "${VALET_BIN:-}" ] || BIN_ORIGIN="given by VALET_BIN; the working tree is at commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
[ -n "${VALET_BIN:-}" ] || { cargo build --release --locked -q -p valet-server --bin valet; VALET_BIN="$CARGO_TARGET_DIR/release/valet"; }
LOGIN_USERS="${LOGIN_USERS:-64}"       # login: provisioned users, one password shared by all
CEILING_SECONDS="${CEILING_SECONDS:-10}" # login: how long the argon2 ceiling is measured, before and after each run
LOGIN_DURATION="${LOGIN_DURATION:-30s}"  # login: longer than DURATION, so that the logins still under way
                                         # when wrk stops (up to one per connection) weigh less
if want login && [ -z "${CEILING_BIN:-}" ]; then
  cargo build --release --locked -q -p valet-core --example argon2_ceiling
  CEILING_BIN="$CARGO_TARGET_DIR/release/examples/argon2_ceiling"
fi

# A PostgreSQL server on this machine runs on wrk's CPU while its backend is measured, like every
# process that is not valet's. Left free, its backends spill onto CPU 0 once CPU 1 is busy (more so as
# the run's tables grow) and take time from the server there: logins/s then fell up to 10 % below the
# server's own CPU figure (bench/RESULTS.md, runs L to O). PIN_DATABASE=0 leaves it alone.
PIN_DATABASE="${PIN_DATABASE:-1}"
pg_mask=""
pin_postgres() { # the postgres processes (their children inherit it) to CPU 1; the old mask is kept
  local pids p
  pids=$(pgrep -x postgres || true)
  [ -n "$pids" ] || { echo "no postgres process on this machine: nothing pinned" >&2; return 0; }
  pg_mask=$(taskset -p "$(head -n1 <<<"$pids")" | awk '{print $NF}')
  for p in $pids; do
    taskset -a -p 2 "$p" >/dev/null 2>&1 || { echo "cannot pin postgres process $p (not allowed?): left free" >&2; unpin_postgres; return 0; }
  done
  echo "postgres processes pinned to CPU 1 (mask $pg_mask restored at the end)"
}
unpin_postgres() {
  local p
  [ -n "$pg_mask" ] || return 0
  for p in $(pgrep -x postgres || true); do taskset -a -p "$pg_mask" "$p" >/dev/null 2>&1 || true; done
  pg_mask=""
}

work="$(mktemp -d)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  unpin_postgres
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ISS="http://127.0.0.1:$port"
VERIFIER="dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
REDIRECT="http://127.0.0.1:1/cb"
REDIRECT_ENC="http%3A%2F%2F127.0.0.1%3A1%2Fcb"
RP_SECRET="bench-rp-secret-0123456789abcdef0123"
M2M_SECRET="bench-m2m-secret-0123456789abcdef0123"
REFRESH_SECRET="bench-refresh-secret-0123456789abcdef"
cat > "$work/provision.toml" <<TOML
[[clients]]
client_id = "bench-rp"
client_name = "Benchmark RP"
client_secret = "$RP_SECRET"
redirect_uris = ["$REDIRECT"]
first_party = true

[[clients]]
client_id = "bench-m2m"
client_name = "Benchmark machine client"
client_secret = "$M2M_SECRET"
grant_types = ["client_credentials"]
scope = "reports:read"

# Gets a refresh token from every code flow (bound to the SSO session, as without offline_access).
[[clients]]
client_id = "bench-refresh"
client_name = "Benchmark refreshing RP"
client_secret = "$REFRESH_SECRET"
redirect_uris = ["$REDIRECT"]
grant_types = ["authorization_code", "refresh_token"]
always_issue_refresh_token = true
first_party = true

[[users]]
username = "bench"
password = "bench user password"
claims = { name = "Bench User", email = "bench@example.com", email_verified = true }
TOML
LOGIN_PASSWORD="bench login password"
if want login; then # hashed by the server as it starts: about 40 ms each on one core
  for i in $(seq 0 $((LOGIN_USERS - 1))); do
    printf '\n[[users]]\nusername = "bench-login-%d"\npassword = "%s"\n' "$i" "$LOGIN_PASSWORD" >>"$work/provision.toml"
  done
fi

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# CPU ticks so far of every postgres process on this machine (0 when there is none, or on SQLite).
db_ticks() {
  [ "$backend" = postgres ] || { echo 0; return; }
  local p t=0
  for p in $(pgrep -x postgres || true); do t=$((t + $(cpu_ticks "$p" 2>/dev/null || echo 0))); done
  echo "$t"
}
# Each thread's CPU time so far (schedstat, ns) as "tid name ns" lines; names lose their trailing digits, so
# threads of one kind (sqlx's per-connection threads, say) add up.
thread_cpu() {
  local t
  for t in /proc/"$1"/task/*; do
    [ -r "$t/schedstat" ] || continue
    printf '%s %s %s\n' "${t##*/}" "$(sed -E 's/-?[0-9]+$//; s/ /_/g' "$t/comm")" "$(cut -d' ' -f1 "$t/schedstat")"
  done
}
# CPU ms per login by kind of thread, between two thread_cpu snapshots: "name ms, ..."
thread_split() { # before after logins
  awk -v n="$3" 'NR == FNR { before[$1] = $3; next }
    { ms[$2] += ($3 - before[$1]) / 1e6 }
    END { for (k in ms) if (ms[k] / n >= 0.05) printf "%s %.2f, ", k, ms[k] / n }' "$1" "$2" | sed 's/, $//'
}
to_ms() { # wrk latency like 812.00us, 1.23ms, 2.01s
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}

start_server() { # $1 = database url
  # Started under taskset, so every thread it ever has (actix worker, sqlx, blocking pool) is on CPU 0
  # and actix sees one CPU (one worker).
  taskset -c 0 "$VALET_BIN" --listen "127.0.0.1:$port" --issuer "$ISS" --data-dir "$work/data-$2" --database-url "$1" \
    --log-level error serve --provision "$work/provision.toml" >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do curl -fs "$ISS/readyz" >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "valet did not start:" >&2; cat "$work/server.log" >&2; exit 1
}

stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

# Logs the bench user in once: prints the session cookie and an access token.
login() {
  local jar="$work/jar" authorize action page csrf done code
  rm -f "$jar"
  authorize="$ISS/authorize?client_id=bench-rp&redirect_uri=$REDIRECT_ENC&response_type=code&scope=openid%20profile%20email&code_challenge=$CHALLENGE&code_challenge_method=S256"
  page=$(curl -s -c "$jar" -b "$jar" "$authorize") # the login page itself
  action=$(grep -o '<form method="post" action="[^"]*"' <<<"$page" | head -n1 | sed 's/.*action="//; s/"$//')
  csrf=$(grep -o 'name="csrf" value="[^"]*"' <<<"$page" | head -n1 | sed 's/.*value="//; s/"$//')
  done=$(curl -s -o /dev/null -w '%{redirect_url}' -c "$jar" -b "$jar" --data-urlencode "csrf=$csrf" \
    --data-urlencode "username=bench" --data-urlencode "password=bench user password" "$action")
  code=$(sed -n 's/.*[?&]code=\([^&]*\).*/\1/p' <<<"$done")
  SESSION_COOKIE=$(awk '$6 ~ /valet_session/ {print $6 "=" $7}' "$jar")
  ACCESS_TOKEN=$(curl -s -u "bench-rp:$RP_SECRET" -d grant_type=authorization_code -d "code=$code" \
    -d "redirect_uri=$REDIRECT" -d "code_verifier=$VERIFIER" "$ISS/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  AUTHORIZE_PATH="/authorize?client_id=bench-rp&redirect_uri=$REDIRECT_ENC&response_type=code&scope=openid%20profile%20email&code_challenge=$CHALLENGE&code_challenge_method=S256"
}

# One authorization code flow on the bench user's SSO session: prints the token endpoint's JSON.
code_flow_json() { # client_id secret
  local done code
  done=$(curl -s -o /dev/null -w '%{redirect_url}' -b "$SESSION_COOKIE" \
    "$ISS/authorize?client_id=$1&redirect_uri=$REDIRECT_ENC&response_type=code&scope=openid%20profile%20email&code_challenge=$CHALLENGE&code_challenge_method=S256")
  code=$(sed -n 's/.*[?&]code=\([^&]*\).*/\1/p' <<<"$done")
  [ -n "$code" ] || { echo "no code for $1: $done" >&2; return 1; }
  curl -fs -u "$1:$2" -d grant_type=authorization_code -d "code=$code" -d "redirect_uri=$REDIRECT" \
    -d "code_verifier=$VERIFIER" "$ISS/token"
}
json_string() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; } # a string member of one-line JSON

# A fresh access token (10 min), so that no run outlives the one it uses.
fresh_access_token() {
  local token
  token=$(code_flow_json bench-rp "$RP_SECRET" | json_string access_token)
  [ -n "$token" ] || { echo "no access token" >&2; return 1; }
  echo "$token"
}

# One refresh token a line, each from its own code flow, so each heads its own chain.
seed_refresh_tokens() { # count file
  local token
  : >"$2"
  for _ in $(seq 1 "$1"); do
    token=$(code_flow_json bench-refresh "$REFRESH_SECRET" | json_string refresh_token)
    [ -n "$token" ] || { echo "seeding refresh tokens failed" >&2; return 1; }
    echo "$token" >>"$2"
  done
}

sql() { # one value from the current backend's database
  case "$backend" in
    sqlite) sqlite3 -cmd '.timeout 5000' "$work/data-sqlite/valet.db" "$1" ;;
    postgres) psql "$url" -Atc "$1" ;;
  esac
}
reuse_events() { sql "SELECT count(*) FROM audit_events WHERE action = 'refresh_token.reused'"; }

# The argon2 ceiling on the server's (then idle) CPU, appended to $work/ceilings as "per_second
# per_cpu_second". Measured right before and right after each login run: the VM's speed drifts (by
# up to 70 % within a minute, seen here), and the mean of both brackets the run.
measure_ceiling() { # before|after
  local out rate cpu
  [ "$1" = after ] && sleep 1 # the answers to logins that wrk dropped are skipped, not computed
  out=$(taskset -c 0 "$CEILING_BIN" "$CEILING_SECONDS")
  rate=$(sed -n 's/^argon2id_verifications_per_second=//p' <<<"$out")
  cpu=$(sed -n 's/^argon2id_verifications_per_cpu_second=//p' <<<"$out")
  [ -n "$rate" ] && [ -n "$cpu" ] || { echo "the argon2 ceiling example printed no figure" >&2; exit 1; }
  echo "argon2id ceiling $1 the run (CPU 0, ${CEILING_SECONDS} s): $(tail -n1 <<<"$out")" >&2
  echo "$rate $cpu" >>"$work/ceilings"
}

run() { # name connections [wrk args...]
  local name="$1" conns="$2"; shift 2
  local before after db_before db_after out rps p50 p99 total cpu per_cpu extra="" reuse_before=""
  [ "$name" = refresh ] && reuse_before=$(reuse_events)
  if [ "$name" = login ]; then : >"$work/ceilings"; measure_ceiling before; fi
  before=$(cpu_ticks "$server_pid")
  thread_cpu "$server_pid" >"$work/threads.before"
  db_before=$(db_ticks)
  out=$(taskset -c 1 wrk -t1 -c"$conns" -d"${RUN_DURATION:-$DURATION}" --latency "$@" 2>&1)
  after=$(cpu_ticks "$server_pid")
  thread_cpu "$server_pid" >"$work/threads.after"
  db_after=$(db_ticks)
  if [ "$name" = login ]; then
    measure_ceiling after
    CEILING=$(awk '{ s += $1 } END { printf "%.2f", s / NR }' "$work/ceilings")
    CEILING_CPU=$(awk '{ s += $2 } END { printf "%.2f", s / NR }' "$work/ceilings")
  fi
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  total=$(awk '/requests in/ {print $1}' <<<"$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  cpu=$(awk -v t="$((after - before))" 'BEGIN { printf "%.2f", t / 100 }')
  per_cpu=$(awk -v n="$total" -v c="$cpu" 'BEGIN { if (c > 0) printf "%.0f", n / c; else print "-" }')
  if grep -q '^flows ' <<<"$out"; then
    local flows errors secs
    flows=$(awk '/^flows / {print $2}' <<<"$out"); errors=$(awk '/^flow_errors / {print $2}' <<<"$out")
    secs=$(awk -v d="$DURATION" 'BEGIN { print d + 0 }')
    extra=" | flows/s $(awk -v f="$flows" -v s="$secs" 'BEGIN { printf "%.0f", f / s }'), flows per CPU-s $(awk -v f="$flows" -v c="$cpu" 'BEGIN { if (c > 0) printf "%.0f", f / c; else print "-" }'), errors $errors"
  fi
  if grep -q '^logins ' <<<"$out"; then
    local logins errors secs rate steady="-" ratio_cpu
    logins=$(awk '/^logins / {print $2}' <<<"$out"); errors=$(awk '/^login_errors / {print $2}' <<<"$out")
    secs=$(awk -v d="$RUN_DURATION" 'BEGIN { print d + 0 }')
    rate=$(awk -v n="$logins" -v s="$secs" 'BEGIN { printf "%.2f", n / s }')
    if grep -q '^steady_logins ' <<<"$out"; then
      steady=$(awk '/^steady_logins / {n = $2} /^steady_seconds / {s = $2} END { printf "%.2f", n / s }' <<<"$out")
    fi
    # Per CPU-second on both sides: other processes on CPU 0 slow the wall clock of both, not this.
    ratio_cpu=$(awk -v n="$logins" -v c="$cpu" -v k="$CEILING_CPU" 'BEGIN { if (c > 0 && k > 0) printf "%.3f", n / c / k; else print "-" }')
    extra=" | logins/s $rate (steady $steady), ceiling $CEILING/s, ratio $(awk -v r="$rate" -v c="$CEILING" 'BEGIN { printf "%.3f", r / c }')"
    extra="$extra (steady $(awk -v r="$steady" -v c="$CEILING" 'BEGIN { if (r == "-") print "-"; else printf "%.3f", r / c }'))"
    extra="$extra | server CPU ms per login $(awk -v n="$logins" -v c="$cpu" 'BEGIN { if (n > 0) printf "%.1f", c * 1000 / n; else print "-" }')"
    extra="$extra, argon2 CPU ms per verification $(awk -v c="$CEILING_CPU" 'BEGIN { if (c > 0) printf "%.1f", 1000 / c; else print "-" }'), CPU ratio $ratio_cpu, errors $errors"
    local split argon2_ms
    split=$(thread_split "$work/threads.before" "$work/threads.after" "$logins")
    argon2_ms=$(grep -o 'valet-argon2 [0-9.]*' <<<"$split" | awk '{print $2}')
    extra="$extra | CPU ms per login by thread: $split; argon2's share of the server's CPU $(awk -v a="${argon2_ms:-0}" -v n="$logins" -v c="$cpu" 'BEGIN { if (c > 0) printf "%.3f", a * n / 1000 / c; else print "-" }')"
    if [ "$backend" = postgres ]; then
      extra="$extra | PostgreSQL CPU ms per login $(awk -v t="$((db_after - db_before))" -v n="$logins" 'BEGIN { if (n > 0) printf "%.2f", t * 10 / n; else print "-" }')"
    fi
  fi
  if grep -q '^check ' <<<"$out"; then extra="$extra | $(sed -n 's/^check //p' <<<"$out")"; fi
  if [ -n "$reuse_before" ]; then extra="$extra, reuse events on the server $(($(reuse_events) - reuse_before))"; fi
  if grep -q 'Non-2xx' <<<"$out" && [ "$name" != "code flow" ]; then extra="$extra | $(grep 'Non-2xx' <<<"$out" | xargs)"; fi
  if grep -q 'Socket errors' <<<"$out"; then extra="$extra | $(grep 'Socket errors' <<<"$out" | xargs)"; fi
  grep '^unexpected' <<<"$out" | sort | uniq -c | head -n 3 >&2 || true
  printf '| %-18s | %3s | %9s | %7s | %7s | %6s | %9s |%s\n' "$name" "$conns" "$rps" "$p50" "$p99" "$cpu" "$per_cpu" "$extra"
}

echo "== machine"
echo "cpus: $(nproc); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); memory: $(awk '/MemTotal/ {printf "%d MiB", $2/1024}' /proc/meminfo)"
echo "valet: $VALET_BIN (release, $BIN_ORIGIN); wrk $(wrk -v 2>&1 | head -n1 | awk '{print $2}')"
echo "server pinned to CPU 0 (one actix worker), wrk to CPU 1 (1 thread); $DURATION per run"
echo "scenarios: $SCENARIOS"
want login && echo "login: $LOGIN_USERS users, $LOGIN_DURATION per run; argon2id ceiling measured for $CEILING_SECONDS s pinned to CPU 0 before and after each run"
if want refresh && [[ " $BACKENDS " == *" sqlite "* ]] && ! command -v sqlite3 >/dev/null; then
  apt-get update -qq && apt-get install -y -qq sqlite3 >/dev/null
fi

for backend in $BACKENDS; do
  case "$backend" in
    sqlite) url="sqlite://$work/data-sqlite/valet.db?mode=rwc" ;;
    postgres)
      db="valet_bench_$$"
      psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" && psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $db"
      url="${PG_ADMIN_URL%/*}/$db"
      if [[ "$PIN_DATABASE" = 1 && "$PG_ADMIN_URL" =~ ://([^/@]*@)?(127\.0\.0\.1|localhost)[:/] ]]; then pin_postgres; fi ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
  start_server "$url" "$backend"
  login
  echo
  echo "== $backend"
  echo "| scenario           | con |     req/s | p50 ms  | p99 ms  | CPU s  | req/CPU-s |"
  echo "|---|---|---|---|---|---|---|"
  for conns in $CONNECTIONS; do
    want discovery && run "discovery" "$conns" "$ISS/.well-known/openid-configuration"
    want jwks && run "jwks" "$conns" "$ISS/jwks"
    want client_credentials && run "client credentials" "$conns" -s bench/lua/client_credentials.lua "$ISS/token" -- "$(printf 'bench-m2m:%s' "$M2M_SECRET" | base64 -w0)"
    if want userinfo; then
      ACCESS_TOKEN=$(fresh_access_token)
      run "userinfo" "$conns" -s bench/lua/bearer.lua "$ISS/userinfo" -- "$ACCESS_TOKEN"
    fi
    want code_flow && run "code flow" "$conns" -s bench/lua/code_flow.lua "$ISS" -- "$AUTHORIZE_PATH" "$SESSION_COOKIE" \
      "$(printf 'bench-rp:%s' "$RP_SECRET" | base64 -w0)" "$REDIRECT_ENC" "$VERIFIER"
    if want refresh; then
      # Fresh chains every run: the last answers of the previous run were never read.
      seed_refresh_tokens "$((conns + 8))" "$work/refresh_tokens"
      run "refresh" "$conns" -s bench/lua/refresh.lua "$ISS/token" -- \
        "$(printf 'bench-refresh:%s' "$REFRESH_SECRET" | base64 -w0)" "$work/refresh_tokens" 1
    fi
    if want introspection; then
      # bench-m2m stands for a resource server: a confidential client asking about a user's token.
      ACCESS_TOKEN=$(fresh_access_token)
      run "introspection" "$conns" -s bench/lua/introspection.lua "$ISS/introspect" -- \
        "$(printf 'bench-m2m:%s' "$M2M_SECRET" | base64 -w0)" "$ACCESS_TOKEN"
    fi
    if want login; then
      # A login costs tens of ms on one core: at 64 connections an answer waits seconds, so wrk's
      # 2 s default timeout would count most as timeouts.
      RUN_DURATION="$LOGIN_DURATION" run "login" "$conns" -s bench/lua/login.lua --timeout 60s "$ISS" -- \
        "/authorize?client_id=bench-rp&redirect_uri=$REDIRECT_ENC&response_type=code&scope=openid&code_challenge=$CHALLENGE&code_challenge_method=S256" \
        "bench-login-" "$LOGIN_USERS" "$LOGIN_PASSWORD"
    fi
  done
  stop_server
  if [ "$backend" = postgres ]; then
    psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
    unpin_postgres
  fi
done
