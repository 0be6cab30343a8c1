package io.capstan.rtp;

import java.io.ByteArrayOutputStream;

/** Builds RTP packets for tests. */
public final class Rtp {
    private Rtp() {
    }

    public static byte[] packet(int pt, int seq, long ts, long ssrc, boolean marker, byte[] payload) {
        byte[] b = new byte[12 + payload.length];
        b[0] = (byte) 0x80;
        b[1] = (byte) ((marker ? 0x80 : 0) | pt);
        b[2] = (byte) (seq >>> 8);
        b[3] = (byte) seq;
        put32(b, 4, ts);
        put32(b, 8, ssrc);
        System.arraycopy(payload, 0, b, 12, payload.length);
        return b;
    }

    public static void put32(byte[] b, int i, long v) {
        b[i] = (byte) (v >>> 24);
        b[i + 1] = (byte) (v >>> 16);
        b[i + 2] = (byte) (v >>> 8);
        b[i + 3] = (byte) v;
    }

    public static byte[] hex(String s) {
        s = s.replaceAll("[\\s_]", "");
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i += 2) {
            o.write(Integer.parseInt(s.substring(i, i + 2), 16));
        }
        return o.toByteArray();
    }
}
