package io.capstan.webrtc;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small HTTP server with one {@link WhipHandler} mounted at a path (e.g. {@code /whip}). Hosts with their own
 * {@code HttpServer} mount the handler themselves. Plain HTTP: put TLS in front of it (browsers require HTTPS for
 * WHIP from other origins), or use {@code HttpsServer} with the handler.
 */
public final class WhipServer implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService executor;
    private final WhipHandler handler;
    private final String path;

    private WhipServer(HttpServer server, ExecutorService executor, WhipHandler handler, String path) {
        this.server = server;
        this.executor = executor;
        this.handler = handler;
        this.path = path;
    }

    /**
     * Binds {@code address} (port 0 picks a free port) and serves {@code handler} at {@code path} on
     * {@code threads} request threads.
     */
    public static WhipServer start(InetSocketAddress address, String path, WhipHandler handler, int threads)
            throws IOException {
        Objects.requireNonNull(handler, "handler");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("the path must start with '/': " + path);
        }
        HttpServer server = HttpServer.create(address, 0);
        AtomicInteger n = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "capstan-whip-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext(path, handler);
        server.start();
        return new WhipServer(server, executor, handler, path);
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** {@code http://host:port/path}: where a WHIP client POSTs. */
    public URI endpoint() {
        InetSocketAddress a = address();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return URI.create("http://" + host + ":" + a.getPort() + path);
    }

    /**
     * Serves {@code handler} at another path of the same HTTP server (a publishing page, health checks), on the
     * same request threads.
     */
    public void context(String contextPath, com.sun.net.httpserver.HttpHandler contextHandler) {
        server.createContext(contextPath, Objects.requireNonNull(contextHandler, "contextHandler"));
    }

    public WhipHandler handler() {
        return handler;
    }

    /** Ends every resource (recordings stopped), then stops serving. */
    @Override
    public void close() {
        handler.close();
        server.stop(0);
        executor.shutdownNow();
    }
}
