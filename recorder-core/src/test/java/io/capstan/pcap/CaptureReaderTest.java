package io.capstan.pcap;

import static io.capstan.pcap.CaptureBytes.classicHeader;
import static io.capstan.pcap.CaptureBytes.classicRecord;
import static io.capstan.pcap.CaptureBytes.epb;
import static io.capstan.pcap.CaptureBytes.ethernet;
import static io.capstan.pcap.CaptureBytes.idb;
import static io.capstan.pcap.CaptureBytes.ipv4;
import static io.capstan.pcap.CaptureBytes.ipv4Udp;
import static io.capstan.pcap.CaptureBytes.ipv6Udp;
import static io.capstan.pcap.CaptureBytes.shb;
import static io.capstan.pcap.CaptureBytes.udp;
import static io.capstan.pcap.CaptureBytes.unknownBlock;
import static io.capstan.pcap.CaptureBytes.v4;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capstan.pcap.CaptureBytes.Out;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CaptureReaderTest {

    private static final byte[] RTP = "\u0080\u0060rtp-payload".getBytes(StandardCharsets.ISO_8859_1);

    private static List<UdpDatagram> readAll(CaptureReader r) throws IOException {
        List<UdpDatagram> out = new ArrayList<>();
        r.forEach(d -> out.add(d.copy()));
        return out;
    }

    private static CaptureReader open(byte[] file) throws IOException {
        return CaptureReader.open(new ByteArrayInputStream(file));
    }

    @ParameterizedTest(name = "bigEndian={0} nanos={1}")
    @CsvSource({"false,false", "true,false", "false,true", "true,true"})
    void classicPcap_bothByteOrders_bothResolutions(boolean bigEndian, boolean nanos) throws IOException {
        Out o = classicHeader(bigEndian, nanos, 1);
        byte[] frame = ethernet(new int[0], 0x0800, ipv4Udp("127.0.0.1", "127.0.0.2", 40000, 5004, RTP));
        classicRecord(o, 1_700_000_000L, nanos ? 123_456_789L : 123_456L, frame);
        classicRecord(o, 1_700_000_001L, 0, frame);
        try (CaptureReader r = open(o.toByteArray())) {
            assertThat(r.format()).isEqualTo(CaptureReader.Format.PCAP);
            assertThat(r.bigEndian()).isEqualTo(bigEndian);
            assertThat(r.linkType()).isEqualTo(1);
            List<UdpDatagram> ds = readAll(r);
            assertThat(ds).hasSize(2);
            UdpDatagram d = ds.get(0);
            assertThat(d.timestampNanos()).isEqualTo(1_700_000_000L * 1_000_000_000L + (nanos ? 123_456_789L : 123_456_000L));
            assertThat(d.srcAddress().getHostAddress()).isEqualTo("127.0.0.1");
            assertThat(d.dstAddress().getHostAddress()).isEqualTo("127.0.0.2");
            assertThat(d.srcPort()).isEqualTo(40000);
            assertThat(d.dstPort()).isEqualTo(5004);
            assertThat(d.payload()).isEqualTo(RTP);
            assertThat(d.frameNumber()).isEqualTo(1);
            assertThat(d.destination()).isEqualTo("127.0.0.2:5004");
            assertThat(ds.get(1).timestampNanos()).isEqualTo(1_700_000_001L * 1_000_000_000L);
            assertThat(r.truncated()).isFalse();
            assertThat(r.skipped()).isZero();
        }
    }

    @Test
    void payloadViewPointsIntoReusedBuffer() throws IOException {
        Out o = classicHeader(false, false, 1);
        classicRecord(o, 1, 0, ethernet(new int[0], 0x0800, ipv4Udp("10.0.0.1", "10.0.0.2", 1, 2, RTP)));
        try (CaptureReader r = open(o.toByteArray())) {
            UdpDatagram d = r.next();
            assertThat(Arrays.copyOfRange(d.buffer(), d.offset(), d.offset() + d.length())).isEqualTo(RTP);
            assertThat(d.offset()).isEqualTo(14 + 20 + 8);
            assertThat(r.next()).isNull();
            assertThat(r.next()).isNull();
        }
    }

    @Test
    void ethernet_vlanTags_singleAndQinQ() throws IOException {
        Out o = classicHeader(false, false, 1);
        byte[] ip = ipv4Udp("192.0.2.1", "192.0.2.2", 1000, 5006, RTP);
        classicRecord(o, 1, 0, ethernet(new int[] {0x8100}, 0x0800, ip));
        classicRecord(o, 2, 0, ethernet(new int[] {0x88A8, 0x8100}, 0x0800, ip));
        try (CaptureReader r = open(o.toByteArray())) {
            List<UdpDatagram> ds = readAll(r);
            assertThat(ds).hasSize(2).allSatisfy(d -> {
                assertThat(d.dstPort()).isEqualTo(5006);
                assertThat(d.payload()).isEqualTo(RTP);
            });
        }
    }

    @Test
    void ipv4_optionsHonoured_fragmentsAndNonUdpSkipped() throws IOException {
        Out o = classicHeader(false, false, 1);
        byte[] src = v4("10.0.0.1");
        byte[] dst = v4("10.0.0.2");
        classicRecord(o, 1, 0, ethernet(new int[0], 0x0800, CaptureBytes.ipv4WithOptions(src, dst, udp(1, 5004, RTP))));
        // first fragment (MF set, offset 0): the UDP datagram is incomplete
        classicRecord(o, 2, 0, ethernet(new int[0], 0x0800, ipv4(17, src, dst, 0x2000, udp(1, 5004, RTP))));
        // non-first fragment: offset 185 (x 8 bytes), no UDP header at all
        classicRecord(o, 3, 0, ethernet(new int[0], 0x0800, ipv4(17, src, dst, 185, RTP)));
        // TCP
        classicRecord(o, 4, 0, ethernet(new int[0], 0x0800, ipv4(6, src, dst, 0x4000, new byte[20])));
        // ARP
        classicRecord(o, 5, 0, ethernet(new int[0], 0x0806, new byte[28]));
        try (CaptureReader r = open(o.toByteArray())) {
            List<UdpDatagram> ds = readAll(r);
            assertThat(ds).hasSize(1);
            assertThat(ds.get(0).payload()).isEqualTo(RTP);
            assertThat(r.frames()).isEqualTo(5);
            assertThat(r.skipped()).isEqualTo(4);
            assertThat(r.skipped(SkipReason.FRAGMENT)).isEqualTo(2);
            assertThat(r.skipped(SkipReason.NOT_UDP)).isEqualTo(1);
            assertThat(r.skipped(SkipReason.NOT_IP)).isEqualTo(1);
        }
    }

    @Test
    void ipv4_badLengths_skippedAsMalformed_ethernetPaddingIgnored() throws IOException {
        Out o = classicHeader(false, false, 1);
        byte[] good = ipv4Udp("10.0.0.1", "10.0.0.2", 1, 5004, new byte[] {1, 2});
        // Ethernet pads short frames to 60 bytes: the IP total length bounds the datagram
        byte[] padded = Arrays.copyOf(ethernet(new int[0], 0x0800, good), 60);
        classicRecord(o, 1, 0, padded);
        // total length larger than the frame
        byte[] longer = good.clone();
        longer[3] = (byte) 200;
        classicRecord(o, 2, 0, ethernet(new int[0], 0x0800, longer));
        // UDP length larger than the IP payload
        byte[] badUdp = good.clone();
        badUdp[20 + 5] = (byte) 100;
        classicRecord(o, 3, 0, ethernet(new int[0], 0x0800, badUdp));
        // IHL 4 (< 20 bytes)
        byte[] badIhl = good.clone();
        badIhl[0] = 0x44;
        classicRecord(o, 4, 0, ethernet(new int[0], 0x0800, badIhl));
        try (CaptureReader r = open(o.toByteArray())) {
            List<UdpDatagram> ds = readAll(r);
            assertThat(ds).hasSize(1);
            assertThat(ds.get(0).payload()).containsExactly(1, 2);
            assertThat(r.skipped(SkipReason.MALFORMED)).isEqualTo(3);
        }
    }

    @Test
    void linuxCookedSll_andSll2() throws IOException {
        byte[] ip = ipv4Udp("127.0.0.1", "127.0.0.1", 1, 5004, RTP);
        Out o = classicHeader(false, false, 113);
        classicRecord(o, 1, 0, CaptureBytes.sll(0x0800, ip));
        classicRecord(o, 2, 0, CaptureBytes.sll(0x0806, new byte[28]));
        try (CaptureReader r = open(o.toByteArray())) {
            assertThat(readAll(r)).singleElement().satisfies(d -> assertThat(d.payload()).isEqualTo(RTP));
            assertThat(r.skipped(SkipReason.NOT_IP)).isEqualTo(1);
        }
        Out o2 = classicHeader(true, false, 276);
        classicRecord(o2, 1, 0, CaptureBytes.sll2(0x86DD, ipv6Udp(CaptureBytes.v6Loopback(), CaptureBytes.v6Loopback(),
                new int[0], udp(7, 5006, RTP))));
        try (CaptureReader r = open(o2.toByteArray())) {
            assertThat(readAll(r)).singleElement().satisfies(d -> {
                assertThat(d.dstPort()).isEqualTo(5006);
                assertThat(d.srcAddress().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
                assertThat(d.source()).isEqualTo("[0:0:0:0:0:0:0:1]:7");
            });
        }
    }

    @Test
    void rawIp_linktypes101_228_229_withIpv6ExtensionHeaders() throws IOException {
        byte[] v6 = ipv6Udp(CaptureBytes.v6Doc(1), CaptureBytes.v6Doc(2), new int[] {0, 60, 43}, udp(9, 5008, RTP));
        byte[] v4 = ipv4Udp("198.51.100.1", "198.51.100.2", 9, 5010, RTP);
        Out raw = classicHeader(false, false, 101);
        classicRecord(raw, 1, 0, v6);
        classicRecord(raw, 2, 0, v4);
        try (CaptureReader r = open(raw.toByteArray())) {
            List<UdpDatagram> ds = readAll(r);
            assertThat(ds).extracting(UdpDatagram::dstPort).containsExactly(5008, 5010);
            assertThat(ds.get(0).dstAddress().getHostAddress()).isEqualTo("2001:db8:0:0:0:0:0:2");
            assertThat(ds.get(0).payload()).isEqualTo(RTP);
        }
        Out l228 = classicHeader(false, false, 228);
        classicRecord(l228, 1, 0, v4);
        try (CaptureReader r = open(l228.toByteArray())) {
            assertThat(readAll(r)).hasSize(1);
        }
        Out l229 = classicHeader(false, false, 229);
        classicRecord(l229, 1, 0, v6);
        // IPv6 fragment header (44): skipped
        classicRecord(l229, 2, 0, ipv6Udp(CaptureBytes.v6Doc(1), CaptureBytes.v6Doc(2), new int[] {44},
                udp(9, 5008, RTP)));
        try (CaptureReader r = open(l229.toByteArray())) {
            assertThat(readAll(r)).hasSize(1);
            assertThat(r.skipped(SkipReason.FRAGMENT)).isEqualTo(1);
        }
    }

    @Test
    void bsdNullLoopback_eitherHostByteOrder() throws IOException {
        Out o = classicHeader(false, false, 0);
        classicRecord(o, 1, 0, CaptureBytes.nullLoopback(2, false, ipv4Udp("127.0.0.1", "127.0.0.1", 1, 5004, RTP)));
        classicRecord(o, 2, 0, CaptureBytes.nullLoopback(2, true, ipv4Udp("127.0.0.1", "127.0.0.1", 1, 5004, RTP)));
        classicRecord(o, 3, 0, CaptureBytes.nullLoopback(30, false,
                ipv6Udp(CaptureBytes.v6Loopback(), CaptureBytes.v6Loopback(), new int[0], udp(1, 5006, RTP))));
        classicRecord(o, 4, 0, CaptureBytes.nullLoopback(7, false, new byte[20]));
        try (CaptureReader r = open(o.toByteArray())) {
            assertThat(readAll(r)).extracting(UdpDatagram::dstPort).containsExactly(5004, 5004, 5006);
            assertThat(r.skipped(SkipReason.NOT_IP)).isEqualTo(1);
        }
    }

    @Test
    void unsupportedLinkTypeFramesAreCounted() throws IOException {
        Out o = classicHeader(false, false, 105); // 802.11
        classicRecord(o, 1, 0, new byte[40]);
        try (CaptureReader r = open(o.toByteArray())) {
            assertThat(r.next()).isNull();
            assertThat(r.skipped(SkipReason.UNSUPPORTED_LINK_TYPE)).isEqualTo(1);
        }
    }

    @Test
    void truncatedLastRecord_endsIterationAndIsReported() throws IOException {
        Out o = classicHeader(false, false, 1);
        byte[] frame = ethernet(new int[0], 0x0800, ipv4Udp("127.0.0.1", "127.0.0.1", 1, 5004, RTP));
        classicRecord(o, 1, 0, frame);
        classicRecord(o, 2, 0, frame);
        byte[] full = o.toByteArray();
        byte[] cut = Arrays.copyOf(full, full.length - 10);
        try (CaptureReader r = open(cut)) {
            assertThat(readAll(r)).hasSize(1);
            assertThat(r.truncated()).isTrue();
            int secondRecordAt = 24 + 16 + frame.length;
            assertThat(r.warning()).hasValueSatisfying(w ->
                    assertThat(w).contains("truncated packet record at byte " + secondRecordAt));
        }
        // cut inside the record header
        try (CaptureReader r = open(Arrays.copyOf(full, 24 + 16 + frame.length + 7))) {
            assertThat(readAll(r)).hasSize(1);
            assertThat(r.warning()).hasValueSatisfying(w -> assertThat(w).contains("record header"));
        }
        // strict mode throws
        try (CaptureReader r = CaptureReader.open(new ByteArrayInputStream(cut), true)) {
            assertThat(r.next()).isNotNull();
            assertThatThrownBy(r::next).isInstanceOf(CaptureFormatException.class)
                    .hasMessageContaining("truncated packet record at byte");
        }
    }

    @Test
    void garbageFile_isRejectedWithMagic() {
        byte[] text = "<html><body>not a capture</body></html>".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> open(text)).isInstanceOf(CaptureFormatException.class)
                .hasMessage("not a pcap or pcapng file (magic 0x3c68746d)");
    }

    @Test
    void emptyAndTinyFiles_areRejected(@TempDir Path dir) throws IOException {
        Path empty = dir.resolve("empty.pcap");
        Files.write(empty, new byte[0]);
        assertThatThrownBy(() -> CaptureReader.open(empty)).isInstanceOf(CaptureFormatException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> open(new byte[] {(byte) 0xD4, (byte) 0xC3})).isInstanceOf(CaptureFormatException.class)
                .hasMessageContaining("only 2 bytes");
        byte[] header = classicHeader(false, false, 1).toByteArray();
        assertThatThrownBy(() -> open(Arrays.copyOf(header, 10))).isInstanceOf(CaptureFormatException.class)
                .hasMessageContaining("truncated pcap file header");
    }

    @Test
    void absurdRecordLength_isRejected() throws IOException {
        Out o = classicHeader(false, false, 1);
        o.u32(1).u32(0).u32(300_000).u32(300_000).raw(new byte[64]);
        try (CaptureReader r = open(o.toByteArray())) {
            assertThatThrownBy(r::next).isInstanceOf(CaptureFormatException.class)
                    .hasMessageContaining("packet record at byte 24")
                    .hasMessageContaining("300000");
        }
    }

    @Test
    void headerOnlyFile_hasNoDatagrams() throws IOException {
        try (CaptureReader r = open(classicHeader(true, true, 1).toByteArray())) {
            assertThat(r.next()).isNull();
            assertThat(r.truncated()).isFalse();
        }
    }

    // ------------------------------------------------------------------ pcapng

    @ParameterizedTest(name = "bigEndian={0}")
    @CsvSource({"false", "true"})
    void pcapng_epbSpbUnknownBlocks_bothByteOrders(boolean bigEndian) throws IOException {
        Out o = new Out(bigEndian);
        shb(o);
        idb(o, 1, -1); // default resolution: microseconds
        unknownBlock(o, 0x00000BAD, 8);
        unknownBlock(o, 5, 16); // interface statistics block
        byte[] frame = ethernet(new int[] {0x8100}, 0x0800, ipv4Udp("127.0.0.1", "127.0.0.1", 1, 5004, RTP));
        epb(o, 0, 1_700_000_000_123_456L, frame);
        CaptureBytes.spb(o, ethernet(new int[0], 0x0800, ipv4Udp("127.0.0.1", "127.0.0.1", 1, 5005, new byte[3])));
        try (CaptureReader r = open(o.toByteArray())) {
            assertThat(r.format()).isEqualTo(CaptureReader.Format.PCAPNG);
            assertThat(r.bigEndian()).isEqualTo(bigEndian);
            List<UdpDatagram> ds = readAll(r);
            assertThat(ds).hasSize(2);
            assertThat(r.linkType()).isEqualTo(1);
            assertThat(ds.get(0).timestampNanos()).isEqualTo(1_700_000_000_123_456_000L);
            assertThat(ds.get(0).payload()).isEqualTo(RTP);
            assertThat(ds.get(1).dstPort()).isEqualTo(5005);
            assertThat(ds.get(1).payload()).hasSize(3);
            assertThat(ds.get(1).timestampNanos()).isZero();
        }
    }

    @Test
    void pcapng_tsresol_nanoAndBinary_multipleInterfacesAndSections() throws IOException {
        Out o = new Out(false);
        shb(o);
        idb(o, 1, 9); // nanoseconds
        idb(o, 101, 0x80 | 20); // 2^-20 s, raw IP
        byte[] eth = ethernet(new int[0], 0x0800, ipv4Udp("127.0.0.1", "127.0.0.1", 1, 5004, RTP));
        byte[] raw = ipv4Udp("127.0.0.1", "127.0.0.1", 1, 5006, RTP);
        epb(o, 0, 1_700_000_000_987_654_321L, eth);
        epb(o, 1, (5L << 20) | (1L << 19), raw); // 5.5 s
        // a second section, big-endian this time, resets the interfaces
        Out be = new Out(true);
        shb(be);
        idb(be, 113, 3); // milliseconds, SLL
        epb(be, 0, 1500, CaptureBytes.sll(0x0800, raw));
        byte[] file = concat(o.toByteArray(), be.toByteArray());
        try (CaptureReader r = open(file)) {
            List<UdpDatagram> ds = readAll(r);
            assertThat(ds).extracting(UdpDatagram::timestampNanos)
                    .containsExactly(1_700_000_000_987_654_321L, 5_500_000_000L, 1_500_000_000L);
            assertThat(ds).extracting(UdpDatagram::dstPort).containsExactly(5004, 5006, 5006);
            assertThat(r.bigEndian()).isTrue();
            assertThat(r.linkType()).isEqualTo(113);
        }
    }

    @Test
    void pcapng_truncatedLastBlock_isReported() throws IOException {
        Out o = new Out(false);
        shb(o);
        idb(o, 1, 6);
        byte[] frame = ethernet(new int[0], 0x0800, ipv4Udp("127.0.0.1", "127.0.0.1", 1, 5004, RTP));
        epb(o, 0, 1, frame);
        epb(o, 0, 2, frame);
        byte[] full = o.toByteArray();
        try (CaptureReader r = open(Arrays.copyOf(full, full.length - 20))) {
            assertThat(readAll(r)).hasSize(1);
            assertThat(r.truncated()).isTrue();
            assertThat(r.warning().orElseThrow()).contains("truncated enhanced packet block at byte");
        }
    }

    @Test
    void pcapng_corruptBlocks_areRejected() throws IOException {
        // trailing length differs from the leading one
        Out o = new Out(false);
        shb(o);
        o.u32(1).u32(20).u16(1).u16(0).u32(65535).u32(24);
        try (CaptureReader r = open(o.toByteArray())) {
            assertThatThrownBy(r::next).isInstanceOf(CaptureFormatException.class)
                    .hasMessageContaining("trailing length 24 differs from leading length 20");
        }
        // bad byte-order magic
        Out bad = new Out(false);
        bad.u32(0x0A0D0D0AL).u32(28).u32(0x11223344L);
        assertThatThrownBy(() -> open(bad.toByteArray())).isInstanceOf(CaptureFormatException.class)
                .hasMessageContaining("byte-order magic");
        // packet before any interface description
        Out noIdb = new Out(false);
        shb(noIdb);
        epb(noIdb, 0, 0, new byte[20]);
        try (CaptureReader r = open(noIdb.toByteArray())) {
            assertThatThrownBy(r::next).isInstanceOf(CaptureFormatException.class)
                    .hasMessageContaining("refers to interface 0 but 0 are described");
        }
        // absurd block length
        Out huge = new Out(false);
        shb(huge);
        huge.u32(6).u32(0x7FFFFFF0L);
        try (CaptureReader r = open(huge.toByteArray())) {
            assertThatThrownBy(r::next).isInstanceOf(CaptureFormatException.class)
                    .hasMessageContaining("invalid block length");
        }
    }

    @Test
    void tsresolConversions() {
        assertThat(CaptureReader.toNanos(1, 6)).isEqualTo(1000);
        assertThat(CaptureReader.toNanos(1, 9)).isEqualTo(1);
        assertThat(CaptureReader.toNanos(1000, 12)).isEqualTo(1);
        assertThat(CaptureReader.toNanos(3, 0)).isEqualTo(3_000_000_000L);
        assertThat(CaptureReader.toNanos(1L << 40, 0x80 | 40)).isEqualTo(1_000_000_000L);
        assertThat(CaptureReader.toNanos(3L << 19, 0x80 | 20)).isEqualTo(1_500_000_000L);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
