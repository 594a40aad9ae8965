#!/usr/bin/env bash
# Admin API list pages at scale on PostgreSQL (not a test: prints figures, never fails on a threshold).
# Seeds a scratch database with plain SQL (generate_series, no per-row round trips): 100,000 users,
# 1,000 clients, 1,000,000 grants, their refresh tokens and sessions, ~1,000,000 audit events; then
# times listing and search calls of /admin/api/v1 one request at a time against the 100 ms target.
# 127.0.0.1 only; the database is dropped and the server stopped on exit.
#
#   bench/admin.sh                              # full scale, 20 timed requests per call
#   RUNS=50 bench/admin.sh                      # more requests per call
#   USERS=10000 GRANTS=100000 bench/admin.sh    # a smaller data set (tokens, sessions, audit follow)
#   VALET_BIN=/path/to/valet bench/admin.sh     # no build
#   KEEP_DB=1 bench/admin.sh                    # keep the database afterwards (for EXPLAIN); drop it yourself
set -euo pipefail
cd "$(dirname "$0")/.."

USERS="${USERS:-100000}"
CLIENTS="${CLIENTS:-1000}"
GRANTS="${GRANTS:-1000000}"
RUNS="${RUNS:-20}"
DEEP_PAGES="${DEEP_PAGES:-200}"
TARGET_MS="${TARGET_MS:-100}"
PG_ADMIN_URL="${VALET_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/valet-target}"
for n in USERS CLIENTS GRANTS RUNS DEEP_PAGES; do
  [[ "${!n}" =~ ^[1-9][0-9]*$ ]] || { echo "$n must be a positive integer" >&2; exit 2; }
done
command -v psql >/dev/null || { echo "psql is needed (apt-get install postgresql-client)" >&2; exit 2; }

[ -n "${VALET_BIN:-}" ] || { cargo build --release --locked -q -p valet-server --bin valet; VALET_BIN="$CARGO_TARGET_DIR/release/valet"; }

work="$(mktemp -d)"
server_pid=""
db="valet_bench_admin_$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')"
db_created=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$db_created" ] && [ -n "${KEEP_DB:-}" ]; then echo "kept database: $url" >&2
  elif [ -n "$db_created" ]; then psql -X -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ISS="http://127.0.0.1:$port"
API="$ISS/admin/api/v1"
ADMIN_SECRET="bench-admin-secret-0123456789abcdef0123"
# bench-admin gets admin tokens (README, "Admin API"); bench-template is the row the 1,000 clients copy.
cat > "$work/provision.toml" <<TOML
[[clients]]
client_id = "bench-admin"
client_name = "Benchmark admin automation"
client_secret = "$ADMIN_SECRET"
grant_types = ["client_credentials"]
scope = "valet:admin"

[[clients]]
client_id = "bench-template"
client_name = "Benchmark template RP"
client_secret = "bench-template-secret-0123456789abcdef"
redirect_uris = ["https://rp.example.com/callback"]
grant_types = ["authorization_code", "refresh_token"]
scope = "openid profile email offline_access"
TOML

start_server() {
  "$VALET_BIN" --listen "127.0.0.1:$port" --issuer "$ISS" --data-dir "$work/data" --database-url "$url" \
    --log-level error serve --provision "$work/provision.toml" >>"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do curl -fs "$ISS/readyz" >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "valet did not start:" >&2; cat "$work/server.log" >&2; exit 1
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }
psql_db() { psql -X -q -v ON_ERROR_STOP=1 "$url" "$@"; }
now_s() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }'; }

echo "== machine"
echo "cpus: $(nproc); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); memory: $(awk '/MemTotal/ {printf "%d MiB", $2/1024}' /proc/meminfo)"
echo "valet: $VALET_BIN; working tree at commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $(psql -X -At "$PG_ADMIN_URL" -c 'SHOW server_version' | sed 's/^/PostgreSQL /')"
echo "load: $(uptime | sed 's/.*load average/load average/')"

# 1. A fresh database; the first start runs the migrations and provisions the two clients.
url="${PG_ADMIN_URL%/*}/$db"
psql -X -q "$PG_ADMIN_URL" -c "CREATE DATABASE $db"
db_created=1
start_server
stop_server

