#!/usr/bin/env bash
# Fuzzes one target of tests/SwinFace.Fuzz with AFL++ (Debian's afl++) through SharpFuzz.
#   tests/fuzz/fuzz.sh TARGET SECONDS [OUT]   fuzz for SECONDS, findings in OUT (default artifacts/fuzz/TARGET)
#   tests/fuzz/fuzz.sh --ci [SECONDS]         every target for SECONDS each (default 30), fail on any crash or hang
# Builds the harness once into artifacts/fuzz/bin and instruments SwinFace.dll, SwinFace.Server.dll and ImageSharp there (never
# the normal build output); an uninstrumented copy in artifacts/fuzz/bin/plain replays findings. Prints
# execs, execs/s, coverage and findings from AFL++'s fuzzer_stats; crashing inputs are replayed so their
# stack traces show. FUZZING.md explains the rest.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
bin=${FUZZ_BIN:-$root/artifacts/fuzz/bin}
harness=$bin/SwinFace.Fuzz.dll

install_afl() {
  if ! command -v afl-fuzz >/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then echo "error: afl-fuzz is missing; run as root: apt-get install -y afl++" >&2; exit 1; fi
    echo "installing afl++ ..."
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
  fi
}

build() {
  local stamp=$bin/.instrumented
  local newest
  newest=$(find src/SwinFace src/SwinFace.Server tests/SwinFace.Fuzz -name '*.cs' -newer "$stamp" 2>/dev/null | head -1 || true)
  if [ -f "$stamp" ] && [ -z "$newest" ]; then return; fi
  rm -rf "$bin"
  # An uninstrumented copy replays findings: instrumented code run outside afl-fuzz has no coverage map
  # to write to, and fails with NullReferenceException or AccessViolationException on any input.
  dotnet publish tests/SwinFace.Fuzz -c Release -o "$bin/plain" -p:UseAppHost=false >/dev/null
  cp -a "$bin/plain/." "$bin/"
  dotnet tool restore >/dev/null
  for dll in SwinFace.dll SwinFace.Server.dll SixLabors.ImageSharp.dll; do
    dotnet tool run sharpfuzz "$bin/$dll" >/dev/null
  done
  touch "$stamp"
}

stat() { sed -n "s/^$1 *: *//p" "$2/default/fuzzer_stats"; }

fuzz() {
  local target=$1 seconds=$2 out=$3
  local seeds=tests/SwinFace.Fuzz/seeds/$target
  [ -d "$seeds" ] || { echo "error: no seeds for target '$target' in $seeds" >&2; exit 2; }
  rm -rf "$out"
  mkdir -p "$out"
  # The harness is a managed program, not an instrumented binary; crashes are exceptions, not core dumps;
  # the machine is shared, so no CPU pinning.
  AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    AFL_FORKSRV_INIT_TMOUT=60000 DOTNET_TieredPGO=0 \
    afl-fuzz -i "$seeds" -o "$out" -t "${FUZZ_TIMEOUT_MS:-5000}" -m none -V "$seconds" -- dotnet "$harness" "$target" \
    >"$out/afl.log" 2>&1 || { tail -30 "$out/afl.log" >&2; echo "error: afl-fuzz failed for $target" >&2; return 1; }
  local crashes hangs
  crashes=$(find "$out/default/crashes" -type f -name 'id:*' | wc -l)
  hangs=$(find "$out/default/hangs" -type f -name 'id:*' | wc -l)
  echo "$target: $(stat execs_done "$out") execs in $(stat run_time "$out") s ($(stat execs_per_sec "$out") execs/s)," \
    "corpus $(stat corpus_count "$out"), edges $(stat edges_found "$out") of $(stat total_edges "$out") ($(stat bitmap_cvg "$out") of the map)," \
    "crashes $crashes, hangs $hangs"
  if [ "$crashes" -gt 0 ]; then
    dotnet "$bin/plain/SwinFace.Fuzz.dll" "$target" --replay "$out/default/crashes" | grep -v '^ok' | head -60 >&2 || true
  fi
  [ "$crashes" -eq 0 ] && [ "$hangs" -eq 0 ]
}

install_afl
build
if [ "${1:-}" = "--ci" ]; then
  seconds=${2:-30}
  status=0
  for target in $(dotnet "$harness" --list); do
    fuzz "$target" "$seconds" "artifacts/fuzz/ci/$target" || status=1
  done
  exit $status
fi
[ $# -ge 2 ] || { echo "usage: $0 TARGET SECONDS [OUT] | --ci [SECONDS]" >&2; exit 2; }
fuzz "$1" "$2" "${3:-artifacts/fuzz/$1}"
