#!/usr/bin/env bash
# Schemathesis against a live standalone server on loopback (called by .ci/run): a fresh SQLite
# database, seeded data and a staff token; the run fails on any 5xx or response that does not
# match the schema the server publishes at /api/schema/.
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT="${API_FUZZ_PORT:-8765}"
WORK="$(mktemp -d)"
export DJANGO_SETTINGS_MODULE=standalone.settings DATABASE_URL="sqlite:///$WORK/fuzz.sqlite3"
export CELERY_BROKER_URL=""  # run-now runs in-process
.venv/bin/python manage.py migrate -v 0
TOKEN="$(.venv/bin/python -m tests.api.live_seed)"
.venv/bin/python manage.py runserver "127.0.0.1:$PORT" --noreload --nothreading >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
.venv/bin/python - "$PORT" <<'PY'
import sys, time, urllib.request

for _ in range(100):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/schema/", timeout=2)
        break
    except OSError:
        time.sleep(0.2)
else:
    sys.exit("the standalone server did not start")
PY
status=0
ROOT="$(pwd)"
# From the scratch directory: schemathesis keeps a cache in its working directory.
(cd "$WORK" && "$ROOT/.venv/bin/schemathesis" run "http://127.0.0.1:$PORT/api/schema/" \
    --url "http://127.0.0.1:$PORT" \
    -H "Authorization: Token $TOKEN" \
    --checks not_a_server_error,response_schema_conformance,content_type_conformance \
    --max-examples "${API_FUZZ_EXAMPLES:-25}" \
    --generation-deterministic \
    --no-color) || status=$?
if [ "$status" != 0 ]; then
    echo "--- server log (last 60 lines)"
    tail -n 60 "$WORK/server.log"
fi
exit "$status"
