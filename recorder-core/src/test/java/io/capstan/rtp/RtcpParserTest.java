package io.capstan.rtp;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.capstan.rtp.Rtp.hex;
import static org.assertj.core.api.Assertions.assertThat;

class RtcpParserTest {

    /** SR with one report block, then SDES with a CNAME, then BYE: a typical compound packet. */
    private static final String COMPOUND =
            "81 c8 000c" + "11223344" // SR, RC=1, length 12 words, sender SSRC
            + "eeaa0000 80000000"      // NTP: seconds 0xeeaa0000, fraction 0.5
            + "00001000"               // RTP timestamp 4096
            + "0000000a 00000400"      // 10 packets, 1024 octets
            + "55667788 00000000 00000000 00000000 00000000 00000000" // report block
            + "81 ca 0003" + "11223344" + "01 04 6162 6364 00 00" // SDES CNAME "abcd" + end + pad
            + "81 cb 0001" + "11223344";                         // BYE

    @Test
    void compound_srSdesBye() {
        byte[] b = hex(COMPOUND);
        List<Object> seen = new ArrayList<>();
        String err = RtcpParser.parse(b, 0, b.length, new RtcpParser.Visitor() {
            @Override
            public void senderReport(SenderReport sr) {
                seen.add(sr);
            }

            @Override
            public void sdesCname(long ssrc, String cname) {
                seen.add(cname);
            }

            @Override
            public void bye(long ssrc) {
                seen.add("bye " + Long.toHexString(ssrc));
            }
        });
        assertThat(err).isNull();
        SenderReport sr = (SenderReport) seen.get(0);
        assertThat(sr.ssrc()).isEqualTo(0x11223344L);
        assertThat(sr.rtpTimestamp()).isEqualTo(4096);
        assertThat(sr.packetCount()).isEqualTo(10);
        assertThat(sr.octetCount()).isEqualTo(1024);
        assertThat(sr.ntpMicros()).isEqualTo(0xeeaa0000L * 1_000_000L + 500_000);
        assertThat(seen.subList(1, 3)).containsExactly("abcd", "bye 11223344");
        assertThat(RtcpParser.looksLikeRtcp(b, 0, b.length)).isTrue();
    }

    @Test
    void malformed_reasonNoException() {
        RtcpParser.Visitor v = new RtcpParser.Visitor() {
        };
        assertThat(RtcpParser.parse(hex("81c8 00ff 11223344"), 0, 8, v)).contains("past the datagram");
        assertThat(RtcpParser.parse(hex("41c8 0001 11223344"), 0, 8, v)).contains("version");
        assertThat(RtcpParser.parse(hex("81c8 0001 11223344"), 0, 8, v)).contains("SR shorter");
        assertThat(RtcpParser.parse(hex("81ca 0001 11223344"), 0, 8, v)).contains("SDES");
        assertThat(RtcpParser.parse(hex("82cb 0001 11223344"), 0, 8, v)).contains("BYE");
        assertThat(RtcpParser.parse(hex("80c9"), 0, 2, v)).isNotNull();
        java.util.Random r = new java.util.Random(7);
        byte[] b = new byte[80];
        for (int i = 0; i < 100_000; i++) {
            r.nextBytes(b);
            b[0] = (byte) ((b[0] & 0x3f) | 0x80);
            RtcpParser.parse(b, 0, r.nextInt(81), v);
        }
    }

    @Test
    void pli_rfc4585() {
        byte[] pli = RtcpParser.pli(1, 0x11223344L);
        assertThat(pli).containsExactly(hex("81ce0002 00000001 11223344"));
    }
}
