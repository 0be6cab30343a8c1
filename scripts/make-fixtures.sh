#!/usr/bin/env bash
# make-fixtures.sh — regenerates Capstan's own RTP test captures in
#   recorder-core/src/test/resources/fixtures/
#
# Every fixture is real RTP from real encoders and packetizers (ffmpeg 5.1, GStreamer 1.22 from Debian 12),
# sent in real time to 127.0.0.1 and captured by scripts/fixtures.py at the receiving UDP sockets:
#
#   NAME.pcap        classic pcap, linktype 1 (Ethernet II / IPv4 / UDP), microsecond receive timestamps,
#                    arrival order, the senders' real source ports. RTP on an even port, RTCP on port + 1.
#   NAME.sdp         what a receiver needs: ffmpeg's -sdp_file, or built from the payloader caps (GStreamer).
#   NAME.truth.json  what was sent ("streams_sent", "generator": exact commands and package versions), and what
#                    the capture holds ("observed": datagrams per port, per-SSRC packet/seq/ts/marker counts,
#                    loss/duplicates/reordering, keyframes and resolutions, STAP-A/FU-A counts, RTCP SRs), and
#                    for the damaged variants an "impairment" section saying exactly what was changed.
#
# Clean captures (ports 25004-25061, chosen away from the 5004.. range other tools default to):
#   vp8_opus        ffmpeg libvpx VP8 320x240@30 3 s (key every 1 s, 500-byte packets so keyframes span several)
#                   + libopus stereo; RTCP SRs on both streams
#   h264_aac        ffmpeg libx264 baseline 320x240@30 2 s (IDR every 1 s, no B-frames) + AAC-LC (mpeg4-generic)
#   h264_stapa      ffmpeg libx264 (several slices/frame) -> GStreamer rtph264pay aggregate-mode=zero-latency
#                   config-interval=-1 (STAP-A, FU-A) + Opus, through rtpbin (RTCP SR/SDES/BYE). Debian's GStreamer
#                   here has no x264enc (plugins-ugly), so ffmpeg encodes to Matroska and GStreamer packetizes.
#   vp9_gst         GStreamer vp9enc 320x240@30 2 s + rtpvp9pay (scalability structure on keyframes), rtpbin
#   h265_gst        GStreamer x265enc 320x240@30 2 s (key every 1 s, zero-latency: no B-frames) -> h265parse (hvc1, so
#                   the payloader learns the parameter sets for sprop-vps/sps/pps) -> rtph265pay
#                   aggregate-mode=zero-latency config-interval=-1 (AP with VPS+SPS+PPS at each IRAP, FU), rtpbin
#   opus_dtx_gst    GStreamer opusenc dtx=true + rtpopuspay dtx=true, 6 s: 1 s tone every 2.5 s, silence between
#   pcmu            ffmpeg pcm_mulaw 8 kHz, 20 ms packets, static PT 0 (no rtpmap), 1 s
#   av1             ffmpeg libaom-av1 320x180@30 2 s (key every 1 s, realtime), written as a raw OBU stream
#                   (av1.obu; no RTP payloader exists here: the tests packetize it with Av1TestPacketizer)
# Damaged variants of vp8_opus (scripts/fixtures.py impair, seeded, deterministic for a given clean capture):
#   vp8_opus_loss         a middle fragment of the 2nd keyframe + ~3% of each stream's RTP dropped
#   vp8_opus_reorder      ~5% of RTP packets delayed by 1-3 packets of the same stream
#   vp8_opus_dup          ~3% of RTP packets duplicated 0-5 packets later
#   vp8_opus_wrap         seq rewritten to wrap after 1/3 of the packets, RTP ts to wrap at 2/3; SR RTP ts likewise
#   vp8_opus_ssrc_change  from the video keyframe nearest the middle on, each stream (and its RTCP) has a new SSRC
#                         and new random seq/ts bases, as after a sender restart
#   vp8_opus_garbage      3 each of short / V=1 / bad padding / CSRC overrun / extension overrun / random datagrams
#                         per RTP port
#
# Usage:  scripts/make-fixtures.sh            (all; about 30 s of real-time sending)
#         scripts/make-fixtures.sh pcmu vp9_gst (some clean ones; the damaged ones are redone when vp8_opus is)
# Needs: ffmpeg, gst-launch-1.0 (plugins good/bad/base + libav), python3. Re-running rewrites the files; the
# captures differ run to run (real timing, random SSRCs), the truth JSON always describes the files beside it.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/recorder-core/src/test/resources/fixtures"
PY="python3 $ROOT/scripts/fixtures.py"
mkdir -p "$OUT"

