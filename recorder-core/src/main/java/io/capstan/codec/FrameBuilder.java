package io.capstan.codec;

/**
 * The growing byte buffer a {@link Depacketizer} writes one frame into. Reused for every frame of a track (no
 * allocation once it has grown to the largest frame). A depacketizer may split the bytes of one RTP packet into
 * several frames ("units", e.g. the access units of an RFC 3640 AAC packet) with {@link #beginUnit(long)}.
 */
public final class FrameBuilder {

    private byte[] buf;
    private int len;
    private long timestamp;
    private boolean keyframe;
    // unit boundaries: unitStart[i] is where unit i begins, unitTs[i] its RTP timestamp (unwrapped)
    private int[] unitStart = new int[8];
    private long[] unitTs = new long[8];
    private int units = 1;
    private final int maxFrameBytes;

    public FrameBuilder(int initialCapacity, int maxFrameBytes) {
        this.buf = new byte[initialCapacity];
        this.maxFrameBytes = maxFrameBytes;
    }

    public FrameBuilder() {
        this(64 * 1024, 16 * 1024 * 1024);
    }

    /** Starts a new frame at the given (unwrapped) RTP timestamp, forgetting any previous content. */
    public void reset(long rtpTimestamp) {
        len = 0;
        timestamp = rtpTimestamp;
        keyframe = false;
        units = 1;
        unitStart[0] = 0;
        unitTs[0] = rtpTimestamp;
    }

    /** The unwrapped RTP timestamp of the frame (of its first unit). */
    public long timestamp() {
        return timestamp;
    }

    public byte[] array() {
        return buf;
    }

    public int length() {
        return len;
    }

    public boolean keyframe() {
        return keyframe;
    }

    public void keyframe(boolean k) {
        keyframe = k;
    }

    /**
     * Appends bytes.
     *
     * @return false when the frame would exceed the configured maximum size (the caller drops the frame)
     */
    public boolean write(byte[] src, int off, int n) {
        if (!ensure(n)) {
            return false;
        }
        System.arraycopy(src, off, buf, len, n);
        len += n;
        return true;
    }

    public boolean writeByte(int b) {
        if (!ensure(1)) {
            return false;
        }
        buf[len++] = (byte) b;
        return true;
    }

    /** Appends a big-endian 32-bit value (e.g. an AVCC NAL length prefix). */
    public boolean writeInt(int v) {
        if (!ensure(4)) {
            return false;
        }
        putInt(len, v);
        len += 4;
        return true;
    }

    /** Reserves {@code n} bytes to be patched later and returns their position (or -1 when over the limit). */
    public int reserve(int n) {
        if (!ensure(n)) {
            return -1;
        }
        int at = len;
        len += n;
        return at;
    }

    /** Overwrites 4 bytes at {@code pos} with a big-endian value. */
    public void putInt(int pos, int v) {
        buf[pos] = (byte) (v >>> 24);
        buf[pos + 1] = (byte) (v >>> 16);
        buf[pos + 2] = (byte) (v >>> 8);
        buf[pos + 3] = (byte) v;
    }

    /** Overwrites one byte at {@code pos}. */
    public void putByte(int pos, int v) {
        buf[pos] = (byte) v;
    }

    /** Drops everything written after {@code newLength}. */
    public void truncate(int newLength) {
        if (newLength < len) {
            len = newLength;
            while (units > 1 && unitStart[units - 1] > len) {
                units--;
            }
        }
    }

    /**
     * Starts a new unit: bytes written from now on form a separate frame with this timestamp. A unit with no
     * bytes is discarded.
     */
    public void beginUnit(long rtpTimestamp) {
        if (len == unitStart[units - 1]) {
            unitTs[units - 1] = rtpTimestamp; // previous unit is empty: reuse it
            if (units == 1) {
                timestamp = rtpTimestamp;
            }
            return;
        }
        if (units == unitStart.length) {
            unitStart = java.util.Arrays.copyOf(unitStart, units * 2);
            unitTs = java.util.Arrays.copyOf(unitTs, units * 2);
        }
        unitStart[units] = len;
        unitTs[units] = rtpTimestamp;
        units++;
    }

    public int unitCount() {
        return units;
    }

    public int unitOffset(int i) {
        return unitStart[i];
    }

    public int unitLength(int i) {
        return (i + 1 < units ? unitStart[i + 1] : len) - unitStart[i];
    }

    public long unitTimestamp(int i) {
        return unitTs[i];
    }

    private boolean ensure(int n) {
        long need = (long) len + n;
        if (need > maxFrameBytes) {
            return false;
        }
        if (need > buf.length) {
            buf = java.util.Arrays.copyOf(buf, (int) Math.min(maxFrameBytes, Math.max(need, buf.length * 2L)));
        }
        return true;
    }
}
