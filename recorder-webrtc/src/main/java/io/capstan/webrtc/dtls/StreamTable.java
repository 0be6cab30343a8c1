package io.capstan.webrtc.dtls;

/**
 * The per-SSRC state of one transform, at most {@code capacity} streams, looked up by a linear scan (a WebRTC
 * session has a handful of SSRCs; no boxing, no hashing, no allocation after a stream is added). A receiving
 * transform keeps a {@link ReplayWindow} per stream (its highest index doubles as RFC 3711's {@code s_l} and ROC),
 * a sending one a counter.
 */
final class StreamTable {

    private final int[] ssrcs;
    private final ReplayWindow[] windows;
    private final long[] counters;
    private final int windowSize;
    private int count;
    private int last = -1;

    /** @param windowSize replay window bits per stream, or 0 for a sending transform */
    StreamTable(int capacity, int windowSize) {
        if (capacity < 1) {
            throw new IllegalArgumentException("at least one stream, got " + capacity);
        }
        this.ssrcs = new int[capacity];
        this.windows = windowSize > 0 ? new ReplayWindow[capacity] : null;
        this.counters = new long[capacity];
        this.windowSize = windowSize;
    }

    /** The slot of {@code ssrc}, or -1. */
    int find(int ssrc) {
        if (last >= 0 && ssrcs[last] == ssrc) {
            return last;
        }
        for (int i = 0; i < count; i++) {
            if (ssrcs[i] == ssrc) {
                last = i;
                return i;
            }
        }
        return -1;
    }

    boolean isFull() {
        return count == ssrcs.length;
    }

    /** Adds {@code ssrc} (not present, table not full) and returns its slot. */
    int add(int ssrc) {
        int slot = count++;
        ssrcs[slot] = ssrc;
        if (windows != null) {
            windows[slot] = new ReplayWindow(windowSize);
        }
        counters[slot] = -1;
        last = slot;
        return slot;
    }

    ReplayWindow window(int slot) {
        return windows[slot];
    }

    /** A sending transform's per-stream value: the highest RTP index or the last SRTCP index, -1 at first. */
    long counter(int slot) {
        return counters[slot];
    }

    void counter(int slot, long value) {
        counters[slot] = value;
    }

    /**
     * The packet index of {@code seq} given the highest index so far (RFC 3711 appendix A): the ROC that puts it
     * nearest to {@code s_l}. Negative for a packet from before the first one (ROC would be -1).
     */
    static long estimateIndex(long highest, int seq) {
        if (highest < 0) {
            return seq;
        }
        long roc = highest >>> 16;
        int sl = (int) (highest & 0xFFFF);
        long v;
        if (sl < 32768) {
            v = seq - sl > 32768 ? roc - 1 : roc;
        } else {
            v = sl - 32768 > seq ? roc + 1 : roc;
        }
        return (v << 16) | seq;
    }
}
