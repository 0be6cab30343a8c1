package io.capstan.bench;

import io.capstan.codec.H265Depacketizer;
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
 * H.265 (RFC 7798) through RtpPacket.wrap -> ReceiveBuffer -> FrameAssembler -> H265Depacketizer, access units into
 * a Blackhole. One op = one access unit of a 30-frame group of pictures:
 * <ul>
 *   <li>IDR access unit (1 in 30): an AP (type 48) with a real VPS + SPS + PPS (libx265, 320x240 Main), then an
 *       IDR_W_RADL slice (type 19) of 6 x 1,100 bytes as FU (type 49) fragments: 7 packets;</li>
 *   <li>other access units: a TRAIL_R slice (type 1) of 3 x 1,100 bytes as FU fragments: 3 packets.</li>
 * </ul>
 * 3.13 packets per access unit on average. The in-band parameter sets repeat on every IDR, so this also measures
 * that repeated parameter sets are recognised without re-parsing.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class H265DepacketizeBenchmark {

    static final int PT = 103;
    static final long SSRC = 0x265265L;
    static final int GOP = 30;
    static final int FRAGMENT = 1100;
    static final HexFormat HEX = HexFormat.of();
    // libx265 3.5, testsrc2 320x240 Main, level 2
    static final byte[] VPS = HEX.parseHex("40010c01ffff01600000030090000003000003003c959809");
    static final byte[] SPS = HEX.parseHex(
            "42010101600000030090000003000003003ca00a080f165959a4932bc05a020000030002000003003c10");
    static final byte[] PPS = HEX.parseHex("4401c172b46240");

    private DepacketizeDriver driver;

    @Setup(Level.Trial)
    public void setup() {
        byte[][][] gop = new byte[GOP][][];
        for (int f = 0; f < GOP; f++) {
            gop[f] = f == 0 ? idr(f) : trail(f);
        }
        driver = new DepacketizeDriver(new H265Depacketizer(), gop, null);
        for (int i = 0; i < GOP; i++) {
            driver.pushFrame();
        }
        driver.verify("H.265 warm-up");
        if (!driver.assembler().depacketizer().format().hasResolution()) {
            throw new IllegalStateException("SPS not learned: " + driver.assembler().depacketizer().format());
        }
    }

    private static byte[][] idr(int seed) {
        List<byte[]> payloads = new ArrayList<>();
        // RFC 7798 4.4.2 AP: PayloadHdr (type 48, TID 1), then 16-bit size + NAL unit, repeated
        ByteArrayOutputStream ap = new ByteArrayOutputStream();
        ap.write(48 << 1);
        ap.write(1);
        for (byte[] nal : new byte[][] {VPS, SPS, PPS}) {
            ap.write(nal.length >>> 8);
            ap.write(nal.length);
            ap.writeBytes(nal);
        }
        payloads.add(ap.toByteArray());
        payloads.addAll(fu(19, 6, seed)); // IDR_W_RADL
        return packets(payloads);
    }

    private static byte[][] trail(int seed) {
        return packets(fu(1, 3, seed)); // TRAIL_R
    }

    /** RFC 7798 4.4.3: PayloadHdr (F=0, type 49, LayerId 0, TID 1), FU header (S, E, FuType), fragment. */
    private static List<byte[]> fu(int type, int fragments, int seed) {
        Random r = new Random(seed);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < fragments; i++) {
            byte[] p = new byte[3 + FRAGMENT];
            r.nextBytes(p);
            p[0] = (byte) (49 << 1);
            p[1] = 1;
            p[2] = (byte) ((i == 0 ? 0x80 : 0) | (i == fragments - 1 ? 0x40 : 0) | type);
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
    public void depacketizeAccessUnit(Blackhole bh) {
        driver.bh = bh;
        driver.pushFrame();
    }

    @TearDown(Level.Trial)
    public void check() {
        driver.verify("H.265");
    }
}
