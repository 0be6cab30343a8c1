package io.capstan.session.hooks;

import io.capstan.session.SegmentInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs an external command after every segment closes, as {@code command... STREAM ABSOLUTE_PATH}: the two values
 * are separate arguments of {@link ProcessBuilder}, never interpreted by a shell, so a stream name from the
 * network cannot inject anything. (Object-store locations, which are URIs, are passed as they are.)
 *
 * <ul>
 *   <li>Asynchronous: commands run on a small bounded pool ({@link Builder#threads}, default 2) with a bounded
 *       queue ({@link Builder#queueCapacity}, default 64); when the queue is full the segment's command is dropped
 *       and reported ({@link HookEvent.Dropped}).</li>
 *   <li>A command still running at its {@link Builder#timeout} (default 30 s) is killed with its descendants
 *       ({@link Process#destroyForcibly()}) and reported ({@link HookEvent.CommandFailed} with {@code timedOut}).</li>
 *   <li>stdout and stderr (merged) are captured up to {@link Builder#maxOutputBytes} (default 16 KiB; the rest is
 *       read and discarded) and logged through SLF4J: INFO when the command succeeded, WARN when it failed.</li>
 *   <li>A non-zero exit is reported ({@link HookEvent.CommandFailed}); success too ({@link HookEvent.CommandSucceeded}).</li>
 * </ul>
 */
public final class CommandHook implements SegmentHook, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CommandHook.class);
    private static final AtomicInteger POOLS = new AtomicInteger();

    private final List<String> command;
    private final Duration timeout;
    private final int maxOutputBytes;
    private final HookListener listener;
    private final ThreadPoolExecutor pool;
    private final Set<Process> running = ConcurrentHashMap.newKeySet();
    private final AtomicLong dropped = new AtomicLong();

    private CommandHook(Builder b) {
        this.command = List.copyOf(b.command);
        this.timeout = b.timeout;
        this.maxOutputBytes = b.maxOutputBytes;
        this.listener = b.listener;
        int id = POOLS.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(b.threads, b.threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(b.queueCapacity), r -> {
                    Thread t = new Thread(r, "capstan-hook-" + id + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
        pool.allowCoreThreadTimeOut(true);
    }

    /** A hook running {@code command} (program and its fixed arguments) with the stream and path appended. */
    public static Builder builder(List<String> command) {
        return new Builder(command);
    }

    /** The command as configured (without the per-segment arguments). */
    public List<String> command() {
        return command;
    }

    /** Segments whose command was dropped because the queue was full. */
    public long dropped() {
        return dropped.get();
    }

    @Override
    public void segmentClosed(String stream, SegmentInfo segment) {
        String location = segment.location();
        String path = absolute(location);
        try {
            pool.execute(() -> run(stream, location, path));
        } catch (RejectedExecutionException e) {
            long d = dropped.incrementAndGet();
            HookEvents.deliver(listener, new HookEvent.Dropped(stream, location, "command", d), LOG);
        }
    }

    static String absolute(String location) {
        if (location.contains("://")) {
            return location;
        }
        try {
            return Path.of(location).toAbsolutePath().normalize().toString();
        } catch (InvalidPathException e) {
            return location;
        }
    }

    private void run(String stream, String location, String path) {
        List<String> cmd = new ArrayList<>(command);
        cmd.add(stream);
        cmd.add(path);
        long t0 = System.nanoTime();
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException | RuntimeException e) {
            fail(stream, location, -1, false, t0, "cannot start " + command.get(0) + ": " + e.getMessage(), "");
            return;
        }
        running.add(p);
        try {
            p.getOutputStream().close();
        } catch (IOException ignored) {
            // the command does not read its input
        }
        Capture out = new Capture(p.getInputStream(), maxOutputBytes);
        Thread reader = new Thread(out, Thread.currentThread().getName() + "-output");
        reader.setDaemon(true);
        reader.start();
        try {
            boolean exited = p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (!exited) {
                kill(p);
                out.await(1000);
                fail(stream, location, -1, true, t0, "killed after the timeout of " + timeout.toMillis() + " ms",
                        out.text());
                return;
            }
            out.await(1000);
            int code = p.exitValue();
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            if (code == 0) {
                if (!out.text().isEmpty()) {
                    LOG.info("hook {} for {}: {}", command.get(0), path, out.text());
                }
                HookEvents.deliver(listener, new HookEvent.CommandSucceeded(stream, location, took, out.text()), LOG);
            } else {
                fail(stream, location, code, false, t0, "exited with " + code, out.text());
            }
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            fail(stream, location, -1, false, t0, "interrupted (hook closed)", out.text());
        } finally {
            running.remove(p);
        }
    }

    private void fail(String stream, String location, int code, boolean timedOut, long t0, String reason,
                      String output) {
        LOG.warn("hook {} for {} failed: {}{}", command.get(0), location, reason,
                output.isEmpty() ? "" : "; output: " + output);
        HookEvents.deliver(listener, new HookEvent.CommandFailed(stream, location, code, timedOut,
                Duration.ofNanos(System.nanoTime() - t0), reason, output), LOG);
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops taking segments, lets queued and running commands finish for up to {@code wait}, then kills what still
     * runs. Returns true when everything finished in time.
     */
    public boolean close(Duration wait) {
        pool.shutdown();
        boolean done;
        try {
            done = pool.awaitTermination(wait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            done = false;
        }
        if (!done) {
            pool.shutdownNow();
            for (Process p : running) {
                kill(p);
            }
        }
        return done;
    }

    /** {@link #close(Duration)} with the command timeout as the wait. */
    @Override
    public void close() {
        close(timeout);
    }

    /** Reads a process's output, keeping the first {@code cap} bytes. */
    private static final class Capture implements Runnable {
        private final InputStream in;
        private final int cap;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private long total;
        private volatile boolean finished;

        Capture(InputStream in, int cap) {
            this.in = in;
            this.cap = cap;
        }

        @Override
        public void run() {
            byte[] buf = new byte[4096];
            try (in) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    synchronized (this) {
                        int keep = (int) Math.max(0, Math.min(n, cap - total));
                        kept.write(buf, 0, keep);
                        total += n;
                    }
                }
            } catch (IOException ignored) {
                // the process was killed or closed its output
            } finally {
                finished = true;
                synchronized (this) {
                    notifyAll();
                }
            }
        }

        synchronized void await(long millis) throws InterruptedException {
            long end = System.nanoTime() + millis * 1_000_000;
            while (!finished && System.nanoTime() < end) {
                wait(Math.max(1, (end - System.nanoTime()) / 1_000_000));
            }
        }

        synchronized String text() {
            String s = kept.toString(StandardCharsets.UTF_8).strip();
            return total > cap ? s + " ... (" + (total - cap) + " more bytes)" : s;
        }
    }

    /** Configures a {@link CommandHook}. */
    public static final class Builder {
        private final List<String> command;
        private Duration timeout = Duration.ofSeconds(30);
        private int threads = 2;
        private int queueCapacity = 64;
        private int maxOutputBytes = 16 * 1024;
        private HookListener listener = HookListener.NONE;

        private Builder(List<String> command) {
            Objects.requireNonNull(command, "command");
            if (command.isEmpty() || command.get(0).isBlank()) {
                throw new IllegalArgumentException("a hook command needs a program");
            }
            this.command = List.copyOf(command);
        }

        /** How long one command may run before it is killed (default 30 s). */
        public Builder timeout(Duration v) {
            if (v.isNegative() || v.isZero()) {
                throw new IllegalArgumentException("hook timeout must be positive");
            }
            this.timeout = v;
            return this;
        }

        /** Commands run at once (default 2). */
        public Builder threads(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("threads must be >= 1");
            }
            this.threads = v;
            return this;
        }

        /** Segments waiting for a free thread before new ones are dropped (default 64). */
        public Builder queueCapacity(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("queue capacity must be >= 1");
            }
            this.queueCapacity = v;
            return this;
        }

        /** Output kept per command for the log and the event (default 16 KiB). */
        public Builder maxOutputBytes(int v) {
            this.maxOutputBytes = Math.max(0, v);
            return this;
        }

        /** Where results go (default: nowhere; every outcome is also logged). */
        public Builder listener(HookListener v) {
            this.listener = Objects.requireNonNull(v);
            return this;
        }

        public CommandHook build() {
            return new CommandHook(this);
        }
    }
}