# 2. Bulk load. Ids are UUIDv7 built from each row's own timestamp (48-bit ms prefix, version 7, then
# random or md5 bits), so id order follows creation time as it does for rows Valet writes. User and
# client ids are deterministic (md5 of the row number), so grants can reference them without a join.
# The secondary indexes are dropped during the load and rebuilt from their saved definitions (the
# schema ends up as the migrations made it); foreign keys are not checked row by row when the role is
# a superuser (session_replication_role = replica): the generator only references rows it created.
t0_ms=$(( $(date +%s) * 1000 - 3 * 365 * 86400 * 1000 ))   # three years of history, up to now
span_ms=$(( 3 * 365 * 86400 * 1000 ))
echo
echo "== bulk load: $USERS users, $CLIENTS clients, $GRANTS grants (database $db)"
load_start=$(now_s)
psql_db <<SQL 2>&1 | awk '
  function flush() { if (shown != "") printf "  %-58s %7.1f s\n", shown, total; shown = ""; total = 0 }
  /^>> / { flush(); label = substr($0, 4); next }
  /^Time: / { shown = label; total += $2 / 1000; next }
  { print } END { flush() }'
SET maintenance_work_mem = '512MB';
SET work_mem = '256MB';
SET statement_timeout = '10min';
SELECT rolsuper AS superuser FROM pg_roles WHERE rolname = current_user \gset
\if :superuser
SET session_replication_role = replica;
\endif

-- UUIDv7 from a millisecond timestamp: deterministic from a seed (u7) or random (r7).
CREATE FUNCTION pg_temp.u7(ms bigint, seed text) RETURNS uuid LANGUAGE sql IMMUTABLE AS \$\$
  SELECT overlay(overlay(overlay(md5(seed) PLACING lpad(to_hex(ms), 12, '0') FROM 1 FOR 12)
    PLACING '7' FROM 13 FOR 1) PLACING '8' FROM 17 FOR 1)::uuid \$\$;
CREATE FUNCTION pg_temp.r7(ms bigint) RETURNS uuid LANGUAGE sql VOLATILE AS \$\$
  SELECT overlay(overlay(replace(gen_random_uuid()::text, '-', '') PLACING lpad(to_hex(ms), 12, '0') FROM 1 FOR 12)
    PLACING '7' FROM 13 FOR 1)::uuid \$\$;
-- Users are created over the first 90% of the history, clients over the first 80%, in row order.
CREATE FUNCTION pg_temp.ums(i int) RETURNS bigint LANGUAGE sql IMMUTABLE AS
  'SELECT $t0_ms + (i - 1)::bigint * ($span_ms * 9 / 10) / $USERS';
CREATE FUNCTION pg_temp.uid(i int) RETURNS uuid LANGUAGE sql IMMUTABLE AS 'SELECT pg_temp.u7(pg_temp.ums(i), ''u'' || i)';
CREATE FUNCTION pg_temp.cms(j int) RETURNS bigint LANGUAGE sql IMMUTABLE AS
  'SELECT $t0_ms + (j - 1)::bigint * ($span_ms * 8 / 10) / $CLIENTS';
CREATE FUNCTION pg_temp.cid(j int) RETURNS uuid LANGUAGE sql IMMUTABLE AS 'SELECT pg_temp.u7(pg_temp.cms(j), ''c'' || j)';
CREATE FUNCTION pg_temp.ts(ms bigint) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS 'SELECT to_timestamp(ms / 1000.0)';
CREATE FUNCTION pg_temp.pick(a text[], h int) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT a[1 + abs(h % array_length(a, 1))]';

CREATE TEMP TABLE saved_indexes AS
  SELECT indexname, indexdef FROM pg_indexes
  WHERE schemaname = 'public'
    AND tablename IN ('users', 'user_roles', 'grants', 'refresh_tokens', 'sessions', 'session_grants', 'audit_events')
    AND indexname NOT IN (SELECT conname FROM pg_constraint);
SELECT format('DROP INDEX %I', indexname) FROM saved_indexes \gexec

\timing on
\echo '>> users'
INSERT INTO users (id, username, password_hash, disabled, name, given_name, family_name, email,
                   email_verified, locale, zoneinfo, created_at, updated_at)
SELECT pg_temp.uid(i), lower(f) || '.' || lower(l) || i,
       (SELECT password_hash FROM users WHERE username = 'admin'),
       i % 97 = 0, f || ' ' || l, f, l,
       lower(left(f, 1)) || '.' || lower(l) || i || '@' ||
         pg_temp.pick('{example.com,mail.example.org,corp.example.net,example.co.uk,post.example.de}', hashtext('d' || i)),
       i % 10 <> 0, loc, zone, pg_temp.ts(ms), pg_temp.ts(ms + (random() * ($t0_ms + $span_ms - ms))::bigint)
