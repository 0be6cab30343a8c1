package io.capstan.bench.load;

import java.util.PriorityQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * One feeder thread: replays the capture to its share of the sessions at real-time pace. The sessions wait in a
 * priority queue ordered by the time their next datagram is due (a session is one cursor into the looped capture,
 * offset by its own start time, so sessions started at random moments spread the load evenly). The thread parks
 * until the earliest datagram is due, sends every datagram of that session that is due, and requeues it.
 *
 * <p>A datagram sent more than {@link #LATE_NANOS} after it was due is <em>late</em>: the feeder (and so the host
 * it stands for) is behind schedule, which happens when the machine has no CPU left (or during a GC pause). Late
 * datagrams are still sent (the stream stays whole), so lateness shows up here, not as loss.
 */
final class Feeder extends Thread {

    static final long LATE_NANOS = 20_000_000L;
    /**
     * A datagram due within this much is sent now: the thread wakes at most about once per millisecond instead of
     * once per datagram (parking for a few microseconds costs more CPU than the push itself), as a sender pacing
     * per frame would.
     */
    static final long SLACK_NANOS = 1_000_000L;
    private static final int BATCH = 64;

    /** Where a feeder's datagrams go: straight into a session (in-process) or to its UDP port. */
    interface Sink {
        void deliver(int session, int stream, boolean rtcp, byte[] buf, int len, long nowNanos);

        default void close() {
        }
    }

    private static final class Cursor {
        final int session;
        final long base;
        int index;
        long pass;
        long due;

        Cursor(int session, long base) {
            this.session = session;
            this.base = base;
        }
    }

    private final LoadCapture capture;
    private final Sink sink;
    private final PriorityQueue<Cursor> queue = new PriorityQueue<>((a, b) -> Long.compare(a.due, b.due));
    private final byte[] scratch;
    private volatile boolean running = true;

    // counters: written by this thread only, read by the sampler
    private volatile long sent;
    private volatile long sentBytes;
    private volatile long late;
    private volatile long maxLateNanos;

    Feeder(String name, LoadCapture capture, Sink sink) {
        super(name);
        setDaemon(true);
        this.capture = capture;
        this.sink = sink;
        this.scratch = new byte[capture.maxLength + 16];
    }

    /** Adds a session whose replay starts (its first datagram is due) at {@code startNanos}; before {@link #start}. */
    void add(int session, long startNanos) {
        Cursor c = new Cursor(session, startNanos);
        c.due = startNanos + capture.atNanos[0];
        queue.add(c);
    }

    void shutdown() {
        running = false;
        LockSupport.unpark(this);
    }

    long sent() {
        return sent;
    }

    long sentBytes() {
        return sentBytes;
    }

    long late() {
        return late;
    }

    /** Largest lateness so far; {@link #resetMaxLate} starts a new window. */
    long maxLateNanos() {
        return maxLateNanos;
    }

    void resetMaxLate() {
        maxLateNanos = 0;
    }

    @Override
    public void run() {
        try {
            loop();
        } finally {
            sink.close();
        }
    }

    private void loop() {
        LoadCapture cap = capture;
        int n = cap.size();
        while (running) {
            Cursor c = queue.peek();
            if (c == null) {
                return;
            }
            long now = System.nanoTime();
            if (c.due > now + SLACK_NANOS) {
                LockSupport.parkNanos(Math.min(c.due - now, 10_000_000L));
                continue;
            }
            queue.poll();
            int k = 0;
            do {
                long behind = now - c.due;
                if (behind > LATE_NANOS) {
                    late = late + 1;
                }
                if (behind > maxLateNanos) {
                    maxLateNanos = behind;
                }
                int len = cap.copy(c.index, c.pass, scratch);
                sink.deliver(c.session, cap.stream[c.index], cap.rtcp[c.index], scratch, len, now);
                sent = sent + 1;
                sentBytes = sentBytes + len;
                // next datagram of this session: RTCP only in the first pass
                do {
                    if (++c.index == n) {
                        c.index = 0;
                        c.pass++;
                    }
                } while (c.pass > 0 && cap.rtcp[c.index]);
                c.due = c.base + c.pass * cap.passNanos + cap.atNanos[c.index];
                if (++k % 8 == 0) {
                    now = System.nanoTime();
                }
            } while (c.due <= now + SLACK_NANOS && k < BATCH);
            queue.add(c);
        }
    }
}
