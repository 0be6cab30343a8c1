package io.capstan.webrtc.dtls;

import java.util.Arrays;

/**
 * The receiver's replay list of RFC 3711 section 3.3.2 as a sliding bitmap: the highest authenticated index and
 * which of the {@code size} indices below it were seen. An index older than the window or already seen is a
 * replay. The window is moved only by {@link #accept}, after the packet authenticated, so a forged packet cannot
 * push genuine ones out of it.
 */
final class ReplayWindow {

    private final long[] bits;
    private final int size;
    private long highest = -1;

    /** @param size bits remembered below the highest index; a multiple of 64 */
    ReplayWindow(int size) {
        if (size < 64 || size % 64 != 0) {
            throw new IllegalArgumentException("replay window size must be a multiple of 64, >= 64: " + size);
        }
        this.size = size;
        this.bits = new long[size / 64];
    }

    /** The highest index accepted so far, -1 before the first. */
    long highest() {
        return highest;
    }

    /** Whether {@code index} is new: above the highest, or within the window and not seen yet. */
    boolean isFresh(long index) {
        if (index < 0) {
            return false;
        }
        if (index > highest) {
            return true;
        }
        if (highest - index >= size) {
            return false;
        }
        return (bits[slot(index)] & bit(index)) == 0;
    }

    /** Records {@code index} as received (call only for an authenticated, fresh index). */
    void accept(long index) {
        if (index > highest) {
            long advance = highest < 0 ? size : index - highest;
            if (advance >= size) {
                Arrays.fill(bits, 0L);
            } else {
                for (long i = highest + 1; i < index; i++) {
                    bits[slot(i)] &= ~bit(i);
                }
            }
            highest = index;
        }
        bits[slot(index)] |= bit(index);
    }

    private int slot(long index) {
        return (int) ((index % size) >>> 6);
    }

    private static long bit(long index) {
        return 1L << (index & 63);
    }
}
