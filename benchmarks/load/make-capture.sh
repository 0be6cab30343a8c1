#!/usr/bin/env bash
# make-capture.sh — makes the load test's input: a ~2 Mbit/s VP8 + Opus RTP capture, as the load harness
# (io.capstan.bench.load) replays it to every session.
#
#   OUT/vp8_opus_2m.pcap         classic pcap (Ethernet/IPv4/UDP, microsecond receive times), RTP + RTCP
#   OUT/vp8_opus_2m.sdp          ffmpeg's SDP (VP8 PT 96 on port 25100, Opus PT 111 on 25102)
#   OUT/vp8_opus_2m.truth.json   what the capture holds (scripts/fixtures.py analyze)
#
# Two steps, so the real-time send is cheap and its timing faithful on a busy machine:
#   1. encode (as fast as the machine allows): ffmpeg lavfi testsrc2 1280x720@30 -> libvpx VP8 CBR 2 Mbit/s,
#      keyframe every 60 frames (2 s), realtime deadline, error resilient; sine 440 Hz stereo -> libopus 48 kHz
#      20 ms 32 kbit/s; DURATION seconds (default 20) into a WebM;
#   2. send it in real time (ffmpeg -re, stream copy) as RTP to 127.0.0.1 (1200-byte packets, RTCP SRs) and
#      capture it at the receiving sockets with the project's own scripts/fixtures.py capture (as
#      scripts/make-fixtures.sh does).
#
# Usage: benchmarks/load/make-capture.sh [OUT_DIR]   (default benchmarks/target/load-capture; DURATION=20)
# Needs ffmpeg (Debian's, with libvpx and libopus) and python3. Takes about DURATION + encode time (~30-60 s).
# Not committed: ~5 MB of binary that the run script regenerates when it is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${1:-$ROOT/benchmarks/target/load-capture}"
DURATION="${DURATION:-20}"
NAME=vp8_opus_2m
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

for tool in ffmpeg python3; do
  command -v "$tool" >/dev/null || { echo "make-capture.sh: $tool is required (apt-get install ffmpeg python3)" >&2; exit 1; }
done

FF="ffmpeg -hide_banner -nostdin -loglevel error -y"
SRC="$OUT/.$NAME.src.webm"

echo "make-capture.sh: encoding $DURATION s of 1280x720@30 VP8 2 Mbit/s + Opus ..." >&2
$FF -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i "aevalsrc=0.3*sin(2*PI*440*t)|0.3*sin(2*PI*660*t):s=48000:c=stereo" \
  -t "$DURATION" -map 0:v -c:v libvpx -deadline realtime -cpu-used 8 -threads 2 -auto-alt-ref 0 -lag-in-frames 0 \
  -error-resilient 1 -pix_fmt yuv420p -b:v 2M -minrate 2M -maxrate 2M -bufsize 1M -g 60 -keyint_min 60 \
  -map 1:a -c:a libopus -application voip -frame_duration 20 -b:a 32k -ac 2 -ar 48000 "$SRC"

echo "make-capture.sh: sending it in real time over RTP to 127.0.0.1:25100/25102 and capturing ..." >&2
python3 "$ROOT/scripts/fixtures.py" capture --name "$NAME" --out "$OUT" --ports 25100,25101,25102,25103 --meta '{
  "description": "Load-test input (benchmarks/load/make-capture.sh): ffmpeg lavfi testsrc2 1280x720@30 -> libvpx VP8 CBR 2 Mbit/s, keyframe every 60 frames (2 s), and aevalsrc 440/660 Hz stereo -> libopus 48 kHz stereo 20 ms 32 kbit/s, encoded to WebM first, then sent in real time with stream copy (ffmpeg -re) as RTP with 1200-byte packets and RTCP SRs.",
  "streams": [
    {"media": "video", "codec": "VP8", "payload_type": 96, "rtp_port": 25100, "rtcp_port": 25101, "width": 1280, "height": 720, "fps": 30, "keyframe_interval_frames": 60, "bitrate_bps": 2000000},
    {"media": "audio", "codec": "opus", "payload_type": 111, "rtp_port": 25102, "rtcp_port": 25103, "sample_rate": 48000, "channels": 2, "frame_duration_ms": 20}
  ]}' -- \
  $FF -re -i "$SRC" -map 0:v -c:v copy -payload_type 96 -pkt_size 1200 -f rtp rtp://127.0.0.1:25100 \
  -map 0:a -c:a copy -payload_type 111 -f rtp rtp://127.0.0.1:25102 -sdp_file "$NAME.sdp"
rm -f "$SRC"
ls -l "$OUT/$NAME.pcap" "$OUT/$NAME.sdp" >&2
echo "$OUT/$NAME.pcap"
