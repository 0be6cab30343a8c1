package io.capstan.webrtc.ice;

import io.capstan.webrtc.IceCredentials;
import org.ice4j.Transport;
import org.ice4j.TransportAddress;
import org.ice4j.ice.Agent;
import org.ice4j.ice.CandidatePair;
import org.ice4j.ice.CandidateType;
import org.ice4j.ice.Component;
import org.ice4j.ice.IceMediaStream;
import org.ice4j.ice.IceProcessingState;
import org.ice4j.ice.KeepAliveStrategy;
import org.ice4j.ice.RemoteCandidate;
import org.ice4j.ice.harvest.SinglePortUdpHarvester;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.beans.PropertyChangeEvent;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One WHIP resource's ICE agent (ice4j, RFC 8445): a full agent in the controlled role, as the browser controls.
 * Its host candidates are the shared {@link IcePorts}; the browser's addresses come from the offer, from trickled
 * candidates, or, usually (browsers offer mDNS names), as peer-reflexive candidates learnt from its checks.
 *
 * <p>The session ends itself, once, through {@link Listener#ended}: when ICE fails, when it does not connect within
 * the connect timeout, or when consent expires (RFC 7675: the agent sends a consent check on the selected pair about
 * every 15 s and the session ends when none was answered for the consent timeout, 30 s by default).
 */
public final class IceSession implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(IceSession.class);
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "capstan-ice-watchdog");
        t.setDaemon(true);
        return t;
    });

    /** What the session tells its owner. Called from ice4j's or the watchdog's threads. */
    public interface Listener {

        /** A pair was nominated: media flows with {@code remote}. */
        void connected(InetSocketAddress remote);

        /** The session ended on its own; {@code reason} is a sentence. Not called after {@link #close()}. */
        void ended(String reason);
    }

    private final Agent agent;
    private final IceMediaStream stream;
    private final Component component;
    private final AtomicBoolean over = new AtomicBoolean();
    private volatile Listener listener;
    private final AtomicBoolean connectedOnce = new AtomicBoolean();
    private volatile boolean connected;
    private volatile long connectedAtMillis;
    private volatile ScheduledFuture<?> watch;

    private IceSession(Agent agent, IceMediaStream stream, Component component) {
        this.agent = agent;
        this.stream = stream;
        this.component = component;
    }

    /** A new agent on the shared ports; its credentials go into the answer. */
    public static IceSession create(IcePorts ports) throws IOException {
        Agent agent = new Agent();
        try {
            agent.setControlling(false);
            agent.setUseDynamicPorts(false);
            agent.setPerformConsentFreshness(true);
            for (SinglePortUdpHarvester h : ports.harvesters()) {
                agent.addCandidateHarvester(h);
            }
            IceMediaStream stream = agent.createMediaStream("bundle");
            Component component = agent.createComponent(stream, KeepAliveStrategy.SELECTED_ONLY, true);
            if (component.getLocalCandidateCount() == 0) {
                throw new IOException("no host candidate could be gathered on " + ports.candidates());
            }
            return new IceSession(agent, stream, component);
        } catch (IOException | RuntimeException e) {
            agent.free();
            throw e;
        }
    }

    /** The username fragment and password of this agent, for the answer. */
    public IceCredentials localCredentials() {
        return new IceCredentials(agent.getLocalUfrag(), agent.getLocalPassword());
    }

    /**
     * Starts connectivity establishment.
     *
     * @param remote           the browser's credentials from the offer
     * @param remoteCandidates the offer's {@code a=candidate} values; unusable ones (mDNS, TCP, RTCP component)
     *                         are skipped
     */
    public void start(IceCredentials remote, List<String> remoteCandidates, Duration connectTimeout,
                      Duration consentTimeout, Listener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        stream.setRemoteUfrag(remote.ufrag());
        stream.setRemotePassword(remote.pwd());
        for (String c : remoteCandidates) {
            RemoteCandidate rc = parse(c, remote.ufrag());
            if (rc != null) {
                component.addRemoteCandidate(rc);
            }
        }
        agent.addStateChangeListener(this::stateChanged);
        long connectDeadline = System.currentTimeMillis() + connectTimeout.toMillis();
        long consentMillis = consentTimeout.toMillis();
        watch = WATCHDOG.scheduleWithFixedDelay(() -> check(connectDeadline, connectTimeout, consentMillis),
                500, 500, TimeUnit.MILLISECONDS);
        agent.startConnectivityEstablishment();
    }

    /** Adds trickled candidates (RFC 8840); unusable ones are skipped. */
    public void addRemoteCandidates(List<String> candidates) {
        boolean added = false;
        for (String c : candidates) {
            RemoteCandidate rc = parse(c, stream.getRemoteUfrag());
            if (rc != null) {
                component.addUpdateRemoteCandidates(rc);
                added = true;
            }
        }
        if (added) {
            component.updateRemoteCandidates();
        }
    }

    /** The socket media arrives on once connected (STUN is taken out by ice4j). */
    public DatagramSocket socket() {
        return component.getSocket();
    }

    /** Sends a datagram on the selected pair. */
    public void send(byte[] buf, int off, int len) throws IOException {
        component.send(buf, off, len);
    }

    /** Whether a pair was nominated. */
    public boolean isConnected() {
        return connected;
    }

    private void stateChanged(PropertyChangeEvent e) {
        if (!Agent.PROPERTY_ICE_PROCESSING_STATE.equals(e.getPropertyName())) {
            return;
        }
        IceProcessingState s = (IceProcessingState) e.getNewValue();
        if ((s == IceProcessingState.COMPLETED || s == IceProcessingState.TERMINATED) && !connected) {
            CandidatePair p = component.getSelectedPair();
            if (p == null || !connectedOnce.compareAndSet(false, true)) {
                return;
            }
            connected = true;
            connectedAtMillis = System.currentTimeMillis();
            TransportAddress r = p.getRemoteCandidate().getTransportAddress();
            InetSocketAddress remote = new InetSocketAddress(r.getAddress(), r.getPort());
            LOG.debug("ICE connected: {} <-> {}", p.getLocalCandidate().getTransportAddress(), remote);
            Listener l = listener;
            if (l != null && !over.get()) {
                l.connected(remote);
            }
        } else if (s == IceProcessingState.FAILED) {
            end("ICE failed: no candidate pair with the browser worked");
        }
    }

    private void check(long connectDeadline, Duration connectTimeout, long consentMillis) {
        long now = System.currentTimeMillis();
        if (!connected) {
            if (now > connectDeadline) {
                end("ICE did not connect within " + connectTimeout.toSeconds() + " s (no working candidate pair;"
                        + " is the host candidate " + describeLocal() + " reachable from the browser?)");
            }
            return;
        }
        CandidatePair p = component.getSelectedPair();
        long last = Math.max(connectedAtMillis, p == null ? 0 : p.getConsentFreshness());
        if (now - last > consentMillis) {
            end(String.format(Locale.ROOT, "ICE consent expired: no answer to consent checks for %.1f s"
                    + " (RFC 7675)", (now - last) / 1000.0));
        }
    }

    private String describeLocal() {
        return component.getLocalCandidates().stream().map(c -> c.getTransportAddress().toString()).toList()
                .toString();
    }

    private void end(String reason) {
        if (!over.compareAndSet(false, true)) {
            return;
        }
        ScheduledFuture<?> w = watch;
        if (w != null) {
            w.cancel(false);
        }
        LOG.debug("ICE session ended: {}", reason);
        Listener l = listener;
        if (l != null) {
            l.ended(reason);
        }
    }

    /** Frees the agent (its candidates leave the shared ports). Idempotent; the listener is not called. */
    @Override
    public void close() {
        over.set(true);
        ScheduledFuture<?> w = watch;
        if (w != null) {
            w.cancel(false);
        }
        agent.free();
    }

    /**
     * An RFC 8839 candidate value ({@code foundation component transport priority address port typ type ...}) as
     * an ice4j remote candidate, or null when it cannot be used: not component 1 (RTCP is muxed), not UDP, or an
     * address that is a name (mDNS {@code .local}; names are never looked up).
     */
    static RemoteCandidate parse(String value, String ufrag, Component component) {
        String[] t = value.trim().split("\\s+");
        if (t.length < 8 || !t[6].equalsIgnoreCase("typ")) {
            return null;
        }
        try {
            if (Integer.parseInt(t[1]) != 1 || !t[2].equalsIgnoreCase("udp")) {
                return null;
            }
            long priority = Long.parseLong(t[3]);
            InetAddress address = literal(t[4]);
            int port = Integer.parseInt(t[5]);
            CandidateType type = CandidateType.parse(t[7].toLowerCase(Locale.ROOT));
            if (address == null || port <= 0 || port > 65535 || type == null) {
                return null;
            }
            return new RemoteCandidate(new TransportAddress(address, port, Transport.UDP), component, type, t[0],
                    priority, null, ufrag);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private RemoteCandidate parse(String value, String ufrag) {
        RemoteCandidate rc = parse(value, ufrag, component);
        if (rc == null) {
            LOG.debug("skipping remote candidate '{}'", value);
        }
        return rc;
    }

    /** An IPv4 or IPv6 literal, never a name lookup; null for anything else. */
    public static InetAddress literal(String s) {
        boolean v4 = s.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = s.indexOf(':') >= 0 && s.matches("[0-9A-Fa-f:.]+");
        if (!v4 && !v6) {
            return null;
        }
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
