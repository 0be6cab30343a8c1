package io.capstan.codec;

import io.capstan.rtp.RtpPacket;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;

/** Test helper: builds RTP packets (fixed 12-byte header + payload) and hex fixtures. */
final class Rtp {

    static final int PT = 96;
    static final long SSRC = 0x11223344L;

    private Rtp() {
    }

    /** An RTP packet (V=2, no padding/extension/CSRC) with the given header fields and payload. */
    static RtpPacket packet(int seq, long timestamp, boolean marker, byte[] payload) {
        byte[] b = new byte[12 + payload.length];
        b[0] = (byte) 0x80;
        b[1] = (byte) ((marker ? 0x80 : 0) | PT);
        b[2] = (byte) (seq >>> 8);
        b[3] = (byte) seq;
        b[4] = (byte) (timestamp >>> 24);
        b[5] = (byte) (timestamp >>> 16);
        b[6] = (byte) (timestamp >>> 8);
        b[7] = (byte) timestamp;
        b[8] = (byte) (SSRC >>> 24);
        b[9] = (byte) (SSRC >>> 16);
        b[10] = (byte) (SSRC >>> 8);
        b[11] = (byte) SSRC;
        System.arraycopy(payload, 0, b, 12, payload.length);
        RtpPacket p = new RtpPacket();
        if (p.wrap(b, 0, b.length) != null) {
            throw new AssertionError("test packet is not valid RTP");
        }
        return p;
    }

    static RtpPacket packet(int seq, long timestamp, boolean marker, String payloadHex) {
        return packet(seq, timestamp, marker, hex(payloadHex));
    }

    /** Hex to bytes; spaces, '|' and '_' are ignored so fixtures can be grouped by field. */
    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replaceAll("[\\s|_]", ""));
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p, 0, p.length);
        }
        return out.toByteArray();
    }

    /** {@code n} bytes counting up from {@code start} (recognisable filler media). */
    static byte[] filler(int n, int start) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (start + i);
        }
        return b;
    }
}
