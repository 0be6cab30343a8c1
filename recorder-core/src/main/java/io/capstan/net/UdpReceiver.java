package io.capstan.net;

import io.capstan.sdp.Connection;
import io.capstan.sdp.MediaDescription;
import io.capstan.sdp.SessionDescription;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Receives UDP datagrams on a set of local ports and hands each one to a {@link DatagramHandler}, on one receive
 * thread shared by all ports (a {@link Selector} over non-blocking {@link DatagramChannel}s).
 *
 * <p>The receive path allocates nothing per datagram: one heap buffer is reused, and the handler sees
 * {@code (localPort, buf, off, len, arrivalNanos)} over it. The handler runs on the receive thread and must copy
 * what it keeps before returning. A handler that throws is counted ({@link #handlerFailures()}), reported to the
 * error callback, and the receiver carries on.
 *
 * <pre>{@code
 * try (UdpReceiver rx = UdpReceiver.builder((port, buf, off, len, t) -> session.push(port, buf, off, len, t))
 *         .forSession(sdp)            // RTP and RTCP ports of every m= section, bind address from c=
 *         .start()) {
 *     ...
 * }
 * }</pre>
 *
 * <p>Multicast addresses are not joined: a multicast {@code c=} binds the wildcard address.
 */
public final class UdpReceiver implements AutoCloseable {

    /** Receives one datagram; {@code buf} is reused after the call returns. */
    @FunctionalInterface
    public interface DatagramHandler {
        void onDatagram(int localPort, byte[] buf, int off, int len, long arrivalNanos);
    }

    /** Largest UDP payload over IPv4 (65535 - 20 - 8) rounded up: nothing arriving can be cut. */
    public static final int DEFAULT_MAX_DATAGRAM = 65536;

    private final Selector selector;
    private final List<DatagramChannel> channels;
    private final List<Integer> localPorts;
    private final InetAddress bindAddress;
    private final DatagramHandler handler;
    private final LongSupplier clock;
    private final Consumer<Throwable> onError;
    private final ByteBuffer buffer;
    private final Thread thread;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean running = true;

    private UdpReceiver(Builder b, Selector selector, List<DatagramChannel> channels, List<Integer> ports) {
        this.selector = selector;
        this.channels = channels;
        this.localPorts = List.copyOf(ports);
        this.bindAddress = b.bindAddress;
        this.handler = b.handler;
        this.clock = b.clock;
        this.onError = b.onError;
        this.buffer = ByteBuffer.allocate(b.maxDatagramSize);
        this.thread = new Thread(this::loop, b.threadName != null ? b.threadName : "capstan-udp-" + ports);
        this.thread.setDaemon(true);
    }

    public static Builder builder(DatagramHandler handler) {
        return new Builder(handler);
    }

    /**
     * The address to bind for a session: the c= address when every m= section has the same one and it is an
     * address of this host (or the wildcard/loopback), otherwise the wildcard {@code 0.0.0.0}.
     */
    public static InetAddress defaultBindAddress(SessionDescription sdp) {
        Set<String> addresses = new LinkedHashSet<>();
        for (MediaDescription m : sdp.media()) {
            m.connection().map(Connection::address).ifPresent(addresses::add);
        }
        InetAddress wildcard = wildcard();
        if (addresses.size() != 1) {
            return wildcard;
        }
        String text = addresses.iterator().next();
        if (!isIpLiteral(text)) {
            return wildcard; // never resolve host names here
        }
        try {
            InetAddress a = InetAddress.getByName(text);
            if (a.isAnyLocalAddress() || a.isLoopbackAddress() || NetworkInterface.getByInetAddress(a) != null) {
                return a;
            }
        } catch (UnknownHostException | SocketException e) {
            // fall through: not usable as a local address
        }
        return wildcard;
    }

    private static boolean isIpLiteral(String s) {
        return s.indexOf(':') >= 0 || s.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    private static InetAddress wildcard() {
        try {
            return InetAddress.getByAddress(new byte[4]);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The bound ports, in the order they were requested (port 0 replaced by the ephemeral port chosen). */
    public List<Integer> localPorts() {
        return localPorts;
    }

    /** The address the sockets are bound to. */
    public InetAddress bindAddress() {
        return bindAddress;
    }

    /** Datagrams handed to the handler so far. */
    public long datagramsReceived() {
        return received.get();
    }

    /** Handler calls that threw. */
    public long handlerFailures() {
        return failures.get();
    }

    public boolean isRunning() {
        return running && thread.isAlive();
    }

    /** Stops receiving, closes the sockets and waits (briefly) for the receive thread to end. Idempotent. */
    @Override
    public void close() {
        running = false;
        selector.wakeup();
        if (Thread.currentThread() != thread && thread.isAlive()) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeAll();
    }

    private void closeAll() {
        for (DatagramChannel ch : channels) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing: nothing to do
            }
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing: nothing to do
        }
    }

    private void loop() {
        try {
            while (running) {
                selector.select();
                if (!running) {
                    break;
                }
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    if (!key.isValid() || !key.isReadable()) {
                        continue;
                    }
                    drain((DatagramChannel) key.channel(), (Integer) key.attachment());
                }
            }
        } catch (ClosedSelectorException e) {
            // closed under us: stop
        } catch (IOException | RuntimeException e) {
            if (running) {
                report(e);
            }
        } finally {
            running = false;
            closeAll();
        }
    }

    private void drain(DatagramChannel ch, int port) throws IOException {
        byte[] array = buffer.array();
        while (running) {
            buffer.clear();
            if (ch.receive(buffer) == null) {
                return;
            }
            long t = clock.getAsLong();
            received.incrementAndGet();
            try {
                handler.onDatagram(port, array, 0, buffer.position(), t);
            } catch (RuntimeException e) {
                failures.incrementAndGet();
                report(e);
            }
        }
    }

    private void report(Throwable t) {
        try {
            onError.accept(t);
        } catch (RuntimeException ignored) {
            // the error callback must not stop the receiver
        }
    }

    /** Configures and starts a {@link UdpReceiver}. */
    public static final class Builder {
        private final DatagramHandler handler;
        private final List<Integer> ports = new ArrayList<>();
        private InetAddress bindAddress;
        private int receiveBufferSize;
        private int maxDatagramSize = DEFAULT_MAX_DATAGRAM;
        private LongSupplier clock = System::nanoTime;
        private Consumer<Throwable> onError = t -> { };
        private String threadName;

        private Builder(DatagramHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
        }

        /** Adds a port to listen on; 0 picks an ephemeral port (see {@link UdpReceiver#localPorts()}). */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            ports.add(port);
            return this;
        }

        public Builder ports(int... ports) {
            for (int p : ports) {
                port(p);
            }
            return this;
        }

        /**
         * Adds the RTP port and the RTCP port ({@link MediaDescription#effectiveRtcpPort()}) of every m= section
         * with a non-zero port, and binds {@link UdpReceiver#defaultBindAddress(SessionDescription)} unless an
         * address was set.
         */
        public Builder forSession(SessionDescription sdp) {
            Set<Integer> wanted = new LinkedHashSet<>(ports);
            for (MediaDescription m : sdp.media()) {
                if (m.port() != 0) {
                    wanted.add(m.port());
                    wanted.add(m.effectiveRtcpPort());
                }
            }
            ports.clear();
            ports.addAll(wanted);
            if (bindAddress == null) {
                bindAddress = defaultBindAddress(sdp);
            }
            return this;
        }

        /** Local address to bind (default {@code 0.0.0.0}). */
        public Builder bindAddress(InetAddress address) {
            this.bindAddress = Objects.requireNonNull(address, "address");
            return this;
        }

        /** Local address to bind, as an IP literal. */
        public Builder bindAddress(String ipLiteral) {
            if (!isIpLiteral(ipLiteral)) {
                throw new IllegalArgumentException("not an IP address: " + ipLiteral);
            }
            try {
                return bindAddress(InetAddress.getByName(ipLiteral));
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not an IP address: " + ipLiteral, e);
            }
        }

        /** {@code SO_RCVBUF} per socket; 0 keeps the system default. */
        public Builder receiveBufferSize(int bytes) {
            this.receiveBufferSize = bytes;
            return this;
        }

        /** Receive buffer size; longer datagrams are cut to this length (default {@value UdpReceiver#DEFAULT_MAX_DATAGRAM}). */
        public Builder maxDatagramSize(int bytes) {
            if (bytes < 12) {
                throw new IllegalArgumentException("maxDatagramSize too small: " + bytes);
            }
            this.maxDatagramSize = bytes;
            return this;
        }

        /** The clock stamped on each datagram as {@code arrivalNanos}; default {@link System#nanoTime()}. */
        public Builder clock(LongSupplier clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Told about handler exceptions and a failing receive loop. */
        public Builder onError(Consumer<Throwable> onError) {
            this.onError = Objects.requireNonNull(onError, "onError");
            return this;
        }

        public Builder threadName(String name) {
            this.threadName = name;
            return this;
        }

        /**
         * Binds every port and starts the receive thread.
         *
         * @throws BindException "port N is already in use" (or why else it could not bind); nothing stays bound
         */
        public UdpReceiver start() throws IOException {
            if (ports.isEmpty()) {
                throw new IllegalStateException("no port to listen on");
            }
            if (bindAddress == null) {
                bindAddress = wildcard();
            }
            Selector selector = Selector.open();
            List<DatagramChannel> channels = new ArrayList<>();
            List<Integer> bound = new ArrayList<>();
            boolean ok = false;
            try {
                for (int port : ports) {
                    DatagramChannel ch = DatagramChannel.open(bindAddress instanceof java.net.Inet6Address
                            ? java.net.StandardProtocolFamily.INET6 : java.net.StandardProtocolFamily.INET);
                    channels.add(ch);
                    ch.setOption(StandardSocketOptions.SO_REUSEADDR, false);
                    if (receiveBufferSize > 0) {
                        ch.setOption(StandardSocketOptions.SO_RCVBUF, receiveBufferSize);
                    }
                    try {
                        ch.bind(new InetSocketAddress(bindAddress, port));
                    } catch (BindException e) {
                        String msg = String.valueOf(e.getMessage());
                        BindException be = new BindException(msg.contains("in use")
                                ? "port " + port + " is already in use (udp " + bindAddress.getHostAddress() + ")"
                                : "cannot bind udp " + bindAddress.getHostAddress() + ":" + port + ": " + msg);
                        be.initCause(e);
                        throw be;
                    }
                    ch.configureBlocking(false);
                    int actual = ((InetSocketAddress) ch.getLocalAddress()).getPort();
                    ch.register(selector, SelectionKey.OP_READ, actual);
                    bound.add(actual);
                }
                UdpReceiver rx = new UdpReceiver(this, selector, channels, bound);
                rx.thread.start();
                ok = true;
                return rx;
            } finally {
                if (!ok) {
                    for (DatagramChannel ch : channels) {
                        try {
                            ch.close();
                        } catch (IOException ignored) {
                            // already failing
                        }
                    }
                    selector.close();
                }
            }
        }
    }
}
