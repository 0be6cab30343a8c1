package io.capstan.codec;

import io.capstan.media.Codec;
import io.capstan.rtp.RtpPacket;
import io.capstan.rtp.RtpRejectReason;
import io.capstan.testing.MediaTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real encoder output: ffmpeg encodes one second of a test pattern or tone and sends it with its own RTP
 * packetizer ({@code -f rtp}) to a local UDP socket; the packets go through the depacketizer, and the frames are
 * checked (count, keyframes, resolution) and, for video, decoded back by ffprobe from an Annex B / IVF file.
 * Skipped with a message when ffmpeg is not installed.
 */
class RealEncoderRtpTest {

    @TempDir
    Path tmp;

    record Capture(List<RtpPacket> packets, String sdp) {
        String rtpmap() {
            return sdp.lines().filter(l -> l.startsWith("a=rtpmap:")).findFirst().map(l -> l.substring(l.indexOf(' ') + 1))
                    .orElse("");
        }

        Map<String, String> fmtp() {
            Map<String, String> m = new HashMap<>();
            sdp.lines().filter(l -> l.startsWith("a=fmtp:")).findFirst().ifPresent(l -> {
                for (String kv : l.substring(l.indexOf(' ') + 1).split(";")) {
                    int i = kv.indexOf('=');
                    if (i > 0) {
                        m.put(kv.substring(0, i).trim().toLowerCase(Locale.ROOT), kv.substring(i + 1).trim());
                    }
                }
            });
            return m;
        }
    }