FROM generate_series(1, $USERS) i
CROSS JOIN LATERAL (SELECT
  pg_temp.ums(i) AS ms,
  -- one user in 2,000 is a Xiomara: the rare prefix
  CASE WHEN i % 2000 = 0 THEN 'Xiomara' ELSE pg_temp.pick('{Anna,Andreas,Antoine,Aisha,Ben,Camille,Carlos,Chen,Daniel,David,Elena,Emma,Fatima,Felix,Giulia,Hannah,Hiroshi,Ingrid,Isabel,Jan,Jana,Javier,Johan,Julia,Karin,Kevin,Laura,Lukas,Maria,Marco,Marie,Mark,Markus,Martin,Mehmet,Mia,Noah,Olga,Omar,Paul,Pedro,Priya,Rafael,Sara,Sofia,Stefan,Thomas,Tom,Yuki,Zoe}', hashtext('f' || i)) END AS f,
  pg_temp.pick('{Adams,Bauer,Becker,Brown,Costa,Dubois,Fischer,Garcia,Hansen,Hoffmann,Ito,Jansen,Johnson,Kim,Koch,Kowalski,Lee,Lopez,Martin,Meyer,Miller,Moreau,Muller,Nguyen,Nielsen,Novak,Petrov,Rossi,Santos,Schmidt,Schneider,Schulz,Silva,Smith,Suzuki,Tanaka,Wagner,Wang,Weber,Wilson,Wright,Yilmaz,Zhang}', hashtext('l' || i)) AS l,
  pg_temp.pick('{en-US,en-GB,de-DE,fr-FR,es-ES,pt-BR,it-IT,nl-NL,ja-JP}', hashtext('o' || i)) AS loc,
  pg_temp.pick('{America/New_York,Europe/London,Europe/Berlin,Europe/Paris,Europe/Madrid,America/Sao_Paulo,Europe/Rome,Europe/Amsterdam,Asia/Tokyo}', hashtext('o' || i)) AS zone
) x;
\echo '>> user_roles'
INSERT INTO user_roles (user_id, role)
SELECT pg_temp.uid(i), r FROM generate_series(1, $USERS) i
CROSS JOIN LATERAL (VALUES ('admin', i % 5000 = 1), ('support', i % 50 = 7), ('billing', i % 20 = 3), ('beta', i % 7 = 2)) v(r, has)
WHERE has;
\echo '>> clients (copies of bench-template)'
INSERT INTO clients
SELECT (jsonb_populate_record(t, jsonb_build_object(
  'id', pg_temp.cid(j), 'client_id', w || '-' || lpad(j::text, 4, '0'), 'name', initcap(replace(w, '-', ' ')) || ' ' || j,
  'redirect_uris', jsonb_build_array('https://' || w || j || '.example.com/oidc/callback'),
  'disabled', j % 50 = 0, 'created_at', pg_temp.ts(pg_temp.cms(j)), 'updated_at', pg_temp.ts(pg_temp.cms(j))))).*
FROM clients t, generate_series(1, $CLIENTS) j,
LATERAL (SELECT pg_temp.pick('{crm,billing-portal,helpdesk,intranet,wiki,mobile-app,partner-api,shop,analytics,hr-portal,mail,chat}', hashtext('w' || j)) AS w) x
WHERE t.client_id = 'bench-template';
-- Grants in time order over the whole history, each to a user and a client that existed by then;
-- older users and clients get more (user 1 and client 1 the most). 15% are revoked.
\echo '>> grants'
INSERT INTO grants (id, user_id, client_id, scopes, claims, created_at, last_used_at, revoked_at, revoked_by, revoke_reason)
SELECT pg_temp.r7(ms), pg_temp.uid(u), pg_temp.cid(c), scopes::json, NULL, pg_temp.ts(ms),
       CASE WHEN r2 < 0.7 THEN pg_temp.ts(ms + (r2 / 0.7 * ($t0_ms + $span_ms - ms))::bigint) END,
       CASE WHEN r1 < 0.15 THEN pg_temp.ts(ms + (r1 / 0.15 * ($t0_ms + $span_ms - ms))::bigint) END,
       CASE WHEN r1 < 0.09 THEN 'user:' || pg_temp.uid(u) WHEN r1 < 0.12 THEN 'client:ops-automation' WHEN r1 < 0.15 THEN 'system' END,
       CASE WHEN r1 < 0.09 THEN 'logout' WHEN r1 < 0.12 THEN 'admin' WHEN r1 < 0.15 THEN 'user_disabled' END
