#!/usr/bin/env bash
# Whole-process offline conversion, capstan vs GStreamer, on the same ~200 MB capture (issue 7, item 1).
#
# Makes BIG (default: $WORK/vp8_opus_<MB>MB.pcap) by looping the vp8_opus fixture (VP8 + Opus, continuous RTP
# sequence numbers and timestamps: io.capstan.bench.LoopCapture), then runs, alternately, RUNS times each:
#   capstan:    java -jar recorder-examples/target/capstan.jar convert --sdp vp8_opus.sdp --pcap BIG --out DIR --container webm
#   GStreamer:  gst-launch-1.0 with two pcapparse branches (dst-port 25004 VP8, 25006 Opus) into webmmux
# and prints the median wall time of each, the input MB/s and the ratio; appends them to
# benchmarks/results/compare-gstreamer.txt. Both sides write the same two streams (VP8 + Opus) into one WebM file
# on the same file system; the frame counts of both outputs are checked with ffprobe when it is installed.
#
# Environment: MB (capture size, 200), RUNS (3), WORK (/tmp/capstan-compare), BIG (an existing capture to reuse),
# BUILD=1 to rebuild the jars, JAVA_OPTS (extra JVM options for capstan).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MB=${MB:-200}
RUNS=${RUNS:-3}
WORK=${WORK:-/tmp/capstan-compare}
BIG=${BIG:-$WORK/vp8_opus_${MB}MB.pcap}
SDP=$ROOT/recorder-core/src/test/resources/fixtures/vp8_opus.sdp
CAPSTAN_JAR=$ROOT/recorder-examples/target/capstan.jar
BENCH_JAR=$ROOT/benchmarks/target/benchmarks.jar
RESULTS=$ROOT/benchmarks/results/compare-gstreamer.txt
JAVA_OPTS=${JAVA_OPTS:-}

command -v gst-launch-1.0 >/dev/null || { echo "gst-launch-1.0 not found" >&2; exit 1; }
for e in pcapparse rtpjitterbuffer rtpvp8depay rtpopusdepay opusparse webmmux; do
  gst-inspect-1.0 "$e" >/dev/null 2>&1 || { echo "GStreamer element $e not found" >&2; exit 1; }
done
if [[ ${BUILD:-0} == 1 || ! -f $CAPSTAN_JAR || ! -f $BENCH_JAR ]]; then
  ./mvnw -o -q -B package -DskipTests
fi
mkdir -p "$WORK"
if [[ ! -f $BIG ]]; then
  java -cp "$BENCH_JAR" io.capstan.bench.LoopCapture vp8_opus "$MB" "$BIG"
fi
BYTES=$(stat -c %s "$BIG")

# RTP timestamps to PTS: pcapparse sets only DTS (the capture time) and webmmux drops buffers without a PTS, so
# each branch has an rtpjitterbuffer in its cheapest mode (no clock slaving, no latency: in-order packets go
# straight through; offline, nothing waits on the clock).
GST_PIPE=(webmmux name=mux ! filesink location="$WORK/gst.webm"
  filesrc location="$BIG" ! pcapparse dst-port=25004
  ! "application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96"
  ! rtpjitterbuffer mode=none latency=0 ! rtpvp8depay ! queue ! mux.video_0
  filesrc location="$BIG" ! pcapparse dst-port=25006
  ! "application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=111"
  ! rtpjitterbuffer mode=none latency=0 ! rtpopusdepay ! opusparse ! queue ! mux.audio_0)
CAPSTAN_CMD=(java $JAVA_OPTS -jar "$CAPSTAN_JAR" convert --sdp "$SDP" --pcap "$BIG" --out "$WORK/capstan" --container webm)

now() { date +%s.%N; }
cap_times=(); gst_times=()
for ((i = 1; i <= RUNS; i++)); do
  rm -rf "$WORK/capstan" "$WORK/gst.webm"; sync
  t0=$(now); "${CAPSTAN_CMD[@]}" >"$WORK/capstan.log"; t1=$(now)
  cap_times+=("$(echo "$t1 - $t0" | bc -l)")
  t0=$(now); gst-launch-1.0 -q "${GST_PIPE[@]}"; t1=$(now)
  gst_times+=("$(echo "$t1 - $t0" | bc -l)")
  printf 'run %d: capstan %.3f s, gstreamer %.3f s\n' "$i" "${cap_times[-1]}" "${gst_times[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
CAP=$(median "${cap_times[@]}"); GST=$(median "${gst_times[@]}")

CAP_OUT=$(ls "$WORK"/capstan/*.webm)
check=""
if command -v ffprobe >/dev/null; then
  count() { ffprobe -v error -count_packets -show_entries stream=codec_name,nb_read_packets -of csv=p=0 "$1" | tr '\n' ' '; }
  check="packets per stream: capstan $(count "$CAP_OUT")| gstreamer $(count "$WORK/gst.webm")"
fi
summary=$(awk -v b="$BYTES" -v c="$CAP" -v g="$GST" 'BEGIN {
  printf "capstan   median %.3f s  %.1f MB/s of capture\n", c, b / c / 1e6;
  printf "gstreamer median %.3f s  %.1f MB/s of capture\n", g, b / g / 1e6;
  printf "ratio gstreamer/capstan = %.2fx (target >= 3x)\n", g / c }')
{
  echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git rev-parse --short HEAD) $(uname -m), $(nproc) cores, load:$(uptime | sed 's/.*load average://')"
  echo "input: $BIG ($BYTES bytes; vp8_opus looped: VP8 + Opus)"
  echo "capstan:   ${CAPSTAN_CMD[*]}"
  echo "gstreamer: gst-launch-1.0 -q ${GST_PIPE[*]}"
  echo "runs (alternating, s): capstan ${cap_times[*]}; gstreamer ${gst_times[*]}"
  echo "outputs: capstan $(stat -c %s "$CAP_OUT") bytes, gstreamer $(stat -c %s "$WORK/gst.webm") bytes; $check"
  echo "$summary"
  echo
} | tee -a "$RESULTS"
