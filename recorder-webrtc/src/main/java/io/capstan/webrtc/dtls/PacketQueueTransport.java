package io.capstan.webrtc.dtls;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.tls.DatagramTransport;

/**
 * The datagram transport under the DTLS layer, fed by the host's socket demultiplexer: the host's receive thread
 * {@link #offer}s each DTLS datagram (first byte 20..63, RFC 7983), the DTLS thread takes them with
 * {@link #receive}, and what DTLS sends goes to the host's {@link Sender} (to the ICE-selected address).
 *
 * <p>The queue is bounded: when it is full, or after {@link #close()}, a datagram is dropped and counted
 * ({@link #dropped()}); DTLS retransmits what matters. Closing wakes a waiting {@link #receive} with an
 * {@link IOException}, which is how a handshake in progress or the reader of an established association is
 * stopped.
 */
public final class PacketQueueTransport implements DatagramTransport {

    /** Where DTLS records go: the host sends the datagram to the peer. */
    @FunctionalInterface
    public interface Sender {
        void send(byte[] buf, int off, int len) throws IOException;
    }

    /** The default send limit: a DTLS datagram fits a 1280-byte IPv6 path with UDP and TURN headers. */
    public static final int DEFAULT_MTU = 1200;
    /** The default number of datagrams waiting for the DTLS thread. */
    public static final int DEFAULT_CAPACITY = 64;
    /** The largest datagram accepted: an Ethernet MTU of UDP payload. */
    private static final int RECEIVE_LIMIT = 1500;
    private static final byte[] CLOSED = new byte[0];

    private final Sender sender;
    private final int mtu;
    private final ArrayBlockingQueue<byte[]> queue;
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean closed;

    public PacketQueueTransport(Sender sender) {
        this(sender, DEFAULT_MTU, DEFAULT_CAPACITY);
    }

    /**
     * @param mtu the largest datagram DTLS may send
     * @param capacity how many received datagrams may wait
     */
    public PacketQueueTransport(Sender sender, int mtu, int capacity) {
        if (mtu < 256 || mtu > RECEIVE_LIMIT) {
            throw new IllegalArgumentException("mtu must be 256.." + RECEIVE_LIMIT + ": " + mtu);
        }
        this.sender = Objects.requireNonNull(sender, "sender");
        this.mtu = mtu;
        this.queue = new ArrayBlockingQueue<>(capacity);
    }

    /**
     * Hands over a received DTLS datagram (copied; the caller keeps its buffer). Never blocks.
     *
     * @return false if it was dropped: queue full, transport closed, or longer than 1500 bytes
     */
    public boolean offer(byte[] buf, int off, int len) {
        if (closed || len > RECEIVE_LIMIT || !queue.offer(Arrays.copyOfRange(buf, off, off + len))) {
            dropped.incrementAndGet();
            return false;
        }
        if (closed) { // closed between the check and the offer: do not leave a datagram behind the marker
            queue.clear();
            queue.offer(CLOSED);
        }
        return true;
    }

    /** Datagrams dropped by {@link #offer} so far. */
    public long dropped() {
        return dropped.get();
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public int getReceiveLimit() {
        return RECEIVE_LIMIT;
    }

    @Override
    public int getSendLimit() {
        return mtu;
    }

    /**
     * Waits up to {@code waitMillis} (0: without limit) for a datagram.
     *
     * @return its length, or -1 if none came in time
     * @throws IOException once the transport is closed
     */
    @Override
    public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
        if (closed) {
            throw new IOException("DTLS transport closed");
        }
        byte[] datagram;
        try {
            datagram = waitMillis == 0 ? queue.take() : queue.poll(waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a DTLS datagram");
        }
        if (datagram == null) {
            return -1;
        }
        if (datagram == CLOSED) {
            queue.offer(CLOSED); // for any other waiter
            throw new IOException("DTLS transport closed");
        }
        System.arraycopy(datagram, 0, buf, off, Math.min(len, datagram.length));
        return datagram.length; // longer than len: Bouncy Castle discards it
    }

    @Override
    public void send(byte[] buf, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("DTLS transport closed");
        }
        sender.send(buf, off, len);
    }

    /** Closes: queued datagrams are discarded, a waiting {@link #receive} fails. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            queue.clear();
            queue.offer(CLOSED);
        }
    }
}
