#!/usr/bin/env bash
# scim2-tester (through scim2-cli's `scim2 test`) against a live standalone server on loopback
# (called by .ci/run): a fresh SQLite database, a customer and its SCIM token; the run fails
# on any check the tester reports as an error.
set -euo pipefail
cd "$(dirname "$0")/../../.."
PY="${PYTHON:-.venv/bin/python}"
BIN="$(dirname "$PY")"
PORT="${SCIM_COMPLIANCE_PORT:-8766}"
WORK="$(mktemp -d)"
export DJANGO_SETTINGS_MODULE=standalone.settings DATABASE_URL="${SCIM_DATABASE_URL:-sqlite:///$WORK/scim.sqlite3}"
export CELERY_BROKER_URL=""
"$PY" manage.py migrate -v 0
TOKEN="$("$PY" -m tests.integrated_channels.scim.live_seed)"
"$PY" manage.py runserver "127.0.0.1:$PORT" --noreload --nothreading >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
"$PY" - "$PORT" <<'PY'
import sys, time, urllib.error, urllib.request

for _ in range(100):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/scim/v2/ServiceProviderConfig", timeout=2)
        break
    except urllib.error.HTTPError:
        break  # 401 without a token: the server is up
    except OSError:
        time.sleep(0.2)
else:
    sys.exit("the standalone server did not start")
PY
status=0
# The token goes through the environment, not the command line (scim2 --help: SCIM_CLI_HEADERS).
SCIM_CLI_HEADERS="Authorization: Bearer $TOKEN" "$BIN/scim2" --url "http://127.0.0.1:$PORT/scim/v2" test \
    >"$WORK/report.txt" 2>&1 || status=$?
cat "$WORK/report.txt"
if grep -q -E "^(ERROR|CRITICAL|SKIPPED) " "$WORK/report.txt"; then
    status=1
fi
if [ "$status" != 0 ]; then
    echo "--- server log (last 60 lines)"
    tail -n 60 "$WORK/server.log"
fi
exit "$status"
