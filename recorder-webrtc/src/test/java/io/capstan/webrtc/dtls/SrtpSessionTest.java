package io.capstan.webrtc.dtls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class SrtpSessionTest {

    private static final int SSRC = 0x1234ABCD;
    private static final int PAYLOAD = 1100;

    static SrtpKeys keys(SrtpProfile profile, long seed) {
        Random r = new Random(seed);
        byte[] m = new byte[SrtpKeys.materialLength(profile)];
        r.nextBytes(m);
        return SrtpKeys.fromKeyingMaterial(profile, m);
    }

    /** The browser's side protects, Capstan's unprotects. */
    private static SrtpSession[] pair(SrtpProfile profile) {
        SrtpKeys k = keys(profile, 7);
        return new SrtpSession[] {SrtpSession.create(k, SrtpSession.Role.CLIENT),
            SrtpSession.create(k, SrtpSession.Role.SERVER)};
    }

    private static byte[] protect(SrtpSession browser, int seq) {
        byte[] p = Rtp.packet(seq, seq * 960L, SSRC, PAYLOAD);
        int len = browser.protectRtp(p, 0, Rtp.length(PAYLOAD));
        return Arrays.copyOf(p, len);
    }

    @ParameterizedTest
    @EnumSource(SrtpProfile.class)
    void rtpRoundTrip_yieldsTheOriginalBytes(SrtpProfile profile) {
        SrtpSession[] s = pair(profile);
        byte[] plain = Rtp.packet(100, 9600, SSRC, PAYLOAD);
        byte[] buf = Rtp.copy(plain);
        int len = s[0].protectRtp(buf, 0, Rtp.length(PAYLOAD));
        assertThat(len).isEqualTo(Rtp.length(PAYLOAD) + profile.tagLength());
        assertThat(Arrays.copyOfRange(buf, 0, 28)).as("header in clear").isEqualTo(Arrays.copyOfRange(plain, 0, 28));
        assertThat(Arrays.copyOfRange(buf, 28, 60)).as("payload encrypted").isNotEqualTo(Arrays.copyOfRange(plain, 28, 60));

        byte[] framed = new byte[len + 10];
        System.arraycopy(buf, 0, framed, 5, len); // at an offset, with bytes after it
        assertThat(s[1].unprotectRtp(framed, 5, len)).isEqualTo(Rtp.length(PAYLOAD));
        assertThat(Arrays.copyOfRange(framed, 5, 5 + Rtp.length(PAYLOAD)))
                .isEqualTo(Arrays.copyOf(plain, Rtp.length(PAYLOAD)));
        assertThat(s[1].stats().rtpUnprotected()).isEqualTo(1);
        assertThat(s[1].profileName()).isEqualTo(profile.specName());
    }

    @ParameterizedTest
    @EnumSource(SrtpProfile.class)
    void rtcpRoundTrip_bothDirections(SrtpProfile profile) {
        SrtpSession[] s = pair(profile);
        for (int from = 0; from < 2; from++) {
            SrtpSession sender = s[from];
            SrtpSession receiver = s[1 - from];
            for (int i = 0; i < 3; i++) {
                byte[] plain = Rtp.rtcp(0xCAFE0000 + from, SSRC);
                byte[] buf = Rtp.copy(plain);
                int len = sender.protectRtcp(buf, 0, Rtp.RTCP_LENGTH);
                assertThat(len).isEqualTo(Rtp.RTCP_LENGTH + 4 + profile.tagLength());
                int indexAt = profile == SrtpProfile.AEAD_AES_128_GCM ? len - 4 : len - 4 - 10;
                assertThat(buf[indexAt] & 0x80).as("E flag").isEqualTo(0x80);
                assertThat(buf[indexAt + 3]).as("SRTCP index").isEqualTo((byte) i);
                assertThat(receiver.unprotectRtcp(buf, 0, len)).isEqualTo(Rtp.RTCP_LENGTH);
                assertThat(Arrays.copyOf(buf, Rtp.RTCP_LENGTH)).isEqualTo(Arrays.copyOf(plain, Rtp.RTCP_LENGTH));
            }
            assertThat(receiver.stats().rtcpUnprotected()).isEqualTo(3);
            assertThat(sender.stats().rtcpProtected()).isEqualTo(3);
        }
    }

    @ParameterizedTest
    @EnumSource(SrtpProfile.class)
    void flippedTagOrPayloadBit_isDroppedAsAuthFailure(SrtpProfile profile) {
        SrtpSession[] s = pair(profile);
        byte[] p = protect(s[0], 1);
        byte[] tag = p.clone();
        tag[tag.length - 1] ^= 0x01;
        byte[] payload = p.clone();
        payload[500] ^= 0x40;
        byte[] header = p.clone();
        header[1] ^= 0x01; // payload type: authenticated, not encrypted

        assertThat(SrtpDrop.of(s[1].unprotectRtp(tag, 0, tag.length))).isEqualTo(SrtpDrop.AUTH_FAILED);
        assertThat(SrtpDrop.of(s[1].unprotectRtp(payload, 0, payload.length))).isEqualTo(SrtpDrop.AUTH_FAILED);
        assertThat(SrtpDrop.of(s[1].unprotectRtp(header, 0, header.length))).isEqualTo(SrtpDrop.AUTH_FAILED);
        assertThat(s[1].stats().authFailed()).isEqualTo(3);
        assertThat(s[1].unprotectRtp(p, 0, p.length)).as("the genuine packet still passes").isPositive();
    }

    @ParameterizedTest
    @EnumSource(SrtpProfile.class)
    void replayedPacket_isDroppedAsReplay(SrtpProfile profile) {
        SrtpSession[] s = pair(profile);
        byte[] p = protect(s[0], 7);
        byte[] again = p.clone();
        assertThat(s[1].unprotectRtp(p, 0, p.length)).isPositive();
        assertThat(SrtpDrop.of(s[1].unprotectRtp(again, 0, again.length))).isEqualTo(SrtpDrop.REPLAY);

        byte[] rtcp = Rtp.rtcp(0xCAFE, SSRC);
        int len = s[0].protectRtcp(rtcp, 0, Rtp.RTCP_LENGTH);
        byte[] rtcpAgain = Arrays.copyOf(rtcp, len);
        assertThat(s[1].unprotectRtcp(rtcp, 0, len)).isEqualTo(Rtp.RTCP_LENGTH);
        assertThat(SrtpDrop.of(s[1].unprotectRtcp(rtcpAgain, 0, len))).isEqualTo(SrtpDrop.REPLAY);
        assertThat(s[1].stats().replayed()).isEqualTo(2);
        assertThat(s[1].stats().dropped()).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(SrtpProfile.class)
    void truncatedOrForeignPackets_areCountedByReason(SrtpProfile profile) {
        SrtpSession[] s = pair(profile);
        byte[] p = protect(s[0], 9);
        assertThat(SrtpDrop.of(s[1].unprotectRtp(p, 0, 12 + profile.tagLength() - 1))).isEqualTo(SrtpDrop.TOO_SHORT);
        // CSRCs and the extension need 28 bytes of header: a 30-byte packet cannot hold them and the tag
        assertThat(SrtpDrop.of(s[1].unprotectRtp(p, 0, 30))).isEqualTo(SrtpDrop.TOO_SHORT);
        assertThat(SrtpDrop.of(s[1].unprotectRtp(p, 0, p.length - 1))).isEqualTo(SrtpDrop.AUTH_FAILED);
        byte[] v1 = p.clone();
        v1[0] = (byte) (0x40 | (v1[0] & 0x3F));
        assertThat(SrtpDrop.of(s[1].unprotectRtp(v1, 0, v1.length))).isEqualTo(SrtpDrop.MALFORMED);
        assertThat(SrtpDrop.of(s[1].unprotectRtcp(p, 0, 8 + 4 + profile.tagLength() - 1)))
                .isEqualTo(SrtpDrop.TOO_SHORT);
        SrtpStats st = s[1].stats();
        assertThat(st.tooShort()).isEqualTo(3);
        assertThat(st.authFailed()).isEqualTo(1);
        assertThat(st.malformed()).isEqualTo(1);
        assertThat(st.dropped(SrtpDrop.TOO_SHORT)).isEqualTo(3);
        assertThat(s[1].unprotectRtp(p, 0, p.length)).isPositive();
    }

    @ParameterizedTest
    @EnumSource(SrtpProfile.class)
    void sequenceWraparound_rolloverCounterFollows(SrtpProfile profile) {
        SrtpSession[] s = pair(profile);
        int delivered = 0;
        // 65530 .. 65535, 0 .. 9 (ROC 1), with 65535 arriving after 0 and 1 (reordered across the wrap)
        int[] order = {65530, 65531, 65532, 65533, 65534, 0, 1, 65535, 2, 3, 4, 5, 6, 7, 8, 9};
        byte[][] sent = new byte[65536][];
        for (int seq = 65530; seq <= 65535 + 10; seq++) {
            sent[seq & 0xFFFF] = protect(s[0], seq & 0xFFFF);
        }
        for (int seq : order) {
            byte[] p = sent[seq];
            assertThat(s[1].unprotectRtp(p, 0, p.length)).as("seq %d", seq).isEqualTo(Rtp.length(PAYLOAD));
            assertThat(Arrays.copyOf(p, Rtp.length(PAYLOAD)))
                    .isEqualTo(Arrays.copyOf(Rtp.packet(seq, seq * 960L, SSRC, PAYLOAD), Rtp.length(PAYLOAD)));
            delivered++;
        }
        assertThat(delivered).isEqualTo(16);
        // a second wrap: ROC 2 (the sender's ROC is in the tag/IV, so a wrong estimate would fail authentication)
        for (int seq = 10; seq <= 65535 + 5; seq += 1000) {
            byte[] p = protect(s[0], seq & 0xFFFF);
            assertThat(s[1].unprotectRtp(p, 0, p.length)).as("seq %d", seq).isPositive();
        }
        assertThat(s[1].stats().dropped()).isZero();
    }

    @ParameterizedTest
    @EnumSource(SrtpProfile.class)
    void outOfOrderWithinTheWindow_isAccepted_olderIsReplay(SrtpProfile profile) {
        SrtpSession[] s = pair(profile);
        byte[] old = protect(s[0], 1000);
        byte[] tooOld = protect(s[0], 500);
        for (int seq = 1001; seq <= 2100; seq++) {
            byte[] p = protect(s[0], seq);
            assertThat(s[1].unprotectRtp(p, 0, p.length)).isPositive();
        }
        // 1000 is 1100 behind 2100, older than the 1024-packet window
        assertThat(SrtpDrop.of(s[1].unprotectRtp(old, 0, old.length))).isEqualTo(SrtpDrop.REPLAY);
        assertThat(SrtpDrop.of(s[1].unprotectRtp(tooOld, 0, tooOld.length))).isEqualTo(SrtpDrop.REPLAY);
        byte[] late = protect(s[0], 2200);
        byte[] early = protect(s[0], 2150);
        assertThat(s[1].unprotectRtp(late, 0, late.length)).isPositive();
        assertThat(s[1].unprotectRtp(early, 0, early.length)).as("50 behind, not seen").isPositive();
    }

    @Test
    void streamsAreBounded_newSsrcBeyondTheBoundIsDropped() {
        SrtpKeys k = keys(SrtpProfile.AES128_CM_HMAC_SHA1_80, 3);
        SrtpSession browser = SrtpSession.create(k, SrtpSession.Role.CLIENT, 4);
        SrtpSession capstan = SrtpSession.create(k, SrtpSession.Role.SERVER, 2);
        for (int ssrc = 1; ssrc <= 3; ssrc++) {
            byte[] p = Rtp.packet(1, 0, ssrc, 100);
            int len = browser.protectRtp(p, 0, Rtp.length(100));
            int r = capstan.unprotectRtp(p, 0, len);
            if (ssrc <= 2) {
                assertThat(r).isPositive();
            } else {
                assertThat(SrtpDrop.of(r)).isEqualTo(SrtpDrop.TOO_MANY_STREAMS);
            }
        }
        assertThat(capstan.stats().tooManyStreams()).isEqualTo(1);
    }

    @Test
    void forgedPacket_doesNotCreateAStream() {
        SrtpSession[] s = pair(SrtpProfile.AES128_CM_HMAC_SHA1_80);
        SrtpSession other = SrtpSession.create(keys(SrtpProfile.AES128_CM_HMAC_SHA1_80, 99), SrtpSession.Role.CLIENT);
        byte[] forged = Rtp.packet(40000, 0, SSRC, 100);
        int len = other.protectRtp(forged, 0, Rtp.length(100));
        assertThat(SrtpDrop.of(s[1].unprotectRtp(forged, 0, len))).isEqualTo(SrtpDrop.AUTH_FAILED);
        // had the forged seq 40000 been taken as s_l, seq 5 would be estimated with the wrong ROC
        byte[] p = protect(s[0], 5);
        assertThat(s[1].unprotectRtp(p, 0, p.length)).isPositive();
    }

    @Test
    void protect_refusesABufferWithoutRoom() {
        SrtpSession[] s = pair(SrtpProfile.AEAD_AES_128_GCM);
        byte[] p = Rtp.packet(1, 0, SSRC, 10);
        assertThatThrownBy(() -> s[0].protectRtp(p, 0, p.length - 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no room");
        byte[] r = Rtp.rtcp(1, 2);
        assertThatThrownBy(() -> s[1].protectRtcp(r, 0, r.length - 10)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @EnumSource(SrtpProfile.class)
    void unprotect_allocatesNothingPerPacket(SrtpProfile profile) {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        SrtpSession[] s = pair(profile);
        int n = 3000;
        byte[][] packets = new byte[n][];
        for (int i = 0; i < n; i++) {
            packets[i] = protect(s[0], i);
        }
        for (int i = 0; i < 1000; i++) {
            s[1].unprotectRtp(packets[i], 0, packets[i].length);
        }
        long tid = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(tid);
        int ok = 0;
        for (int i = 1000; i < n; i++) {
            ok += s[1].unprotectRtp(packets[i], 0, packets[i].length) > 0 ? 1 : 0;
        }
        long allocated = threads.getThreadAllocatedBytes(tid) - before;
        assertThat(ok).isEqualTo(n - 1000);
        assertThat(allocated).as("bytes allocated for %d packets", n - 1000).isLessThan(2000);
    }

    /**
     * Garbage and mutated packets of every length at every offset: unprotect never throws, never reports a length
     * outside the packet, and exactly the untouched packets pass.
     */
    @ParameterizedTest
    @EnumSource(SrtpProfile.class)
    void mutatedAndRandomInput_isDroppedWithoutThrowing(SrtpProfile profile) {
        SrtpSession[] s = pair(profile);
        Random r = new Random(42);
        byte[] buf = new byte[1600];
        int accepted = 0;
        for (int i = 0; i < 20_000; i++) {
            int off = r.nextInt(8);
            int len;
            boolean genuine = r.nextInt(10) == 0;
            boolean rtcp = r.nextBoolean();
            if (genuine || r.nextBoolean()) {
                byte[] p = rtcp ? Rtp.rtcp(0xCAFE, SSRC) : Rtp.packet(i & 0xFFFF, i, SSRC, r.nextInt(1300));
                len = rtcp ? s[0].protectRtcp(p, 0, Rtp.RTCP_LENGTH) : s[0].protectRtp(p, 0, p.length - Rtp.ROOM);
                System.arraycopy(p, 0, buf, off, len);
                if (!genuine) {
                    buf[off + r.nextInt(len)] ^= (byte) (1 << r.nextInt(8)); // one flip: two could cancel
                    len = r.nextInt(4) == 0 ? r.nextInt(len + 1) : len;
                }
            } else {
                len = r.nextInt(buf.length - off + 1);
                for (int j = 0; j < len; j++) {
                    buf[off + j] = (byte) r.nextInt();
                }
            }
            int result = rtcp ? s[1].unprotectRtcp(buf, off, len) : s[1].unprotectRtp(buf, off, len);
            if (result >= 0) {
                assertThat(result).isLessThanOrEqualTo(len);
                accepted++;
            } else {
                SrtpDrop.of(result);
            }
            assertThat(result >= 0).as("packet %d accepted", i).isEqualTo(genuine);
        }
        SrtpStats st = s[1].stats();
        assertThat(st.rtpUnprotected() + st.rtcpUnprotected()).isEqualTo(accepted);
        assertThat(st.dropped()).isEqualTo(20_000 - accepted);
    }

    /** RFC 3711 appendix B.2: the AES-CM keystream for a given session key and salt. */
    @Test
    void aesCounterMode_rfc3711AppendixB2() {
        AesCtr aes = new AesCtr(hex("2B7E151628AED2A6ABF7158809CF4F3C"));
        byte[] stream = new byte[48];
        aes.xor(hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000"), stream, 0, 48);
        assertThat(HexFormat.of().withUpperCase().formatHex(stream)).isEqualTo(
                "E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB41E95B3BB0A2E8DD477901E4FCA894C0");
    }

    /** RFC 3711 appendix B.3: the key derivation. */
    @Test
    void keyDerivation_rfc3711AppendixB3() {
        SrtpKdf kdf = new SrtpKdf(hex("E1F97A0D3E018BE0D64FA32C06DE4139"), hex("0EC675AD498AFEEBB6960B3AABE6"));
        assertThat(kdf.derive(SrtpKdf.RTP_ENCRYPTION, 16)).isEqualTo(hex("C61E7A93744F39EE10734AFE3FF7A087"));
        assertThat(kdf.derive(SrtpKdf.RTP_SALT, 14)).isEqualTo(hex("30CBBC08863D8C85D49DB34A9AE1"));
        assertThat(kdf.derive(SrtpKdf.RTP_AUTHENTICATION, 20)).isEqualTo(hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"));
    }

    @Test
    void keyingMaterial_isSplitAsRfc5764Section42() {
        byte[] m = new byte[60];
        for (int i = 0; i < m.length; i++) {
            m[i] = (byte) i;
        }
        SrtpKeys k = SrtpKeys.fromKeyingMaterial(SrtpProfile.AES128_CM_HMAC_SHA1_80, m);
        assertThat(k.clientKey()).isEqualTo(Arrays.copyOfRange(m, 0, 16));
        assertThat(k.serverKey()).isEqualTo(Arrays.copyOfRange(m, 16, 32));
        assertThat(k.clientSalt()).isEqualTo(Arrays.copyOfRange(m, 32, 46));
        assertThat(k.serverSalt()).isEqualTo(Arrays.copyOfRange(m, 46, 60));
        assertThat(k.toString()).doesNotContain("0102");
        assertThatThrownBy(() -> SrtpKeys.fromKeyingMaterial(SrtpProfile.AEAD_AES_128_GCM, m))
                .hasMessageContaining("56 bytes");
    }

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }
}
