package io.capstan.webrtc.dtls;

import io.capstan.webrtc.DtlsFingerprint;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Objects;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.DTLSServerProtocol;
import org.bouncycastle.tls.DTLSTransport;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.bouncycastle.tls.TlsTimeoutException;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/**
 * The passive (server) side of DTLS-SRTP for one negotiated offer: Capstan answers {@code a=setup:passive}, the
 * browser connects. {@link #accept} runs the DTLS 1.2 handshake (Bouncy Castle's {@link DTLSServerProtocol}) on
 * the caller's thread over a {@link PacketQueueTransport}, checks the browser's certificate against the offer's
 * {@code a=fingerprint} and returns the established {@link DtlsSrtpConnection} with its SRTP session.
 *
 * <p>No thread outlives a failed handshake: it runs on the caller's thread and ends with a
 * {@link DtlsHandshakeException} on failure, on timeout, or when another thread closes the transport.
 */
public final class DtlsSrtpServer {

    /** How long a handshake may take, from the start of {@link #accept} to the browser's Finished. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    private static final SecureRandom RANDOM = new SecureRandom();

    private final DtlsCertificate certificate;
    private final DtlsFingerprint browserFingerprint;
    private final Duration handshakeTimeout;

    /** A server with the default 10 s handshake timeout. */
    public DtlsSrtpServer(DtlsCertificate certificate, DtlsFingerprint browserFingerprint) {
        this(certificate, browserFingerprint, DEFAULT_HANDSHAKE_TIMEOUT);
    }

    /**
     * @param browserFingerprint the offer's {@code a=fingerprint}: sha-1, sha-224, sha-256, sha-384 or sha-512
     * @throws IllegalArgumentException for another hash function, or a timeout not between 1 ms and 24 days
     */
    public DtlsSrtpServer(DtlsCertificate certificate, DtlsFingerprint browserFingerprint, Duration handshakeTimeout) {
        this.certificate = Objects.requireNonNull(certificate, "certificate");
        this.browserFingerprint = Objects.requireNonNull(browserFingerprint, "browserFingerprint");
        if (Fingerprints.jdkAlgorithm(browserFingerprint.algorithm()) == null) {
            throw new IllegalArgumentException("unsupported a=fingerprint hash function '"
                    + browserFingerprint.algorithm() + "' (sha-1, sha-224, sha-256, sha-384 or sha-512)");
        }
        if (handshakeTimeout.toMillis() < 1 || handshakeTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("handshake timeout out of range: " + handshakeTimeout);
        }
        this.handshakeTimeout = handshakeTimeout;
    }

    /**
     * Runs the handshake over {@code transport} and returns the association, whose reader thread then watches for
     * the browser's close_notify or alert and reports it to {@code onClosed}. On failure the transport is closed.
     *
     * @throws DtlsHandshakeException why the handshake failed
     */
    public DtlsSrtpConnection accept(PacketQueueTransport transport, CloseListener onClosed)
            throws DtlsHandshakeException {
        Objects.requireNonNull(onClosed, "onClosed");
        SrtpTlsServer server = new SrtpTlsServer(new BcTlsCrypto(RANDOM), certificate, browserFingerprint,
                (int) handshakeTimeout.toMillis());
        DTLSTransport dtls;
        try {
            dtls = new DTLSServerProtocol().accept(server, transport);
        } catch (IOException | RuntimeException e) {
            transport.close();
            throw new DtlsHandshakeException(reason(e, server, transport));
        }
        return new DtlsSrtpConnection(dtls, transport, server, onClosed);
    }

    private String reason(Exception e, SrtpTlsServer server, PacketQueueTransport transport) {
        if (server.failure() != null) {
            return server.failure();
        }
        if (e instanceof TlsTimeoutException) {
            return "DTLS handshake timed out after " + handshakeTimeout.toMillis() + " ms"
                    + (server.alertReceived() < 0 ? " (the browser never completed it)" : "");
        }
        if (e instanceof TlsFatalAlertReceived r) {
            return "the browser aborted the DTLS handshake with alert "
                    + AlertDescription.getText(r.getAlertDescription());
        }
        if (e instanceof TlsFatalAlert a) {
            return "DTLS handshake failed: " + AlertDescription.getText(a.getAlertDescription())
                    + (a.getCause() != null ? " (" + a.getCause().getMessage() + ")" : "");
        }
        if (transport.isClosed()) {
            return "DTLS handshake cancelled: the transport was closed";
        }
        return "DTLS handshake failed: " + e.getMessage();
    }
}
