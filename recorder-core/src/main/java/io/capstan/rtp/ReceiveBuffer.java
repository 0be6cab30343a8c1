package io.capstan.rtp;

/**
 * Per-SSRC receive state: extends 16-bit sequence numbers and 32-bit timestamps to 64 bits, drops duplicates,
 * puts reordered packets back in order, and waits at most {@code latency} for a missing packet before declaring
 * it lost. Packets leave in sequence order through {@link Output}, each with a flag telling whether packets are
 * missing right before it.
 *
 * <p>A packet that arrives in order with nothing waiting is handed on at once, from the caller's view; any
 * other is copied into a preallocated slot (the caller's buffer is free as soon as {@link #push} returns). In
 * steady state nothing is allocated. Time is the caller's arrival clock in nanoseconds (monotonic, e.g.
 * {@code System.nanoTime()}, or capture timestamps when converting a file), so conversion is deterministic.
 * Not thread-safe: one owner (the track's input lock).
 */
public final class ReceiveBuffer {

    /** Receives packets in sequence order. The packet view and its bytes are valid only during the call. */
    public interface Output {
        void packet(RtpPacket packet, long extSeq, long extTimestamp, long arrivalNanos, boolean lossBefore);
    }

    private static final byte EMPTY = 0;
    private static final byte BUFFERED = 1;
    private static final byte RELEASED = 2;
    /** A forward jump larger than this is a sender restart, not loss. */
    private static final int MAX_LOSS_RUN = 3000;

    private final int mask;
    private final long latencyNanos;
    private final Output out;
    private final byte[][] slotData;
    private final int[] slotLen;
    private final long[] slotSeq;
    private final long[] slotArrival;
    private final byte[] slotState;
    private final RtpPacket view = new RtpPacket();

    private boolean started;
    private boolean holding;
    private long firstArrival;
    private long nextSeq;
    private long highestSeq;
    private int buffered;
    private boolean lossPending;
    private boolean tsStarted;
    private long lastExtTs;

    private long received;
    private long duplicates;
    private long reordered;
    private long lost;
    private long late;
    private long seqJumps;

    /**
     * @param capacity     slots (rounded up to a power of two); also the largest reorder distance
     * @param latencyNanos how long a gap may stay open before the packets after it are released
     */
    public ReceiveBuffer(int capacity, long latencyNanos, Output out) {
        int cap = Integer.highestOneBit(Math.max(16, capacity - 1)) << 1;
        this.mask = cap - 1;
        this.latencyNanos = latencyNanos;
        this.out = out;
        this.slotData = new byte[cap][];
        this.slotLen = new int[cap];
        this.slotSeq = new long[cap];
        this.slotArrival = new long[cap];
        this.slotState = new byte[cap];
    }

    /** Accepts one validated packet (see {@link RtpPacket#wrap}). */
    public void push(RtpPacket p, long arrivalNanos) {
        received++;
        int seq16 = p.sequenceNumber();
        long ext;
        if (!started) {
            started = true;
            holding = true;
            firstArrival = arrivalNanos;
            ext = seq16 + (1L << 16); // keep extended values positive across an early backwards wrap
            nextSeq = ext;
            highestSeq = ext;
        } else {
            ext = SeqMath.unwrapSeq(highestSeq, seq16);
        }
        if (holding && ext < nextSeq && highestSeq - ext <= mask / 2) {
            nextSeq = ext; // nothing released yet: a packet reordered before the first one still fits in front
        }
        if (ext < nextSeq) {
            int idx = (int) (ext & mask);
            if (nextSeq - ext <= mask && slotSeq[idx] == ext && slotState[idx] == RELEASED) {
                duplicates++;
            } else {
                late++; // arrived after its gap was given up (already counted as lost)
            }
            poll(arrivalNanos); // time went on: a gap may have waited out the latency
            return;
        }
        if (ext - nextSeq > mask) {
            // beyond the window: release what we have, then skip ahead
            releaseAll();
            long gap = ext - nextSeq;
            if (gap > MAX_LOSS_RUN) {
                seqJumps++;
            } else {
                lost += gap;
            }
            lossPending = true;
            nextSeq = ext;
        }
        int idx = (int) (ext & mask);
        if (slotState[idx] == BUFFERED && slotSeq[idx] == ext) {
            duplicates++;
            poll(arrivalNanos);
            return;
        }
        if (ext > highestSeq) {
            highestSeq = ext;
        } else if (ext < highestSeq) {
            reordered++;
        }
        if (ext == nextSeq && buffered == 0 && !holding) {
            // in order with nothing waiting (the steady state): released at once from the caller's view, without
            // the copy into the slot and the second parse; the slot only remembers the sequence for duplicates
            slotSeq[idx] = ext;
            slotState[idx] = RELEASED;
            release(p, arrivalNanos);
            return;
        }
        int len = p.length();
        byte[] slot = slotData[idx];
        if (slot == null || slot.length < len) {
            slot = new byte[Math.max(len, 1500)];
            slotData[idx] = slot;
        }
        System.arraycopy(p.buffer(), p.offset(), slot, 0, len);
        slotLen[idx] = len;
        slotSeq[idx] = ext;
        slotArrival[idx] = arrivalNanos;
        slotState[idx] = BUFFERED;
        buffered++;
        if (!holding) {
            releaseInOrder();
        }
        poll(arrivalNanos);
    }

