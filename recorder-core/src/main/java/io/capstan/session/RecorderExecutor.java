package io.capstan.session;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded pool that muxes and writes for all sessions. Each session runs as a serial lane on it (at most one
 * task per session is queued or running), so a few threads serve many sessions, one session's frames stay in
 * order, and the queue can never hold more tasks than there are sessions.
 */
public final class RecorderExecutor implements AutoCloseable {

    private static volatile RecorderExecutor shared;

    private final ExecutorService pool;
    private final int threads;

    private RecorderExecutor(int threads, String name) {
        this.threads = threads;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, name + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /** A pool with {@code threads} worker threads (daemon threads named {@code name-N}). */
    public static RecorderExecutor create(int threads, String name) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1");
        }
        return new RecorderExecutor(threads, name);
    }

    /** The process-wide default: one thread per core, at most 4. */
    public static RecorderExecutor shared() {
        RecorderExecutor s = shared;
        if (s == null) {
            synchronized (RecorderExecutor.class) {
                s = shared;
                if (s == null) {
                    s = new RecorderExecutor(Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())),
                            "capstan-mux");
                    shared = s;
                }
            }
        }
        return s;
    }

    public int threads() {
        return threads;
    }

    boolean submit(Runnable task) {
        try {
            pool.execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /** Stops accepting work and waits up to 10 s for running lanes. The shared pool cannot be closed. */
    @Override
    public void close() {
        if (this == shared) {
            return;
        }
        pool.shutdown();
        try {
            pool.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
