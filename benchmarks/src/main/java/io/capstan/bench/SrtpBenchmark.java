package io.capstan.bench;

import io.capstan.webrtc.dtls.SrtpKeys;
import io.capstan.webrtc.dtls.SrtpProfile;
import io.capstan.webrtc.dtls.SrtpSession;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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

/**
 * {@link SrtpSession#unprotectRtp} of one SRTP packet carrying 1,100 bytes of payload (a video packet), as the
 * DTLS server does for every packet the browser sends: replay check, ROC estimate, tag check (HMAC-SHA1-80 or
 * GCM), decryption in place.
 *
 * <p>A receiver accepts each index once (replay protection), so the trial setup protects 32,768 consecutive
 * packets (sequence numbers wrapping at 65,535 on the way) and makes 256 receiving sessions with the same keys:
 * one op copies the next protected packet into a work buffer (in-place decryption would destroy it; the copy is a
 * few percent of the op) and unprotects it; after 32,768 ops the next session takes over (8 M ops in all, the
 * whole run must fit). Nothing is made during the measurement, so {@code -prof gc} shows what unprotecting
 * allocates. Each iteration's teardown checks that every packet was accepted. One op = one packet.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SrtpBenchmark {

    private static final int PACKETS = 32_768;
    private static final int SESSIONS = 256;
    private static final int PAYLOAD = 1100;

    @Param({"AEAD_AES_128_GCM", "AES128_CM_HMAC_SHA1_80"})
    public SrtpProfile profile;

    private byte[][] protectedPackets;
    private int[] lengths;
    private final byte[] work = new byte[2048];
    private SrtpSession[] receivers;
    private int session;
    private int next;
    private long accepted;
    private long ops;

    @Setup
    public void setup() {
        byte[] material = new byte[SrtpKeys.materialLength(profile)];
        new Random(1).nextBytes(material);
        SrtpKeys keys = SrtpKeys.fromKeyingMaterial(profile, material);
        SrtpSession browser = SrtpSession.create(keys, SrtpSession.Role.CLIENT);
        byte[] payload = Rtp.noise(PAYLOAD, 1);
        protectedPackets = new byte[PACKETS][];
        lengths = new int[PACKETS];
        for (int i = 0; i < PACKETS; i++) {
            byte[] plain = Rtp.packet(96, false, (50_000 + i) & 0xFFFF, 90L * i, 0x1234_5678L, null, null, payload, 0);
            byte[] p = Arrays.copyOf(plain, plain.length + SrtpSession.MAX_RTP_OVERHEAD);
            lengths[i] = browser.protectRtp(p, 0, plain.length);
            protectedPackets[i] = p;
        }
        receivers = new SrtpSession[SESSIONS];
        for (int i = 0; i < SESSIONS; i++) {
            receivers[i] = SrtpSession.create(keys, SrtpSession.Role.SERVER);
        }
    }

    @Benchmark
    public int unprotect() {
        if (next == PACKETS) {
            next = 0;
            session++; // an ArrayIndexOutOfBounds here means more than 8 M ops in the run: raise SESSIONS
        }
        int len = lengths[next];
        System.arraycopy(protectedPackets[next++], 0, work, 0, len);
        int r = receivers[session].unprotectRtp(work, 0, len);
        ops++;
        if (r > 0) {
            accepted++;
        }
        return r;
    }

    @TearDown(Level.Iteration)
    public void check() {
        if (accepted != ops) {
            throw new IllegalStateException((ops - accepted) + " of " + ops + " packets dropped: "
                    + receivers[session].stats());
        }
    }
}
