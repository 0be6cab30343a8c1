package io.capstan.session.hooks;

import io.capstan.session.SegmentInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reports every closed segment to a cluster-wide index: an HTTP {@code POST} of {@link SegmentJson} (stream, node
 * alias, start/end in microseconds, duration, path or object key, keyframe positions) with
 * {@code Content-Type: application/json}. Without a reporter nothing leaves the machine.
 *
 * <ul>
 *   <li>A 2xx answer is success. Anything else (5xx, 408, 429, no answer within {@link Builder#requestTimeout}
 *       (default 10 s), a refused connection) is retried, up to {@link Builder#attempts} requests in all (default
 *       3), waiting {@link Builder#backoff} (500 ms), then twice that, ... between them. Another 4xx is final:
 *       the same JSON would be refused again.</li>
 *   <li>Requests go out one at a time from one daemon thread, in the order the segments closed. The queue is
 *       bounded ({@link Builder#queueCapacity}, 256); when it is full the segment's report is dropped and
 *       reported ({@link HookEvent.Dropped}, with the count so far).</li>
 *   <li>Every outcome is a {@link HookEvent}: {@link HookEvent.ReportDelivered} or {@link HookEvent.ReportFailed}.
 *       The session is never blocked: {@link #segmentClosed} only queues.</li>
 * </ul>
 */
public final class MetadataReporter implements SegmentHook, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MetadataReporter.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private record Report(String stream, String location, String json) {
    }

    private static final Report STOP = new Report("", "", "");

    private final URI endpoint;
    private final String nodeAlias;
    private final int attempts;
    private final Duration requestTimeout;
    private final Duration backoff;
    private final HookListener listener;
    private final HttpClient client;
    private final BlockingQueue<Report> queue;
    private final Thread worker;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private volatile boolean closed;

    private MetadataReporter(Builder b) {
        this.endpoint = b.endpoint;
        this.nodeAlias = b.nodeAlias;
        this.attempts = b.attempts;
        this.requestTimeout = b.requestTimeout;
        this.backoff = b.backoff;
        this.listener = b.listener;
        this.client = HttpClient.newBuilder().connectTimeout(requestTimeout).followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.queue = new ArrayBlockingQueue<>(b.queueCapacity + 1); // +1: room for STOP
        this.worker = new Thread(this::loop, "capstan-metadata-" + THREADS.incrementAndGet());
        worker.setDaemon(true);
        worker.start();
    }

    /** A reporter POSTing to {@code endpoint} (http or https). */
    public static Builder builder(URI endpoint) {
        return new Builder(endpoint);
    }

    public URI endpoint() {
        return endpoint;
    }

    /** Requests per segment, the first included. */
    public int attempts() {
        return attempts;
    }

    /** How long one request may take. */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /** Reports dropped because the queue was full. */
    public long dropped() {
        return dropped.get();
    }

    /** HTTP requests sent so far (all attempts). */
    public long requests() {
        return requests.get();
    }

    @Override
    public void segmentClosed(String stream, SegmentInfo segment) {
        Report r = new Report(stream, segment.location(), SegmentJson.of(stream, nodeAlias, segment));
        if (closed || queue.remainingCapacity() <= 1 || !queue.offer(r)) {
            long d = dropped.incrementAndGet();
            HookEvents.deliver(listener, new HookEvent.Dropped(stream, segment.location(), "metadata", d), LOG);
        }
    }

    private void loop() {
        while (true) {
            Report r;
            try {
                r = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (r == STOP) {
                return;
            }
            if (!send(r)) {
                return; // interrupted
            }
        }
    }

    /** Sends one report with retries; false when interrupted. */
    private boolean send(Report r) {
        HttpRequest request = HttpRequest.newBuilder(endpoint).timeout(requestTimeout)
                .header("Content-Type", "application/json; charset=utf-8")
                .header("User-Agent", "capstan-metadata")
                .POST(HttpRequest.BodyPublishers.ofString(r.json(), StandardCharsets.UTF_8)).build();
        int status = -1;
        String reason = "";
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                requests.incrementAndGet();
                HttpResponse<String> resp = client.send(request, HttpResponse.BodyHandlers.ofString());
                status = resp.statusCode();
                if (status / 100 == 2) {
                    LOG.debug("reported {} to {} ({} attempt(s))", r.location(), endpoint, attempt);
                    HookEvents.deliver(listener, new HookEvent.ReportDelivered(r.stream(), r.location(), attempt,
                            status), LOG);
                    return true;
                }
                reason = "HTTP " + status + answer(resp.body());
                if (status / 100 == 4 && status != 408 && status != 429) {
                    return failed(r, attempt, status, reason + " (not retried)");
                }
            } catch (HttpTimeoutException e) {
                status = -1;
                reason = "no answer within " + requestTimeout.toMillis() + " ms";
            } catch (IOException e) {
                status = -1;
                reason = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            } catch (InterruptedException e) {
                failed(r, attempt, -1, "interrupted (reporter closed)");
                return false;
            }
            if (attempt < attempts) {
                LOG.debug("report of {} to {} failed ({}), attempt {} of {}", r.location(), endpoint, reason, attempt,
                        attempts);
                try {
                    Thread.sleep(backoff.toMillis() << Math.min(attempt - 1, 10));
                } catch (InterruptedException e) {
                    failed(r, attempt, status, reason + "; interrupted (reporter closed)");
                    return false;
                }
            }
        }
        return failed(r, attempts, status, reason);
    }

    private static String answer(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        String b = body.strip();
        return ": " + (b.length() > 200 ? b.substring(0, 200) + "..." : b);
    }

    private boolean failed(Report r, int attempt, int status, String reason) {
        LOG.warn("could not report {} to {} after {} attempt(s): {}", r.location(), endpoint, attempt, reason);
        HookEvents.deliver(listener, new HookEvent.ReportFailed(r.stream(), r.location(), attempt, status, reason),
                LOG);
        return true;
    }

    /**
     * Stops taking segments and sends what is queued for up to {@code wait}; then gives up on the rest (the
     * request in flight is abandoned). Returns true when everything queued was sent (or failed) in time.
     */
    public boolean close(Duration wait) {
        closed = true;
        queue.offer(STOP);
        try {
            worker.join(Math.max(1, wait.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (worker.isAlive()) {
            worker.interrupt();
            return false;
        }
        return true;
    }

    /** {@link #close(Duration)} allowing one full round of attempts. */
    @Override
    public void close() {
        close(requestTimeout.multipliedBy(attempts).plus(backoff.multipliedBy(1L << Math.min(attempts, 10))));
    }

    /** Configures a {@link MetadataReporter}. */
    public static final class Builder {
        private final URI endpoint;
        private String nodeAlias;
        private int attempts = 3;
        private Duration requestTimeout = Duration.ofSeconds(10);
        private Duration backoff = Duration.ofMillis(500);
        private int queueCapacity = 256;
        private HookListener listener = HookListener.NONE;

        private Builder(URI endpoint) {
            Objects.requireNonNull(endpoint, "endpoint");
            String scheme = endpoint.getScheme();
            if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                    || endpoint.getHost() == null) {
                throw new IllegalArgumentException("metadata URL must be http(s)://host/...: " + endpoint);
            }
            this.endpoint = endpoint;
        }

        /** This recorder's name in the cluster ({@code "node"} in the JSON; omitted when not set). */
        public Builder nodeAlias(String v) {
            this.nodeAlias = v;
            return this;
        }

        /** Requests per segment, the first included (default 3). */
        public Builder attempts(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("attempts must be >= 1");
            }
            this.attempts = v;
            return this;
        }

        /** How long one request may take, connection included (default 10 s). */
        public Builder requestTimeout(Duration v) {
            if (v.isNegative() || v.isZero()) {
                throw new IllegalArgumentException("request timeout must be positive");
            }
            this.requestTimeout = v;
            return this;
        }

        /** Wait before the second attempt; doubled before each further one (default 500 ms). */
        public Builder backoff(Duration v) {
            this.backoff = Objects.requireNonNull(v);
            return this;
        }

        /** Reports waiting to be sent before new ones are dropped (default 256). */
        public Builder queueCapacity(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("queue capacity must be >= 1");
            }
            this.queueCapacity = v;
            return this;
        }

        public Builder listener(HookListener v) {
            this.listener = Objects.requireNonNull(v);
            return this;
        }

        public MetadataReporter build() {
            return new MetadataReporter(this);
        }
    }
}
