package io.capstan.bench;

import io.capstan.codec.Vp8Depacketizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * VP8 (RFC 7741) through the whole host-thread receive path: RtpPacket.wrap -> ReceiveBuffer -> FrameAssembler ->
 * Vp8Depacketizer, frames into a Blackhole. One op = one frame of {@code packets} RTP packets (1,100-byte VP8
 * payload each), in a 30-frame group of pictures whose first frame is a keyframe (frame tag with P = 0, start code
 * 9d 01 2a, 640x480); the others are interframes. Every packet carries the extended descriptor with a 15-bit
 * picture ID (X = 1, I = 1, M = 1), which advances per frame; sequence numbers and timestamps advance and wrap.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class Vp8DepacketizeBenchmark {

    static final int PT = 96;
    static final long SSRC = 0x0BADCAFEL;
    static final int GOP = 30;
    static final int VP8_BYTES_PER_PACKET = 1100;

    @Param({"5"})
    public int packets;

    private DepacketizeDriver driver;

    @Setup(Level.Trial)
    public void setup() {
        driver = new DepacketizeDriver(new Vp8Depacketizer(), gop(packets), Vp8DepacketizeBenchmark::patchPictureId);
        // warm the pipeline: the first keyframe makes the track start emitting
        for (int i = 0; i < GOP; i++) {
            driver.pushFrame();
        }
        driver.verify("VP8 warm-up");
    }

    /** RFC 7741 4.2: the picture ID (bytes 2-3 of the descriptor, after the RTP header) advances per frame. */
    static void patchPictureId(byte[] p, long frameNumber, int packetIndex) {
        int pid = (int) (frameNumber & 0x7FFF);
        p[Rtp.HEADER + 2] = (byte) (0x80 | (pid >>> 8)); // M = 1: 15-bit picture ID
        p[Rtp.HEADER + 3] = (byte) pid;
    }

    /** A group of {@link #GOP} frames of {@code packets} packets each, the first a keyframe. */
    static byte[][][] gop(int packets) {
        byte[][][] gop = new byte[GOP][][];
        for (int f = 0; f < GOP; f++) {
            gop[f] = frame(f == 0, f, packets);
        }
        return gop;
    }

    static byte[][] frame(boolean key, int seed, int packets) {
        byte[] vp8 = Rtp.noise(packets * VP8_BYTES_PER_PACKET, seed);
        // RFC 6386 9.1 frame tag, 3 bytes little-endian: key_frame (0 = key), version 0, show_frame 1,
        // first_part_size (19 bits)
        int firstPartSize = Math.min(vp8.length / 3, 0x7FFFF);
        int tag = (firstPartSize << 5) | (1 << 4) | (key ? 0 : 1);
        vp8[0] = (byte) tag;
        vp8[1] = (byte) (tag >>> 8);
        vp8[2] = (byte) (tag >>> 16);
        if (key) {
            vp8[3] = (byte) 0x9d; // start code
            vp8[4] = 0x01;
            vp8[5] = 0x2a;
            vp8[6] = (byte) 640;  // width, 14 bits LE + 2 bits scale
            vp8[7] = (byte) (640 >>> 8);
            vp8[8] = (byte) 480;  // height
            vp8[9] = (byte) (480 >>> 8);
        }
        byte[][] out = new byte[packets][];
        for (int i = 0; i < packets; i++) {
            byte[] payload = new byte[4 + VP8_BYTES_PER_PACKET];
            // RFC 7741 4.2 descriptor: X=1, N=0, S (first packet), PID=0 | I=1 | M=1 + 15-bit picture ID
            payload[0] = (byte) (0x80 | (i == 0 ? 0x10 : 0));
            payload[1] = (byte) 0x80;
            payload[2] = (byte) 0x80;
            payload[3] = 0;
            System.arraycopy(vp8, i * VP8_BYTES_PER_PACKET, payload, 4, VP8_BYTES_PER_PACKET);
            out[i] = Rtp.packet(PT, i == packets - 1, 0, 0, SSRC, null, null, payload, 0);
        }
        return out;
    }

    @Benchmark
    public void depacketizeFrame(Blackhole bh) {
        driver.bh = bh;
        driver.pushFrame();
    }

    @TearDown(Level.Trial)
    public void check() {
        driver.verify("VP8");
    }
}
