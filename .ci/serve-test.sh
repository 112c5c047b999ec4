#!/usr/bin/env bash
# End-to-end checks of ./modernbert serve with real clients (run after './mvnw verify'), on 127.0.0.1 only:
#  1. the official OpenAI Node client: greedy completion equal to ./modernbert generate --greedy, streaming, n and seed,
#     and its error classes (404 model, 400 field, 401 key);
#  2. a soak: 32 clients for SOAK_SECONDS (default 60) with random cancellations and malformed requests: no 5xx,
#     resident memory steady, every cancelled request's cache freed (/metrics), and a clean shutdown on SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "serve test FAILED: $*" >&2; exit 1; }
for tool in curl python3 node npm; do
  command -v "$tool" >/dev/null || { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq && apt-get install -y -qq curl python3 nodejs npm >/dev/null; }
  command -v "$tool" >/dev/null || fail "$tool is needed (curl, python3, node and npm)"
done
out="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$out"' EXIT
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
key="ci-$RANDOM$RANDOM"
url="http://127.0.0.1:$port"

# A fixed, pre-touched heap: resident memory then shows leaks, not the heap growing into -Xmx.
MODERNBERT_JAVA_OPTS="-Xms512m -Xmx512m -XX:+AlwaysPreTouch" \
  ./modernbert serve --port "$port" --api-key "$key" --max-batch 32 --max-queue 256 >"$out/server.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
  curl -sf "$url/ready" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || fail "the server exited: $(cat "$out/server.log")"
  sleep 0.5
done
curl -sf "$url/ready" >/dev/null || fail "not ready after 60 s: $(cat "$out/server.log")"
echo "ok: serving on $url"

# 1. the official OpenAI client
prompt="In the beginning"
expected="$(./modernbert generate --greedy --max-new-tokens 16 --json "$prompt" 2>"$out/generate.err" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["generated_text"], end="")')" || fail "./modernbert generate: $(cat "$out/generate.err")"
(cd examples/clients/node && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || fail "npm ci (the openai package from the npm registry)"
node examples/clients/node/openai-check.mjs "$url" "$key" "$prompt" "$expected" 16 || fail "the OpenAI client checks"

# 2. the soak
metric() { curl -sf -H "Authorization: Bearer $key" "$url/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
soak="${SOAK_SECONDS:-60}"
./modernbert bench-serve --url "$url" --api-key "$key" --clients 32 --duration "$soak" --warmup 0 --max-tokens 32 --temperature 0.8 \
  --cancel-fraction 0.1 --malformed-fraction 0.05 >"$out/soak.txt" 2>&1 &
bench=$!
sleep $((soak / 4)); early="$(rss)"
wait "$bench" || fail "the soak saw errors: $(cat "$out/soak.txt")"
late="$(rss)"
cat "$out/soak.txt"
grep -q ' 0 errors' "$out/soak.txt" || fail "errors in the soak"
# streams abandoned at the very end are freed when the server's next write fails: give it a few steps
for _ in $(seq 1 30); do [ "$(metric modernbert_open_caches)" = "0" ] && break; sleep 0.5; done
[ "$(metric modernbert_open_caches)" = "0" ] || fail "open caches after the soak: $(metric modernbert_open_caches)"
cancelled="$(metric modernbert_requests_cancelled_total)"
[ "${cancelled%.*}" -gt 0 ] || fail "no request was cancelled: $cancelled"
python3 -c "import sys; e, l = int(sys.argv[1]), int(sys.argv[2]); sys.exit(0 if l <= e * 1.25 + 65536 else 1)" "$early" "$late" ||
  fail "resident memory grew from $early kB to $late kB during the soak"
echo "ok: soak: no 5xx, $cancelled cancelled requests all freed, resident memory $early kB -> $late kB"

# clean shutdown: SIGTERM drains and exits
kill -TERM "$server"
for _ in $(seq 1 60); do kill -0 "$server" 2>/dev/null || break; sleep 0.5; done
kill -0 "$server" 2>/dev/null && fail "still running 30 s after SIGTERM"
wait "$server" || true
server=""
grep -q "stopped" "$out/server.log" || fail "no clean stop in the log: $(tail -5 "$out/server.log")"
echo "ok: SIGTERM drained and stopped the server"
echo "serve: all passed"