for tool in ffmpeg gst-launch-1.0 python3; do
  command -v "$tool" >/dev/null || { echo "make-fixtures.sh: $tool is required" >&2; exit 1; }
done

ONLY="$*"
sel() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }

FF="ffmpeg -hide_banner -nostdin -loglevel error -y"
GST="timeout 30 gst-launch-1.0 -v -e"

if sel vp8_opus; then
$PY capture --name vp8_opus --out "$OUT" --ports 25004,25005,25006,25007 --meta '{
  "description": "ffmpeg lavfi testsrc2 320x240@30 -> libvpx VP8 100 kbit/s (keyframe every 30 frames = 1 s, error resilient), RTP packets of at most 500 bytes (-pkt_size 500) so keyframes span several packets, and aevalsrc 440/660 Hz stereo -> libopus 48 kHz stereo 20 ms 24 kbit/s, two ffmpeg RTP outputs with RTCP SR (ffmpeg sends one at the start and more as its RTCP bandwidth share allows; observed.streams[].rtcp lists them).",
  "duration_s": 3,
  "streams": [
    {"media": "video", "codec": "VP8", "payload_type": 96, "rtp_port": 25004, "rtcp_port": 25005, "width": 320, "height": 240, "fps": 30, "frames_sent": 90, "keyframe_interval_frames": 30, "keyframe_interval_s": 1.0, "max_rtp_packet_bytes": 500},
    {"media": "audio", "codec": "opus", "payload_type": 111, "rtp_port": 25006, "rtcp_port": 25007, "sample_rate": 48000, "channels": 2, "frame_duration_ms": 20, "frames_sent": 150}
  ]}' -- \
  $FF -re -f lavfi -i testsrc2=size=320x240:rate=30 -re -f lavfi -i "'aevalsrc=0.4*sin(2*PI*440*t)|0.4*sin(2*PI*660*t):s=48000:c=stereo'" \
  -map 0:v -t 3 -c:v libvpx -deadline realtime -cpu-used 8 -auto-alt-ref 0 -lag-in-frames 0 -error-resilient 1 \
  -pix_fmt yuv420p -b:v 100k -g 30 -keyint_min 30 -payload_type 96 -pkt_size 500 -f rtp rtp://127.0.0.1:25004 \
  -map 1:a -t 3 -c:a libopus -application audio -frame_duration 20 -b:a 24k -ac 2 -ar 48000 -payload_type 111 \
  -f rtp rtp://127.0.0.1:25006 -sdp_file vp8_opus.sdp

  $PY impair --kind loss        --seed 1 --src "$OUT/vp8_opus" --name vp8_opus_loss        --out "$OUT"
  $PY impair --kind reorder     --seed 2 --src "$OUT/vp8_opus" --name vp8_opus_reorder     --out "$OUT"
  $PY impair --kind duplicate   --seed 3 --src "$OUT/vp8_opus" --name vp8_opus_dup         --out "$OUT"
  $PY impair --kind wrap        --seed 4 --src "$OUT/vp8_opus" --name vp8_opus_wrap        --out "$OUT"
  $PY impair --kind ssrc-change --seed 5 --src "$OUT/vp8_opus" --name vp8_opus_ssrc_change --out "$OUT"
  $PY impair --kind garbage     --seed 6 --src "$OUT/vp8_opus" --name vp8_opus_garbage     --out "$OUT"
