package io.capstan.webrtc.dtls;

import java.util.Arrays;
import java.util.Random;

/** Test packets with room after them for the SRTP/SRTCP trailer. */
final class Rtp {

    static final int ROOM = SrtpSession.MAX_RTCP_OVERHEAD;

    private Rtp() {
    }

    /** An RTP packet (V=2, PT 96, two CSRCs, a one-byte header extension) with a seeded payload, plus room. */
    static byte[] packet(int seq, long timestamp, int ssrc, int payloadLength) {
        byte[] p = new byte[12 + 8 + 8 + payloadLength + ROOM];
        p[0] = (byte) 0x92; // V=2, X=1, CC=2
        p[1] = (byte) 96;
        p[2] = (byte) (seq >>> 8);
        p[3] = (byte) seq;
        SrtpCipher.putInt(p, 4, (int) timestamp);
        SrtpCipher.putInt(p, 8, ssrc);
        SrtpCipher.putInt(p, 12, 0x11111111); // CSRC 1
        SrtpCipher.putInt(p, 16, 0x22222222); // CSRC 2
        p[20] = (byte) 0xBE; // RFC 8285 one-byte header extension, 1 word
        p[21] = (byte) 0xDE;
        p[22] = 0;
        p[23] = 1;
        p[24] = 0x10; // id 1, length 1
        p[25] = 0x42;
        Random r = new Random(seq * 31L + ssrc);
        for (int i = 28; i < 28 + payloadLength; i++) {
            p[i] = (byte) r.nextInt();
        }
        return p;
    }

    static int length(int payloadLength) {
        return 28 + payloadLength;
    }

    /** An RTCP compound packet: a receiver report (one block) and a PLI (RFC 4585 section 6.3.1), plus room. */
    static byte[] rtcp(int senderSsrc, int mediaSsrc) {
        byte[] p = new byte[32 + 12 + ROOM];
        p[0] = (byte) 0x81; // V=2, RC=1
        p[1] = (byte) 201; // RR
        p[3] = 7; // length in words - 1
        SrtpCipher.putInt(p, 4, senderSsrc);
        SrtpCipher.putInt(p, 8, mediaSsrc);
        SrtpCipher.putInt(p, 12, 0x01000005); // fraction lost, cumulative lost
        SrtpCipher.putInt(p, 16, 0x00012345); // extended highest sequence number
        SrtpCipher.putInt(p, 20, 17); // jitter
        p[32] = (byte) 0x81; // V=2, FMT=1 (PLI)
        p[33] = (byte) 206; // PSFB
        p[35] = 2;
        SrtpCipher.putInt(p, 36, senderSsrc);
        SrtpCipher.putInt(p, 40, mediaSsrc);
        return p;
    }

    static final int RTCP_LENGTH = 44;

    static byte[] copy(byte[] p) {
        return Arrays.copyOf(p, p.length);
    }
}