    private static Capture capture(String... args) throws IOException, InterruptedException {
        MediaTools.require("ffmpeg");
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            socket.setReceiveBufferSize(8 << 20);
            socket.setSoTimeout(250);
            int port = socket.getLocalPort();
            List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-v", "error", "-nostdin", "-y"));
            cmd.addAll(List.of(args));
            // RTCP to the same socket: it is filtered out below by its payload type (RFC 5761 4)
            cmd.addAll(List.of("-f", "rtp", "rtp://127.0.0.1:" + port + "?rtcpport=" + port + "&pkt_size=1200"));
            Process ffmpeg = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            ByteArrayOutputStream sdp = new ByteArrayOutputStream();
            Thread sdpReader = new Thread(() -> {
                try {
                    ffmpeg.getInputStream().transferTo(sdp);
                } catch (IOException ignored) {
                    // the process went away
                }
            });
            sdpReader.start();
            List<RtpPacket> packets = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            byte[] buf = new byte[2048];
            while (System.nanoTime() < deadline) {
                DatagramPacket dp = new DatagramPacket(buf, buf.length);
                try {
                    socket.receive(dp);
                } catch (SocketTimeoutException e) {
                    if (!ffmpeg.isAlive()) {
                        break;
                    }
                    continue;
                }
                byte[] copy = Arrays.copyOf(dp.getData(), dp.getLength());
                RtpPacket p = new RtpPacket();
                RtpRejectReason why = p.wrap(copy, 0, copy.length);
                if (why == null) {
                    packets.add(p);
                } else {
                    assertThat(why).isEqualTo(RtpRejectReason.RTCP_PAYLOAD_TYPE);
                }
            }
            ffmpeg.waitFor(10, TimeUnit.SECONDS);
            sdpReader.join(5000);
            assertThat(ffmpeg.exitValue()).as("ffmpeg exit status").isZero();
            return new Capture(packets, sdp.toString(StandardCharsets.UTF_8));
        }
    }

    private static TestAssembler depacketize(Capture c, Depacketizer d) {
        TestAssembler a = new TestAssembler(d);
        c.packets().forEach(a::push);
        assertThat(a.invalid).as("invalid packets").isZero();
        assertThat(a.rejected).as("rejected frames").isZero();
        assertThat(a.notStarted).as("packets outside frames").isZero();
        return a;
    }

    private static final String VIDEO_IN = "testsrc2=size=320x240:rate=30";

    @Test
    void h264_libx264_thirtyFramesKeyframeResolution() throws Exception {
        // 4 slices per picture and a GOP of 15: single NAL units, STAP-A (SPS+PPS) and FU-A all occur
        Capture c = capture("-f", "lavfi", "-i", VIDEO_IN, "-t", "1", "-c:v", "libx264", "-preset", "ultrafast",
                "-bf", "0", "-g", "15", "-slices", "4", "-pix_fmt", "yuv420p");
        Map<String, String> fmtp = c.fmtp();
        Depacketizer d = Depacketizers.create(Codec.H264, 90000, 0, fmtp);
        TestAssembler a = depacketize(c, d);
        assertThat(a.frames).hasSize(30);
        assertThat(a.frames.get(0).keyframe()).isTrue();
        assertThat(a.frames.stream().filter(TestAssembler.Frame::keyframe).count()).isEqualTo(2);
        assertThat(d.format().width()).isEqualTo(320);
        assertThat(d.format().height()).isEqualTo(240);
        assertThat(d.format().codecPrivate()).isNotEmpty();

        ByteArrayOutputStream annexB = new ByteArrayOutputStream();
        for (TestAssembler.Frame f : a.frames) {
            ByteBuffer b = ByteBuffer.wrap(f.data());
            while (b.hasRemaining()) {
                int n = b.getInt();
                annexB.write(new byte[] {0, 0, 0, 1}, 0, 4);
                annexB.write(f.data(), b.position(), n);
                b.position(b.position() + n);
            }
        }
        assertDecodes(annexB.toByteArray(), "h264", 30, 320, 240);
    }

    @Test
    void vp8_libvpx_thirtyFramesKeyframeResolution() throws Exception {
        Capture c = capture("-f", "lavfi", "-i", VIDEO_IN, "-t", "1", "-c:v", "libvpx", "-deadline", "realtime",
                "-cpu-used", "8", "-lag-in-frames", "0", "-g", "30", "-b:v", "600k");
        Depacketizer d = Depacketizers.create(Codec.VP8, 90000, 0, c.fmtp());
        TestAssembler a = depacketize(c, d);
        assertThat(a.frames).hasSize(30);
        assertThat(a.frames.get(0).keyframe()).isTrue();
        assertThat(a.frames.stream().filter(TestAssembler.Frame::keyframe).count()).isEqualTo(1);
        assertThat(d.format().width()).isEqualTo(320);
        assertThat(d.format().height()).isEqualTo(240);
        assertDecodes(ivf("VP80", a.frames), "ivf", 30, 320, 240);
    }

    @Test
    void vp9_libvpx_thirtyFramesKeyframeResolution() throws Exception {
        Capture c = capture("-f", "lavfi", "-i", VIDEO_IN, "-t", "1", "-c:v", "libvpx-vp9", "-deadline", "realtime",
                "-cpu-used", "8", "-lag-in-frames", "0", "-g", "30", "-b:v", "600k", "-strict", "experimental");
        Depacketizer d = Depacketizers.create(Codec.VP9, 90000, 0, c.fmtp());
        TestAssembler a = depacketize(c, d);
        assertThat(a.frames).hasSize(30);
        assertThat(a.frames.get(0).keyframe()).isTrue();
        assertThat(a.frames.stream().filter(TestAssembler.Frame::keyframe).count()).isEqualTo(1);
        // ffmpeg's packetizer sends no scalability structure: the size comes from the keyframe header
        assertThat(d.format().width()).isEqualTo(320);
        assertThat(d.format().height()).isEqualTo(240);
        assertDecodes(ivf("VP90", a.frames), "ivf", 30, 320, 240);
    }

    @Test
    void opus_libopus_oneFramePer20ms() throws Exception {
        Capture c = capture("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "1", "-c:a", "libopus",
                "-ac", "2", "-b:a", "64k");
        Depacketizer d = Depacketizers.create(Codec.OPUS, 48000, 2, c.fmtp());
        TestAssembler a = depacketize(c, d);
        assertThat(a.frames).hasSizeBetween(50, 52);
        assertThat(a.frames).allMatch(TestAssembler.Frame::keyframe);
        assertSteps(a.frames, 960);
        assertThat(d.format().channels()).isEqualTo(2);
    }

    @Test
    void aac_ffmpegAacHbr_accessUnitsWith1024SampleSteps() throws Exception {
        Capture c = capture("-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", "1", "-c:a", "aac",
                "-ac", "2", "-ar", "48000", "-b:a", "128k");
        assertThat(c.rtpmap()).startsWithIgnoringCase("MPEG4-GENERIC/48000/2");
        Depacketizer d = Depacketizers.create(Codec.AAC, 48000, 2, c.fmtp());
        TestAssembler a = depacketize(c, d);
        // AAC-hbr AU-headers are 16 bits each: count them straight from the packets
        int announced = c.packets().stream()
                .mapToInt(p -> ((p.payloadByte(0) << 8) | p.payloadByte(1)) / 16).sum();
        assertThat(a.frames).hasSize(announced);
        // the encoder makes 48 AUs of one second; ffmpeg's packetizer drops the AUs still buffered at the end
        assertThat(a.frames.size()).isBetween(44, 48);
        assertThat(c.packets().size()).isLessThan(a.frames.size()); // several AUs per packet
        assertSteps(a.frames, 1024);
        assertThat(d.format().sampleRate()).isEqualTo(48000);
        assertThat(d.format().channels()).isEqualTo(2);
    }

    @Test
    void pcmu_ffmpeg_allSamplesDelivered() throws Exception {
        Capture c = capture("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000", "-t", "1", "-c:a",
                "pcm_mulaw", "-ar", "8000", "-ac", "1");
        Depacketizer d = Depacketizers.create(Codec.PCMU, 8000, 0, c.fmtp());
        TestAssembler a = depacketize(c, d);
        assertThat(a.frames.stream().mapToInt(f -> f.data().length).sum()).isEqualTo(8000);
        assertThat(a.frames).allMatch(TestAssembler.Frame::keyframe);
    }

    private static void assertSteps(List<TestAssembler.Frame> frames, long step) {
        for (int i = 1; i < frames.size(); i++) {
            assertThat(frames.get(i).timestamp() - frames.get(i - 1).timestamp()).as("timestamp step at " + i)
                    .isEqualTo(step);
        }
    }

    /** An IVF file (the container libvpx writes): 32-byte header, then 12-byte frame headers. */
    private static byte[] ivf(String fourcc, List<TestAssembler.Frame> frames) {
        ByteBuffer b = ByteBuffer.allocate(32 + frames.stream().mapToInt(f -> 12 + f.data().length).sum())
                .order(ByteOrder.LITTLE_ENDIAN);
        b.put("DKIF".getBytes(StandardCharsets.US_ASCII)).putShort((short) 0).putShort((short) 32)
                .put(fourcc.getBytes(StandardCharsets.US_ASCII)).putShort((short) 320).putShort((short) 240)
                .putInt(90000).putInt(1).putInt(frames.size()).putInt(0);
        for (TestAssembler.Frame f : frames) {
            b.putInt(f.data().length).putLong(f.timestamp()).put(f.data());
        }
        return b.array();
    }

    private void assertDecodes(byte[] file, String format, int frames, int width, int height) throws IOException {
        MediaTools.require("ffprobe");
        Path p = tmp.resolve("out." + format);
        Files.write(p, file);
        MediaTools.Run r = MediaTools.run(List.of("ffprobe", "-v", "error", "-f", format, "-count_frames",
                "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames,width,height", "-of", "csv=p=0",
                p.toString()));
        assertThat(r.stderr()).as("decoder errors").isEmpty();
        assertThat(r.stdout().trim()).isEqualTo(width + "," + height + "," + frames);
    }
}