fi

if sel h264_aac; then
$PY capture --name h264_aac --out "$OUT" --ports 25010,25011,25012,25013 --meta '{
  "description": "ffmpeg lavfi testsrc2 320x240@30 -> libx264 constrained baseline 300 kbit/s, IDR every 30 frames (1 s), no B-frames, FU-A + STAP-A(SPS/PPS) at IDR; sine 1 kHz beeps -> AAC-LC 48 kHz stereo as mpeg4-generic AAC-hbr. RTCP SR at start.",
  "duration_s": 2,
  "streams": [
    {"media": "video", "codec": "H264", "payload_type": 96, "rtp_port": 25010, "rtcp_port": 25011, "width": 320, "height": 240, "fps": 30, "frames_sent": 60, "keyframe_interval_frames": 30, "keyframe_interval_s": 1.0, "profile": "constrained-baseline", "b_frames": 0},
    {"media": "audio", "codec": "AAC", "payload_type": 97, "rtp_port": 25012, "rtcp_port": 25013, "sample_rate": 48000, "channels": 2, "samples_per_frame": 1024}
  ]}' -- \
  $FF -re -f lavfi -i testsrc2=size=320x240:rate=30 -re -f lavfi -i sine=frequency=1000:sample_rate=48000:beep_factor=4 \
  -map 0:v -t 2 -c:v libx264 -profile:v baseline -preset veryfast -b:v 300k -maxrate 300k -bufsize 300k -bf 0 \
  -g 30 -keyint_min 30 -sc_threshold 0 -pix_fmt yuv420p -payload_type 96 -f rtp rtp://127.0.0.1:25010 \
  -map 1:a -t 2 -c:a aac -b:a 64k -ac 2 -ar 48000 -payload_type 97 -f rtp rtp://127.0.0.1:25012 -sdp_file h264_aac.sdp
fi

if sel h264_stapa; then
$PY capture --name h264_stapa --out "$OUT" --ports 25020,25021,25022,25023 --gst-sdp --meta '{
  "description": "ffmpeg testsrc 320x240@30 -> libx264 constrained baseline, tune zerolatency, -x264-params slices=4 (x264 decides the final slice count; see observed nal_types), IDR every 30 frames (1 s) + sine -> libopus, in Matroska; GStreamer matroskademux -> h264parse -> rtph264pay aggregate-mode=zero-latency config-interval=-1 (STAP-A with SPS+PPS at each IDR, several slices, FU-A) and opusparse -> rtpopuspay, through rtpbin (RTCP SR + SDES + BYE), sent in real time (udpsink sync=true).",
  "duration_s": 2,
  "streams": [
    {"media": "video", "codec": "H264", "payload_type": 96, "rtp_port": 25020, "rtcp_port": 25021, "width": 320, "height": 240, "fps": 30, "frames_sent": 60, "keyframe_interval_frames": 30, "keyframe_interval_s": 1.0, "multiple_slices": true, "b_frames": 0, "expect_stap_a": true, "expect_fu_a": true},
    {"media": "audio", "codec": "opus", "payload_type": 111, "rtp_port": 25022, "rtcp_port": 25023, "sample_rate": 48000, "channels": 2, "frame_duration_ms": 20}
  ]}' -- \
  "$FF -f lavfi -i testsrc=size=320x240:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 2 \
   -c:v libx264 -profile:v baseline -tune zerolatency -x264-params slices=4 -b:v 300k -bf 0 -g 30 -keyint_min 30 \
   -sc_threshold 0 -pix_fmt yuv420p -c:a libopus -b:a 32k -ac 2 -frame_duration 20 .h264_stapa_src.mkv && \
   $GST rtpbin name=rb filesrc location=.h264_stapa_src.mkv '!' matroskademux name=d \
   d.video_0 '!' queue '!' h264parse '!' rtph264pay aggregate-mode=zero-latency config-interval=-1 mtu=1200 pt=96 \
   '!' rb.send_rtp_sink_0 rb.send_rtp_src_0 '!' udpsink name=rtp25020 host=127.0.0.1 port=25020 sync=true \
   rb.send_rtcp_src_0 '!' udpsink name=rtcp25021 host=127.0.0.1 port=25021 sync=false async=false \
   d.audio_0 '!' queue '!' opusparse '!' rtpopuspay pt=111 '!' rb.send_rtp_sink_1 rb.send_rtp_src_1 \
   '!' udpsink name=rtp25022 host=127.0.0.1 port=25022 sync=true \
   rb.send_rtcp_src_1 '!' udpsink name=rtcp25023 host=127.0.0.1 port=25023 sync=false async=false; \
   rc=\$?; rm -f .h264_stapa_src.mkv; exit \$rc"
