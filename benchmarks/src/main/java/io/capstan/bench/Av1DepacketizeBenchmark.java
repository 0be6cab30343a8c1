package io.capstan.bench;

import io.capstan.codec.Av1Depacketizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * AV1 (AOM AV1 RTP payload format v1.0) through RtpPacket.wrap -> ReceiveBuffer -> FrameAssembler ->
 * Av1Depacketizer, temporal units into a Blackhole. One op = one temporal unit of a 30-frame group:
 * <ul>
 *   <li>key temporal unit (1 in 30): the first packet aggregates (W=2, N=1) libaom's 320x180 sequence header OBU
 *       and the first fragment of an OBU_FRAME (shown KEY_FRAME) of 6,600 bytes, continued (Z/Y, W=1) over 6
 *       more packets: 7 packets;</li>
 *   <li>other temporal units: an inter OBU_FRAME of 3,300 bytes in 3 fragments: 3 packets.</li>
 * </ul>
 * 3.13 packets per temporal unit on average. Every OBU arrives without obu_size (RTP 4.5) and is rewritten with
 * one, so a fragmented OBU's payload is moved once behind the inserted size field.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class Av1DepacketizeBenchmark {

    static final int PT = 45;
    static final long SSRC = 0xA1A1L;
    static final int GOP = 30;
    static final int FRAGMENT = 1100;
    /** libaom's sequence header OBU for 320x180 (header 08: type 1, no size field). */
    static final byte[] SEQUENCE_HEADER = HexFormat.of().parseHex("08000000043cfeccdaf90040");

    private DepacketizeDriver driver;

    @Setup(Level.Trial)
    public void setup() {
        byte[][][] gop = new byte[GOP][][];
        for (int f = 0; f < GOP; f++) {
            gop[f] = f == 0 ? key(f) : inter(f);
        }
        driver = new DepacketizeDriver(new Av1Depacketizer(), gop, null);
        for (int i = 0; i < GOP; i++) {
            driver.pushFrame();
        }
        driver.verify("AV1 warm-up");
        if (!driver.assembler().depacketizer().format().hasResolution()) {
            throw new IllegalStateException("sequence header not learned: "
                    + driver.assembler().depacketizer().format());
        }
    }

    /** An OBU_FRAME (header 30: type 6, no extension, no size) whose uncompressed header starts with {@code first}. */
    private static byte[] frameObu(int size, int first, int seed) {
        byte[] obu = new byte[size];
        new Random(seed).nextBytes(obu);
        obu[0] = 0x30;
        obu[1] = (byte) first;
        return obu;
    }

    private static byte[][] key(int seed) {
        // show_existing_frame 0, frame_type KEY_FRAME (0), show_frame 1
        byte[] obu = frameObu(6 * FRAGMENT, 0x10, seed);
        List<byte[]> payloads = new ArrayList<>();
        // RTP 4.4: Z=0 Y=1 W=2 N=1; element 1 with a leb128 length, element 2 (the last) without
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        first.write(0x40 | 0x20 | 0x08);
        first.write(SEQUENCE_HEADER.length);
        first.writeBytes(SEQUENCE_HEADER);
        first.write(obu, 0, FRAGMENT - SEQUENCE_HEADER.length - 2);
        payloads.add(first.toByteArray());
        payloads.addAll(continuation(obu, FRAGMENT - SEQUENCE_HEADER.length - 2));
        return packets(payloads);
    }

    private static byte[][] inter(int seed) {
        // frame_type INTER_FRAME (1), show_frame 1
        byte[] obu = frameObu(3 * FRAGMENT, 0x30, seed);
        List<byte[]> payloads = new ArrayList<>();
        byte[] first = new byte[1 + FRAGMENT];
        first[0] = 0x40 | 0x10; // Z=0 Y=1 W=1
        System.arraycopy(obu, 0, first, 1, FRAGMENT);
        payloads.add(first);
        payloads.addAll(continuation(obu, FRAGMENT));
        return packets(payloads);
    }

    /** The rest of an OBU from {@code from} in FRAGMENT-sized pieces: Z=1, W=1, Y=1 but on the last. */
    private static List<byte[]> continuation(byte[] obu, int from) {
        List<byte[]> out = new ArrayList<>();
        for (int off = from; off < obu.length; off += FRAGMENT) {
            int n = Math.min(FRAGMENT, obu.length - off);
            byte[] p = new byte[1 + n];
            p[0] = (byte) (0x80 | (off + n < obu.length ? 0x40 : 0) | 0x10);
            System.arraycopy(obu, off, p, 1, n);
            out.add(p);
        }
        return out;
    }

    private static byte[][] packets(List<byte[]> payloads) {
        byte[][] out = new byte[payloads.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = Rtp.packet(PT, i == out.length - 1, 0, 0, SSRC, null, null, payloads.get(i), 0);
        }
        return out;
    }

    @Benchmark
    public void depacketizeTemporalUnit(Blackhole bh) {
        driver.bh = bh;
        driver.pushFrame();
    }

    @TearDown(Level.Trial)
    public void check() {
        driver.verify("AV1");
    }
}
