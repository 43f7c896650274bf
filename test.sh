#!/usr/bin/env bash
# Runs every test: the C# unit and golden tests (the committed tiny model, and a full-size seeded
# model against PyTorch), the pgvector gallery against PGlite, the sample CLI's JSON against PyTorch, and
# the NuGet package in a new app. Installs and fetches what it needs first.
set -euo pipefail
cd "$(dirname "$0")"
models/install-deps.sh
models/fetch-yunet.sh
models/fetch-blazeface.sh
models/fetch-testimages.sh
models/make-full-parity.sh artifacts/full
export SWINFACE_FULL_DIR="$PWD/artifacts/full"

log=$(mktemp)
trap 'rm -rf "$log"; tests/postgres/pglite.sh stop' EXIT
# PostgreSQL + pgvector (PGlite on loopback) for the pgvector gallery's tests, stopped by the trap above.
tests/postgres/pglite.sh start
# shellcheck source=/dev/null
source artifacts/pglite/env
status=0
dotnet test SwinFace.sln -c Release 2>&1 | tee "$log" || status=$?
# Only the tests above use it: its memory is given back before the checks below.
tests/postgres/pglite.sh stop

# The exporter's own tests (key listing, strict loading, the model file).
checks_passed=0 checks_failed=0
py_log=$(mktemp)
/usr/bin/python3 -m unittest discover -s models/export -p 'test_*.py' 2>&1 | grep -v -i warn | tee "$py_log" || true
py_ran=$(sed -n 's/^Ran \([0-9]*\) tests\?.*/\1/p' "$py_log")
py_bad=$(awk -F'[=,)]' '/^FAILED \(/ { for (i = 2; i <= NF; i += 2) n += $i } END { print n + 0 }' "$py_log")
if [ -z "$py_ran" ]; then py_ran=1 py_bad=1; fi
checks_passed=$((py_ran - ${py_bad:-0})) checks_failed=${py_bad:-0}
[ "$checks_failed" -eq 0 ] || status=1
rm -f "$py_log"

# End-to-end checks beyond the unit tests, each counted as one test.
check() {
  echo "+ $*"
  if "$@"; then checks_passed=$((checks_passed + 1)); else checks_failed=$((checks_failed + 1)); status=1; fi
}
check /usr/bin/python3 models/export/check_cli.py --model artifacts/full/swinface-full.swinface --golden artifacts/full/golden
# The structure the C# converter fills in is what the exporter makes now, byte for byte.
check models/make-structure.sh --check
check tests/package/check-package.sh
# The CLI as a .NET tool, installed from a local feed, converting and analysing without Python on PATH.
check tests/tool/check-tool.sh artifacts/full
report_check() {
  dotnet run --project samples/SwinFace.Cli -c Release -- analyze --model models/testdata/swinface-tiny.swinface \
    --report artifacts/report.html ../shared/testdata/photos models/testimages/astronaut.png >/dev/null &&
    tests/report/check-report.sh artifacts/report.html 5 artifacts/report.png
}
check report_check

# The service under load, briefly: the library, then the service on loopback with 16, 64 and 16 clients, each phase
# bounded in time and requests (the full run and its figures: BENCHMARKS.md, "The service under load").
check dotnet run --project tests/SwinFace.LoadTest -c Release -- --model models/testdata/swinface-tiny.swinface --seconds 5 --recovery-seconds 3 --smoke

# Hardening (tests/hardening/run.sh): the hostile corpus, a short soak, SIGKILLed gallery saves, a full
# disk, and every fuzz target for a short while.
for hardening in corpus soak kill disk-full fuzz; do
  check tests/hardening/run.sh "$hardening"
done

# One plain summary line over all test assemblies and the end-to-end checks.
read -r passed failed skipped < <(awk '/^(Passed|Failed)!/ {
    for (i = 1; i <= NF; i++) { v = $(i+1); sub(",", "", v)
      if ($i == "Passed:") p += v; if ($i == "Failed:") f += v; if ($i == "Skipped:") s += v } }
    END { print p + 0, f + 0, s + 0 }' "$log")
echo "tests: $((passed + checks_passed)) passed, $((failed + checks_failed)) failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
