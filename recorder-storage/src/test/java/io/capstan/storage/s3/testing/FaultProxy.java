package io.capstan.storage.s3.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on loopback in front of a test S3 server that injects faults into the next connections: an HTTP
 * 503 answer instead of forwarding, a connection reset (RST) after part of the request went through, or one
 * flipped byte in the request body (the store's Content-MD5 check must catch it). Arming a fault closes the
 * connections the client keeps alive, so the next request opens a new one. It also records request heads.
 */
public final class FaultProxy implements AutoCloseable {

    private final ServerSocket server;
    private final int upstreamPort;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fault-proxy");
        t.setDaemon(true);
        return t;
    });
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final AtomicInteger fail503 = new AtomicInteger();
    private final AtomicInteger resets = new AtomicInteger();
    private final AtomicInteger corrupt = new AtomicInteger();
    public final AtomicInteger injected503 = new AtomicInteger();
    public final AtomicInteger injectedResets = new AtomicInteger();
    public final AtomicInteger injectedCorruptions = new AtomicInteger();
    public final List<String> requestHeads = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public FaultProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::accept);
    }

    public String endpoint() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    public void fail503(int n) {
        fail503.set(n);
        dropIdle();
    }

    public void reset(int n) {
        resets.set(n);
        dropIdle();
    }

    public void corrupt(int n) {
        corrupt.set(n);
        dropIdle();
    }

    private void dropIdle() {
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private void accept() {
        while (!closed) {
            try {
                Socket c = server.accept();
                open.add(c);
                threads.execute(() -> handle(c));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static int take(AtomicInteger a) {
        return a.getAndUpdate(v -> v > 0 ? v - 1 : 0);
    }

    private void handle(Socket client) {
        try (client; Socket up = new Socket()) {
            InputStream cin = client.getInputStream();
            byte[] head = readHead(cin);
            if (head == null) {
                return;
            }
            String headText = new String(head, StandardCharsets.ISO_8859_1);
            requestHeads.add(headText);
            if (take(fail503) > 0) {
                injected503.incrementAndGet();
                client.getOutputStream().write(("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\n"
                        + "Content-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                client.getOutputStream().flush();
                return;
            }
            boolean reset = take(resets) > 0;
            boolean flip = !reset && take(corrupt) > 0 && headText.contains("Content-Length:")
                    && !headText.contains("Content-Length: 0\r\n");
            up.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), 5000);
            open.add(up);
            OutputStream uout = up.getOutputStream();
            uout.write(head);
            threads.execute(() -> pipe(up, client));
            byte[] buf = new byte[64 * 1024];
            long forwarded = 0;
            boolean flipped = false;
            int n;
            while ((n = cin.read(buf)) >= 0) {
                if (flip && !flipped && n > 0) {
                    buf[n / 2] ^= 0x5a;
                    flipped = true;
                    injectedCorruptions.incrementAndGet();
                }
                uout.write(buf, 0, n);
                forwarded += n;
                if (reset && forwarded > 0) {
                    injectedResets.incrementAndGet();
                    client.setSoLinger(true, 0);
                    up.setSoLinger(true, 0);
                    return;
                }
            }
        } catch (IOException ignored) {
            // the connection ended
        } finally {
            open.remove(client);
        }
    }

    /** The request line and headers, through the blank line; null on EOF. */
    private static byte[] readHead(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) ? state + 1
                    : (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        return b.toByteArray();
    }

    private void pipe(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
        } catch (IOException ignored) {
            // one side closed
        } finally {
            try {
                to.shutdownOutput();
            } catch (IOException ignored) {
                // already closed
            }
            open.remove(from);
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        dropIdle();
        threads.shutdownNow();
    }
}