FROM generate_series(1, $GRANTS) g
CROSS JOIN LATERAL (SELECT $t0_ms + (g - 1)::bigint * $span_ms / $GRANTS AS ms,
  greatest(1, least($USERS, floor($USERS * (g::numeric / $GRANTS) / 0.9)))::int AS nu,
  greatest(1, least($CLIENTS, ceil($CLIENTS * (g::numeric / $GRANTS) / 0.8)))::int AS nc) a
CROSS JOIN LATERAL (SELECT 1 + floor(power(random(), 1.5) * a.nu)::int AS u, 1 + floor(power(random(), 3) * a.nc)::int AS c,
  random() AS r1, random() AS r2,
  pg_temp.pick('{"[\"openid\", \"profile\", \"email\", \"offline_access\"]","[\"openid\", \"email\", \"offline_access\"]","[\"openid\", \"profile\", \"api:read\", \"offline_access\"]","[\"openid\", \"profile\", \"email\"]","[\"openid\"]"}', hashtext('s' || g)) AS scopes) b;
-- One SSO session per grant for a seventh of the grants, started 5 s before it; half were logged out.
\echo '>> sessions'
INSERT INTO sessions (id, token_hash, user_id, auth_time, amr, acr, ip, user_agent, created_at, last_seen_at, expires_at, ended_at, end_reason)
SELECT pg_temp.u7(ms, 's' || g.id), 'sha256:' || encode(sha256(('s' || g.id)::bytea), 'hex'), g.user_id,
       pg_temp.ts(ms), '["pwd"]', NULL, '203.0.113.' || (1 + get_byte(uuid_send(g.id), 14) % 254),
       pg_temp.pick('{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/132.0","Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Safari/605.1.15","Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0","Mozilla/5.0 (iPhone; CPU iPhone OS 18_1) Mobile/15E148"}', get_byte(uuid_send(g.id), 13)),
       pg_temp.ts(ms), pg_temp.ts(seen), pg_temp.ts(ms + 14 * 86400000::bigint),
       CASE WHEN get_byte(uuid_send(g.id), 12) % 2 = 0 THEN pg_temp.ts(seen) END,
       CASE WHEN get_byte(uuid_send(g.id), 12) % 2 = 0 THEN 'logout' END
FROM grants g
CROSS JOIN LATERAL (SELECT (extract(epoch FROM g.created_at) * 1000)::bigint - 5000 AS ms) a
CROSS JOIN LATERAL (SELECT least($t0_ms + $span_ms, a.ms + (random() * 14 * 86400000)::bigint) AS seen) b
WHERE get_byte(uuid_send(g.id), 15) % 7 = 0
ORDER BY g.id;
\echo '>> session_grants'
INSERT INTO session_grants (session_id, grant_id, created_at)
SELECT pg_temp.u7((extract(epoch FROM g.created_at) * 1000)::bigint - 5000, 's' || g.id), g.id, g.created_at
FROM grants g WHERE get_byte(uuid_send(g.id), 15) % 7 = 0;
-- Grants with offline_access (60%) have a chain of one or two refresh tokens (on average 1.5): the
-- older one rotated, the newest one usable until it expires (30 days) or its grant is revoked.
\echo '>> refresh_tokens'
INSERT INTO refresh_tokens (id, token_hash, chain_id, parent_id, grant_id, client_id, user_id, session_id, scopes,
                            auth_time, created_at, expires_at, idle_expires_at, rotated_at, revoked_at)
SELECT pg_temp.u7(k.ms, 'r' || g.id || k.n), 'sha256:' || encode(sha256(('r' || g.id || k.n)::bytea), 'hex'),
       pg_temp.u7(gms, 'r' || g.id || 1), CASE WHEN k.n = 2 THEN pg_temp.u7(gms, 'r' || g.id || 1) END,
       g.id, g.client_id, g.user_id,
       CASE WHEN get_byte(uuid_send(g.id), 15) % 7 = 0 THEN pg_temp.u7(gms - 5000, 's' || g.id) END,
       g.scopes, g.created_at, pg_temp.ts(k.ms), pg_temp.ts(k.ms + 30 * 86400000::bigint), NULL,
       CASE WHEN k.n < chain THEN pg_temp.ts(k.next_ms) END,
       CASE WHEN k.n = chain AND g.revoked_at IS NOT NULL THEN greatest(g.revoked_at, pg_temp.ts(k.ms)) END
