package io.capstan.bench;

import io.capstan.codec.H264Depacketizer;
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
import java.util.Base64;
import java.util.List;
import java.util.Random;

import java.util.concurrent.TimeUnit;

/**
 * H.264 (RFC 6184, packetization-mode 1) through RtpPacket.wrap -> ReceiveBuffer -> FrameAssembler ->
 * H264Depacketizer, access units into a Blackhole. One op = one access unit of a 30-frame group of pictures:
 * <ul>
 *   <li>IDR access unit (1 in 30): a STAP-A with SPS + PPS (a real 640x480 constrained-baseline SPS), then an IDR
 *       slice (NAL type 5, NRI 3) of 6 x 1,100 bytes as FU-A fragments: 7 packets;</li>
 *   <li>non-IDR access units: a non-IDR slice (type 1, NRI 2) of 3 x 1,100 bytes as FU-A: 3 packets.</li>
 * </ul>
 * That is 3.13 packets per access unit on average. The in-band SPS/PPS repeat on every IDR, so this also measures
 * that repeated parameter sets are recognised without re-parsing.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class H264DepacketizeBenchmark {

    static final int PT = 102;
    static final long SSRC = 0x264264L;
    static final int GOP = 30;
    static final int FRAGMENT = 1100;
    // from an SDP sprop-parameter-sets (640x480 constrained baseline, level 3.1)
    static final byte[] SPS = Base64.getDecoder().decode("Z0LAH9oDYPebwFqDAwNSgAAAAwCAAAAeR4wZUA==");
    static final byte[] PPS = Base64.getDecoder().decode("aM48gA==");

    private DepacketizeDriver driver;

    @Setup(Level.Trial)
    public void setup() {
        byte[][][] gop = new byte[GOP][][];
        for (int f = 0; f < GOP; f++) {
            gop[f] = f == 0 ? idr(f) : nonIdr(f);
        }
        driver = new DepacketizeDriver(new H264Depacketizer(), gop, null);
        for (int i = 0; i < GOP; i++) {
            driver.pushFrame();
        }
        driver.verify("H.264 warm-up");
        if (!driver.assembler().depacketizer().format().hasResolution()) {
            throw new IllegalStateException("SPS not learned: " + driver.assembler().depacketizer().format());
        }
    }

    private static byte[][] idr(int seed) {
        List<byte[]> payloads = new ArrayList<>();
        // RFC 6184 5.7.1 STAP-A: NAL header (F=0, NRI=3, type 24), then 16-bit size + NAL unit, repeated
        ByteArrayOutputStream stap = new ByteArrayOutputStream();
        stap.write(0x78);
        stap.write(SPS.length >>> 8);
        stap.write(SPS.length);
        stap.writeBytes(SPS);
        stap.write(PPS.length >>> 8);
        stap.write(PPS.length);
        stap.writeBytes(PPS);
        payloads.add(stap.toByteArray());
        payloads.addAll(fuA(0x60, 5, 6, seed)); // NRI 3, IDR slice
        return packets(payloads);
    }

    private static byte[][] nonIdr(int seed) {
        return packets(fuA(0x40, 1, 3, seed)); // NRI 2, non-IDR slice
    }

    /** RFC 6184 5.8: FU indicator (F, NRI, type 28), FU header (S, E, R=0, NAL type), fragment. */
    private static List<byte[]> fuA(int nri, int type, int fragments, int seed) {
        Random r = new Random(seed);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < fragments; i++) {
            byte[] p = new byte[2 + FRAGMENT];
            r.nextBytes(p);
            p[0] = (byte) (nri | 28);
            p[1] = (byte) ((i == 0 ? 0x80 : 0) | (i == fragments - 1 ? 0x40 : 0) | type);
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
        driver.verify("H.264");
    }
}