fi

if sel vp9_gst; then
$PY capture --name vp9_gst --out "$OUT" --ports 25030,25031 --gst-sdp --meta '{
  "description": "GStreamer videotestsrc zone-plate 320x240@30 -> vp9enc realtime CBR 250 kbit/s, keyframe every 30 frames (1 s) -> rtpvp9pay (picture ID, scalability structure with the resolution on keyframes), through rtpbin (RTCP).",
  "duration_s": 2,
  "streams": [
    {"media": "video", "codec": "VP9", "payload_type": 98, "rtp_port": 25030, "rtcp_port": 25031, "width": 320, "height": 240, "fps": 30, "frames_sent": 60, "keyframe_interval_frames": 30, "keyframe_interval_s": 1.0, "profile": 0}
  ]}' -- \
  $GST rtpbin name=rb videotestsrc is-live=true num-buffers=60 pattern=zone-plate kx2=20 ky2=20 kt=1 \
  '!' video/x-raw,width=320,height=240,framerate=30/1 '!' vp9enc deadline=1 cpu-used=8 lag-in-frames=0 \
  end-usage=cbr target-bitrate=250000 keyframe-max-dist=30 threads=2 '!' rtpvp9pay pt=98 \
  '!' rb.send_rtp_sink_0 rb.send_rtp_src_0 '!' udpsink name=rtp25030 host=127.0.0.1 port=25030 sync=true \
  rb.send_rtcp_src_0 '!' udpsink name=rtcp25031 host=127.0.0.1 port=25031 sync=false async=false
fi

if sel h265_gst; then
$PY capture --name h265_gst --out "$OUT" --ports 25050,25051 --gst-sdp --meta '{
  "description": "GStreamer videotestsrc ball 320x240@30 I420 -> x265enc ultrafast tune=zerolatency (no B-frames) 300 kbit/s, IDR every 30 frames (1 s) -> h265parse (stream-format hvc1: the payloader puts VPS/SPS/PPS into sprop-vps/sprop-sps/sprop-pps) -> rtph265pay aggregate-mode=zero-latency config-interval=-1 mtu=1000 (AP with VPS+SPS+PPS before every IRAP picture, FU for large slices), through rtpbin (RTCP SR + SDES + BYE), sent in real time.",
  "duration_s": 2,
  "streams": [
    {"media": "video", "codec": "H265", "payload_type": 96, "rtp_port": 25050, "rtcp_port": 25051, "width": 320, "height": 240, "fps": 30, "frames_sent": 60, "keyframe_interval_frames": 30, "keyframe_interval_s": 1.0, "profile": "main", "b_frames": 0, "expect_ap": true, "expect_fu": true}
  ]}' -- \
  $GST rtpbin name=rb videotestsrc is-live=true num-buffers=60 pattern=ball \
  '!' video/x-raw,format=I420,width=320,height=240,framerate=30/1 '!' x265enc speed-preset=ultrafast \
  tune=zerolatency key-int-max=30 bitrate=300 '!' h265parse '!' video/x-h265,stream-format=hvc1 \
  '!' rtph265pay aggregate-mode=zero-latency config-interval=-1 mtu=1000 pt=96 \
  '!' rb.send_rtp_sink_0 rb.send_rtp_src_0 '!' udpsink name=rtp25050 host=127.0.0.1 port=25050 sync=true \
  rb.send_rtcp_src_0 '!' udpsink name=rtcp25051 host=127.0.0.1 port=25051 sync=false async=false
