#!/usr/bin/env bash
# run.sh — Capstan's concurrency load test (issue 7, part 2). See benchmarks/README.md, "Concurrency load test".
#
#   benchmarks/load/run.sh [inproc|udp|soak|soak-udp|all]... [--sizes 100,250,500,1000] [--seconds 60]
#                          [--warmup 15] [--soak-seconds 600] [--soak-size 500] [--label TEXT] [--tag T]
#                          [harness options]
#
#   inproc    N = each of --sizes live sessions, fed in-process at real-time pace; --warmup s, then --seconds s
#   udp       the same, every datagram sent over loopback UDP to the session's own ports (UdpReceiver)
#   soak      --soak-size sessions (in-process) for --soak-seconds, heap after GC every 10 s and its slope
#   all       inproc, udp and soak (the default): about 22 min with the defaults (4 sizes x 2 modes x ~80 s + 10.5 min)
#
# It builds the benchmarks jar (./mvnw -o -q -B -pl benchmarks -am package -DskipTests; SKIP_BUILD=1 skips it),
# makes the input capture if it is missing (benchmarks/load/make-capture.sh, cached in
# benchmarks/target/load-capture/), runs io.capstan.bench.load.LoadTest once per mode in a fresh JVM, and writes
# benchmarks/results/load-MODE.{md,csv,png,log}. Other options are passed to the harness (--feeders 2
# --receivers 2 --mux-threads N --reorder-slots N --max-frames N --rotate 10s --dir DIR --sample 10
# --heap-guard 0.75 --seed 42).
#
# Environment: GC=zgc (default) | g1; HEAP=8g (-Xmx); LABEL (same as --label); OUT=benchmarks/results.
#
# JVM: ZGC by default. Its pauses stay well under a millisecond whatever the heap, so a feeder (standing for the
# host's receive thread) is never stopped for long and the live-set measurements (System.gc(), a concurrent cycle
# with ZGC) can be taken while the sessions run without stalling them. GC=g1 runs the same with G1 (the JDK's
# default) for comparison: its System.gc() is a stop-the-world full collection, visible as late datagrams.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

MODES=()
SIZES=100,250,500,1000
SECONDS_=60
WARMUP=15
SOAK_SECONDS=600
SOAK_SIZE=500
LABEL="${LABEL:-}"
TAG=""
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    inproc|udp|soak|soak-udp) MODES+=("$1"); shift ;;
    all) MODES+=(inproc udp soak); shift ;;
    --sizes) SIZES="$2"; shift 2 ;;
    --seconds) SECONDS_="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --soak-seconds) SOAK_SECONDS="$2"; shift 2 ;;
    --soak-size) SOAK_SIZE="$2"; shift 2 ;;
    --label) LABEL="$2"; shift 2 ;;
    --tag) TAG="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) EXTRA+=("$1"); shift ;;
  esac
done
[ ${#MODES[@]} -gt 0 ] || MODES=(inproc udp soak)

OUT="${OUT:-$ROOT/benchmarks/results}"
HEAP="${HEAP:-8g}"
case "${GC:-zgc}" in
  zgc) GCFLAGS=(-XX:+UseZGC) ;;
  g1) GCFLAGS=(-XX:+UseG1GC) ;;
  *) echo "run.sh: GC must be zgc or g1" >&2; exit 2 ;;
esac

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "run.sh: building benchmarks/target/benchmarks.jar ..." >&2
  ./mvnw -o -q -B -pl benchmarks -am package -DskipTests || ./mvnw -q -B -pl benchmarks -am package -DskipTests
fi
CAPTURE="$ROOT/benchmarks/target/load-capture/vp8_opus_2m.pcap"
if [ ! -s "$CAPTURE" ] || [ ! -s "${CAPTURE%.pcap}.sdp" ]; then
  "$ROOT/benchmarks/load/make-capture.sh" "$(dirname "$CAPTURE")" >/dev/null
fi
# udp: two sockets per session, plus files
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p "$OUT"

for mode in "${MODES[@]}"; do
  case "$mode" in
    soak|soak-udp) args=(--mode "$mode" --sizes "$SOAK_SIZE" --seconds "$SOAK_SECONDS" --warmup "$WARMUP") ;;
    *) args=(--mode "$mode" --sizes "$SIZES" --seconds "$SECONDS_" --warmup "$WARMUP") ;;
  esac
  base="load-$mode${TAG:+-$TAG}"
  cmd="benchmarks/load/run.sh $mode ${args[*]:2}${LABEL:+ --label '$LABEL'}${TAG:+ --tag $TAG}${EXTRA[*]:+ ${EXTRA[*]}}"
  before="$(uptime)"
  echo "run.sh: $mode — $before" >&2
  java "${GCFLAGS[@]}" -XX:+ExitOnOutOfMemoryError -Xms1g -Xmx"$HEAP" -Djava.awt.headless=true -cp benchmarks/target/benchmarks.jar \
    io.capstan.bench.load.LoadTest "${args[@]}" --capture "$CAPTURE" --out "$OUT" --label "$LABEL" \
    --command "${GC:+GC=$GC }$cmd" ${TAG:+--tag "$TAG"} "${EXTRA[@]}" 2>&1 | tee "$OUT/$base.log"
  after="$(uptime)"
  printf '\n`uptime` before: `%s`; after: `%s`\n' "$(echo "$before" | sed 's/^ *//')" "$(echo "$after" | sed 's/^ *//')" \
    >> "$OUT/$base.md"
  echo "run.sh: $mode done — results: $OUT/$base.md (.csv, .png, .log)" >&2
done
echo "run.sh: results in $OUT:" >&2
ls -1 "$OUT"/load-* >&2
