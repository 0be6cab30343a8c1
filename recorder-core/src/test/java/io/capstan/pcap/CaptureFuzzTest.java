package io.capstan.pcap;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.capstan.testing.FuzzInputs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static io.capstan.pcap.CaptureBytes.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzz target for {@link CaptureReader} (classic pcap and pcapng, issue 7), lenient and strict.
 *
 * <p>Contract: {@link IOException} (its {@link CaptureFormatException}) for broken structure; every datagram it
 * returns lies inside its buffer; nothing else is thrown, and reading ends. Seeds: the first records of fixture
 * captures and synthetic pcapng / big-endian / link-type variants ({@link #writeSeeds()}).
 */
class CaptureFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void capture(byte[] data) {
        read(data, false);
        read(data, true);
    }

    private static void read(byte[] data, boolean strict) {
        try (CaptureReader r = CaptureReader.open(new ByteArrayInputStream(data), strict)) {
            long n = 0;
            for (UdpDatagram d; (d = r.next()) != null; ) {
                assertThat(d.offset()).isNotNegative();
                assertThat(d.length()).isNotNegative();
                assertThat(d.offset() + d.length()).isLessThanOrEqualTo(d.buffer().length);
                assertThat(++n).as("datagrams from %d bytes", data.length).isLessThanOrEqualTo(data.length);
                d.source();
                d.destination();
            }
            r.truncated();
            r.warning();
            r.skippedByReason();
            assertThat(r.frames()).isLessThanOrEqualTo(data.length);
        } catch (IOException expected) {
            // CaptureFormatException, or strict mode's truncated record
        }
    }

    /** The file header and the first {@code records} records of a classic pcap (either byte order). */
    static byte[] head(byte[] pcap, int records) {
        ByteBuffer b = ByteBuffer.wrap(pcap);
        b.order(b.getInt(0) == 0xA1B2C3D4 || b.getInt(0) == 0xA1B23C4D ? ByteOrder.BIG_ENDIAN
                : ByteOrder.LITTLE_ENDIAN);
        int p = 24;
        for (int i = 0; i < records && p + 16 <= pcap.length; i++) {
            p += 16 + b.getInt(p + 8);
        }
        return Arrays.copyOf(pcap, Math.min(p, pcap.length));
    }

    @Test
    @EnabledIfSystemProperty(named = FuzzInputs.WRITE_SEEDS, matches = "true")
    void writeSeeds() throws Exception {
        String me = CaptureFuzzTest.class.getName();
        Path fixtures = Path.of(CaptureFuzzTest.class.getResource("/fixtures/README.md").toURI()).getParent();
        for (String name : new String[] {"vp8_opus", "h264_aac", "pcmu"}) {
            FuzzInputs.writeSeed(me, "capture", name + "-head",
                    head(Files.readAllBytes(fixtures.resolve(name + ".pcap")), 4));
        }
        byte[] rtp = {(byte) 0x80, 96, 0, 1, 0, 0, 0, 1, 0x11, 0x22, 0x33, 0x44, 1, 2, 3};
        byte[] v4 = ipv4Udp("10.0.0.1", "10.0.0.2", 5004, 5006, rtp);
        byte[] v6 = ipv6Udp(v6Doc(1), v6Doc(2), new int[0], udp(5004, 5006, rtp));

        Out ng = new Out(false);
        shb(ng);
        idb(ng, 1, 9);
        epb(ng, 0, 1_000_000_000L, ethernet(new int[] {0x8100}, 0x0800, v4));
        idb(ng, 276, -1);
        epb(ng, 1, 2_000_000L, sll2(0x86DD, v6));
        spb(ng, ethernet(new int[0], 0x86DD, v6));
        unknownBlock(ng, 5, 8);
        FuzzInputs.writeSeed(me, "capture", "pcapng", ng.toByteArray());

        Out be = classicHeader(true, true, 113);
        classicRecord(be, 1, 500, sll(0x0800, v4));
        classicRecord(be, 2, 500, sll(0x86DD, v6));
        FuzzInputs.writeSeed(me, "capture", "pcap-be-ns-sll", be.toByteArray());

        Out lo = classicHeader(false, false, 0);
        classicRecord(lo, 1, 0, nullLoopback(2, false, v4));
        Out raw = classicHeader(false, false, 101);
        classicRecord(raw, 1, 0, v4);
        classicRecord(raw, 1, 1, v6);
        FuzzInputs.writeSeed(me, "capture", "pcap-null", lo.toByteArray());
        FuzzInputs.writeSeed(me, "capture", "pcap-raw", raw.toByteArray());
    }
}
