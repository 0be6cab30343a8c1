package io.capstan.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Plays media files in headless Chromium and reports what the browser saw: the independent "does a real player
 * accept this file" check that ffprobe cannot give.
 *
 * <p>A {@code BrowserPlayback} serves one directory over HTTP on 127.0.0.1 (JDK {@code com.sun.net.httpserver}:
 * Content-Type per extension, {@code Range} requests answered with 206 as Chromium's media stack uses them to find
 * durations and seek). Each check generates a page, launches
 * {@code chromium --headless=new --no-sandbox --disable-gpu --autoplay-policy=no-user-gesture-required --mute-audio
 * --user-data-dir=<temp>} on it, and the page POSTs its result as JSON back to the same server: no DevTools protocol.
 * The page also POSTs its state every half second, so a run that times out fails with the page's last state,
 * Chromium's stderr and the HTTP request log. Chromium (its whole process tree) is killed after every run.
 *
 * <pre>
 *   GET  /                         files of the served directory (Range: bytes=a-b | a- | -n)
 *   GET  /__capstan/page/{id}      the generated page of run {id}
 *   POST /__capstan/state/{id}     the page's state so far (kept for the failure message)
 *   POST /__capstan/result/{id}    the page's final report; ends the run
 * </pre>
 *
 * <p>Modes: {@link #play(Playback)} plays a file in a {@code <video>} (or {@code <audio>}) element to its end;
 * {@link #playMse(MsePlayback)} feeds init + media segments to Media Source Extensions and plays them; and
 * {@link #codecSupport()} reports which codecs this Chromium build has, so tests can adapt (a codec the build lacks
 * is a visible skip, never a pass).
 *
 * <p>When Chromium is missing, {@link #require()} skips the test with a visible message, or fails it under
 * {@code -Dcapstan.requireTools=true} (as {@link MediaTools#require} does for ffmpeg). {@code -Dcapstan.chromium=PATH}
 * picks another binary.
 */
public final class BrowserPlayback implements AutoCloseable {

    /** The flags every run uses (plus {@code --user-data-dir} and the page URL). */
    public static final List<String> FLAGS = List.of("--headless=new", "--no-sandbox", "--disable-gpu",
            "--autoplay-policy=no-user-gesture-required", "--mute-audio", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
            "--disable-backgrounding-occluded-windows", "--window-size=640,480");

    /** The MIME types and codecs {@link #codecSupport()} asks about. */
    public static final List<String> PROBED_TYPES = List.of(
            "video/webm; codecs=\"vp8\"", "video/webm; codecs=\"vp9\"", "video/webm; codecs=\"av01.0.04M.08\"",
            "video/webm; codecs=\"vp8, opus\"", "video/webm; codecs=\"vp9, opus\"", "audio/webm; codecs=\"opus\"",
            "video/webm; codecs=\"avc1.42E01E\"",
            "video/mp4; codecs=\"avc1.42E01E\"", "video/mp4; codecs=\"avc1.42E01E, mp4a.40.2\"",
            "video/mp4; codecs=\"hvc1.1.6.L93.B0\"", "video/mp4; codecs=\"av01.0.04M.08\"",
            "video/mp4; codecs=\"vp09.00.10.08\"", "video/mp4; codecs=\"vp09.00.10.08, opus\"",
            "audio/mp4; codecs=\"opus\"", "audio/mp4; codecs=\"mp4a.40.2\"",
            "audio/ogg; codecs=\"opus\"", "audio/ogg; codecs=\"vorbis\"", "video/ogg; codecs=\"theora\"",
            "video/x-matroska; codecs=\"avc1.42E01E, mp4a.40.2\"", "video/x-matroska; codecs=\"vp8, opus\"",
            "audio/x-matroska", "audio/wav; codecs=\"7\"", "video/mp2t; codecs=\"avc1.42E01E, mp4a.40.2\"",
            "application/vnd.apple.mpegurl", "application/dash+xml");

    private static final String PREFIX = "/__capstan/";
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    private static final AtomicReference<CodecSupport> SUPPORT = new AtomicReference<>();
    private static final Map<String, String> CONTENT_TYPES = Map.ofEntries(
            Map.entry("webm", "video/webm"), Map.entry("mkv", "video/x-matroska"), Map.entry("mka", "audio/x-matroska"),
            Map.entry("mp4", "video/mp4"), Map.entry("m4v", "video/mp4"), Map.entry("m4a", "audio/mp4"),
            Map.entry("m4s", "video/iso.segment"), Map.entry("cmfv", "video/mp4"), Map.entry("cmfa", "audio/mp4"),
            Map.entry("ogg", "audio/ogg"), Map.entry("oga", "audio/ogg"), Map.entry("opus", "audio/ogg"),
            Map.entry("ts", "video/mp2t"), Map.entry("m2ts", "video/mp2t"),
            Map.entry("mpd", "application/dash+xml"), Map.entry("m3u8", "application/vnd.apple.mpegurl"),
            Map.entry("ivf", "video/x-ivf"), Map.entry("wav", "audio/wav"),
            Map.entry("html", "text/html; charset=utf-8"), Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("json", "application/json"), Map.entry("txt", "text/plain; charset=utf-8"));

    private final Path root;
    private final String binary;
    private final HttpServer server;
    private final ExecutorService pool;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<String, PendingRun> runs = new ConcurrentHashMap<>();
    private final Deque<String> requestLog = new ArrayDeque<>();

    BrowserPlayback(Path root, String binary) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        this.binary = binary;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 32);
        this.pool = Executors.newFixedThreadPool(6, r -> {
            Thread t = new Thread(r, "browser-playback-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.createContext("/", this::handle);
        server.start();
    }

    // ---------------------------------------------------------------- finding Chromium

    /** The Chromium binary: {@code -Dcapstan.chromium}, else {@code chromium} or {@code chromium-browser} on PATH. */
    public static Optional<String> chromium() {
        String forced = System.getProperty("capstan.chromium");
        if (forced != null && !forced.isBlank()) {
            return Files.isExecutable(Path.of(forced)) ? Optional.of(forced) : Optional.empty();
        }
        for (String name : List.of("chromium", "chromium-browser")) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                    return Optional.of(Path.of(dir, name).toString());
                }
            }
        }
        return Optional.empty();
    }

    /** Skips (or, under {@code -Dcapstan.requireTools=true}, fails) the calling test when Chromium is not installed. */
    public static String require() {
        Optional<String> c = chromium();
        if (c.isEmpty()) {
            String forced = System.getProperty("capstan.chromium");
            String msg = (forced != null && !forced.isBlank()
                    ? "chromium is not installed at -Dcapstan.chromium=" + forced
                    : "chromium is not installed") + ": headless-browser playback check skipped (apt-get install "
                    + "chromium, or -Dcapstan.chromium=PATH; CI runs with -Dcapstan.requireTools=true)";
            if (Boolean.getBoolean("capstan.requireTools")) {
                throw new AssertionError(msg);
            }
            System.err.println("SKIPPED: " + msg);
            Assumptions.abort(msg);
        }
        return c.get();
    }

    /** Serves {@code dir} on 127.0.0.1; {@link #require() requires} Chromium (skips the test when it is missing). */
    public static BrowserPlayback serve(Path dir) {
        String bin = require();
        try {
            return new BrowserPlayback(dir, bin);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The server's base URL, e.g. {@code http://127.0.0.1:40123/}. */
    public String baseUrl() {
        return "http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort() + "/";
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }

    // ---------------------------------------------------------------- requests

    /**
     * One file played through a media element's {@code src}.
     *
     * @param path      the file, relative to the served directory
     * @param type      MIME type with codecs, asked of {@code canPlayType} (the page plays the file whatever it says)
     * @param audioOnly play in an {@code <audio>} element instead of {@code <video>}
     * @param rate      playbackRate (Chromium allows up to 16; audio is muted above 4)
     * @param timeout   the page gives up after this long and reports its state
     */
    public record Playback(String path, String type, boolean audioOnly, double rate, Duration timeout) {
        public static Playback video(String path, String type) {
            return new Playback(path, type, false, 4.0, DEFAULT_TIMEOUT);
        }

        public static Playback audio(String path, String type) {
            return new Playback(path, type, true, 4.0, DEFAULT_TIMEOUT);
        }

        public Playback rate(double r) {
            return new Playback(path, type, audioOnly, r, timeout);
        }

        public Playback timeout(Duration t) {
            return new Playback(path, type, audioOnly, rate, t);
        }
    }

    /** One SourceBuffer: its MIME type with codecs and the segments (init first) appended to it in order. */
    public record MseTrack(String type, List<String> segments) {
        public MseTrack {
            segments = List.copyOf(segments);
        }
    }

    /** Media Source Extensions playback: one SourceBuffer per track, all segments appended, endOfStream, play. */
    public record MsePlayback(List<MseTrack> tracks, boolean audioOnly, double rate, Duration timeout) {
        public MsePlayback {
            tracks = List.copyOf(tracks);
        }

        public static MsePlayback of(MseTrack... tracks) {
            return new MsePlayback(List.of(tracks), false, 4.0, DEFAULT_TIMEOUT);
        }

        public MsePlayback rate(double r) {
            return new MsePlayback(tracks, audioOnly, r, timeout);
        }

        public MsePlayback audioOnly(boolean a) {
            return new MsePlayback(tracks, a, rate, timeout);
        }
    }

    /** Plays one file in a {@code <video>} / {@code <audio>} element to its end (or an error, or the timeout). */
    public Report play(Playback p) {
        requireServed(p.path());
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("mode", "src");
        cfg.put("src", "/" + p.path());
        cfg.put("type", p.type());
        cfg.put("audioOnly", p.audioOnly());
        cfg.put("rate", p.rate());
        cfg.put("timeoutMs", p.timeout().toMillis());
        return new Report(runPage(cfg, p.timeout()), this);
    }

    /** Plays segments through Media Source Extensions. */
    public Report playMse(MsePlayback p) {
        List<Object> tracks = new ArrayList<>();
        for (MseTrack t : p.tracks()) {
            t.segments().forEach(this::requireServed);
            Map<String, Object> tm = new LinkedHashMap<>();
            tm.put("type", t.type());
            tm.put("segments", t.segments().stream().map(s -> "/" + s).toList());
            tracks.add(tm);
        }
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("mode", "mse");
        cfg.put("tracks", tracks);
        cfg.put("audioOnly", p.audioOnly());
        cfg.put("rate", p.rate());
        cfg.put("timeoutMs", p.timeout().toMillis());
        return new Report(runPage(cfg, p.timeout()), this);
    }

    /** Which of {@link #PROBED_TYPES} this Chromium build can play (canPlayType) and feed to MSE (isTypeSupported). */
    public static CodecSupport codecSupport() {
        CodecSupport cached = SUPPORT.get();
        if (cached != null) {
            return cached;
        }
        try {
            Path empty = Files.createTempDirectory("capstan-codecs");
            try (BrowserPlayback b = serve(empty)) {
                Map<String, Object> cfg = new LinkedHashMap<>();
                cfg.put("mode", "codecs");
                cfg.put("types", PROBED_TYPES);
                cfg.put("timeoutMs", 20_000);
                Map<String, Object> r = b.runPage(cfg, Duration.ofSeconds(20));
                CodecSupport s = CodecSupport.from(r);
                SUPPORT.compareAndSet(null, s);
                return SUPPORT.get();
            } finally {
                Files.deleteIfExists(empty);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void requireServed(String rel) {
        Path f = root.resolve(rel).normalize();
        if (!f.startsWith(root) || !Files.isRegularFile(f)) {
            throw new IllegalArgumentException(rel + " is not a file under " + root);
        }
    }

    // ---------------------------------------------------------------- a run

    private static final class PendingRun {
        final String html;
        final CompletableFuture<Object> result = new CompletableFuture<>();
        final AtomicReference<String> lastState = new AtomicReference<>("(the page posted nothing)");

        PendingRun(String html) {
            this.html = html;
        }
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> runPage(Map<String, Object> cfg, Duration pageTimeout) {
        String id = "r" + ids.incrementAndGet();
        cfg.put("id", id);
        PendingRun run = new PendingRun(page(cfg));
        runs.put(id, run);
        Path profile = null;
        Path stderr = null;
        Process proc = null;
        long started = System.nanoTime();
        try {
            profile = Files.createTempDirectory("capstan-chromium-profile");
            stderr = Files.createTempFile("capstan-chromium", ".stderr");
            List<String> cmd = new ArrayList<>();
            cmd.add(binary);
            cmd.addAll(FLAGS);
            cmd.add("--user-data-dir=" + profile);
            cmd.add(baseUrl() + PREFIX.substring(1) + "page/" + id);
            proc = new ProcessBuilder(cmd).redirectErrorStream(false)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(stderr.toFile()).start();
            // the page times itself out; this outer bound covers Chromium failing to start or to load the page
            long deadline = System.nanoTime() + pageTimeout.plusSeconds(30).toNanos();
            while (true) {
                try {
                    Object r = run.result.get(200, TimeUnit.MILLISECONDS);
                    Map<String, Object> m = new LinkedHashMap<>((Map<String, Object>) r);
                    m.put("wallMs", (System.nanoTime() - started) / 1_000_000);
                    m.put("chromiumStderr", tail(stderr, 30));
                    return m;
                } catch (java.util.concurrent.TimeoutException e) {
                    if (!proc.isAlive()) {
                        // give a result that raced with the exit a moment to arrive
                        if (run.result.isDone()) {
                            continue;
                        }
                        throw new AssertionError("chromium exited with " + proc.exitValue() + " before the page "
                                + "reported (" + id + ")\n" + diagnostics(run, stderr));
                    }
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("chromium gave no result within " + pageTimeout.plusSeconds(30)
                                + " (" + id + ")\n" + diagnostics(run, stderr));
                    }
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run chromium (" + binary + "): " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError(e.getCause());
        } finally {
            if (proc != null) {
                killTree(proc);
            }
            runs.remove(id);
            deleteTree(profile);
            if (stderr != null) {
                try {
                    Files.deleteIfExists(stderr);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    private String diagnostics(PendingRun run, Path stderr) {
        return "last page state: " + run.lastState.get() + "\nchromium stderr (tail):\n" + tail(stderr, 30)
                + "\nHTTP requests (tail):\n" + String.join("\n", requestLog());
    }

    /** The last requests the server answered (method, path, range, status), for failure messages. */
    public List<String> requestLog() {
        synchronized (requestLog) {
            return new ArrayList<>(requestLog);
        }
    }

    /** SIGKILL to Chromium and every process it started (collected first, so none escapes by reparenting). */
    private static void killTree(Process p) {
        ProcessHandle h = p.toHandle();
        List<ProcessHandle> all = new ArrayList<>(h.descendants().toList());
        all.add(0, h);
        all.forEach(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<ProcessHandle> alive = all;
        while (!alive.isEmpty() && System.nanoTime() < deadline) {
            try {
                p.waitFor(20, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            alive = alive.stream().filter(BrowserPlayback::running).toList();
        }
        if (!alive.isEmpty()) {
            System.err.println("BrowserPlayback: chromium processes still alive after SIGKILL: "
                    + alive.stream().map(ProcessHandle::pid).toList());
        }
    }

    /**
     * Alive and not a zombie: killed renderers are reparented to PID 1, which may reap them only a second or two
     * later; a zombie holds nothing but its process-table entry.
     */
    private static boolean running(ProcessHandle ph) {
        if (!ph.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(ph.pid()), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException | RuntimeException e) {
            return ph.isAlive();
        }
    }

    private static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // a profile file Chromium still held; the temp dir is cleaned by the OS later
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }

    /**
     * The last lines of Chromium's stderr, without the D-Bus and ALSA noise of a machine without a session bus or a
     * sound card (Chromium then plays audio into a fake output stream, in real time).
     */
    private static String tail(Path f, int lines) {
        if (f == null) {
            return "";
        }
        try {
            List<String> all = Files.readAllLines(f, StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.contains("dbus/") && !l.startsWith("ALSA lib") && !l.isBlank()).toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(stderr unreadable: " + e + ")";
        }
    }

    // ---------------------------------------------------------------- HTTP

    private void handle(HttpExchange ex) throws IOException {
        String status = "?";
        String path = ex.getRequestURI().getPath();
        String range = ex.getRequestHeaders().getFirst("Range");
        try (ex) {
            if (path.startsWith(PREFIX)) {
                status = control(ex, path.substring(PREFIX.length()));
            } else {
                status = file(ex, path, range);
            }
        } catch (IOException | RuntimeException e) {
            status = "exception " + e;
        } finally {
            synchronized (requestLog) {
                requestLog.addLast(ex.getRequestMethod() + " " + path + (range != null ? " [" + range + "]" : "")
                        + " -> " + status);
                while (requestLog.size() > 40) {
                    requestLog.removeFirst();
                }
            }
        }
    }

    private String control(HttpExchange ex, String rest) throws IOException {
        int slash = rest.indexOf('/');
        String kind = slash < 0 ? rest : rest.substring(0, slash);
        PendingRun run = slash < 0 ? null : runs.get(rest.substring(slash + 1));
        if (run == null) {
            return send(ex, 404, "text/plain", "no such run");
        }
        switch (kind) {
            case "page" -> {
                return send(ex, 200, CONTENT_TYPES.get("html"), run.html);
            }
            case "state", "result" -> {
                String body;
                try (InputStream in = ex.getRequestBody()) {
                    body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                run.lastState.set(body);
                if (kind.equals("result")) {
                    try {
                        run.result.complete(MiniJson.parse(body));
                    } catch (RuntimeException e) {
                        run.result.completeExceptionally(new AssertionError("page posted bad JSON: " + body, e));
                    }
                }
                return send(ex, 204, null, null);
            }
            default -> {
                return send(ex, 404, "text/plain", "unknown");
            }
        }
    }

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");

    private String file(HttpExchange ex, String path, String range) throws IOException {
        boolean head = ex.getRequestMethod().equals("HEAD");
        if (!head && !ex.getRequestMethod().equals("GET")) {
            return send(ex, 405, "text/plain", "GET or HEAD");
        }
        Path f = root.resolve(java.net.URLDecoder.decode(path.substring(1), StandardCharsets.UTF_8)).normalize();
        if (!f.startsWith(root) || !Files.isRegularFile(f)) {
            return send(ex, 404, "text/plain", "not found");
        }
        long size = Files.size(f);
        String name = f.getFileName().toString();
        String ext = name.contains(".") ? name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT) : "";
        ex.getResponseHeaders().set("Content-Type", CONTENT_TYPES.getOrDefault(ext, "application/octet-stream"));
        ex.getResponseHeaders().set("Accept-Ranges", "bytes");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        long start = 0;
        long end = size - 1;
        int code = 200;
        if (range != null) {
            Matcher m = RANGE.matcher(range.trim());
            if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
                // multiple ranges or another unit: answer with the whole file, which RFC 9110 allows
                range = null;
            } else {
                if (m.group(1).isEmpty()) {                       // bytes=-n: the last n bytes
                    start = Math.max(0, size - Long.parseLong(m.group(2)));
                } else {
                    start = Long.parseLong(m.group(1));
                    if (!m.group(2).isEmpty()) {
                        end = Math.min(end, Long.parseLong(m.group(2)));
                    }
                }
                if (start >= size || start > end) {
                    ex.getResponseHeaders().set("Content-Range", "bytes */" + size);
                    return send(ex, 416, null, null);
                }
                code = 206;
                ex.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + end + "/" + size);
            }
        }
        long len = end - start + 1;
        ex.sendResponseHeaders(code, head ? -1 : (len == 0 ? -1 : len));
        if (!head && len > 0) {
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ); OutputStream os = ex.getResponseBody()) {
                ch.transferTo(start, len, Channels.newChannel(os));
            } catch (IOException e) {
                return code + " (client closed after part of " + len + " bytes)";
            }
        }
        return code + (code == 206 ? " " + start + "-" + end + "/" + size : " " + len);
    }

    private static String send(HttpExchange ex, int code, String type, String body) throws IOException {
        byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        if (type != null) {
            ex.getResponseHeaders().set("Content-Type", type);
        }
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.sendResponseHeaders(code, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            try (OutputStream os = ex.getResponseBody()) {
                os.write(b);
            }
        }
        return String.valueOf(code);
    }

    // ---------------------------------------------------------------- the page

    private static String page(Map<String, Object> cfg) {
        return "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>capstan playback</title></head>"
                + "<body>\n<script>const CFG = " + toJson(cfg).replace("</", "<\\/") + ";</script>\n<script>"
                + BrowserPlaybackPage.SCRIPT + "</script>\n</body></html>\n";
    }

    static String toJson(Object o) {
        if (o == null) {
            return "null";
        } else if (o instanceof String s) {
            StringBuilder b = new StringBuilder("\"");
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            b.append(String.format("\\u%04x", (int) c));
                        } else {
                            b.append(c);
                        }
                    }
                }
            }
            return b.append('"').toString();
        } else if (o instanceof Number || o instanceof Boolean) {
            return o.toString();
        } else if (o instanceof Map<?, ?> m) {
            StringBuilder b = new StringBuilder("{");
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (b.length() > 1) {
                    b.append(',');
                }
                b.append(toJson(String.valueOf(e.getKey()))).append(':').append(toJson(e.getValue()));
            }
            return b.append('}').toString();
        } else if (o instanceof List<?> l) {
            StringBuilder b = new StringBuilder("[");
            for (Object x : l) {
                if (b.length() > 1) {
                    b.append(',');
                }
                b.append(toJson(x));
            }
            return b.append(']').toString();
        }
        throw new IllegalArgumentException("not JSON: " + o.getClass());
    }

    // ---------------------------------------------------------------- fragmented MP4 for MSE

    /**
     * Splits a fragmented MP4 file at its top-level boxes (ISO/IEC 14496-12 section 4.2: 32-bit size, or 1 and a
     * 64-bit largesize) into {@code init.mp4} (everything before the first {@code moof}: ftyp, moov) and one
     * {@code seg_NNNN.m4s} per fragment ({@code moof} + {@code mdat}, with any styp/sidx/prft that precede the moof).
     * Returns the file names, init first, as {@link MseTrack} wants them (relative to {@code outDir}).
     */
    public static List<String> splitFragmentedMp4(Path file, Path outDir, String prefix) throws IOException {
        byte[] b = Files.readAllBytes(file);
        List<long[]> boxes = new ArrayList<>();        // [offset, size, fourcc as int]
        long off = 0;
        while (off + 8 <= b.length) {
            long size = readU32(b, (int) off);
            int type = (int) readU32(b, (int) off + 4);
            if (size == 1) {
                size = (readU32(b, (int) off + 8) << 32) | readU32(b, (int) off + 12);
            } else if (size == 0) {
                size = b.length - off;
            }
            if (size < 8 || off + size > b.length) {
                throw new IOException(file + ": bad box size " + size + " at " + off);
            }
            boxes.add(new long[] {off, size, type});
            off += size;
        }
        int moof = fourcc("moof");
        List<Long> cuts = new ArrayList<>();
        for (int i = 0; i < boxes.size(); i++) {
            if ((int) boxes.get(i)[2] == moof) {
                int j = i;                                  // styp / sidx / prft belong to the fragment they precede
                while (j > 0 && isFragmentPrefix((int) boxes.get(j - 1)[2]) && (cuts.isEmpty()
                        || boxes.get(j - 1)[0] > cuts.get(cuts.size() - 1))) {
                    j--;
                }
                cuts.add(boxes.get(j)[0]);
            }
        }
        if (cuts.isEmpty()) {
            throw new IOException(file + " has no moof: not a fragmented MP4");
        }
        Files.createDirectories(outDir);
        List<String> names = new ArrayList<>();
        String init = prefix + "init.mp4";
        Files.write(outDir.resolve(init), java.util.Arrays.copyOfRange(b, 0, cuts.get(0).intValue()));
        names.add(init);
        for (int k = 0; k < cuts.size(); k++) {
            long from = cuts.get(k);
            long to = k + 1 < cuts.size() ? cuts.get(k + 1) : b.length;
            String seg = String.format("%sseg_%04d.m4s", prefix, k + 1);
            Files.write(outDir.resolve(seg), java.util.Arrays.copyOfRange(b, (int) from, (int) to));
            names.add(seg);
        }
        return names;
    }

    private static boolean isFragmentPrefix(int type) {
        return type == fourcc("styp") || type == fourcc("sidx") || type == fourcc("prft") || type == fourcc("emsg");
    }

    private static int fourcc(String s) {
        return (s.charAt(0) << 24) | (s.charAt(1) << 16) | (s.charAt(2) << 8) | s.charAt(3);
    }

    private static long readU32(byte[] b, int i) {
        return ((b[i] & 0xFFL) << 24) | ((b[i + 1] & 0xFFL) << 16) | ((b[i + 2] & 0xFFL) << 8) | (b[i + 3] & 0xFFL);
    }

    // ---------------------------------------------------------------- results

    /** What this Chromium build says it plays. */
    public record CodecSupport(String userAgent, Map<String, String> canPlayType, Map<String, Boolean> mse) {

        @SuppressWarnings("unchecked")
        static CodecSupport from(Map<String, Object> r) {
            Map<String, String> cpt = new LinkedHashMap<>();
            Map<String, Boolean> mse = new LinkedHashMap<>();
            Object types = r.get("types");
            if (!(types instanceof Map<?, ?>)) {
                throw new AssertionError("codec report without types: " + r);
            }
            for (Map.Entry<String, Object> e : ((Map<String, Object>) types).entrySet()) {
                cpt.put(e.getKey(), String.valueOf(MiniJson.at(e.getValue(), "canPlayType")));
                mse.put(e.getKey(), Boolean.TRUE.equals(MiniJson.at(e.getValue(), "isTypeSupported")));
            }
            return new CodecSupport(String.valueOf(r.get("userAgent")), Map.copyOf(cpt), Map.copyOf(mse));
        }

        /** canPlayType is "probably" or "maybe" (asks the browser when the type was not in the probed list). */
        public boolean canPlay(String type) {
            String v = canPlayType.get(type);
            return v != null && !v.isEmpty();
        }

        public boolean mseSupports(String type) {
            return Boolean.TRUE.equals(mse.get(type));
        }

        /** One line per probed type: {@code canPlayType | isTypeSupported | type}. */
        public String summary() {
            StringBuilder b = new StringBuilder(userAgent).append('\n');
            for (String t : PROBED_TYPES) {
                String c = canPlayType.getOrDefault(t, "?");
                b.append(String.format("  %-9s %-5s %s%n", c.isEmpty() ? "no" : c, mseSupports(t) ? "mse" : "-", t));
            }
            return b.toString();
        }
    }

    /** What the page saw; every accessor reads the JSON the page posted. {@link #toString()} is the whole story. */
    public static final class Report {
        private final Map<String, Object> json;
        private final List<String> requests;

        Report(Map<String, Object> json, BrowserPlayback b) {
            this.json = json;
            this.requests = b.requestLog();
        }

        public Map<String, Object> json() {
            return json;
        }

        /** How the run ended: "ended", "error", "timeout", "unsupported" or "exception". */
        public String outcome() {
            return String.valueOf(json.get("outcome"));
        }

        public boolean ended() {
            return Boolean.TRUE.equals(json.get("ended"));
        }

        /** canPlayType of the type asked (src mode), "" when the browser says no. */
        public String canPlayType() {
            return String.valueOf(json.getOrDefault("canPlayType", ""));
        }

        /** MediaSource.isTypeSupported of every track's type (MSE mode). */
        public boolean typesSupported() {
            return Boolean.TRUE.equals(json.get("typesSupported"));
        }

        /** The element's duration at loadedmetadata (NaN when metadata never loaded). */
        public double durationAtMetadata() {
            return num("durationAtMetadata");
        }

        /** The element's duration when the run ended (Chromium may extend it when playback passed the estimate). */
        public double duration() {
            return num("duration");
        }

        public double currentTime() {
            return num("currentTime");
        }

        public double maxCurrentTime() {
            return num("maxCurrentTime");
        }

        public int videoWidth() {
            return (int) num("videoWidth");
        }

        public int videoHeight() {
            return (int) num("videoHeight");
        }

        /** MediaError code (1 aborted, 2 network, 3 decode, 4 src not supported), 0 when none. */
        public int errorCode() {
            return (int) num("errorCode");
        }

        public String errorMessage() {
            return String.valueOf(json.getOrDefault("errorMessage", ""));
        }

        /** getVideoPlaybackQuality().totalVideoFrames: frames the decoder produced. */
        public long totalVideoFrames() {
            return (long) num("totalVideoFrames");
        }

        public long droppedVideoFrames() {
            return (long) num("droppedVideoFrames");
        }

        /** webkitAudioDecodedByteCount (Chromium-only): compressed audio bytes fed to the decoder. */
        public long audioDecodedBytes() {
            return (long) num("audioDecodedBytes");
        }

        /** webkitVideoDecodedByteCount (Chromium-only). */
        public long videoDecodedBytes() {
            return (long) num("videoDecodedBytes");
        }

        /** The element's buffered ranges at the end, [[start, end], ...] in seconds. */
        public List<double[]> buffered() {
            List<double[]> out = new ArrayList<>();
            Object b = json.get("buffered");
            if (b instanceof List<?> l) {
                for (Object r : l) {
                    List<?> p = (List<?>) r;
                    out.add(new double[] {((Number) p.get(0)).doubleValue(), ((Number) p.get(1)).doubleValue()});
                }
            }
            return out;
        }

        /** Segments appended to SourceBuffers (MSE mode). */
        public int segmentsAppended() {
            return (int) num("segmentsAppended");
        }

        /** Wall-clock time of the run, Chromium start to report, in milliseconds. */
        public long wallMillis() {
            return (long) num("wallMs");
        }

        private double num(String k) {
            Object v = json.get(k);
            return v instanceof Number n ? n.doubleValue() : Double.NaN;
        }

        @Override
        public String toString() {
            Map<String, Object> shown = new LinkedHashMap<>(json);
            Object err = shown.remove("chromiumStderr");
            return "chromium playback report: " + toJson(shown) + "\nchromium stderr (tail):\n" + err
                    + "\nHTTP requests (tail):\n" + String.join("\n", requests);
        }
    }
}
