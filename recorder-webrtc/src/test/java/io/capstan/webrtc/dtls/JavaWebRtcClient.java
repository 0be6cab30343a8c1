package io.capstan.webrtc.dtls;

import io.capstan.webrtc.IceCredentials;
import org.bouncycastle.tls.DTLSClientProtocol;
import org.bouncycastle.tls.DTLSTransport;
import org.bouncycastle.tls.DatagramTransport;
import org.ice4j.Transport;
import org.ice4j.TransportAddress;
import org.ice4j.ice.Agent;
import org.ice4j.ice.CandidateType;
import org.ice4j.ice.Component;
import org.ice4j.ice.IceMediaStream;
import org.ice4j.ice.IceProcessingState;
import org.ice4j.ice.KeepAliveStrategy;
import org.ice4j.ice.RemoteCandidate;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Plays a browser in Java, over real sockets: an ice4j agent in the controlling role, then a Bouncy Castle DTLS
 * client with its own certificate, then SRTP with the exported keys. The certificate can differ from the one whose
 * fingerprint the offer carries (the impostor case).
 */
final class JavaWebRtcClient implements AutoCloseable {

    final IceCredentials ice;
    final DtlsCertificate certificate;
    private final Agent agent;
    private final IceMediaStream stream;
    private final Component component;
    private DTLSTransport dtls;
    SrtpSession srtp;
    TestDtlsClient tls;

    JavaWebRtcClient(DtlsCertificate certificate) throws IOException {
        this.certificate = certificate;
        this.agent = new Agent();
        agent.setControlling(true);
        this.stream = agent.createMediaStream("bundle");
        this.component = agent.createComponent(stream, 40000, 40000, 49999, KeepAliveStrategy.SELECTED_ONLY, true);
        this.ice = new IceCredentials(agent.getLocalUfrag(), agent.getLocalPassword());
    }

    /** Connects ICE to the answer's candidate; true when a pair was selected within the timeout. */
    boolean connect(IceCredentials remote, InetSocketAddress candidate, long timeoutMillis) throws InterruptedException {
        stream.setRemoteUfrag(remote.ufrag());
        stream.setRemotePassword(remote.pwd());
        component.addRemoteCandidate(new RemoteCandidate(new TransportAddress(candidate.getAddress(),
                candidate.getPort(), Transport.UDP), component, CandidateType.HOST_CANDIDATE, "1", 2130706431L, null,
                remote.ufrag()));
        agent.startConnectivityEstablishment();
        long end = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < end) {
            IceProcessingState s = agent.getState();
            if ((s == IceProcessingState.COMPLETED || s == IceProcessingState.TERMINATED)
                    && component.getSelectedPair() != null) {
                return true;
            }
            if (s == IceProcessingState.FAILED) {
                return false;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** Runs the DTLS client handshake (offering both SRTP profiles); the SRTP session when it succeeds. */
    SrtpSession handshake() throws IOException {
        tls = new TestDtlsClient(certificate, SrtpProfile.AEAD_AES_128_GCM, SrtpProfile.AES128_CM_HMAC_SHA1_80);
        dtls = new DTLSClientProtocol().connect(tls, new SocketTransport());
        srtp = SrtpSession.create(tls.keys, SrtpSession.Role.CLIENT);
        return srtp;
    }

    void send(byte[] buf, int off, int len) throws IOException {
        component.send(buf, off, len);
    }

    /** The first local host candidate address (what the server sees). */
    InetAddress localAddress() {
        return component.getLocalCandidates().get(0).getTransportAddress().getAddress();
    }

    /** Disappears without a word: no close_notify, no DELETE; the sockets just close (a killed tab). */
    void vanish() {
        dtls = null;
        agent.free();
    }

    @Override
    public void close() {
        if (dtls != null) {
            try {
                dtls.close();
            } catch (IOException ignored) {
                // the server may already be gone
            }
        }
        agent.free();
    }

    /** DTLS over the ICE component: records only (first byte 20..63), everything else is skipped. */
    private final class SocketTransport implements DatagramTransport {
        @Override
        public int getReceiveLimit() {
            return 1500;
        }

        @Override
        public int getSendLimit() {
            return 1200;
        }

        @Override
        public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(1, waitMillis));
            byte[] b = new byte[2048];
            DatagramPacket p = new DatagramPacket(b, b.length);
            while (true) {
                long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
                if (left <= 0) {
                    return -1;
                }
                component.getSocket().setSoTimeout((int) left);
                try {
                    component.getSocket().receive(p);
                } catch (SocketTimeoutException e) {
                    return -1;
                }
                int first = b[0] & 0xFF;
                if (p.getLength() > 0 && first >= 20 && first <= 63) {
                    int n = Math.min(len, p.getLength());
                    System.arraycopy(b, 0, buf, off, n);
                    return n;
                }
            }
        }

        @Override
        public void send(byte[] buf, int off, int len) throws IOException {
            component.send(Arrays.copyOfRange(buf, off, off + len), 0, len);
        }

        @Override
        public void close() {
        }
    }
}