FROM grants g
CROSS JOIN LATERAL (SELECT (extract(epoch FROM g.created_at) * 1000)::bigint AS gms,
  1 + get_byte(uuid_send(g.id), 11) % 2 AS chain) a
CROSS JOIN LATERAL (SELECT n, a.gms + (n - 1) * (($t0_ms + $span_ms - a.gms) * 2 / 5) AS ms,
  a.gms + n * (($t0_ms + $span_ms - a.gms) * 2 / 5) AS next_ms FROM generate_series(1, a.chain) n) k
WHERE g.scopes::text LIKE '%offline_access%'
ORDER BY 1;
-- The audit log (actions Valet writes): users created and updated by an HR sync service or an
-- administrator, password changes, grant revocations, and logouts (sessions long since pruned).
\echo '>> audit_events'
INSERT INTO audit_events (id, occurred_at, actor, action, target_type, target_id, ip, details)
SELECT pg_temp.r7(ms), pg_temp.ts(ms), actor, action, target_type, target_id, ip, details::json FROM (
  SELECT pg_temp.ums(i) AS ms, CASE WHEN i % 5 = 0 THEN 'user:' || pg_temp.uid(least(5001, $USERS)) ELSE 'client:hr-sync' END AS actor,
         'user.created' AS action, 'user' AS target_type, pg_temp.uid(i)::text AS target_id, NULL AS ip, '{}' AS details
  FROM generate_series(1, $USERS) i
  UNION ALL
  SELECT ms, CASE WHEN n % 4 = 0 THEN 'user:' || pg_temp.uid(least(5001, $USERS)) ELSE 'client:hr-sync' END,
         'user.updated', 'user', pg_temp.uid(u)::text, NULL, '{"fields": ["name", "email"]}'
  FROM generate_series(1, $GRANTS * 3 / 20) n
  CROSS JOIN LATERAL (SELECT $t0_ms + (n - 1)::bigint * $span_ms / ($GRANTS * 3 / 20) AS ms) a
  CROSS JOIN LATERAL (SELECT 1 + floor(random() * greatest(1, least($USERS, floor($USERS * (a.ms - $t0_ms)::numeric / ($span_ms * 0.9)))))::int AS u) b
  UNION ALL
  SELECT ms, 'user:' || pg_temp.uid(u), 'user.password_set', 'user', pg_temp.uid(u)::text, '198.51.100.' || (1 + n % 254), '{}'
  FROM generate_series(1, $GRANTS / 20) n
  CROSS JOIN LATERAL (SELECT $t0_ms + (n - 1)::bigint * $span_ms / ($GRANTS / 20) AS ms) a
  CROSS JOIN LATERAL (SELECT 1 + floor(random() * greatest(1, least($USERS, floor($USERS * (a.ms - $t0_ms)::numeric / ($span_ms * 0.9)))))::int AS u) b
  UNION ALL
  SELECT (extract(epoch FROM g.revoked_at) * 1000)::bigint, coalesce(g.revoked_by, 'system'), 'grants.revoked', 'grant', g.id::text,
         NULL, '{"grants": 1, "refresh_tokens": 1, "reason": "' || g.revoke_reason || '"}'
  FROM grants g WHERE g.revoked_at IS NOT NULL
  UNION ALL
  SELECT ms, 'user:' || pg_temp.uid(u), 'sessions.ended', 'session', pg_temp.r7(ms - 3600000)::text,
         '203.0.113.' || (1 + n % 254), '{"sessions": 1, "reason": "logout"}'
  FROM generate_series(1, $GRANTS * 11 / 20) n
  CROSS JOIN LATERAL (SELECT $t0_ms + (n - 1)::bigint * $span_ms / ($GRANTS * 11 / 20) AS ms) a
  CROSS JOIN LATERAL (SELECT 1 + floor(power(random(), 1.5) * greatest(1, least($USERS, floor($USERS * (a.ms - $t0_ms)::numeric / ($span_ms * 0.9)))))::int AS u) b
) e
ORDER BY 1;
\echo '>> secondary indexes (rebuilt from their definitions)'
SELECT indexdef FROM saved_indexes \gexec
\echo '>> VACUUM ANALYZE'
VACUUM (ANALYZE) users, user_roles, clients, grants, refresh_tokens, sessions, session_grants, audit_events;
\timing off
SQL
echo "  total load: $(since "$load_start") s"
psql_db -At -F ' ' <<'SQL' | awk '{ printf "  %-16s %10s rows\n", $1, $2 }'
SELECT 'users', count(*) FROM users UNION ALL SELECT 'user_roles', count(*) FROM user_roles
UNION ALL SELECT 'clients', count(*) FROM clients UNION ALL SELECT 'grants', count(*) FROM grants
UNION ALL SELECT 'revoked_grants', count(*) FROM grants WHERE revoked_at IS NOT NULL
UNION ALL SELECT 'refresh_tokens', count(*) FROM refresh_tokens UNION ALL SELECT 'sessions', count(*) FROM sessions
UNION ALL SELECT 'session_grants', count(*) FROM session_grants UNION ALL SELECT 'audit_events', count(*) FROM audit_events;
SQL
echo "  database size: $(psql_db -At -c "SELECT pg_size_pretty(pg_database_size(current_database()))")"

