package io.capstan.webrtc;

/**
 * The RTCP Capstan sends to a publisher, written into the caller's buffer: receiver reports (RFC 3550 section
 * 6.4.2), Picture Loss Indication (RFC 4585 section 6.3.1) and Generic NACK (RFC 4585 section 6.2.1).
 */
final class Rtcp {

    static final int PT_RR = 201;
    static final int PT_RTPFB = 205;
    static final int PT_PSFB = 206;

    private Rtcp() {
    }

    /** A receiver report with one block per reception, at {@code off}; returns its length. At most 31 blocks. */
    static int receiverReport(byte[] b, int off, long senderSsrc, Reception[] blocks, int count, long nowNanos) {
        int n = Math.min(31, count);
        int len = 8 + 24 * n;
        b[off] = (byte) (0x80 | n);
        b[off + 1] = (byte) PT_RR;
        putUint16(b, off + 2, len / 4 - 1);
        putUint32(b, off + 4, senderSsrc);
        for (int i = 0; i < n; i++) {
            blocks[i].writeBlock(b, off + 8 + 24 * i, nowNanos);
        }
        return len;
    }

    /** A PLI asking {@code mediaSsrc}'s sender for a keyframe; 12 bytes. */
    static int pli(byte[] b, int off, long senderSsrc, long mediaSsrc) {
        b[off] = (byte) 0x81;
        b[off + 1] = (byte) PT_PSFB;
        putUint16(b, off + 2, 2);
        putUint32(b, off + 4, senderSsrc);
        putUint32(b, off + 8, mediaSsrc);
        return 12;
    }

    /**
     * A Generic NACK for {@code count} (1 to 17) consecutive sequence numbers from {@code firstSeq}, as one FCI
     * (PID and bitmask of the 16 following); 16 bytes.
     */
    static int nack(byte[] b, int off, long senderSsrc, long mediaSsrc, int firstSeq, int count) {
        if (count < 1 || count > 17) {
            throw new IllegalArgumentException("one NACK FCI covers 1 to 17 packets, not " + count);
        }
        b[off] = (byte) 0x81;
        b[off + 1] = (byte) PT_RTPFB;
        putUint16(b, off + 2, 3);
        putUint32(b, off + 4, senderSsrc);
        putUint32(b, off + 8, mediaSsrc);
        putUint16(b, off + 12, firstSeq & 0xFFFF);
        putUint16(b, off + 14, (1 << (count - 1)) - 1);
        return 16;
    }

    static void putUint16(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 8);
        b[i + 1] = (byte) v;
    }

    static void putUint32(byte[] b, int i, long v) {
        b[i] = (byte) (v >>> 24);
        b[i + 1] = (byte) (v >>> 16);
        b[i + 2] = (byte) (v >>> 8);
        b[i + 3] = (byte) v;
    }
}
