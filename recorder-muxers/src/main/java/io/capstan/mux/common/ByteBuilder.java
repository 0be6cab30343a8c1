package io.capstan.mux.common;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable byte array for building headers, Ogg pages and EBML elements. Reused by its owner ({@link #reset()})
 * so steady-state muxing does not allocate; big-endian unless the method name says {@code LE}.
 */
public final class ByteBuilder {

    private byte[] buf;
    private int len;

    public ByteBuilder(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    public ByteBuilder reset() {
        len = 0;
        return this;
    }

    public int length() {
        return len;
    }

    /** The backing array; bytes {@code [0, length())} are valid. */
    public byte[] array() {
        return buf;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }

    public void ensure(int extra) {
        if (len + extra > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(len + extra, buf.length * 2));
        }
    }

    /** Moves the end back (or forward over already reserved bytes); used to drop a speculative tail. */
    public void setLength(int newLength) {
        if (newLength < 0 || newLength > buf.length) {
            throw new IndexOutOfBoundsException(newLength);
        }
        len = newLength;
    }

    public ByteBuilder u8(int v) {
        ensure(1);
        buf[len++] = (byte) v;
        return this;
    }

    public ByteBuilder u16(int v) {
        ensure(2);
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
        return this;
    }

    public ByteBuilder u16LE(int v) {
        ensure(2);
        buf[len++] = (byte) v;
        buf[len++] = (byte) (v >>> 8);
        return this;
    }

    public ByteBuilder u32LE(long v) {
        ensure(4);
        for (int i = 0; i < 4; i++) {
            buf[len++] = (byte) (v >>> (8 * i));
        }
        return this;
    }

    public ByteBuilder u64LE(long v) {
        ensure(8);
        for (int i = 0; i < 8; i++) {
            buf[len++] = (byte) (v >>> (8 * i));
        }
        return this;
    }

    /** The low {@code n} bytes of {@code v}, most significant first. */
    public ByteBuilder uBE(long v, int n) {
        ensure(n);
        for (int i = n - 1; i >= 0; i--) {
            buf[len++] = (byte) (v >>> (8 * i));
        }
        return this;
    }

    public ByteBuilder bytes(byte[] src) {
        return bytes(src, 0, src.length);
    }

    public ByteBuilder bytes(byte[] src, int off, int n) {
        ensure(n);
        System.arraycopy(src, off, buf, len, n);
        len += n;
        return this;
    }

    public ByteBuilder ascii(String s) {
        return bytes(s.getBytes(StandardCharsets.US_ASCII));
    }

    /** Overwrites {@code n} bytes at {@code at} with {@code v}, most significant first. */
    public void putBE(int at, long v, int n) {
        for (int i = 0; i < n; i++) {
            buf[at + i] = (byte) (v >>> (8 * (n - 1 - i)));
        }
    }

    public void putLE(int at, long v, int n) {
        for (int i = 0; i < n; i++) {
            buf[at + i] = (byte) (v >>> (8 * i));
        }
    }
}
