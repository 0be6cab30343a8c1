package io.capstan.rtp;

/**
 * Wrap-aware arithmetic for 16-bit RTP sequence numbers and 32-bit timestamps (RFC 3550 appendix A.1 style:
 * a difference is read as a signed value, so 65535 -> 0 is one step forward).
 */
public final class SeqMath {
    private SeqMath() {
    }

    /** Signed distance {@code b - a} between two 16-bit sequence numbers, in [-32768, 32767]. */
    public static int seqDelta(int a, int b) {
        return (short) (b - a);
    }

    /** Signed distance {@code b - a} between two 32-bit timestamps. */
    public static long tsDelta(long a, long b) {
        return (int) (b - a);
    }

    /**
     * Extends a 16-bit sequence number to 64 bits relative to the last extended value (the one closest to it).
     */
    public static long unwrapSeq(long lastExtended, int seq16) {
        return lastExtended + seqDelta((int) (lastExtended & 0xFFFF), seq16);
    }

    /** Extends a 32-bit timestamp to 64 bits relative to the last extended value (the one closest to it). */
    public static long unwrapTs(long lastExtended, long ts32) {
        return lastExtended + tsDelta(lastExtended & 0xFFFFFFFFL, ts32);
    }
}
