package io.capstan.webrtc;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.capstan.session.RecordingEvent;
import io.capstan.session.RecordingSession;
import io.capstan.session.SegmentInfo;
import io.capstan.session.TrackSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A WHIP endpoint (RFC 9725) for the JDK's {@code com.sun.net.httpserver}: mount it on a context such as
 * {@code /whip} (or use {@link WhipServer}).
 *
 * <table>
 * <caption>Requests</caption>
 * <tr><th>request</th><th>answer</th></tr>
 * <tr><td>{@code POST /whip}, {@code application/sdp} offer</td><td>201 with the SDP answer, {@code Location:
 * /whip/{id}} (128 random bits), {@code ETag}; 400 (unusable offer), 406 (no codec the recorder can write),
 * 500/503 when the session or the transport cannot start</td></tr>
 * <tr><td>{@code DELETE /whip/{id}}</td><td>200: the transport is closed and the recording stopped (files
 * committed)</td></tr>
 * <tr><td>{@code PATCH /whip/{id}}, {@code application/trickle-ice-sdpfrag} (RFC 8840)</td><td>204: trickled
 * candidates are handed to the transport's ICE agent; 412 when {@code If-Match} is not the
 * ETag; 405 for an ICE restart (new ice-ufrag/ice-pwd), which is not supported</td></tr>
 * <tr><td>{@code OPTIONS}</td><td>204 with CORS headers (no authentication: browsers send preflights
 * without credentials)</td></tr>
 * </table>
 *
 * <p>Also: 401 with {@code WWW-Authenticate: Bearer} when a token is configured and the request does not carry it
 * (compared in constant time), 404 for an unknown resource, 405 for another method, 413 for a body over the limit
 * (64 KiB by default), 415 for another content type.
 *
 * <p>Each resource owns one {@link RecordingSession} made by the host's factory; the transport delivers decrypted
 * RTP/RTCP into it. The resource ends on DELETE, when the transport reports it closed, or on {@link #close()}: the
 * session is stopped and a {@link WhipEvent.ResourceEnded} reported.
 */
public final class WhipHandler implements HttpHandler, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WhipHandler.class);

    /**
     * Default limit of live resources: each holds an ICE agent, a few threads and a recording; offers beyond it
     * get 503 with {@code Retry-After}, so a flood of POSTs cannot exhaust the host.
     */
    public static final int DEFAULT_MAX_RESOURCES = 1000;

    /** Default request body limit: an SDP offer is a few kilobytes. */
    public static final int DEFAULT_MAX_BODY = 64 * 1024;

    private final WebRtcTransport transport;
    private final Function<SessionRequest, RecordingSession> sessionFactory;
    private final AnswerOptions answerOptions;
    private final byte[] tokenHash;
    private final String allowOrigin;
    private final int maxBody;
    private final int maxResources;
    private final Consumer<WhipEvent> events;
    private final SecureRandom random;
    private final Map<String, Resource> resources = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    /**
     * Releases packets each session holds behind a loss gap once its latency has passed
     * ({@link RecordingSession#poll}): without it a lost packet would hold a track until the next one arrives.
     */
    private final java.util.concurrent.ScheduledExecutorService poller =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "capstan-whip-poll");
                t.setDaemon(true);
                return t;
            });

    private WhipHandler(Builder b) {
        this.transport = Objects.requireNonNull(b.transport, "transport");
        this.sessionFactory = Objects.requireNonNull(b.sessionFactory, "sessionFactory");
        this.answerOptions = Objects.requireNonNull(b.answerOptions, "answerOptions");
        this.tokenHash = b.bearerToken == null ? null : sha256(b.bearerToken);
        this.allowOrigin = b.allowOrigin;
        this.maxBody = b.maxBody;
        this.maxResources = b.maxResources;
        this.events = b.events;
        this.random = b.random;
        poller.scheduleWithFixedDelay(this::pollSessions, 50, 50, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void pollSessions() {
        long now = System.nanoTime();
        for (Resource r : resources.values()) {
            RecordingSession s = r.session;
            if (s != null && !r.ended.get()) {
                try {
                    s.poll(now);
                } catch (RuntimeException e) {
                    LOG.warn("WHIP resource {}: poll failed", r.id, e);
                }
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The ids of the live resources. */
    public List<String> resourceIds() {
        return List.copyOf(resources.keySet());
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try {
            route(ex);
        } catch (RuntimeException e) {
            LOG.warn("WHIP {} {} failed", ex.getRequestMethod(), ex.getRequestURI().getPath(), e);
            respond(ex, 500, "text/plain", "internal error: " + e.getMessage());
        } finally {
            ex.close();
        }
    }

    private void route(HttpExchange ex) throws IOException {
        Headers h = ex.getResponseHeaders();
        h.set("Access-Control-Allow-Origin", allowOrigin);
        h.set("Access-Control-Expose-Headers", "Location, ETag, Link");
        if (!"*".equals(allowOrigin)) {
            h.set("Vary", "Origin");
        }
        String base = ex.getHttpContext().getPath();
        if (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        String path = ex.getRequestURI().getPath();
        String rest = path.length() > base.length() ? path.substring(base.length()) : "";
        if (rest.equals("/")) {
            rest = "";
        }
        String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
        if (method.equals("OPTIONS")) {
            h.set("Access-Control-Allow-Methods", "POST, DELETE, OPTIONS, PATCH");
            h.set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match");
            h.set("Access-Control-Max-Age", "86400");
            h.set("Allow", rest.isEmpty() ? "POST, OPTIONS" : "DELETE, PATCH, OPTIONS");
            respond(ex, 204, null, null);
            return;
        }
        if (!authorized(ex)) {
            h.set("WWW-Authenticate", "Bearer");
            respond(ex, 401, "text/plain", "a valid bearer token is required (Authorization: Bearer <token>)");
            return;
        }
        if (rest.isEmpty()) {
            if (method.equals("POST")) {
                create(ex, base);
            } else {
                h.set("Allow", "POST, OPTIONS");
                respond(ex, 405, "text/plain", method + " is not allowed on the WHIP endpoint; POST an offer");
            }
            return;
        }
        // the JDK matches contexts by string prefix: /whipx reaches a handler mounted at /whip
        String id = rest.startsWith("/") ? rest.substring(1) : "/";
        Resource r = id.indexOf('/') < 0 ? resources.get(id) : null;
        if (r == null) {
            respond(ex, 404, "text/plain", "no such WHIP resource");
            return;
        }
        switch (method) {
            case "DELETE" -> {
                r.end("deleted", "deleted by the client");
                respond(ex, 200, null, null);
            }
            case "PATCH" -> patch(ex, r);
            default -> {
                h.set("Allow", "DELETE, PATCH, OPTIONS");
                respond(ex, 405, "text/plain", method + " is not allowed on a WHIP resource");
            }
        }
    }

    private boolean authorized(HttpExchange ex) {
        if (tokenHash == null) {
            return true;
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null || auth.length() < 7 || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        // hashing first makes the comparison independent of the token's length too
        return MessageDigest.isEqual(tokenHash, sha256(auth.substring(7).trim()));
    }

    private void create(HttpExchange ex, String base) throws IOException {
        if (!contentType(ex, "application/sdp")) {
            return;
        }
        String offer = body(ex);
        if (offer == null) {
            return;
        }
        if (closed.get()) {
            respond(ex, 503, "text/plain", "the WHIP endpoint is shutting down");
            return;
        }
        if (resources.size() >= maxResources) {
            ex.getResponseHeaders().set("Retry-After", "10");
            respond(ex, 503, "text/plain", "the recorder is at its limit of " + maxResources
                    + " publishers; try again later");
            return;
        }
        WebRtcTransport.Pending pending;
        try {
            pending = transport.prepare();
        } catch (IOException | RuntimeException e) {
            LOG.warn("WHIP: the transport cannot take another resource", e);
            respond(ex, 503, "text/plain", "the WebRTC transport cannot take another resource: " + e.getMessage());
            return;
        }
        Negotiation n;
        try {
            n = OfferAnswer.answer(offer, answerOptions, pending.localIce(), pending.iceLite(), random);
        } catch (OfferException e) {
            pending.cancel();
            respond(ex, e.reason().httpStatus(), "text/plain", e.getMessage());
            return;
        }
        String id = randomToken(16);
        Resource r = new Resource(id, n, randomToken(12));
        RecordingSession session = null;
        try {
            session = sessionFactory.apply(new SessionRequest(id, n, r::onSessionEvent));
            session.start();
        } catch (RuntimeException e) {
            pending.cancel();
            if (session != null) {
                session.stop();
            }
            LOG.warn("WHIP resource {}: the recording session could not be created", id, e);
            respond(ex, 500, "text/plain", "the recording session could not be created: " + e.getMessage());
            return;
        }
        r.session = session;
        try {
            r.handle = pending.start(n, r);
        } catch (IOException | RuntimeException e) {
            pending.cancel();
            LOG.warn("WHIP resource {}: the transport could not start", id, e);
            session.stop();
            respond(ex, 503, "text/plain", "the WebRTC transport could not start: " + e.getMessage());
            return;
        }
        resources.put(id, r);
        if (r.ended.get() || closed.get()) {
            // the transport closed while starting, or the handler is closing: do not leave it in the table
            resources.remove(id, r);
            r.end("endpoint-closed", "the WHIP endpoint closed");
            respond(ex, 503, "text/plain", "the resource ended while it was being created");
            return;
        }
        events.accept(new WhipEvent.ResourceCreated(id, n.trackSpecs().stream().map(TrackSpec::id).toList()));
        LOG.info("WHIP resource {} created: {}", id, n.trackSpecs());
        Headers h = ex.getResponseHeaders();
        h.set("Location", base + "/" + id);
        h.set("ETag", r.etag);
        respond(ex, 201, "application/sdp", n.answerSdp());
    }

    /** RFC 9725 section 4.3.1 (trickle ICE, RFC 8840 fragments) and 4.3.2 (ICE restart, not supported). */
    private void patch(HttpExchange ex, Resource r) throws IOException {
        String ifMatch = ex.getRequestHeaders().getFirst("If-Match");
        if (ifMatch != null && !ifMatch.trim().equals("*") && !ifMatch.trim().equals(r.etag)) {
            respond(ex, 412, "text/plain", "If-Match does not name this resource's current ETag");
            return;
        }
        if (!contentType(ex, "application/trickle-ice-sdpfrag")) {
            return;
        }
        String frag = body(ex);
        if (frag == null) {
            return;
        }
        String ufrag = null;
        String pwd = null;
        List<String> candidates = new ArrayList<>();
        for (String raw : frag.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty()) {
                continue;
            }
            if (line.length() < 2 || line.charAt(1) != '=') {
                respond(ex, 400, "text/plain", "not an SDP fragment: '" + (line.length() > 40
                        ? line.substring(0, 40) + "..." : line) + "'");
                return;
            }
            if (line.startsWith("a=ice-ufrag:")) {
                ufrag = line.substring(12).trim();
            } else if (line.startsWith("a=ice-pwd:")) {
                pwd = line.substring(10).trim();
            } else if (line.startsWith("a=candidate:")) {
                candidates.add(line.substring(12).trim());
            }
        }
        IceCredentials remote = r.negotiation.remoteIce();
        if ((ufrag != null && !ufrag.equals(remote.ufrag())) || (pwd != null && !pwd.equals(remote.pwd()))) {
            ex.getResponseHeaders().set("Allow", "DELETE, PATCH, OPTIONS");
            respond(ex, 405, "text/plain", "ICE restart is not supported; DELETE this resource and POST a new offer");
            return;
        }
        if (!candidates.isEmpty()) {
            r.handle.remoteCandidates(List.copyOf(candidates));
        }
        respond(ex, 204, null, null);
    }

    /** False (and 415 sent) when the request's media type is not {@code expected}; parameters are ignored. */
    private boolean contentType(HttpExchange ex, String expected) throws IOException {
        String ct = ex.getRequestHeaders().getFirst("Content-Type");
        String type = ct == null ? "" : ct.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!type.equals(expected)) {
            respond(ex, 415, "text/plain", "expected Content-Type " + expected + ", got "
                    + (ct == null ? "none" : "'" + ct + "'"));
            return false;
        }
        return true;
    }

    /** The body as UTF-8, or null (and 413 sent) when it is larger than the limit. */
    private String body(HttpExchange ex) throws IOException {
        String cl = ex.getRequestHeaders().getFirst("Content-Length");
        if (cl != null) {
            try {
                if (Long.parseLong(cl.trim()) > maxBody) {
                    respond(ex, 413, "text/plain", "the body is larger than " + maxBody + " bytes");
                    return null;
                }
            } catch (NumberFormatException e) {
                // chunked or bogus: the read below enforces the limit
            }
        }
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            bytes = in.readNBytes(maxBody + 1);
        }
        if (bytes.length > maxBody) {
            respond(ex, 413, "text/plain", "the body is larger than " + maxBody + " bytes");
            return null;
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static void respond(HttpExchange ex, int status, String contentType, String body) throws IOException {
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        if (contentType != null) {
            ex.getResponseHeaders().set("Content-Type", contentType.equals("text/plain")
                    ? "text/plain; charset=utf-8" : contentType);
        }
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private String randomToken(int bytes) {
        byte[] b = new byte[bytes];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    /** Ends every resource (their recordings are stopped) and refuses new offers. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            for (Resource r : List.copyOf(resources.values())) {
                r.end("endpoint-closed", "the WHIP endpoint closed");
            }
            poller.shutdownNow();
        }
    }

    /** One WHIP resource: its negotiation, recording session and transport. */
    private final class Resource implements RtpSink {
        final String id;
        final Negotiation negotiation;
        final String etag;
        final AtomicBoolean ended = new AtomicBoolean();
        volatile RecordingSession session;
        volatile WebRtcTransport.Handle handle;

        Resource(String id, Negotiation negotiation, String etagValue) {
            this.id = id;
            this.negotiation = negotiation;
            this.etag = "\"" + etagValue + "\"";
        }

        @Override
        public void packet(byte[] buf, int off, int len, long arrivalNanos) {
            RecordingSession s = session;
            if (s != null && !ended.get()) {
                s.push(buf, off, len, arrivalNanos);
            }
        }

        @Override
        public void closed(String reason) {
            end("publisher-left", "the transport closed: " + reason);
        }

        void onSessionEvent(RecordingEvent e) {
            if (e instanceof RecordingEvent.KeyframeNeeded k) {
                WebRtcTransport.Handle h = handle;
                if (h != null) {
                    h.requestKeyframe(k.ssrc());
                }
            }
        }

        /**
         * Ends the resource once: the transport is closed and the session stopped with {@code code} and
         * {@code reason} in its final status ({@code deleted}, {@code publisher-left}, {@code endpoint-closed}).
         */
        void end(String code, String reason) {
            if (!ended.compareAndSet(false, true)) {
                return;
            }
            resources.remove(id, this);
            WebRtcTransport.Handle h = handle;
            java.util.Map<String, Long> stats = java.util.Map.of();
            if (h != null) {
                try {
                    stats = h.stats();
                    h.close();
                } catch (RuntimeException e) {
                    LOG.warn("WHIP resource {}: closing the transport failed", id, e);
                }
            }
            List<SegmentInfo> segments = List.of();
            RecordingSession s = session;
            if (s != null) {
                segments = s.stop(java.time.Duration.ofSeconds(60), code, reason);
            }
            LOG.info("WHIP resource {} ended ({}): {} segment(s); transport {}", id, reason, segments.size(), stats);
            events.accept(new WhipEvent.ResourceEnded(id, reason, segments, stats));
        }
    }

    public static final class Builder {
        private WebRtcTransport transport;
        private Function<SessionRequest, RecordingSession> sessionFactory;
        private AnswerOptions answerOptions;
        private String bearerToken;
        private String allowOrigin = "*";
        private int maxBody = DEFAULT_MAX_BODY;
        private int maxResources = DEFAULT_MAX_RESOURCES;
        private Consumer<WhipEvent> events = e -> {
        };
        private SecureRandom random = new SecureRandom();

        private Builder() {
        }

        public Builder transport(WebRtcTransport v) {
            this.transport = Objects.requireNonNull(v);
            return this;
        }

        /** Makes the (not yet started) session of a new resource; see {@link SessionRequest#applyTo}. */
        public Builder sessionFactory(Function<SessionRequest, RecordingSession> v) {
            this.sessionFactory = Objects.requireNonNull(v);
            return this;
        }

        /** The local fingerprint, host candidates and what the recorder can write. */
        public Builder answerOptions(AnswerOptions v) {
            this.answerOptions = Objects.requireNonNull(v);
            return this;
        }

        /** Requires {@code Authorization: Bearer <token>} on POST, PATCH and DELETE; none by default. */
        public Builder bearerToken(String v) {
            if (v != null && v.isBlank()) {
                throw new IllegalArgumentException("a bearer token must not be blank");
            }
            this.bearerToken = v;
            return this;
        }

        /** {@code Access-Control-Allow-Origin}; {@code *} by default. */
        public Builder allowOrigin(String v) {
            this.allowOrigin = Objects.requireNonNull(v);
            return this;
        }

        public Builder maxBodyBytes(int v) {
            if (v <= 0) {
                throw new IllegalArgumentException("the body limit must be positive: " + v);
            }
            this.maxBody = v;
            return this;
        }

        /** Live resources at most; {@value #DEFAULT_MAX_RESOURCES} by default. */
        public Builder maxResources(int v) {
            if (v <= 0) {
                throw new IllegalArgumentException("the resource limit must be positive: " + v);
            }
            this.maxResources = v;
            return this;
        }

        public Builder listener(Consumer<WhipEvent> v) {
            this.events = Objects.requireNonNull(v);
            return this;
        }

        public Builder random(SecureRandom v) {
            this.random = Objects.requireNonNull(v);
            return this;
        }

        public WhipHandler build() {
            return new WhipHandler(this);
        }
    }
}