# The subjects of the filtered calls.
read -r heavy_user heavy_user_grants <<<"$(psql_db -At -F ' ' -c \
  "SELECT user_id, count(*) FROM grants GROUP BY user_id ORDER BY count(*) DESC LIMIT 1")"
read -r big_client big_client_live <<<"$(psql_db -At -F ' ' -c \
  "SELECT c.client_id, count(*) FROM grants g JOIN clients c ON c.id = g.client_id WHERE g.revoked_at IS NULL GROUP BY c.client_id ORDER BY count(*) DESC LIMIT 1")"
hr_sync_events=$(psql_db -At -c "SELECT count(*) FROM audit_events WHERE actor = 'client:hr-sync'")
heavy_actor_events=$(psql_db -At -c "SELECT count(*) FROM audit_events WHERE actor = 'user:$heavy_user'")
heavy_target_events=$(psql_db -At -c "SELECT count(*) FROM audit_events WHERE target_id = '$heavy_user'")
heavy_page_clients=$(psql_db -At -c "SELECT count(DISTINCT client_id) FROM (SELECT client_id FROM grants WHERE user_id = '$heavy_user' ORDER BY id DESC LIMIT 50) p")
echo "  user with the most grants: $heavy_user ($heavy_user_grants grants, $heavy_page_clients distinct clients on their first page; $heavy_actor_events audit events as actor, $heavy_target_events as target)"
echo "  client with the most live grants: $big_client ($big_client_live); audit events by client:hr-sync: $hr_sync_events"