    /** Releases packets waiting behind a gap that has been open longer than the latency. */
    public void poll(long nowNanos) {
        if (holding) {
            // the start of a stream is held for one latency so packets reordered before the first one are kept
            if (nowNanos - firstArrival < latencyNanos && buffered <= mask / 2) {
                return;
            }
            holding = false;
        }
        while (buffered > 0) {
            int idx = (int) (nextSeq & mask);
            if (slotState[idx] == BUFFERED && slotSeq[idx] == nextSeq) {
                releaseInOrder();
                continue;
            }
            long first = firstBufferedSeq();
            if (nowNanos - slotArrival[(int) (first & mask)] < latencyNanos) {
                return;
            }
            lost += first - nextSeq;
            lossPending = true;
            nextSeq = first;
            releaseInOrder();
        }
    }

    /** Releases everything buffered (end of stream, SSRC change), counting the gaps as loss. */
    public void releaseAll() {
        holding = false;
        while (buffered > 0) {
            long first = firstBufferedSeq();
            if (first != nextSeq) {
                lost += first - nextSeq;
                lossPending = true;
                nextSeq = first;
            }
            releaseInOrder();
        }
    }

    private long firstBufferedSeq() {
        for (long s = nextSeq; s <= highestSeq; s++) {
            int idx = (int) (s & mask);
            if (slotState[idx] == BUFFERED && slotSeq[idx] == s) {
                return s;
            }
        }
        throw new IllegalStateException("buffered count out of sync");
    }

    private void releaseInOrder() {
        while (buffered > 0) {
            int idx = (int) (nextSeq & mask);
            if (slotState[idx] != BUFFERED || slotSeq[idx] != nextSeq) {
                return;
            }
            slotState[idx] = RELEASED;
            buffered--;
            view.wrap(slotData[idx], 0, slotLen[idx]);
            release(view, slotArrival[idx]);
        }
    }

    /** Hands packet {@code nextSeq} (in {@code p}) to the output and advances. */
    private void release(RtpPacket p, long arrivalNanos) {
        long ts = p.timestamp();
        if (!tsStarted) {
            tsStarted = true;
            lastExtTs = ts;
        } else {
            lastExtTs = SeqMath.unwrapTs(lastExtTs, ts);
        }
        boolean loss = lossPending;
        lossPending = false;
        long seq = nextSeq++;
        out.packet(p, seq, lastExtTs, arrivalNanos, loss);
    }

    public int bufferedPackets() {
        return buffered;
    }

    public long received() {
        return received;
    }

    public long duplicates() {
        return duplicates;
    }

    public long reordered() {
        return reordered;
    }

    public long lost() {
        return lost;
    }

    /** Packets that came after their gap had been given up. */
    public long late() {
        return late;
    }

    /** Forward sequence jumps too large to be loss (sender restarts). */
    public long sequenceJumps() {
        return seqJumps;
    }
}
