#!/usr/bin/env bash
# Checks that `make run` serves the app from this checkout: starts it on a free
# port (3100-3199, or the port given as $1), waits up to 6 minutes for
# /api/health to answer 200 and / (redirects followed) to answer 200, then stops
# it. Exits non-zero, with the tail of the log, when either never happens.
set -euo pipefail

cd "$(dirname "$0")/.."
TIMEOUT_SECONDS=360

port_is_free() {
  python3 - "$1" <<'PY'
import socket, sys
port = int(sys.argv[1])
for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        if probe.connect_ex((host, port)) == 0:
            sys.exit(1)
for family in (socket.AF_INET, socket.AF_INET6):
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("", port))
        except OSError:
            sys.exit(1)
PY
}

port="${1:-}"
if [[ -z "$port" ]]; then
  # Random order: other checks and test sessions pick from the same range.
  for candidate in $(shuf -i 3100-3199); do
    if port_is_free "$candidate"; then port=$candidate; break; fi
  done
  [[ -n "$port" ]] || { echo "check_make_run: no free port in 3100-3199" >&2; exit 1; }
elif ! port_is_free "$port"; then
  echo "check_make_run: port $port is in use" >&2
  exit 1
fi

log="$(mktemp -t check_make_run.XXXXXX.log)"
base="http://localhost:$port"
echo "check_make_run: make run PORT=$port (log: $log)"

# Its own session, so the whole tree (make, reflex, bun, workers) stops together.
setsid make run PORT="$port" >"$log" 2>&1 </dev/null &
leader=$!

stop() {
  kill -TERM -- "-$leader" 2>/dev/null || return 0
  for _ in $(seq 10); do
    kill -0 -- "-$leader" 2>/dev/null || return 0
    sleep 1
  done
  kill -KILL -- "-$leader" 2>/dev/null || true
}
trap stop EXIT

fail() {
  echo "check_make_run: FAIL: $1" >&2
  echo "----- last 60 lines of $log -----" >&2
  tail -n 60 "$log" >&2
  exit 1
}

status() {  # the HTTP status of a GET, 000 when nothing answers
  curl --silent --output /dev/null --write-out '%{http_code}' --max-time 5 "$@" || true
}

started=$SECONDS
health=000
root=000
while (( SECONDS - started < TIMEOUT_SECONDS )); do
  kill -0 "$leader" 2>/dev/null || fail "make run exited before the app was ready"
  health="$(status "$base/api/health")"
  if [[ "$health" == 200 ]]; then
    root="$(status --location "$base/")"
    if [[ "$root" == 200 ]]; then
      echo "check_make_run: after $(( SECONDS - started )) s: GET /api/health -> $health $(curl --silent --max-time 5 "$base/api/health"), GET / (redirects followed) -> $root"
      sleep 1
      # Had someone else's server answered on our port, ours would have exited.
      kill -0 "$leader" 2>/dev/null || fail "make run exited although the port answered"
      echo "check_make_run: OK"
      exit 0
    fi
  fi
  sleep 2
done
fail "not ready after $TIMEOUT_SECONDS s (GET /api/health -> $health, GET / -> $root)"