# 3. Measure: the server restarted on the loaded database, one request at a time.
start_server
TOKEN=""
fresh_token() { # client credentials, README "Admin API"; access tokens live 10 minutes
  TOKEN=$(curl -fs -u "bench-admin:$ADMIN_SECRET" -d grant_type=client_credentials -d scope=valet:admin "$ISS/token" \
    | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
  [ -n "$TOKEN" ] || { echo "no admin token" >&2; exit 1; }
}
get() { curl -s --max-time 30 -H "Authorization: Bearer $TOKEN" "$@"; }
next_cursor() { sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p'; }
# Follows next_cursor from the first page for DEEP_PAGES pages: prints the path of the last one.
deep_path() { # path-with-query
  local path="$1" cursor="" body i
  for i in $(seq 1 "$DEEP_PAGES"); do
    body=$(get "$API$path${cursor:+&cursor=$cursor}")
    cursor=$(next_cursor <<<"$body")
    [ -n "$cursor" ] || { echo "no next_cursor after page $i of $path" >&2; return 1; }
  done
  echo "$path&cursor=$cursor"
}
rows=()
measure() { # label path
  local label="$1" path="$2" body status items times failed stats min med p95 max verdict
  fresh_token
  body=$(get -w '\n%{http_code}' "$API$path")   # warm-up, not timed; checks the answer
  status=$(tail -n1 <<<"$body")
  items=$(sed '$d' <<<"$body" | python3 -c 'import json,sys
d = json.load(sys.stdin)
print(len(d["items"]) if isinstance(d, dict) and "items" in d else "-")' 2>/dev/null || echo '?')
  [ "$status" = 200 ] || echo "unexpected $status on $path: $(sed '$d' <<<"$body" | head -c 300)" >&2
  times=$(for _ in $(seq 1 "$RUNS"); do get -o /dev/null -w '%{http_code} %{time_total}\n' "$API$path" || true; done)
  failed=$(awk '$1 != 200' <<<"$times" | wc -l)
  stats=$(awk '{ print $2 }' <<<"$times" | sort -g | awk -v t="$TARGET_MS" '{ v[NR] = $1 * 1000 } END {
    n = NR; med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    k = int(0.95 * n); if (k < 0.95 * n) k++; p95 = v[k]
    printf "%.1f %.1f %.1f %.1f %s", v[1], med, p95, v[n], (p95 < t) ? "met" : "NOT met" }')
  read -r min med p95 max verdict <<<"$stats"
  [ "$status" = 200 ] && [ "$failed" = 0 ] || verdict="$failed of $RUNS not 200"
  rows+=("$(printf '| %-44s | %5s | %7s | %7s | %7s | %7s | %-7s |' "$label" "$items" "$min" "$med" "$p95" "$max" "$verdict")")
  echo "  $label: median $med ms, p95 $p95 ms" >&2
}

pool_size() { psql -X -At "$PG_ADMIN_URL" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db'"; }

echo
echo "== measuring"
# Right after the start the pool holds few connections, and a page that runs many queries in a row
# can open new ones (each a PostgreSQL connection set-up): these first requests are shown apart.
fresh_token
cold=$(for _ in 1 2 3 4 5 6; do get -o /dev/null -w '%{time_total}\n' "$API/grants?user_id=$heavy_user&limit=50"; done \
  | awk '{ printf "%s%.0f", (NR > 1 ? ", " : ""), $1 * 1000 }')
echo "  first 6 requests after the start, grants?user_id=<most grants>: $cold ms (database connections now: $(pool_size))"
# Then the pool is filled (10 requests at a time) so that every row below is measured in steady state.
for _ in $(seq 1 40); do echo "$API/grants?user_id=$heavy_user&limit=50"; done \
  | xargs -P 10 -n 1 curl -s -o /dev/null --max-time 30 -H "Authorization: Bearer $TOKEN"
echo "  after 40 requests 10 at a time: $(pool_size) database connections; then $RUNS timed requests per call after one untimed, one at a time; verdict on p95 < $TARGET_MS ms"
walk_start=$(now_s)
users_deep=$(deep_path "/users?limit=50")
echo "  followed $DEEP_PAGES pages of users in $(since "$walk_start") s"
fresh_token
walk_start=$(now_s)
grants_deep=$(deep_path "/grants?client_id=$big_client&live=true&limit=50")
echo "  followed $DEEP_PAGES pages of $big_client's live grants in $(since "$walk_start") s"

measure "users, first page" "/users?limit=50"
measure "users, page $DEEP_PAGES (cursor)" "$users_deep"
measure "users?q=mar (common prefix)" "/users?limit=50&q=mar"
measure "users?q=xio (rare prefix)" "/users?limit=50&q=xio"
measure "users?q=a.schmidt (email prefix)" "/users?limit=50&q=a.schmidt"
measure "users?q=schmidt (name part)" "/users?limit=50&q=schmidt"
measure "users?q=qzxv (no match)" "/users?limit=50&q=qzxv"
measure "clients, first page" "/clients?limit=50"
measure "grants?user_id= (most grants)" "/grants?user_id=$heavy_user&limit=50"
measure "grants?client_id=&live=true, first page" "/grants?client_id=$big_client&live=true&limit=50"
measure "grants?client_id=&live=true, page $DEEP_PAGES" "$grants_deep"
measure "audit, first page" "/audit?limit=50"
measure "audit?actor=client:hr-sync" "/audit?actor=client:hr-sync&limit=50"
measure "audit?actor=user:<most grants>" "/audit?actor=user:$heavy_user&limit=50"
measure "audit?target_id=<user>" "/audit?target_id=$heavy_user&limit=50"
measure "overview" "/overview"

echo
echo "| call                                         | items | min ms  | median  | p95     | max     | < ${TARGET_MS} ms |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "load after: $(uptime | sed 's/.*load average/load average/')"
stop_server
