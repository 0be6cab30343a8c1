package io.capstan.codec;

import io.capstan.media.Codec;
import io.capstan.rtp.RtpPacket;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

import static io.capstan.codec.Rtp.hex;
import static io.capstan.codec.Rtp.packet;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every depacketizer is fed truncations and seeded random mutations of valid packets: it may reject them, but it
 * never throws. And in steady state it allocates nothing per packet.
 */
class MalformedPayloadFuzzTest {

    /** Valid payloads of one codec; the first {@code steady} of them repeat as a stream without format changes. */
    record Sample(String name, Supplier<Depacketizer> factory, List<byte[]> payloads, int steady) {
        Sample(String name, Supplier<Depacketizer> factory, List<byte[]> payloads) {
            this(name, factory, payloads, payloads.size());
        }
    }

    static List<Sample> samples() {
        List<Sample> s = new ArrayList<>();
        s.add(new Sample("vp8", Vp8Depacketizer::new, List.of(
                hex("90 f0 8123 05 65" + Vp8DepacketizerTest.KEY_320x240), hex("80 80 8124 31 00 00 01"))));
        s.add(new Sample("vp9", Vp9Depacketizer::new, List.of(
                hex("ae 8001 00 00 38 0140 00b4 0280 0168 01 04 01" + Vp9DepacketizerTest.KEY_320x180 + "0102"),
                hex("a9 8001 03 00 86 0102"), hex("a5 8001 03 00 0304"),
                hex("fc 05 20 03 05 08 86 01"), hex("c10000"))));
        s.add(new Sample("h264", H264Depacketizer::new, List.of(
                hex("78 001c" + H264DepacketizerTest.SPS_854x480 + "0004" + H264DepacketizerTest.PPS_854x480),
                hex("7c 85 0102 0304"), hex("7c 05 0506"), hex("7c 45 090a"), hex("65 88 84 00 11"),
                hex("78 0018" + H264DepacketizerTest.SPS_320x240 + "0004 68ebe3cb"),
                H264DepacketizerTest.SpsWriter.highProfile1080pWithScalingLists()), 5));
        s.add(new Sample("h265", H265Depacketizer::new, List.of(
                hex("6001" + H265DepacketizerTest.sized(H265DepacketizerTest.VPS)
                        + H265DepacketizerTest.sized(H265DepacketizerTest.SPS_320x240)
                        + H265DepacketizerTest.sized(H265DepacketizerTest.PPS)),
                hex("6201 93 0102 0304"), hex("6201 13 0506"), hex("6201 53 090a"), hex(H265DepacketizerTest.IDR),
                hex("6001" + H265DepacketizerTest.sized(H265DepacketizerTest.SPS_422_10)
                        + H265DepacketizerTest.sized(H265DepacketizerTest.PPS)),
                hex("6401 0000 2601aa")), 5));
        s.add(new Sample("h265-donl", () -> new H265Depacketizer(null, null, null, 2), List.of(
                hex("2601 0010 aabb"), hex("6001 0011 0003 0201c1 00 0003 0201c2"), hex("6201 81 0013 d1"),
                hex("6201 41 d2"))));
        s.add(new Sample("av1", Av1Depacketizer::new, List.of(
                hex("28 0c" + Av1DepacketizerTest.SEQ + Av1DepacketizerTest.KEY_FRAME),
                hex("50" + "30 10" + "aabbccdd"), hex("d0 eeff0011"), hex("90 2233"),
                hex("30 01 10 04" + Av1DepacketizerTest.INTER_FRAME + Av1DepacketizerTest.INTER_FRAME),
                hex("10 34 20 30ddee"), hex("08 0c" + Av1DepacketizerTest.SEQ + "05" + Av1DepacketizerTest.KEY_FRAME
                        + "01 10"),
                hex("20 0b 08 101112131415161718191a" + Av1DepacketizerTest.KEY_FRAME)), 6));
        s.add(new Sample("aac", () -> Depacketizers.create(Codec.AAC, 48000, 2, AacDepacketizerTest.HBR), List.of(
                hex("0040 0050 0058 0060 0068" + "00".repeat(46)), hex("0010 00f0" + "11".repeat(12)))));
        s.add(new Sample("opus", () -> Depacketizers.create(Codec.OPUS, 48000, 2, Map.of()), List.of(
                hex("fc fffe"), hex("ff 83 05 0102030405 060708"), hex("fe 02 0102 03"))));
        s.add(new Sample("pcmu", () -> Depacketizers.create(Codec.PCMU, 8000, 2, Map.of()), List.of(
                hex("ffff7f7f"))));
        return s;
    }

    @Test
    void truncationsAndMutations_neverThrow() {
        Random random = new Random(7741);
        for (Sample s : samples()) {
            Depacketizer d = s.factory().get();
            TestAssembler a = new TestAssembler(d);
            int seq = 0;
            for (int round = 0; round < 3000; round++) {
                for (byte[] base : s.payloads()) {
                    byte[] b = base.clone();
                    int len = b.length;
                    switch (random.nextInt(4)) {
                        case 0 -> len = random.nextInt(b.length + 1);            // truncate
                        case 1 -> b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8)); // flip a bit
                        case 2 -> b[random.nextInt(Math.min(b.length, 8))] = (byte) random.nextInt(256); // header byte
                        default -> { }
                    }
                    byte[] payload = java.util.Arrays.copyOf(b, len);
                    RtpPacket p = packet(seq++, 3000L * (round / 2), random.nextInt(3) == 0, payload);
                    try {
                        a.push(p);
                    } catch (RuntimeException e) {
                        throw new AssertionError(s.name() + " threw on payload " + Rtp.hex(payload), e);
                    }
                }
            }
            // every truncation of every sample, alone
            for (byte[] base : s.payloads()) {
                for (int len = 0; len <= base.length; len++) {
                    Depacketizer fresh = s.factory().get();
                    RtpPacket p = packet(1, 0, true, java.util.Arrays.copyOf(base, len));
                    TestAssembler one = new TestAssembler(fresh);
                    one.push(p);
                    FrameBuilder f = new FrameBuilder();
                    f.reset(0);
                    fresh.append(p, f);
                    fresh.finish(f);
                }
            }
        }
    }

    @Test
    void steadyState_allocatesNothingPerPacket() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        for (Sample s : samples()) {
            Depacketizer d = s.factory().get();
            List<RtpPacket> packets = new ArrayList<>();
            int seq = 0;
            for (byte[] payload : s.payloads().subList(0, s.steady())) {
                packets.add(packet(seq++, 0, true, payload));
            }
            FrameBuilder frame = new FrameBuilder();
            RtpPacket[] array = packets.toArray(new RtpPacket[0]);
            Runnable drive = () -> {
                for (int k = 0; k < array.length; k++) { // indexed: an iterator would be the test's allocation
                    RtpPacket p = array[k];
                    if (d.isFrameStart(p)) {
                        frame.reset(p.timestamp());
                    }
                    d.append(p, frame);
                    if (d.isFrameEnd(p)) {
                        d.finish(frame);
                    }
                }
            };
            for (int i = 0; i < 20_000; i++) {
                drive.run(); // warm up: parameter sets stored, buffers grown, code compiled
            }
            long tid = Thread.currentThread().getId();
            long before = threads.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 10_000; i++) {
                drive.run();
            }
            long allocated = threads.getThreadAllocatedBytes(tid) - before;
            assertThat(allocated).as(s.name() + " bytes allocated over " + 10_000 * packets.size() + " packets")
                    .isLessThan(4096);
        }
    }
}
