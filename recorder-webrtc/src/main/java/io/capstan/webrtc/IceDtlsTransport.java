package io.capstan.webrtc;

import io.capstan.media.Codec;
import io.capstan.media.MediaKind;
import io.capstan.rtp.RtcpParser;
import io.capstan.rtp.SenderReport;
import io.capstan.webrtc.dtls.DtlsCertificate;
import io.capstan.webrtc.dtls.DtlsHandshakeException;
import io.capstan.webrtc.dtls.DtlsSrtpConnection;
import io.capstan.webrtc.dtls.DtlsSrtpServer;
import io.capstan.webrtc.dtls.PacketQueueTransport;
import io.capstan.webrtc.dtls.SrtpSession;
import io.capstan.webrtc.dtls.SrtpStats;
import io.capstan.webrtc.ice.IcePorts;
import io.capstan.webrtc.ice.IceSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * The real {@link WebRtcTransport}: ICE with ice4j on shared UDP ports ({@link IcePorts}), DTLS-SRTP as the passive
 * side with Bouncy Castle ({@link DtlsSrtpServer}), and the RTCP a receiver owes its sender.
 *
 * <p>Per resource, once ICE has nominated a pair, one receive thread demultiplexes what arrives (RFC 7983): DTLS
 * records go to the handshake (then to the association's reader, which notices close_notify), SRTP and SRTCP are
 * authenticated and decrypted in place and handed to the {@link RtpSink}. A packet that fails authentication or is
 * replayed is dropped and counted ({@link Handle#stats()}). Every second a receiver report goes back (RFC 3550; the
 * sender's congestion control reads its loss and jitter); {@link Handle#requestKeyframe} sends a PLI, at most one per
 * SSRC every {@link Builder#keyframeInterval(Duration)}; sequence gaps on video are NACKed once (RFC 4585) when the
 * answer kept {@code a=rtcp-fb nack}.
 *
 * <p>The resource ends itself through {@link RtpSink#closed} when ICE fails or does not connect, consent expires
 * (RFC 7675), the publisher sends nothing for the idle timeout, the DTLS handshake fails (a certificate that does not match the offer's fingerprint, no common SRTP
 * profile, timeout), or the browser ends the DTLS association.
 */
public final class IceDtlsTransport implements WebRtcTransport, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(IceDtlsTransport.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final IcePorts ports;
    private final DtlsCertificate certificate;
    private final Duration connectTimeout;
    private final Duration consentTimeout;
    private final Duration handshakeTimeout;
    private final long keyframeIntervalNanos;
    private final Duration reportInterval;
    private final long idleTimeoutNanos;
    private final ScheduledExecutorService timer;
    private final SecureRandom random = new SecureRandom();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Map<Connection, Boolean> live = new ConcurrentHashMap<>();

    private IceDtlsTransport(Builder b, IcePorts ports) {
        this.ports = ports;
        this.certificate = b.certificate != null ? b.certificate : DtlsCertificate.generate();
        this.connectTimeout = b.connectTimeout;
        this.consentTimeout = b.consentTimeout;
        this.handshakeTimeout = b.handshakeTimeout;
        this.keyframeIntervalNanos = b.keyframeInterval.toNanos();
        this.reportInterval = b.reportInterval;
        this.idleTimeoutNanos = b.idleTimeout.toNanos();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "capstan-webrtc-rtcp");
            t.setDaemon(true);
            return t;
        });
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The host candidates every answer carries. */
    public List<InetSocketAddress> candidates() {
        return ports.candidates();
    }

    /** The fingerprint of the certificate every DTLS handshake presents. */
    public DtlsFingerprint fingerprint() {
        return certificate.fingerprint();
    }

    /** Answer options for this transport: its fingerprint and candidates, and what the recorder can write. */
    public AnswerOptions answerOptions(Predicate<List<Codec>> canRecord) {
        return AnswerOptions.of(fingerprint(), candidates(), canRecord);
    }

    /** Resources that are running. */
    public int liveConnections() {
        return live.size();
    }

    @Override
    public Pending prepare() throws IOException {
        if (closed.get()) {
            throw new IOException("the WebRTC transport is closed");
        }
        IceSession ice = IceSession.create(ports);
        return new Pending() {
            private final AtomicBoolean used = new AtomicBoolean();

            @Override
            public IceCredentials localIce() {
                return ice.localCredentials();
            }

            @Override
            public Handle start(Negotiation negotiation, RtpSink sink) throws IOException {
                if (!used.compareAndSet(false, true)) {
                    throw new IllegalStateException("a pending resource starts once");
                }
                if (closed.get()) {
                    ice.close();
                    throw new IOException("the WebRTC transport is closed");
                }
                Connection c = new Connection(ice, negotiation, sink);
                live.put(c, Boolean.TRUE);
                c.start();
                return c;
            }

            @Override
            public void cancel() {
                if (used.compareAndSet(false, true)) {
                    ice.close();
                }
            }
        };
    }

    /** Ends every resource's transport (without calling their sinks back) and releases the ports. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            for (Connection c : List.copyOf(live.keySet())) {
                c.close();
            }
            timer.shutdownNow();
            ports.close();
        }
    }

    /** Media SSRCs a resource keeps reception statistics for (a publisher sends one or two per track). */
    private static final int MAX_RECEPTIONS = 16;

    /** At most this many packets wait for the end of the DTLS handshake (about 1 s of a 2 Mbit/s stream). */
    private static final int MAX_EARLY_PACKETS = 256;

    private record Early(byte[] bytes, long arrivalNanos) {
    }

    /** One resource: its ICE session, DTLS association, SRTP, receive thread and RTCP. */
    private final class Connection implements Handle, IceSession.Listener {
        private final IceSession ice;
        private final Negotiation negotiation;
        private final RtpSink sink;
        private final long localSsrc = new SecureRandom().nextInt() & 0xFFFFFFFFL;
        private final int id = THREADS.incrementAndGet();
        private final AtomicBoolean over = new AtomicBoolean();
        private final PacketQueueTransport dtlsIo;
        /**
         * Per media SSRC, in the order first seen: written by the receive thread only (a copy-on-write array, so
         * the report timer reads a consistent snapshot and the per-packet lookup neither locks nor boxes).
         */
        private volatile Reception[] receptions = new Reception[0];
        private final Map<Long, Long> lastPli = new ConcurrentHashMap<>();
        private final Map<Integer, NegotiatedTrack> byPayloadType = new LinkedHashMap<>();
        /** Per RTP payload type (0-127): whether sequence gaps are NACKed. */
        private final boolean[] nackable = new boolean[128];
        private final byte[] rtcpOut = new byte[1500];
        private final AtomicLong notKeyed = new AtomicLong();
        /** Packets that arrived before the SRTP keys; only the receive thread touches it. */
        private final List<Early> early = new ArrayList<>();
        private final AtomicLong unknown = new AtomicLong();
        private final AtomicLong nacksSent = new AtomicLong();
        private final AtomicLong plisSent = new AtomicLong();
        private final AtomicLong reportsSent = new AtomicLong();
        private volatile DtlsSrtpConnection dtls;
        private volatile SrtpSession srtp;
        private volatile Thread receiver;
        private volatile ScheduledFuture<?> reports;
        private volatile long lastReceiveNanos = System.nanoTime();

        Connection(IceSession ice, Negotiation negotiation, RtpSink sink) {
            this.ice = ice;
            this.negotiation = negotiation;
            this.sink = sink;
            this.dtlsIo = new PacketQueueTransport(ice::send);
            for (NegotiatedTrack t : negotiation.tracks()) {
                int pt = t.spec().payloadType();
                byPayloadType.put(pt, t);
                // gaps are NACKed on video whose answer kept generic NACK feedback (RFC 4585 section 4.2)
                nackable[pt] = t.spec().codec().kind() == MediaKind.VIDEO
                        && negotiation.answerSdp().contains("a=rtcp-fb:" + pt + " nack\r\n");
            }
        }

        void start() {
            ice.start(negotiation.remoteIce(), negotiation.remoteCandidates(), connectTimeout, consentTimeout, this);
        }

        @Override
        public void connected(InetSocketAddress remote) {
            if (over.get()) {
                return;
            }
            LOG.debug("resource {}: ICE connected to {}", id, remote);
            Thread rx = new Thread(this::receive, "capstan-webrtc-rx-" + id);
            rx.setDaemon(true);
            receiver = rx;
            rx.start();
            Thread hs = new Thread(this::handshake, "capstan-dtls-handshake-" + id);
            hs.setDaemon(true);
            hs.start();
        }

        @Override
        public void ended(String reason) {
            fail(reason);
        }

        private void handshake() {
            DtlsSrtpServer server = new DtlsSrtpServer(certificate, negotiation.remoteFingerprint(), handshakeTimeout);
            try {
                DtlsSrtpConnection c = server.accept(dtlsIo, reason -> fail(reason));
                dtls = c;
                srtp = c.srtp();
                ScheduledFuture<?> r = timer.scheduleAtFixedRate(this::report, reportInterval.toMillis(),
                        reportInterval.toMillis(), TimeUnit.MILLISECONDS);
                reports = r;
                if (over.get()) { // closed while the handshake finished: release() may have missed these
                    r.cancel(false);
                    c.close();
                    return;
                }
                LOG.debug("resource {}: DTLS-SRTP established ({})", id, c.profile());
            } catch (DtlsHandshakeException e) {
                fail("DTLS handshake failed: " + e.getMessage());
            } catch (RuntimeException e) {
                LOG.warn("resource {}: DTLS handshake failed", id, e);
                fail("DTLS handshake failed: " + e);
            }
        }

        /** The receive loop: RFC 7983 demultiplexing by the first byte. */
        private void receive() {
            byte[] buf = new byte[2048];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            var socket = ice.socket();
            while (!over.get()) {
                try {
                    p.setData(buf, 0, buf.length);
                    socket.receive(p);
                } catch (SocketException e) {
                    break; // closed
                } catch (IOException e) {
                    if (!over.get()) {
                        LOG.debug("resource {}: receive failed: {}", id, e.toString());
                    }
                    break;
                }
                long now = System.nanoTime();
                lastReceiveNanos = now;
                int len = p.getLength();
                if (len < 1) {
                    continue;
                }
                int b0 = buf[0] & 0xFF;
                if (b0 >= 20 && b0 <= 63) {
                    dtlsIo.offer(buf, 0, len);
                } else if (b0 >= 128 && b0 <= 191) {
                    media(buf, len, now);
                } else if (b0 > 3) {
                    unknown.incrementAndGet(); // STUN (0-3) is ice4j's; TURN channels and the rest are not ours
                }
            }
        }

        private void media(byte[] buf, int len, long now) {
            SrtpSession s = srtp;
            if (s == null) {
                early(buf, len, now);
                return;
            }
            if (!early.isEmpty()) {
                drainEarly(s);
            }
            unprotect(s, buf, len, now);
        }

        /**
         * Keeps a packet that came before this side's handshake finished: the browser starts sending as soon as it
         * has the keys, a few milliseconds before the server side has made its SRTP session, and those first
         * packets are the keyframe the recording starts with. Bounded; beyond it packets are counted and dropped.
         */
        private void early(byte[] buf, int len, long now) {
            if (early.size() >= MAX_EARLY_PACKETS) {
                notKeyed.incrementAndGet();
                return;
            }
            early.add(new Early(java.util.Arrays.copyOf(buf, len), now));
        }

        private void drainEarly(SrtpSession s) {
            for (Early e : early) {
                unprotect(s, e.bytes, e.bytes.length, e.arrivalNanos);
            }
            early.clear();
        }

        private void unprotect(SrtpSession s, byte[] buf, int len, long now) {
            if (RtcpParser.looksLikeRtcp(buf, 0, len)) {
                int n = s.unprotectRtcp(buf, 0, len);
                if (n < 0) {
                    return; // counted by the SRTP session
                }
                RtcpParser.parse(buf, 0, n, new RtcpParser.Visitor() {
                    @Override
                    public void senderReport(SenderReport sr) {
                        Reception r = reception(sr.ssrc());
                        if (r != null) {
                            r.senderReport(sr.ntpTimestamp(), now);
                        }
                    }
                });
                sink.packet(buf, 0, n, now);
                return;
            }
            int n = s.unprotectRtp(buf, 0, len);
            if (n < 0 || n < 12) {
                return;
            }
            long ssrc = io.capstan.rtp.RtpPacket.readUint32(buf, 8);
            int pt = buf[1] & 0x7F;
            NegotiatedTrack track = byPayloadType.get(pt);
            if (track != null) {
                Reception r = reception(ssrc);
                if (r == null && receptions.length < MAX_RECEPTIONS) {
                    r = new Reception(ssrc, track.spec().clockRate());
                    Reception[] grown = java.util.Arrays.copyOf(receptions, receptions.length + 1);
                    grown[grown.length - 1] = r;
                    receptions = grown;
                }
                if (r != null) {
                    int seq = ((buf[2] & 0xFF) << 8) | (buf[3] & 0xFF);
                    int gap = r.packet(seq, io.capstan.rtp.RtpPacket.readUint32(buf, 4), now);
                    if (gap > 0 && gap <= 17 && nackable[pt]) {
                        sendNack(ssrc, (seq - gap) & 0xFFFF, gap);
                    }
                }
            }
            sink.packet(buf, 0, n, now);
        }

        private Reception reception(long ssrc) {
            for (Reception r : receptions) {
                if (r.ssrc == ssrc) {
                    return r;
                }
            }
            return null;
        }

        private void sendNack(long mediaSsrc, int firstSeq, int count) {
            synchronized (rtcpOut) {
                int n = Rtcp.nack(rtcpOut, 0, localSsrc, mediaSsrc, firstSeq, count);
                if (sendRtcp(n)) {
                    nacksSent.incrementAndGet();
                }
            }
        }

        private void report() {
            if (over.get()) {
                return;
            }
            long silent = System.nanoTime() - lastReceiveNanos;
            if (silent > idleTimeoutNanos) {
                fail(String.format(java.util.Locale.ROOT, "the publisher sent nothing for %.1f s", silent / 1e9));
                return;
            }
            List<Reception> started = new ArrayList<>();
            for (Reception r : receptions) {
                if (r.started()) {
                    started.add(r);
                }
            }
            synchronized (rtcpOut) {
                int n = Rtcp.receiverReport(rtcpOut, 0, localSsrc, started.toArray(new Reception[0]),
                        started.size(), System.nanoTime());
                if (sendRtcp(n)) {
                    reportsSent.incrementAndGet();
                }
            }
        }

        @Override
        public void requestKeyframe(long mediaSsrc) {
            long ssrc = mediaSsrc;
            if (ssrc == 0) {
                ssrc = videoSsrc();
                if (ssrc == 0) {
                    return;
                }
            }
            long now = System.nanoTime();
            Long last = lastPli.get(ssrc);
            if (last != null && now - last < keyframeIntervalNanos) {
                return;
            }
            lastPli.put(ssrc, now);
            synchronized (rtcpOut) {
                if (sendRtcp(Rtcp.pli(rtcpOut, 0, localSsrc, ssrc))) {
                    plisSent.incrementAndGet();
                }
            }
        }

        private long videoSsrc() {
            for (Reception r : receptions) {
                for (NegotiatedTrack t : negotiation.tracks()) {
                    if (t.spec().codec().kind() == MediaKind.VIDEO && t.offeredSsrcs().contains(r.ssrc)) {
                        return r.ssrc;
                    }
                }
            }
            for (NegotiatedTrack t : negotiation.tracks()) {
                if (t.spec().codec().kind() == MediaKind.VIDEO && !t.offeredSsrcs().isEmpty()) {
                    return t.offeredSsrcs().get(0);
                }
            }
            return 0;
        }

        /** Protects and sends the RTCP packet at the start of {@link #rtcpOut}; false when it could not go out. */
        private boolean sendRtcp(int len) {
            SrtpSession s = srtp;
            if (s == null || over.get()) {
                return false;
            }
            try {
                int n = s.protectRtcp(rtcpOut, 0, len);
                ice.send(rtcpOut, 0, n);
                return true;
            } catch (IOException | RuntimeException e) {
                LOG.debug("resource {}: RTCP not sent: {}", id, e.toString());
                return false;
            }
        }

        @Override
        public void remoteCandidates(List<String> candidates) {
            ice.addRemoteCandidates(candidates);
        }

        @Override
        public Map<String, Long> stats() {
            Map<String, Long> m = new LinkedHashMap<>();
            SrtpSession s = srtp;
            if (s != null) {
                SrtpStats st = s.stats();
                m.put("srtpPackets", st.rtpUnprotected());
                m.put("srtcpPackets", st.rtcpUnprotected());
                m.put("droppedAuthFailed", st.authFailed());
                m.put("droppedReplayed", st.replayed());
                m.put("droppedTooShort", st.tooShort());
                m.put("droppedMalformed", st.malformed());
                m.put("droppedTooManyStreams", st.tooManyStreams());
            }
            m.put("droppedBeforeKeys", notKeyed.get());
            m.put("droppedUnknown", unknown.get());
            m.put("dtlsQueueDropped", dtlsIo.dropped());
            long lost = 0;
            for (Reception r : receptions) {
                lost += r.lost();
            }
            m.put("packetsLost", lost);
            m.put("nacksSent", nacksSent.get());
            m.put("plisSent", plisSent.get());
            m.put("receiverReportsSent", reportsSent.get());
            return m;
        }

        /** Ends on the transport's own initiative: tells the sink once, then releases everything. */
        private void fail(String reason) {
            if (!over.compareAndSet(false, true)) {
                return;
            }
            LOG.info("resource {}: {}", id, reason);
            release();
            sink.closed(reason);
        }

        @Override
        public void close() {
            if (over.compareAndSet(false, true)) {
                release();
            }
        }

        private void release() {
            live.remove(this);
            ScheduledFuture<?> r = reports;
            if (r != null) {
                r.cancel(false);
            }
            DtlsSrtpConnection d = dtls;
            if (d != null) {
                d.close();
            }
            dtlsIo.close();
            ice.close();
            Thread rx = receiver;
            if (rx != null && rx != Thread.currentThread()) {
                try {
                    rx.join(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    public static final class Builder {
        private List<InetSocketAddress> addresses;
        private DtlsCertificate certificate;
        private Duration connectTimeout = Duration.ofSeconds(20);
        private Duration consentTimeout = Duration.ofSeconds(30);
        private Duration handshakeTimeout = DtlsSrtpServer.DEFAULT_HANDSHAKE_TIMEOUT;
        private Duration keyframeInterval = Duration.ofMillis(500);
        private Duration reportInterval = Duration.ofSeconds(1);
        private Duration idleTimeout = Duration.ofSeconds(10);

        private Builder() {
        }

        /**
         * How long a connected publisher may send nothing at all (no media, no RTCP, no DTLS) before its resource
         * ends; 10 s by default. A browser that vanishes without DELETE or close_notify (a killed tab, a lost
         * network) is noticed this way well before ICE consent expires.
         */
        public Builder idleTimeout(Duration v) {
            this.idleTimeout = positive(v, "idle timeout");
            return this;
        }

        /**
         * The host candidates: addresses to bind (port 0: a free port, shared by all of them). Default: this
         * machine's addresses ({@link IcePorts#localAddresses()}) on one free port.
         */
        public Builder addresses(List<InetSocketAddress> v) {
            this.addresses = List.copyOf(v);
            return this;
        }

        /** The DTLS certificate; a fresh ECDSA P-256 one by default. */
        public Builder certificate(DtlsCertificate v) {
            this.certificate = Objects.requireNonNull(v);
            return this;
        }

        /** How long ICE may take to nominate a pair; 20 s by default. */
        public Builder connectTimeout(Duration v) {
            this.connectTimeout = positive(v, "connect timeout");
            return this;
        }

        /** How long the browser may leave consent checks unanswered (RFC 7675); 30 s by default. */
        public Builder consentTimeout(Duration v) {
            this.consentTimeout = positive(v, "consent timeout");
            return this;
        }

        /** How long the DTLS handshake may take; 10 s by default. */
        public Builder handshakeTimeout(Duration v) {
            this.handshakeTimeout = positive(v, "handshake timeout");
            return this;
        }

        /** The least time between two PLIs for one SSRC; 500 ms by default. */
        public Builder keyframeInterval(Duration v) {
            this.keyframeInterval = Objects.requireNonNull(v);
            return this;
        }

        /** How often receiver reports go out; 1 s by default. */
        public Builder reportInterval(Duration v) {
            this.reportInterval = positive(v, "report interval");
            return this;
        }

        private static Duration positive(Duration v, String what) {
            if (v == null || v.isZero() || v.isNegative()) {
                throw new IllegalArgumentException("the " + what + " must be positive: " + v);
            }
            return v;
        }

        /**
         * Binds the ports.
         *
         * @throws IOException when an address cannot be bound
         */
        public IceDtlsTransport build() throws IOException {
            List<InetSocketAddress> a = addresses;
            if (a == null) {
                a = new ArrayList<>();
                for (InetAddress ip : IcePorts.localAddresses()) {
                    a.add(new InetSocketAddress(ip, 0));
                }
            }
            return new IceDtlsTransport(this, IcePorts.bind(a));
        }
    }
}
