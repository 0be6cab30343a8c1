package io.capstan.session;

import org.jctools.queues.MpmcUnboundedXaddArrayQueue;

import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The bounded pool that muxes and writes for all sessions. Each session runs as a serial lane on it (at most one
 * task per session is queued or running), so a few threads serve many sessions, one session's frames stay in
 * order, and the queue can never hold more tasks than there are sessions.
 *
 * <p>Allocation-free hand-off (issue 7): a lane is a reusable {@link Runnable} scheduled at most once at a time,
 * the run queue is a lock-free array queue whose chunks are recycled ({@code MpmcUnboundedXaddArrayQueue}: no node
 * per task, unlike {@code LinkedBlockingQueue}), and an idle worker spins briefly, then parks
 * ({@link LockSupport}) until a submission unparks it: an idle recorder takes no CPU, however many sessions it
 * has. Worker threads are started on the first submission.
 */
public final class RecorderExecutor implements AutoCloseable {

    /** Polls of an empty run queue before a worker parks (~ a few microseconds: a frame is often that close). */
    private static final int SPINS = 64;
    /** Longest park of an idle worker: a safety net only, wake-ups come from {@link #submit}. */
    private static final long PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private static volatile RecorderExecutor shared;

    private final int threads;
    private final String name;
    private final MpmcUnboundedXaddArrayQueue<Runnable> runQueue = new MpmcUnboundedXaddArrayQueue<>(256, 4);
    private final Worker[] workers;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicInteger sleepers = new AtomicInteger();   // workers that are (about to be) parked
    private final AtomicInteger submitting = new AtomicInteger(); // submit() calls between their check and offer
    private final AtomicInteger alive = new AtomicInteger();
    private volatile boolean shutdown;

    private RecorderExecutor(int threads, String name) {
        this.threads = threads;
        this.name = name;
        this.workers = new Worker[threads];
        for (int i = 0; i < threads; i++) {
            workers[i] = new Worker(name + "-" + (i + 1));
        }
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

    /**
     * Queues {@code task} (a lane: the caller guarantees it is queued at most once at a time); false once the pool
     * is closed. Never blocks, allocates nothing in steady state.
     */
    boolean submit(Runnable task) {
        submitting.incrementAndGet();
        try {
            if (shutdown) {
                return false;
            }
            if (!started.get() && started.compareAndSet(false, true)) {
                for (Worker w : workers) {
                    alive.incrementAndGet();
                    w.thread.start();
                }
            }
            runQueue.offer(task);
        } finally {
            submitting.decrementAndGet();
        }
        // the offer must be visible before sleepers is read (a worker increments sleepers, then re-polls)
        VarHandle.fullFence();
        if (sleepers.get() > 0) {
            wakeOne();
        }
        return true;
    }

    private void wakeOne() {
        for (Worker w : workers) {
            if (w.parked.get() && w.parked.compareAndSet(true, false)) {
                sleepers.decrementAndGet();
                LockSupport.unpark(w.thread);
                return;
            }
        }
    }

    /** Stops accepting work and waits up to 10 s for running lanes. The shared pool cannot be closed. */
    @Override
    public void close() {
        if (this == shared) {
            return;
        }
        shutdown = true;
        if (!started.get()) {
            return;
        }
        for (Worker w : workers) {
            LockSupport.unpark(w.thread);
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try {
            for (Worker w : workers) {
                long left = end - System.nanoTime();
                if (left > 0 && w.thread != Thread.currentThread()) {
                    TimeUnit.NANOSECONDS.timedJoin(w.thread, left);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Worker threads still running (tests: no thread outlives {@link #close()}). */
    int aliveThreads() {
        return alive.get();
    }

    private final class Worker implements Runnable {
        final Thread thread;
        final AtomicBoolean parked = new AtomicBoolean();

        Worker(String threadName) {
            thread = new Thread(this, threadName);
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            try {
                loop();
            } finally {
                alive.decrementAndGet();
            }
        }

        private void loop() {
            int idle = 0;
            while (true) {
                Runnable task = runQueue.poll();
                if (task != null) {
                    idle = 0;
                    try {
                        task.run();
                    } catch (Throwable t) { // a lane catches its own errors; never let a worker die silently
                        org.slf4j.LoggerFactory.getLogger(RecorderExecutor.class)
                                .error("uncaught error on {}", thread.getName(), t);
                    }
                    continue;
                }
                if (shutdown) {
                    // a submit() that saw the pool open may still be about to offer: let it land, then run it
                    if (submitting.get() == 0 && runQueue.isEmpty()) {
                        return;
                    }
                    Thread.onSpinWait();
                    continue;
                }
                if (idle++ < SPINS) {
                    Thread.onSpinWait();
                    continue;
                }
                idle = 0;
                parked.set(true);
                sleepers.incrementAndGet(); // full fence: pairs with submit()'s fence after its offer
                if (!runQueue.isEmpty() || shutdown) {
                    unpark();
                    continue;
                }
                while (parked.get() && !shutdown) {
                    LockSupport.parkNanos(this, PARK_NANOS);
                    if (!runQueue.isEmpty()) {
                        break;
                    }
                }
                unpark();
            }
        }

        /** Leaves the parked state unless a submitter already took this worker out of it. */
        private void unpark() {
            if (parked.compareAndSet(true, false)) {
                sleepers.decrementAndGet();
            }
        }
    }
}
