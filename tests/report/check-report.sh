#!/usr/bin/env bash
# Checks an HTML report written by `analyze --report`: renders it in headless Chromium, counts the
# face cards in the rendered DOM and takes a screenshot. Builds nothing itself.
#
#   tests/report/check-report.sh REPORT.html EXPECTED_FACE_CARDS [SCREENSHOT.png] [POINTS_PER_FACE]
#
# POINTS_PER_FACE (default 5: YuNet's eyes, nose tip and mouth corners) is how many landmark dots each
# detected face must have on the photo; 4 for BlazeFace.
# Installs Debian's chromium when /usr/bin/chromium is missing (needs root). Exits 1 when the
# count of face cards differs from the expected one or the screenshot is missing or trivial.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 4 ]]; then
    echo "usage: $0 REPORT.html EXPECTED_FACE_CARDS [SCREENSHOT.png] [POINTS_PER_FACE]" >&2
    exit 2
fi

report=$(realpath "$1")
expected=$2
screenshot=${3:-${report%.*}-screenshot.png}
points=${4:-5}
min_bytes=$((20 * 1024))

if [[ ! -f "$report" ]]; then
    echo "FAIL: report not found: $report" >&2
    exit 1
fi
if ! [[ "$expected" =~ ^[0-9]+$ ]]; then
    echo "usage: EXPECTED_FACE_CARDS must be a number, not '$expected'" >&2
    exit 2
fi

if [[ ! -x /usr/bin/chromium ]]; then
    echo "installing Debian's chromium (apt-get install -y chromium)"
    if [[ $(id -u) -ne 0 ]]; then
        echo "FAIL: /usr/bin/chromium is missing and installing it needs root" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium_flags=(
    --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --user-data-dir="$profile"
)

status=0

# 1. Face cards in the rendered DOM. grep -o counts every occurrence, even two on one line;
#    the trailing [" ] keeps other classes that start with "face-card" out of the count.
dom=$(timeout 120 /usr/bin/chromium "${chromium_flags[@]}" --dump-dom "file://$report" 2>/dev/null)
if [[ -z "$dom" ]]; then
    echo "FAIL: chromium --dump-dom printed nothing for $report" >&2
    exit 1
fi
cards=$(grep -o 'class="face-card[" ]' <<<"$dom" | wc -l)
if [[ "$cards" -eq "$expected" ]]; then
    echo "ok: $cards face cards rendered (expected $expected)"
else
    echo "FAIL: $cards face cards rendered, expected $expected" >&2
    status=1
fi

# The landmarks the faces were aligned by, one dot each on the photo.
dots=$(grep -o '<circle ' "$report" | wc -l)
if [[ "$dots" -eq $((expected * points)) ]]; then
    echo "ok: $dots landmark dots ($points per face)"
else
    echo "FAIL: $dots landmark dots, expected $((expected * points)) ($points per face)" >&2
    status=1
fi

# The report must be self-contained: no script, and nothing loaded from outside.
if grep -qi '<script' "$report"; then
    echo "FAIL: the report contains a <script> element" >&2
    status=1
else
    echo "ok: no <script> in the report"
fi
external='((src|href)="|url\(["'"'"']?)(https?:|//|file:)'
if grep -Eqi "$external" "$report"; then
    echo "FAIL: the report loads external assets:" >&2
    grep -Eoi "$external"'[^"'"'"')]{0,80}' "$report" | head -5 >&2
    status=1
else
    echo "ok: no external assets (every src, href and CSS url() is inline or a fragment)"
fi

# 2. A screenshot that shows something.
rm -f "$screenshot"
timeout 120 /usr/bin/chromium "${chromium_flags[@]}" --screenshot="$screenshot" --window-size=1400,3000 "file://$report" >/dev/null 2>&1 || true
if [[ ! -f "$screenshot" ]]; then
    echo "FAIL: chromium wrote no screenshot at $screenshot" >&2
    status=1
else
    bytes=$(stat -c %s "$screenshot")
    if [[ "$bytes" -gt "$min_bytes" ]]; then
        echo "ok: screenshot $screenshot is $bytes bytes (> $min_bytes)"
    else
        echo "FAIL: screenshot $screenshot is only $bytes bytes (<= $min_bytes): the page rendered (nearly) empty" >&2
        status=1
    fi
fi

if [[ $status -eq 0 ]]; then
    echo "report OK: $report"
fi
exit $status
