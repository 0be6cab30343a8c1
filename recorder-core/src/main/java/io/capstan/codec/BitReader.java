package io.capstan.codec;

/**
 * A reusable MSB-first bit reader over {@code buf[off .. off+len)} for the bit-oriented headers the depacketizers
 * parse (RFC 3640 AU-headers, ISO/IEC 14496-3 AudioSpecificConfig, H.264 SPS RBSP, VP9 uncompressed header).
 * Reading past the end never throws: it returns 0 and sets {@link #overrun()}, so a parser reads all fields and
 * checks once at the end. Reused across calls, it allocates nothing.
 */
final class BitReader {

    private byte[] buf;
    private int end;    // bit index one past the last readable bit
    private int pos;    // bit index of the next bit
    private boolean overrun;

    BitReader reset(byte[] buf, int off, int len) {
        this.buf = buf;
        this.pos = off * 8;
        this.end = (off + len) * 8;
        this.overrun = false;
        return this;
    }

    /** Reads {@code n} (0..32) bits as an unsigned value (the low 32 bits of the returned long). */
    long bitsLong(int n) {
        long v = 0;
        for (int i = 0; i < n; i++) {
            v = (v << 1) | bit();
        }
        return v;
    }

    /** Reads {@code n} (0..31) bits as an unsigned int. */
    int bits(int n) {
        return (int) bitsLong(n);
    }

    int bit() {
        if (pos >= end) {
            overrun = true;
            return 0;
        }
        int b = (buf[pos >>> 3] >>> (7 - (pos & 7))) & 1;
        pos++;
        return b;
    }

    boolean flag() {
        return bit() != 0;
    }

    void skip(int n) {
        if (n < 0 || (long) pos + n > end) {
            overrun = true;
            pos = end;
        } else {
            pos += n;
        }
    }

    /**
     * ue(v), H.264 section 9.1: leadingZeroBits zeros, a one, then leadingZeroBits bits. Values above 2^31-2 (more
     * than 31 leading zeros) are invalid in every syntax element we parse and set the overrun flag.
     */
    int ue() {
        int zeros = 0;
        while (bit() == 0) {
            if (overrun || ++zeros > 31) {
                overrun = true;
                return 0;
            }
        }
        long v = (1L << zeros) - 1 + bitsLong(zeros);
        if (v > Integer.MAX_VALUE) {
            overrun = true;
            return 0;
        }
        return (int) v;
    }

    /** se(v), H.264 section 9.1.1: k = ue(v), value (-1)^(k+1) * ceil(k / 2). */
    int se() {
        int k = ue();
        return (k & 1) != 0 ? (k + 1) >>> 1 : -(k >>> 1);
    }

    /** Skips to the next byte boundary. */
    void align() {
        pos = (pos + 7) & ~7;
        if (pos > end) {
            overrun = true;
            pos = end;
        }
    }

    int bitPosition() {
        return pos;
    }

    int bitsLeft() {
        return end - pos;
    }

    boolean overrun() {
        return overrun;
    }
}