fi

if sel opus_dtx_gst; then
$PY capture --name opus_dtx_gst --out "$OUT" --ports 25040,25041 --gst-sdp --meta '{
  "description": "GStreamer audiotestsrc wave=ticks: a 1 s 440 Hz tone every 2.5 s, digital silence in between -> opusenc dtx=true audio-type=voice 32 kbit/s 20 ms mono -> rtpopuspay dtx=true (empty DTX frames are not sent, so RTP timestamps jump over the silences while sequence numbers stay contiguous). No RTCP.",
  "duration_s": 6,
  "streams": [
    {"media": "audio", "codec": "opus", "payload_type": 111, "rtp_port": 25040, "rtcp_port": null, "sample_rate": 48000, "channels": 1, "frame_duration_ms": 20, "input_frames": 300, "dtx": true, "tone_s": [[0, 1], [2.5, 3.5], [5, 6]]}
  ]}' -- \
  $GST audiotestsrc is-live=true num-buffers=300 samplesperbuffer=960 wave=ticks tick-interval=2500000000 \
  sine-periods-per-tick=440 freq=440 volume=0.6 '!' audio/x-raw,rate=48000,channels=1 \
  '!' opusenc dtx=true audio-type=voice bitrate=32000 frame-size=20 '!' rtpopuspay dtx=true pt=111 \
  '!' udpsink name=rtp25040 host=127.0.0.1 port=25040 sync=true
fi

if sel pcmu; then
$PY capture --name pcmu --out "$OUT" --ports 25060,25061 --meta '{
  "description": "ffmpeg aevalsrc warbling tone 8 kHz mono in 160-sample (20 ms) frames -> G.711 mu-law (pcm_mulaw), static payload type 0 (the SDP has no rtpmap), ffmpeg RTP output with an RTCP SR at start.",
  "duration_s": 1,
  "streams": [
    {"media": "audio", "codec": "PCMU", "payload_type": 0, "rtp_port": 25060, "rtcp_port": 25061, "sample_rate": 8000, "channels": 1, "samples_per_packet": 160, "samples_sent": 8000}
  ]}' -- \
  $FF -re -f lavfi -i "'aevalsrc=0.5*sin(2*PI*(400+150*sin(2*PI*0.5*t))*t):s=8000:c=mono:n=160'" -t 1 \
  -c:a pcm_mulaw -ar 8000 -ac 1 -f rtp rtp://127.0.0.1:25060 -sdp_file pcmu.sdp
fi

if sel av1; then
# AV1: Debian 12 has no AV1 RTP payloader (ffmpeg or GStreamer), so the encoder's low overhead bitstream is
# committed and the tests packetize it with recorder-core's spec-following Av1TestPacketizer (ImpairedCapture.av1)
$FF -f lavfi -i testsrc2=size=320x180:rate=30 -t 2 -c:v libaom-av1 -g 30 -keyint_min 30 -b:v 150k \
  -pix_fmt yuv420p -cpu-used 8 -usage realtime -lag-in-frames 0 -f obu "$OUT/av1.obu"
fi

$PY readme-table --dir "$OUT"
# the CLI's `demo` command records the clean VP8 + Opus capture, bundled into the capstan jar
DEMO="$(cd "$(dirname "$0")/.." && pwd)/recorder-examples/src/main/resources/demo"
if [ -f "$OUT/vp8_opus.pcap" ] && [ -d "$DEMO" ]; then
  cp "$OUT/vp8_opus.pcap" "$DEMO/demo.pcap"
  cp "$OUT/vp8_opus.sdp" "$DEMO/demo.sdp"
fi

ls -l "$OUT"
du -ch "$OUT"/*.pcap | tail -1
