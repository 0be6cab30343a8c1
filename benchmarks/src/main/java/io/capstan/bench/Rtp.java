package io.capstan.bench;

import java.util.Random;

/**
 * Builds RTP packets (RFC 3550 section 5.1) for the benchmarks, and patches the sequence number and timestamp of
 * a built packet in place so the measured loops can advance them without allocating.
 */
final class Rtp {

    static final int HEADER = 12;

    private Rtp() {
    }

    /**
     * A packet: fixed header, {@code csrcs} CSRC identifiers, an optional header extension block ({@code ext},
     * already including its 4-byte profile/length word), the payload, then {@code padding} octets (P bit set, the
     * last octet counting them).
     */
    static byte[] packet(int pt, boolean marker, int seq, long ts, long ssrc, long[] csrcs, byte[] ext,
                         byte[] payload, int padding) {
        int cc = csrcs == null ? 0 : csrcs.length;
        int extLen = ext == null ? 0 : ext.length;
        byte[] p = new byte[HEADER + 4 * cc + extLen + payload.length + padding];
        p[0] = (byte) (0x80 | (padding > 0 ? 0x20 : 0) | (ext != null ? 0x10 : 0) | cc); // V=2 P X CC
        p[1] = (byte) ((marker ? 0x80 : 0) | (pt & 0x7F));                                // M PT
        putSeq(p, 0, seq);
        putTs(p, 0, ts);
        put32(p, 8, ssrc);
        int pos = HEADER;
        for (int i = 0; i < cc; i++, pos += 4) {
            put32(p, pos, csrcs[i]);
        }
        if (ext != null) {
            System.arraycopy(ext, 0, p, pos, extLen);
            pos += extLen;
        }
        System.arraycopy(payload, 0, p, pos, payload.length);
        pos += payload.length;
        if (padding > 0) {
            p[p.length - 1] = (byte) padding; // RFC 3550 5.1: last padding octet counts the padding, itself included
        }
        return p;
    }

    /** Overwrites the 16-bit sequence number of the packet at {@code off}. */
    static void putSeq(byte[] p, int off, int seq) {
        p[off + 2] = (byte) (seq >>> 8);
        p[off + 3] = (byte) seq;
    }

    /** Overwrites the 32-bit timestamp of the packet at {@code off}. */
    static void putTs(byte[] p, int off, long ts) {
        put32(p, off + 4, ts);
    }

    static void put32(byte[] p, int at, long v) {
        p[at] = (byte) (v >>> 24);
        p[at + 1] = (byte) (v >>> 16);
        p[at + 2] = (byte) (v >>> 8);
        p[at + 3] = (byte) v;
    }

    /** Pseudo-random (seeded, deterministic) bytes standing in for compressed media. */
    static byte[] noise(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** The offset of the payload in a packet built by {@link #packet} without CSRCs, extension or padding. */
    static int payloadOffset() {
        return HEADER;
    }
}
