package io.capstan.records;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves a recording root over HTTP; mount it on a {@link HttpServer} context (or use {@link #start}):
 *
 * <pre>
 * GET /api/records                 [{"name","size","modTime","url","stream","startMs","durationMs"}...]  (JSON)
 * GET /records/{name}              the file; Range: bytes=a-b | a- | -n answered 206 (416 when unsatisfiable)
 * GET /records/{name}?start=11&amp;end=60
 *                                  MP4 / WebM / Matroska: the part from the keyframe at or before 11 s to 60 s,
 *                                  cut once ({@link RecordCutter}) and kept as .cuts/{dir}/{base}-s11-e60.{ext}
 * HEAD on both                     the same headers without the body
 * </pre>
 *
 * <ul>
 *   <li>Content-Type by extension; {@code Content-Disposition: inline} or {@code attachment} with the file name
 *       ({@link Builder#disposition}); {@code Accept-Ranges: bytes}, {@code Last-Modified}, {@code ETag}.</li>
 *   <li>With a token ({@link Builder#token}) every request needs {@code Authorization: Bearer TOKEN} (compared in
 *       constant time), else 401 with {@code WWW-Authenticate: Bearer}.</li>
 *   <li>Nothing outside the root is ever served. The raw path is percent-decoded exactly once (strict UTF-8);
 *       encoded '/', '\' or NUL, a literal '\', NUL or other control character, an absolute path, an empty,
 *       {@code .} or {@code ..} component, or any component starting with '.' (hidden files, the cut cache) is a
 *       400. The resolved path must lie under the root both as written and after resolving symbolic links
 *       ({@link Path#toRealPath}), and be a regular file; otherwise 404.</li>
 *   <li>Cuts are made at most once at a time per cached name; a cached cut older than its source is made again.
 *       The cache is not size-bounded: delete {@code .cuts} to reclaim it.</li>
 * </ul>
 */
public final class RecordsHttpHandler implements HttpHandler {

    private static final Logger LOG = LoggerFactory.getLogger(RecordsHttpHandler.class);
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);
    private static final long MAX_CUT_SECONDS = 100L * 24 * 3600;

    /** How a browser should present a served file. */
    public enum Disposition {
        INLINE, ATTACHMENT;

        public static Disposition parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "inline" -> INLINE;
                case "attachment" -> ATTACHMENT;
                default -> throw new IllegalArgumentException("disposition must be inline or attachment: '" + s + "'");
            };
        }
    }

    static final Map<String, String> CONTENT_TYPES = Map.ofEntries(
            Map.entry("webm", "video/webm"), Map.entry("mkv", "video/x-matroska"), Map.entry("mka", "audio/x-matroska"),
            Map.entry("mp4", "video/mp4"), Map.entry("m4a", "audio/mp4"), Map.entry("m4s", "video/iso.segment"),
            Map.entry("ogg", "audio/ogg"), Map.entry("opus", "audio/ogg"), Map.entry("ts", "video/mp2t"),
            Map.entry("ivf", "video/x-ivf"), Map.entry("mpd", "application/dash+xml"),
            Map.entry("m3u8", "application/vnd.apple.mpegurl"), Map.entry("json", "application/json"));

    private final RecordCatalog catalog;
    private final Path root;
    private final Path realRoot;
    private final Path cuts;
    private final byte[] token;
    private final Disposition disposition;
    private final Map<Path, Object> cutLocks = new ConcurrentHashMap<>();

    private RecordsHttpHandler(Builder b) throws IOException {
        this.root = b.root.toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            throw new NoSuchFileException(root + " (the recording root) is not a directory");
        }
        this.realRoot = root.toRealPath();
        this.catalog = new RecordCatalog(root);
        this.cuts = root.resolve(RecordCatalog.CUTS_DIR);
        this.token = b.token == null || b.token.isEmpty() ? null : b.token.getBytes(StandardCharsets.UTF_8);
        this.disposition = b.disposition;
    }

    public static Builder builder(Path root) {
        return new Builder(root);
    }

    public Path root() {
        return root;
    }

    /**
     * Starts an {@link HttpServer} on {@code address} serving this handler at {@code /} with a bounded pool of
     * {@code threads}. Stop it with {@code server.stop(0)} and shut down {@code server.getExecutor()}... the
     * threads are daemons, so they never keep a JVM alive.
     */
    public HttpServer start(InetSocketAddress address, int threads) throws IOException {
        HttpServer server = HttpServer.create(address, 64);
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(256), r -> {
                    Thread t = new Thread(r, "capstan-records-http-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.CallerRunsPolicy());
        server.setExecutor(pool);
        server.createContext("/", this);
        server.start();
        return server;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            boolean head = method.equals("HEAD");
            if (!head && !method.equals("GET")) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                error(ex, 405, "only GET and HEAD");
                return;
            }
            if (!authorized(ex)) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"capstan\"");
                error(ex, 401, "a bearer token is required");
                return;
            }
            String context = ex.getHttpContext().getPath();
            String raw = ex.getRequestURI().getRawPath();
            if (raw == null) {
                error(ex, 400, "no path");
                return;
            }
            String prefix = context.endsWith("/") ? context.substring(0, context.length() - 1) : context;
            if (!raw.startsWith(prefix)) {
                error(ex, 404, "not found");
                return;
            }
            String route = raw.substring(prefix.length());
            if (route.equals("/api/records") || route.equals("/api/records/")) {
                list(ex, prefix, head);
            } else if (route.startsWith("/records/")) {
                record(ex, route.substring("/records/".length()), ex.getRequestURI().getRawQuery(), head);
            } else {
                error(ex, 404, "not found");
            }
        } catch (IOException e) {
            LOG.debug("request {} failed: {}", ex.getRequestURI(), e.toString());
        } catch (RuntimeException e) {
            LOG.warn("request {} failed", ex.getRequestURI(), e);
            try {
                error(ex, 500, "internal error");
            } catch (IOException | RuntimeException ignored) {
                // headers already sent
            }
        }
    }

    private boolean authorized(HttpExchange ex) {
        if (token == null) {
            return true;
        }
        String h = ex.getRequestHeaders().getFirst("Authorization");
        if (h == null || h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(h.substring(7).strip().getBytes(StandardCharsets.UTF_8), token);
    }

    // ---------------------------------------------------------------- listing

    private void list(HttpExchange ex, String prefix, boolean head) throws IOException {
        List<RecordCatalog.Entry> entries = catalog.list();
        StringBuilder b = new StringBuilder(64 + entries.size() * 200).append('[');
        for (int i = 0; i < entries.size(); i++) {
            RecordCatalog.Entry e = entries.get(i);
            if (i > 0) {
                b.append(',');
            }
            b.append("{\"name\":");
            quote(b, e.name());
            b.append(",\"size\":").append(e.size());
            b.append(",\"modTime\":");
            quote(b, e.modTime().toString());
            b.append(",\"url\":");
            quote(b, prefix + "/records/" + encodePath(e.name()));
            b.append(",\"stream\":");
            quote(b, e.stream());
            b.append(",\"startMs\":").append(e.startMs());
            b.append(",\"durationMs\":").append(e.durationMs());
            b.append('}');
        }
        b.append(']');
        byte[] body = b.toString().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        send(ex, 200, body, head);
    }

    // ---------------------------------------------------------------- files

    private void record(HttpExchange ex, String rawName, String rawQuery, boolean head) throws IOException {
        String name = safeName(rawName);
        if (name == null) {
            error(ex, 400, "bad record name");
            return;
        }
        Path file = resolve(name);
        if (file == null) {
            error(ex, 404, "no such record");
            return;
        }
        if (rawQuery != null && !rawQuery.isEmpty()) {
            Map<String, String> q = query(rawQuery);
            if (q == null) {
                error(ex, 400, "bad query");
                return;
            }
            if (q.containsKey("start") || q.containsKey("end")) {
                cut(ex, name, file, q.get("start"), q.get("end"), head);
                return;
            }
        }
        serveFile(ex, file, file.getFileName().toString(), head);
    }

    /**
     * Percent-decodes {@code raw} once and checks it is a safe relative name, or returns null. Encoded
     * separators and NUL are refused before decoding, so nothing decodes into a path the checks did not see.
     */
    static String safeName(String raw) {
        if (raw == null || raw.isEmpty() || raw.length() > 4096) {
            return null;
        }
        String lower = raw.toLowerCase(Locale.ROOT);
        if (lower.contains("%2f") || lower.contains("%5c") || lower.contains("%00")) {
            return null;
        }
        String name = percentDecode(raw);
        if (name == null || name.isEmpty() || name.startsWith("/") || name.indexOf(':') >= 0) {
            return null;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7F || c == '\\') {
                return null;
            }
        }
        for (String part : name.split("/", -1)) {
            if (part.isEmpty() || part.startsWith(".")) { // also "." and ".."
                return null;
            }
        }
        return name;
    }

    /** The regular file {@code name} under the root, also after resolving links, or null. */
    private Path resolve(String name) throws IOException {
        Path p = root.resolve(name).normalize();
        if (!p.startsWith(root) || p.equals(root)) {
            return null;
        }
        if (!Files.exists(p)) {
            return null;
        }
        Path real = p.toRealPath();
        if (!real.startsWith(realRoot) || !Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        return real;
    }

    private void serveFile(HttpExchange ex, Path file, String downloadName, boolean head) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            Instant modified = Files.getLastModifiedTime(file).toInstant();
            var h = ex.getResponseHeaders();
            h.set("Content-Type", CONTENT_TYPES.getOrDefault(RecordCatalog.extension(downloadName),
                    "application/octet-stream"));
            h.set("Accept-Ranges", "bytes");
            h.set("Last-Modified", HTTP_DATE.format(modified));
            h.set("ETag", "\"" + Long.toHexString(size) + "-" + Long.toHexString(modified.toEpochMilli()) + "\"");
            h.set("Content-Disposition", contentDisposition(downloadName));
            long from = 0;
            long to = size - 1;
            int status = 200;
            String range = ex.getRequestHeaders().getFirst("Range");
            if (range != null) {
                long[] r = range(range, size);
                if (r == UNSATISFIABLE) {
                    h.set("Content-Range", "bytes */" + size);
                    error(ex, 416, "range not satisfiable");
                    return;
                }
                if (r != null) {
                    from = r[0];
                    to = r[1];
                    status = 206;
                    h.set("Content-Range", "bytes " + from + "-" + to + "/" + size);
                }
            }
            long length = size == 0 ? 0 : to - from + 1;
            if (head) {
                h.set("Content-Length", Long.toString(length));
                ex.sendResponseHeaders(status, -1);
                return;
            }
            ex.sendResponseHeaders(status, length == 0 ? -1 : length);
            if (length == 0) {
                return;
            }
            OutputStream os = ex.getResponseBody();
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(64 * 1024, length));
            long pos = from;
            long left = length;
            while (left > 0) {
                buf.clear().limit((int) Math.min(buf.capacity(), left));
                int n = ch.read(buf, pos);
                if (n < 0) {
                    throw new IOException("file shrank while serving");
                }
                os.write(buf.array(), 0, n);
                pos += n;
                left -= n;
            }
            os.flush();
        }
    }

    private static final long[] UNSATISFIABLE = new long[0];

    /**
     * One byte range of RFC 9110 14.1.2 ({@code bytes=a-b}, {@code a-}, {@code -n}) clamped to the file; null to
     * serve the whole file (not a bytes range, malformed, or several ranges: RFC 9110 14.2 lets a server ignore
     * those), {@link #UNSATISFIABLE} when it starts beyond the end.
     */
    static long[] range(String header, long size) {
        String h = header.strip();
        if (!h.regionMatches(true, 0, "bytes=", 0, 6)) {
            return null;
        }
        String spec = h.substring(6).strip();
        if (spec.contains(",")) {
            return null;
        }
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return null;
        }
        try {
            String a = spec.substring(0, dash).strip();
            String b = spec.substring(dash + 1).strip();
            if (a.isEmpty()) {
                if (b.isEmpty()) {
                    return null;
                }
                long n = Long.parseLong(b);
                if (n <= 0 || size == 0) {
                    return n < 0 ? null : UNSATISFIABLE;
                }
                return new long[] {Math.max(0, size - n), size - 1};
            }
            long from = Long.parseLong(a);
            long to = b.isEmpty() ? size - 1 : Long.parseLong(b);
            if (from < 0 || (!b.isEmpty() && to < from)) {
                return null;
            }
            if (from >= size) {
                return UNSATISFIABLE;
            }
            return new long[] {from, Math.min(to, size - 1)};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private String contentDisposition(String fileName) {
        StringBuilder ascii = new StringBuilder();
        boolean plain = true;
        for (char c : fileName.toCharArray()) {
            if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
                ascii.append(c);
            } else {
                ascii.append('_');
                plain = false;
            }
        }
        String d = (disposition == Disposition.INLINE ? "inline" : "attachment") + "; filename=\"" + ascii + "\"";
        return plain ? d : d + "; filename*=UTF-8''" + encodePath(fileName); // RFC 6266 4.3, RFC 8187
    }

    // ---------------------------------------------------------------- cuts

    private void cut(HttpExchange ex, String name, Path file, String startArg, String endArg, boolean head)
            throws IOException {
        if (!RecordCatalog.cuttable(file.getFileName().toString())) {
            error(ex, 400, "only MP4 and WebM/Matroska recordings can be cut");
            return;
        }
        BigDecimal start = seconds(startArg == null ? "0" : startArg);
        BigDecimal end = endArg == null ? null : seconds(endArg);
        if (start == null || (endArg != null && end == null)) {
            error(ex, 400, "start and end are seconds, e.g. start=11&end=60");
            return;
        }
        if (end == null) {
            end = BigDecimal.valueOf(MAX_CUT_SECONDS);
        }
        if (end.compareTo(start) <= 0) {
            error(ex, 400, "end must be after start");
            return;
        }
        String fileName = file.getFileName().toString();
        String ext = RecordCatalog.extension(fileName);
        String cutName = RecordCatalog.baseName(fileName) + "-s" + label(start) + "-e"
                + (endArg == null ? "end" : label(end)) + "." + ext;
        int slash = name.lastIndexOf('/');
        Path dir = slash < 0 ? cuts : cuts.resolve(name.substring(0, slash));
        Path cached = dir.resolve(cutName).normalize();
        if (!cached.startsWith(cuts)) {
            error(ex, 400, "bad record name");
            return;
        }
        Object lock = cutLocks.computeIfAbsent(cached, k -> new Object());
        synchronized (lock) {
            if (!fresh(cached, file)) {
                Files.createDirectories(dir);
                try {
                    long t0 = System.nanoTime();
                    RecordCutter.Cut c = RecordCutter.cut(file, micros(start), micros(end), cached);
                    LOG.info("cut {} [{} s, {} s] -> {} (from the keyframe at {} ms, {} frames, {} ms)", name,
                            start, endArg == null ? "end" : end, cutName, c.sourceStartMicros() / 1000, c.frames(),
                            (System.nanoTime() - t0) / 1_000_000);
                } catch (IllegalArgumentException e) {
                    error(ex, 416, e.getMessage());
                    return;
                } catch (IOException e) {
                    LOG.warn("cannot cut {}: {}", name, e.toString());
                    error(ex, 422, "cannot cut " + fileName + ": " + e.getMessage());
                    return;
                }
            }
        }
        serveFile(ex, cached, cutName, head);
    }

    private static boolean fresh(Path cached, Path source) throws IOException {
        return Files.isRegularFile(cached, LinkOption.NOFOLLOW_LINKS)
                && Files.getLastModifiedTime(cached).compareTo(Files.getLastModifiedTime(source)) >= 0;
    }

    /** Non-negative decimal seconds (at most millisecond precision), or null. */
    static BigDecimal seconds(String s) {
        if (s == null || s.isEmpty() || s.length() > 20 || !s.matches("\\d+(\\.\\d{1,3})?")) {
            return null;
        }
        BigDecimal v = new BigDecimal(s);
        return v.compareTo(BigDecimal.valueOf(MAX_CUT_SECONDS)) > 0 ? null : v;
    }

    private static String label(BigDecimal seconds) {
        BigDecimal v = seconds.stripTrailingZeros();
        return v.scale() <= 0 ? v.toBigInteger().toString() : v.toPlainString();
    }

    private static long micros(BigDecimal seconds) {
        return seconds.movePointRight(6).longValueExact();
    }

    // ---------------------------------------------------------------- helpers

    private static Map<String, String> query(String raw) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (String part : raw.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            String k = percentDecode(eq < 0 ? part : part.substring(0, eq));
            String v = percentDecode(eq < 0 ? "" : part.substring(eq + 1));
            if (k == null || v == null) {
                return null;
            }
            m.putIfAbsent(k, v);
        }
        return m;
    }

    /** RFC 3986 percent-decoding of UTF-8, once; null when malformed. ('+' stays '+': this is a path.) */
    static String percentDecode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteBuffer out = ByteBuffer.allocate(s.length() * 3);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    return null;
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                out.put((byte) (hi << 4 | lo));
                i += 2;
            } else {
                out.put(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        out.flip();
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(out).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** Percent-encodes each path component (RFC 3986 unreserved characters stay). */
    static String encodePath(String name) {
        StringBuilder b = new StringBuilder();
        for (byte x : name.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xFF;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
                    || c == '_' || c == '~' || c == '/') {
                b.append((char) c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return b.toString();
    }

    private static void quote(StringBuilder b, String s) {
        if (s == null) {
            b.append("null");
            return;
        }
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    private static void error(HttpExchange ex, int status, String message) throws IOException {
        StringBuilder b = new StringBuilder("{\"error\":");
        quote(b, message);
        b.append('}');
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.getResponseHeaders().remove("Content-Disposition");
        ex.getResponseHeaders().remove("Accept-Ranges");
        send(ex, status, b.toString().getBytes(StandardCharsets.UTF_8), ex.getRequestMethod().equals("HEAD"));
    }

    private static void send(HttpExchange ex, int status, byte[] body, boolean head) throws IOException {
        if (head) {
            ex.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
    }

    /** Configures a {@link RecordsHttpHandler}. */
    public static final class Builder {
        private final Path root;
        private String token;
        private Disposition disposition = Disposition.INLINE;

        private Builder(Path root) {
            this.root = Objects.requireNonNull(root, "root");
        }

        /** Requires {@code Authorization: Bearer token} on every request (null or empty: no token). */
        public Builder token(String v) {
            this.token = v;
            return this;
        }

        /** {@code Content-Disposition} of served files (default inline, so players play them). */
        public Builder disposition(Disposition v) {
            this.disposition = Objects.requireNonNull(v);
            return this;
        }

        /** @throws NoSuchFileException when the root is not a directory */
        public RecordsHttpHandler build() throws IOException {
            return new RecordsHttpHandler(this);
        }
    }
}
