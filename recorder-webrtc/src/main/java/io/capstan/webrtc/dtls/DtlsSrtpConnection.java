package io.capstan.webrtc.dtls;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.DTLSTransport;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An established DTLS-SRTP association with the browser: the negotiated profile, the keys and the
 * {@link SrtpSession} made from them, and one reader thread that keeps reading DTLS records after the handshake
 * (a retransmitted Finished is answered, application data — a data channel Capstan did not negotiate — is
 * ignored) until the browser sends close_notify or a fatal alert, which it reports to the {@link CloseListener}.
 *
 * <p>{@link #close()} sends close_notify, releases the transport and ends the reader thread.
 */
public final class DtlsSrtpConnection implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DtlsSrtpConnection.class);
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final long JOIN_MILLIS = 2000;

    private final DTLSTransport dtls;
    private final PacketQueueTransport transport;
    private final SrtpTlsServer server;
    private final CloseListener listener;
    private final SrtpKeys keys;
    private final SrtpSession srtp;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread reader;

    DtlsSrtpConnection(DTLSTransport dtls, PacketQueueTransport transport, SrtpTlsServer server,
                       CloseListener listener) {
        this.dtls = dtls;
        this.transport = transport;
        this.server = server;
        this.listener = listener;
        this.keys = server.keys();
        this.srtp = SrtpSession.create(keys, SrtpSession.Role.SERVER);
        this.reader = new Thread(this::read, "capstan-dtls-" + THREADS.incrementAndGet());
        reader.setDaemon(true);
        reader.start();
    }

    /** The SRTP protection profile the handshake chose. */
    public SrtpProfile profile() {
        return keys.profile();
    }

    /** The exported SRTP master keys and salts. */
    public SrtpKeys keys() {
        return keys;
    }

    /** SRTP for this association as the DTLS server: unprotects the browser's packets, protects Capstan's RTCP. */
    public SrtpSession srtp() {
        return srtp;
    }

    /** Whether the association has ended, by {@link #close()} or by the browser. */
    public boolean isClosed() {
        return closed.get();
    }

    /** Sends close_notify, closes the transport and waits for the reader thread to end. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                dtls.close(); // close_notify, then the transport: the reader's receive fails and it returns
            } catch (IOException e) {
                LOG.debug("DTLS close: {}", e.toString());
            } finally {
                transport.close();
            }
        }
        if (Thread.currentThread() != reader) {
            try {
                reader.join(JOIN_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void read() {
        byte[] buf = new byte[transport.getReceiveLimit()];
        String reason;
        try {
            while (true) {
                int n = dtls.receive(buf, 0, buf.length, 0);
                if (n >= 0) {
                    LOG.debug("ignored {} bytes of DTLS application data", n);
                } else if (server.alertReceived() == AlertDescription.close_notify) {
                    break;
                }
            }
            reason = peerReason(null);
        } catch (TlsFatalAlertReceived e) {
            reason = "the browser ended the DTLS association with fatal alert "
                    + AlertDescription.getText(e.getAlertDescription());
        } catch (IOException | RuntimeException e) {
            reason = peerReason(e);
        }
        transport.close();
        if (closed.compareAndSet(false, true)) {
            try {
                listener.closed(reason);
            } catch (RuntimeException e) {
                LOG.warn("DTLS close listener failed: {}", e.toString());
            }
        }
    }

    private String peerReason(Exception e) {
        short alert = server.alertReceived();
        if (alert == AlertDescription.close_notify) {
            return "the browser closed the DTLS association (close_notify)";
        }
        if (alert >= 0 && server.alertFatal()) {
            return "the browser ended the DTLS association with fatal alert " + AlertDescription.getText(alert);
        }
        return "the DTLS transport failed: " + (e == null ? "closed" : e.getMessage());
    }
}
