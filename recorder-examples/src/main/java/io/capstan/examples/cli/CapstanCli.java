package io.capstan.examples.cli;

import io.capstan.mux.Container;
import io.capstan.mux.common.Repair;
import io.capstan.mux.standard.Recovery;
import io.capstan.net.UdpReceiver;
import io.capstan.pcap.CaptureFormatException;
import io.capstan.pcap.CaptureReader;
import io.capstan.pcap.UdpDatagram;
import io.capstan.records.RecordsHttpHandler;
import io.capstan.sdp.SdpException;
import io.capstan.sdp.SdpParser;
import io.capstan.sdp.SessionDescription;
import io.capstan.session.SegmentInfo;
import io.capstan.storage.StorageSink;
import io.capstan.storage.fs.FileSystemSink;
import io.capstan.session.NamingOptions;
import io.capstan.session.NamingTemplate;
import io.capstan.storage.s3.S3Sink;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The {@code capstan} command line: {@code convert} a capture (pcap/pcapng + SDP) into files, {@code listen} for
 * live RTP on the SDP's ports, or record the bundled {@code demo}. Errors are one line on stderr and a non-zero
 * exit code, never a stack trace.
 */
public final class CapstanCli {

    static final String USAGE = """
            usage: capstan convert --sdp FILE --pcap FILE --out DIR [--container C] [--per-track]
                                   [--report FILE.json] [--stream NAME] [NAMING] [HOOKS]
                   capstan listen  --sdp FILE --out DIR [--duration 30s] [--container C] [--per-track]
                                   [--report FILE.json] [--stream NAME] [--bind ADDRESS] [NAMING] [HOOKS]
                   capstan whip    --out DIR [--port 8080] [--bind ADDRESS] [--token T] [--container C]
                                   [--per-track] [--ice-address A[,B]] [--ice-port P] [--duration D]
                                   [--max-publishers 1000]
                                   [--stream NAME] [--report FILE.json] [NAMING] [HOOKS]
                                   WHIP (RFC 9725) at http://HOST:PORT/whip, a publish page at /
                   capstan serve   [--dir DIR] [--port 8080] [--token T] [--disposition inline|attachment]
                                   [--bind ADDRESS]   HTTP: GET /api/records, GET /records/NAME[?start=S&end=E]
                   capstan recover FILE...   finalize files left by an interrupted recording (NAME.part -> NAME)
                   capstan upload  --spool DIR [S3 options]   finish the uploads left pending in DIR
                   capstan demo    [--out DIR]
            containers (C): auto (default), webm, mkv, mp4, fmp4, dash, hls, ts, ivf, ogg
            S3 options (convert, listen, upload; --out DIR is the local spool):
                   --s3-bucket B --s3-endpoint URL --s3-region R --s3-prefix P --s3-path-style
                   --s3-credentials-file FILE --delete-after-upload --upload-timeout 5m
              environment: UPLOAD_RECORDINGS, S3_BUCKET, S3_ENDPOINT, S3_REGION, S3_PREFIX, S3_PATH_STYLE,
                   S3_USE_SSL, S3_ACCESS_KEY, S3_SECRET_KEY, S3_SESSION_TOKEN, DELETE_RECORDING_AFTER_UPLOAD
                   (flags win; secrets only from the environment or the credentials file)
            SESSION (convert, listen, whip): [--rotate 20|20s|5m|10M|1h@wallclock|disabled]   env RECORD_ROTATION
            NAMING: [--template TEMPLATE] [--encode-names hex|base64] [--exclude-chars CHARS] [--no-index]
                    [--tmp-dir DIR]   e.g. --template '{stream}/{yyyy}/{MM}/{dd}/{stream}_{index}_{duration}'
              placeholders: {stream} {room} {track} {ssrc} {participant} {sessionId} {mediaSessionId} {codec}
                   {videoCodec} {audioCodec} {startTime} {endTime} {startTimeMillis} {endTimeMillis} {duration}
                   {index} {yyyy} {MM} {dd} {HH} {mm} {ss}
              environment (a flag wins): RECORD_TEMPLATE, RECORD_TMP_DIR
            HOOKS: [--hook COMMAND] [--hook-timeout 30s] [--metadata-url URL] [--node-alias NAME]
            environment (a flag wins): RECORD_HOOK, RECORD_METADATA_URL, RECORD_NODE_ALIAS, RECORD_DIR (--out, serve --dir),
                                       RECORD_TOKEN (serve --token), WHIP_TOKEN (whip --token)
            """;

    /** Exit code when the recording succeeded but some uploads are still pending in the spool. */
    static final int EXIT_UPLOAD_PENDING = 3;

    private final PrintStream stdout;
    private final PrintStream err;
    /** Session settings from the options of the running command (rotation...), applied to its session builder. */
    private java.util.function.UnaryOperator<io.capstan.session.RecordingSession.Builder> tuning = b -> b;
    private final Map<String, String> env;
    private final CountDownLatch serveStop = new CountDownLatch(1);
    private volatile java.net.InetSocketAddress serving;

    CapstanCli(PrintStream out, PrintStream err) {
        this(out, err, System.getenv());
    }

    /** With {@code env} in place of the process environment (tests). */
    CapstanCli(PrintStream out, PrintStream err, Map<String, String> env) {
        this.stdout = out;
        this.err = err;
        this.env = Map.copyOf(env);
    }

    /**
     * ice4j and Jitsi's configuration log through java.util.logging at INFO (every harvest, every pair), which
     * nothing else here uses: the CLI keeps JUL to severe errors and reports what matters itself. Held here so the
     * configured logger is not collected (JUL keeps loggers weakly).
     */
    private static final List<java.util.logging.Logger> QUIET = List.of(java.util.logging.Logger.getLogger(""));

    public static void main(String[] args) {
        QUIET.forEach(l -> l.setLevel(java.util.logging.Level.SEVERE));
        // the CLI reports every upload event itself (stdout/stderr); and the SDK's signer must never log at debug
        // (it would print canonical requests, session token included), whatever default level a user sets
        System.setProperty("org.slf4j.simpleLogger.log.io.capstan.storage.s3",
                System.getProperty("org.slf4j.simpleLogger.log.io.capstan.storage.s3", "off"));
        System.setProperty("org.slf4j.simpleLogger.log.software.amazon.awssdk.http.auth", "info");
        int code = new CapstanCli(System.out, System.err, System.getenv()).run(args);
        System.exit(code);
    }

    /** Runs a command; returns the exit code. */
    int run(String[] args) {
        try {
            if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
                stdout.print(USAGE);
                return args.length == 0 ? 2 : 0;
            }
            Map<String, String> opts = args[0].equals("recover") ? Map.of() : parse(args);
            return switch (args[0]) {
                case "convert" -> convert(opts);
                case "listen" -> listen(opts);
                case "serve" -> serve(opts);
                case "whip" -> whip(opts);
                case "demo" -> demo(opts);
                case "recover" -> recover(java.util.Arrays.copyOfRange(args, 1, args.length));
                case "upload" -> upload(opts);
                default -> throw new CliException(2, "unknown command '" + args[0] + "'\n" + USAGE);
            };
        } catch (CliException e) {
            err.println("capstan: " + e.getMessage());
            return e.exitCode;
        } catch (RuntimeException | IOException e) {
            err.println("capstan: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("capstan: interrupted");
            return 130;
        }
    }

    private static final List<String> FLAGS = List.of("--per-track", "--s3-path-style", "--delete-after-upload",
            "--no-index");
    private static final List<String> VALUED = List.of("--sdp", "--pcap", "--out", "--container", "--report",
            "--duration", "--stream", "--bind", "--rotate", "--s3-endpoint", "--s3-bucket", "--s3-region", "--s3-prefix",
            "--s3-credentials-file", "--upload-timeout", "--spool", "--hook", "--hook-timeout", "--metadata-url",
            "--node-alias", "--dir", "--port", "--token", "--disposition", "--template", "--encode-names",
            "--exclude-chars", "--tmp-dir", "--ice-address", "--ice-port", "--max-publishers");

    static final String ENV_TEMPLATE = "RECORD_TEMPLATE";
    static final String ENV_TMP_DIR = "RECORD_TMP_DIR";

    private static Map<String, String> parse(String[] args) throws CliException {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            if (a.startsWith("--s3-") && (a.contains("secret") || a.contains("access-key") || a.contains("token"))) {
                // never echo the value: it would be a secret
                throw new CliException(2, a + " is not accepted: S3 secrets are read from the environment (S3_ACCESS_KEY,"
                        + " S3_SECRET_KEY, S3_SESSION_TOKEN) or --s3-credentials-file, never from the command line");
            }
            if (FLAGS.contains(a)) {
                m.put(a, "true");
            } else if (VALUED.contains(a)) {
                if (value == null) {
                    if (i + 1 >= args.length) {
                        throw new CliException(2, a + " needs a value");
                    }
                    value = args[++i];
                }
                m.put(a, value);
            } else {
                throw new CliException(2, "unknown option '" + a + "'\n" + USAGE); // a, not args[i]: no value echoed
            }
        }
        return m;
    }

    /** {@code --out DIR}, else the {@code RECORD_DIR} environment variable. */
    private String outOption(Map<String, String> o) throws CliException {
        String v = o.get("--out");
        if (v == null || v.isBlank()) {
            v = env.get(ENV_DIR);
        }
        if (v == null || v.isBlank()) {
            throw new CliException(2, "--out is required (or RECORD_DIR)\n" + USAGE);
        }
        return v;
    }

    private static String required(Map<String, String> o, String key) throws CliException {
        String v = o.get(key);
        if (v == null || v.isBlank()) {
            throw new CliException(2, key + " is required\n" + USAGE);
        }
        return v;
    }

    private static Container container(Map<String, String> o) throws CliException {
        String c = o.getOrDefault("--container", "auto");
        return Container.fromId(c).orElseThrow(() -> new CliException(2, "unknown container '" + c
                + "' (auto, webm, mkv, mp4, fmp4, dash, hls, ts, ivf, ogg)"));
    }

    private static SessionDescription readSdp(Path p) throws CliException, IOException {
        try {
            return SdpParser.parse(p);
        } catch (NoSuchFileException e) {
            throw new CliException(1, "SDP file not found: " + p);
        } catch (SdpException e) {
            throw new CliException(1, "cannot read SDP " + p + ": " + e.getMessage());
        }
    }

    private static Path outDir(String dir) throws CliException {
        Path p = Path.of(dir);
        try {
            Files.createDirectories(p);
        } catch (IOException e) {
            throw new CliException(1, "cannot create output directory " + p + ": " + e.getMessage());
        }
        return p;
    }

    private static String stream(Map<String, String> o, String fallback) {
        return o.getOrDefault("--stream", fallback);
    }

    /** --template (or RECORD_TEMPLATE), --encode-names, --exclude-chars, --no-index. */
    private Recorder.Naming naming(Map<String, String> o) throws CliException {
        NamingOptions opts = NamingOptions.DEFAULT;
        try {
            if (o.containsKey("--encode-names")) {
                opts = opts.withEncoding(NamingOptions.Encoding.parse(o.get("--encode-names")));
            }
        } catch (IllegalArgumentException e) {
            throw new CliException(2, "--encode-names: " + e.getMessage());
        }
        if (o.containsKey("--exclude-chars")) {
            opts = opts.withExcludedChars(o.get("--exclude-chars"));
        }
        if (o.containsKey("--no-index")) {
            opts = opts.withIndex(false);
        }
        String template = Hooks.setting(o, "--template", env, ENV_TEMPLATE);
        if (template != null) {
            try {
                new NamingTemplate(template, opts);
            } catch (IllegalArgumentException e) {
                throw new CliException(2, "--template: " + e.getMessage());
            }
        }
        return new Recorder.Naming(template, opts);
    }

    /** The local sink under {@code out}; with --tmp-dir (or RECORD_TMP_DIR) files are written there first. */
    private FileSystemSink localSink(Map<String, String> o, Path out) throws CliException {
        String tmp = Hooks.setting(o, "--tmp-dir", env, ENV_TMP_DIR);
        if (tmp == null) {
            return new FileSystemSink(out);
        }
        Path dir = outDir(tmp);
        if (dir.toAbsolutePath().normalize().startsWith(out.toAbsolutePath().normalize())) {
            throw new CliException(2, "--tmp-dir " + tmp + " must not be inside --out " + out);
        }
        return FileSystemSink.builder(out).tmpDir(dir).build();
    }

    /** Where a recording command writes: local files under --out, or S3 with --out as the spool. */
    private record Output(S3Options s3, StorageSink local, S3Sink uploads) {
    }

    private Output output(Map<String, String> o, Path out) throws CliException, IOException {
        S3Options s3 = S3Options.from(o, env, false);
        if (s3 != null && o.containsKey("--tmp-dir")) {
            throw new CliException(2, "--tmp-dir applies to local files; with S3, --out is the spool");
        }
        return s3 == null ? new Output(null, localSink(o, out), null)
                : new Output(s3, null, s3.open(out, null, stdout, err));
    }

    private static String baseName(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    // ---------------------------------------------------------------- convert

    /** Session settings shared by convert and listen: {@code --rotate} (or RECORD_ROTATION). */
    private void sessionOptions(Map<String, String> o) throws CliException {
        String r = o.getOrDefault("--rotate", env.get("RECORD_ROTATION"));
        if (r != null && !r.isBlank()) {
            io.capstan.session.RotationPolicy policy;
            try {
                policy = io.capstan.session.RotationPolicy.parse(r);
            } catch (IllegalArgumentException e) {
                throw new CliException(2, e.getMessage());
            }
            tuning = b -> b.rotation(policy);
        }
    }

    private int convert(Map<String, String> o) throws CliException, IOException {
        sessionOptions(o);
        Path sdpPath = Path.of(required(o, "--sdp"));
        Path pcapPath = Path.of(required(o, "--pcap"));
        Path out = outDir(outOption(o));
        Container container = container(o);
        SdpTracks tracks = SdpTracks.from(readSdp(sdpPath));
        if (!Files.isRegularFile(pcapPath)) {
            throw new CliException(1, "capture file not found: " + pcapPath);
        }
        Recorder.Naming naming = naming(o);
        Output output = output(o, out);
        S3Options s3 = output.s3();
        StorageSink local = output.local();
        S3Sink uploads = output.uploads();
        int rc = 1;
        try (InputStream in = Files.newInputStream(pcapPath); Hooks hooks = Hooks.from(o, env, err)) {
            rc = convertStream(in, pcapPath.toString(), tracks, out, uploads != null ? uploads : local,
                    container, o.containsKey("--per-track"), stream(o, baseName(pcapPath)), o.get("--report"), hooks,
                    naming);
        } finally {
            if (uploads != null) {
                rc = finishUploads(uploads, s3.uploadTimeout, rc);
            }
        }
        return rc;
    }

    /**
     * Waits up to {@code timeout} for the sink's uploads (it retries with backoff meanwhile), then closes it; what
     * is still pending stays in the spool and is reported with the command that resumes it.
     */
    private int finishUploads(S3Sink uploads, Duration timeout, int rc) {
        boolean done;
        try {
            done = uploads.awaitUploads(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            done = false;
        }
        List<io.capstan.storage.s3.PendingUpload> pending = uploads.pending();
        uploads.close();
        if (done && pending.isEmpty()) {
            return rc;
        }
        err.println("capstan: " + pending.size() + " upload(s) not finished (waited up to " + timeout.toSeconds()
                + " s); kept in the spool " + uploads.spool() + ":");
        for (io.capstan.storage.s3.PendingUpload p : pending) {
            err.println("capstan:   " + p.key() + " (" + p.bytes() + " bytes, " + p.state()
                    + (p.lastError() != null ? ": " + p.lastError() : "") + ")");
        }
        err.println("capstan: resume with: capstan upload --spool " + uploads.spool() + " (or the next run on it)");
        return rc == 0 ? EXIT_UPLOAD_PENDING : rc;
    }

    // ---------------------------------------------------------------- upload

    /** Resumes the uploads recorded in a spool directory. Exit 0 when all arrived, 3 when some are still pending. */
    private int upload(Map<String, String> o) throws CliException, IOException {
        Path spool = Path.of(required(o, "--spool"));
        if (!Files.isDirectory(spool)) {
            throw new CliException(1, "spool directory not found: " + spool);
        }
        S3Options s3 = S3Options.from(o, env, true);
        java.util.Set<String> buckets = S3Sink.spooledBuckets(spool);
        if (buckets.isEmpty()) {
            stdout.println("nothing to upload in " + spool);
            return 0;
        }
        S3Sink uploads = s3.open(spool, buckets.iterator().next(), stdout, err);
        int n = uploads.pending().size();
        stdout.println("resuming " + n + " upload(s) from " + uploads.spool());
        return finishUploads(uploads, s3.uploadTimeout, 0);
    }

    private int convertStream(InputStream in, String name, SdpTracks tracks, Path out, StorageSink sink,
                              Container container,
                              boolean perTrack, String stream, String reportPath, Hooks hooks, Recorder.Naming naming)
            throws CliException, IOException {
        CaptureReader reader;
        try {
            reader = CaptureReader.open(in);
        } catch (CaptureFormatException e) {
            throw new CliException(1, name + " is not a readable capture: " + e.getMessage());
        }
        List<SegmentInfo> segments;
        Recorder rec;
        long datagrams = 0;
        try (reader) {
            UdpDatagram first;
            try {
                first = reader.next();
            } catch (CaptureFormatException e) {
                throw new CliException(1, name + " is not a readable capture: " + e.getMessage());
            }
            if (first == null) {
                throw new CliException(1, name + " holds no UDP datagrams");
            }
            Instant start = Instant.ofEpochSecond(0, first.timestampNanos());
            rec = new Recorder(tracks, sink, container, perTrack, stream, InstantSource.fixed(start),
                    Duration.ofSeconds(60), err, hooks.hooks, naming, tuning);
            rec.session.start();
            try {
                UdpDatagram d = first;
                while (d != null) {
                    datagrams++;
                    rec.datagram(d.dstPort(), d.buffer(), d.offset(), d.length(), d.timestampNanos());
                    try {
                        d = reader.next();
                    } catch (CaptureFormatException e) {
                        err.println("capstan: warning: " + name + ": " + e.getMessage() + "; using what was read");
                        d = null;
                    }
                }
            } finally {
                segments = rec.session.stop();
            }
            reader.warning().ifPresent(w -> err.println("capstan: warning: " + name + ": " + w));
        }
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("capture", name);
        input.put("format", reader.format().name().toLowerCase(Locale.ROOT));
        input.put("datagrams", datagrams);
        input.put("skippedFrames", reader.skipped());
        input.put("truncated", reader.truncated());
        return finish(rec, segments, out, input, reportPath);
    }

    private int finish(Recorder rec, List<SegmentInfo> segments, Path out, Map<String, Object> input,
                       String reportPath) throws CliException {
        Map<String, Object> report = Recorder.report(rec, segments, out, input);
        if (reportPath != null) {
            try {
                Path rp = Path.of(reportPath);
                if (rp.getParent() != null) {
                    Files.createDirectories(rp.getParent());
                }
                Files.writeString(rp, Json.write(report), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new CliException(1, "cannot write report " + reportPath + ": " + e.getMessage());
            }
        }
        for (SegmentInfo s : segments) {
            stdout.println(wrote(s));
        }
        if (segments.isEmpty()) {
            throw new CliException(1, "no media was recorded: no packets matched the SDP's tracks (ports "
                    + rec.ports() + ")" + (rec.session.errors().isEmpty() ? "" : "; " + rec.session.errors().get(0)));
        }
        return 0;
    }

    /** The line every recording command prints per file it wrote. */
    static String wrote(SegmentInfo s) {
        return "wrote " + s.location() + " (" + s.container().id() + ", " + String.join("+", s.tracks()) + ", "
                + s.totalFrames() + " frames, " + String.format(Locale.ROOT, "%.3f", s.durationMicros() / 1e6)
                + " s, " + s.bytes() + " bytes)";
    }

    // ---------------------------------------------------------------- recover

    /**
     * Repairs each file in place ({@link Recovery}); a {@code NAME.part} left by the file system sink is then
     * moved to {@code NAME} (or {@code NAME-1}... when that exists). Exit 1 when any file could not be repaired.
     */
    private int recover(String[] files) throws CliException {
        if (files.length == 0) {
            throw new CliException(2, "recover needs at least one FILE\n" + USAGE);
        }
        int failed = 0;
        for (String name : files) {
            Path f = Path.of(name);
            if (!Files.isRegularFile(f)) {
                err.println("capstan: " + f + ": no such file");
                failed++;
                continue;
            }
            try {
                Repair r = Recovery.recover(f);
                Path dest = f;
                String fn = f.getFileName().toString();
                if (fn.endsWith(".part") && fn.length() > 5) {
                    dest = freeName(f.resolveSibling(fn.substring(0, fn.length() - 5)));
                    Files.move(f, dest);
                }
                stdout.println("recovered " + dest + " (" + r.container() + ", " + r.keptBytes() + " of "
                        + r.originalBytes() + " bytes kept): " + r.action());
            } catch (IOException | RuntimeException e) {
                err.println("capstan: " + f + ": cannot recover: " + e.getMessage());
                failed++;
            }
        }
        return failed == 0 ? 0 : 1;
    }

    private static Path freeName(Path p) {
        if (!Files.exists(p)) {
            return p;
        }
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        String base = dot > 0 ? n.substring(0, dot) : n;
        String ext = dot > 0 ? n.substring(dot) : "";
        for (int i = 1; ; i++) {
            Path q = p.resolveSibling(base + "-" + i + ext);
            if (!Files.exists(q)) {
                return q;
            }
        }
    }

    // ---------------------------------------------------------------- listen

    private int listen(Map<String, String> o) throws CliException, IOException, InterruptedException {
        sessionOptions(o);
        Path sdpPath = Path.of(required(o, "--sdp"));
        Path out = outDir(outOption(o));
        SessionDescription sdp = readSdp(sdpPath);
        SdpTracks tracks = SdpTracks.from(sdp);
        Duration duration = o.containsKey("--duration") ? parseDuration(o.get("--duration")) : null;
        Recorder.Naming naming = naming(o);
        Output output = output(o, out);
        S3Options s3 = output.s3();
        StorageSink local = output.local();
        S3Sink uploads = output.uploads();
        CountDownLatch finished = new CountDownLatch(1);
        int rc = 1;
        try (Hooks hooks = Hooks.from(o, env, err)) {
            rc = listen(o, sdpPath, out, sdp, tracks, duration, naming, uploads != null ? uploads : local,
                    s3 == null ? Duration.ZERO : s3.uploadTimeout, finished, hooks);
        } finally {
            if (uploads != null) {
                rc = finishUploads(uploads, s3.uploadTimeout, rc);
            }
            finished.countDown();
        }
        return rc;
    }

    private int listen(Map<String, String> o, Path sdpPath, Path out, SessionDescription sdp, SdpTracks tracks,
                       Duration duration, Recorder.Naming naming, StorageSink sink, Duration uploadTimeout,
                       CountDownLatch finished, Hooks hooks) throws CliException, IOException, InterruptedException {
        Recorder rec = new Recorder(tracks, sink, container(o), o.containsKey("--per-track"),
                stream(o, baseName(sdpPath)), InstantSource.system(), Duration.ZERO, err, hooks.hooks, naming, tuning);
        UdpReceiver.Builder rb = UdpReceiver.builder(rec::datagram);
        rb.ports(rec.ports().stream().mapToInt(Integer::intValue).toArray());
        rb.bindAddress(o.containsKey("--bind") ? java.net.InetAddress.getByName(o.get("--bind"))
                : UdpReceiver.defaultBindAddress(sdp));
        rb.onError(t -> err.println("capstan: warning: receive failed: " + t.getMessage()));
        rec.session.start();
        CountDownLatch stop = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.countDown();
            try { // Ctrl-C: let the recording close and its uploads finish (bounded by --upload-timeout)
                finished.await(uploadTimeout.toMillis() + 30_000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "capstan-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        UdpReceiver receiver;
        try {
            receiver = rb.start();
        } catch (IOException e) {
            rec.session.stop();
            throw new CliException(1, e.getMessage());
        }
        err.println("capstan: listening on " + receiver.bindAddress().getHostAddress() + " ports " + receiver.localPorts()
                + (duration != null ? " for " + duration.toSeconds() + " s" : " (Ctrl-C to stop)"));
        long end = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
        while (System.nanoTime() < end && !stop.await(100, TimeUnit.MILLISECONDS)) {
            rec.session.poll(System.nanoTime());
        }
        receiver.close();
        List<SegmentInfo> segments = rec.session.stop();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // already shutting down
        }
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("listen", receiver.localPorts());
        input.put("datagrams", receiver.datagramsReceived());
        return finish(rec, segments, out, input, o.get("--report"));
    }

    static Duration parseDuration(String s) throws CliException {
        String t = s.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            } else if (t.endsWith("s")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
            } else if (t.endsWith("m")) {
                return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)) * 60);
            } else if (t.endsWith("h")) {
                return Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
            }
            return Duration.ofSeconds(Long.parseLong(t));
        } catch (NumberFormatException e) {
            throw new CliException(2, "bad duration '" + s + "' (e.g. 30s, 500ms, 2m)");
        }
    }

    // ---------------------------------------------------------------- serve

    static final String ENV_DIR = "RECORD_DIR";
    static final String ENV_TOKEN = "RECORD_TOKEN";

    /**
     * Serves a recording directory over HTTP ({@link RecordsHttpHandler}) until the process is stopped (or, in
     * tests, {@link #stopServing()}).
     */
    private int serve(Map<String, String> o) throws CliException, IOException, InterruptedException {
        String dirArg = Hooks.setting(o, "--dir", env, ENV_DIR);
        if (dirArg == null) {
            throw new CliException(2, "serve needs --dir DIR (or RECORD_DIR)\n" + USAGE);
        }
        Path dir = Path.of(dirArg);
        if (!Files.isDirectory(dir)) {
            throw new CliException(1, "not a directory: " + dir);
        }
        int port;
        try {
            port = Integer.parseInt(o.getOrDefault("--port", "8080"));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new CliException(2, "bad --port '" + o.get("--port") + "' (0..65535)");
        }
        RecordsHttpHandler.Disposition disposition;
        try {
            disposition = RecordsHttpHandler.Disposition.parse(o.getOrDefault("--disposition", "inline"));
        } catch (IllegalArgumentException e) {
            throw new CliException(2, e.getMessage());
        }
        String token = Hooks.setting(o, "--token", env, ENV_TOKEN);
        java.net.InetAddress bind = o.containsKey("--bind") ? java.net.InetAddress.getByName(o.get("--bind"))
                : new java.net.InetSocketAddress(0).getAddress();
        RecordsHttpHandler handler = RecordsHttpHandler.builder(dir).token(token).disposition(disposition).build();
        com.sun.net.httpserver.HttpServer server;
        try {
            server = handler.start(new java.net.InetSocketAddress(bind, port), 8);
        } catch (java.net.BindException e) {
            throw new CliException(1, "cannot listen on " + bind.getHostAddress() + " port " + port + ": "
                    + (e.getMessage() == null ? "address in use" : e.getMessage())
                    + " (is another server using that port? pick another with --port)");
        }
        Thread hook = new Thread(serveStop::countDown, "capstan-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            serving = server.getAddress();
            err.println("capstan: serving " + handler.root() + " on http://" + bind.getHostAddress() + ":"
                    + server.getAddress().getPort() + "/ (GET /api/records, GET /records/NAME[?start=S&end=E])"
                    + (token != null ? ", bearer token required" : "") + "; Ctrl-C to stop");
            serveStop.await();
        } finally {
            server.stop(0);
            serving = null;
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // already shutting down
            }
        }
        return 0;
    }

    /** The address {@code serve} listens on, once it does (tests). */
    java.net.InetSocketAddress serving() {
        return serving;
    }

    /** Ends a running {@code serve} (tests; the process's shutdown does the same). */
    void stopServing() {
        serveStop.countDown();
    }

    // ---------------------------------------------------------------- whip

    static final String ENV_WHIP_TOKEN = "WHIP_TOKEN";

    /**
     * Records what browsers (or any WHIP client) publish until the process is stopped, {@code --duration} ends
     * or, in tests, {@link #stopServing()}; each WHIP resource becomes its own recording.
     */
    private int whip(Map<String, String> o) throws CliException, IOException, InterruptedException {
        sessionOptions(o);
        Path out = outDir(outOption(o));
        Container container = container(o);
        Recorder.Naming naming = naming(o);
        int port = port(o.getOrDefault("--port", "8080"), "--port");
        int icePort = port(o.getOrDefault("--ice-port", "0"), "--ice-port");
        java.net.InetAddress bind = o.containsKey("--bind") ? java.net.InetAddress.getByName(o.get("--bind"))
                : new java.net.InetSocketAddress(0).getAddress();
        List<java.net.InetSocketAddress> ice = new ArrayList<>();
        if (o.containsKey("--ice-address")) {
            for (String a : o.get("--ice-address").split(",")) {
                if (!a.isBlank()) {
                    java.net.InetAddress ip = io.capstan.webrtc.ice.IceSession.literal(a.trim());
                    if (ip == null || ip.isAnyLocalAddress()) {
                        throw new CliException(2, "--ice-address needs IP addresses of this machine, got '" + a.trim()
                                + "'");
                    }
                    ice.add(new java.net.InetSocketAddress(ip, icePort));
                }
            }
        } else {
            for (java.net.InetAddress ip : io.capstan.webrtc.ice.IcePorts.localAddresses()) {
                ice.add(new java.net.InetSocketAddress(ip, icePort));
            }
        }
        Duration duration = o.containsKey("--duration") ? parseDuration(o.get("--duration")) : null;
        String token = Hooks.setting(o, "--token", env, ENV_WHIP_TOKEN);
        int maxPublishers;
        try {
            maxPublishers = Integer.parseInt(o.getOrDefault("--max-publishers", "1000").trim());
        } catch (NumberFormatException e) {
            maxPublishers = 0;
        }
        if (maxPublishers < 1) {
            throw new CliException(2, "bad --max-publishers '" + o.get("--max-publishers") + "' (a positive number)");
        }
        Output output = output(o, out);
        S3Options s3 = output.s3();
        StorageSink local = output.local();
        S3Sink uploads = output.uploads();
        int rc = 0;
        List<Map<String, Object>> resources;
        try (Hooks hooks = Hooks.from(o, env, err)) {
            WhipRecorder.Settings settings = new WhipRecorder.Settings(new java.net.InetSocketAddress(bind, port), ice,
                    token, maxPublishers, container, o.containsKey("--per-track"), stream(o, "whip"),
                    uploads != null ? uploads : local, hooks.hooks, naming, tuning);
            WhipRecorder w = WhipRecorder.start(settings, stdout, err);
            Thread hook = new Thread(serveStop::countDown, "capstan-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                serving = w.httpAddress();
                String host = bind.isAnyLocalAddress() ? w.candidates().get(0).getAddress().getHostAddress()
                        : bind.getHostAddress();
                err.println("capstan: WHIP endpoint http://" + (host.contains(":") ? "[" + host + "]" : host) + ":"
                        + w.httpAddress().getPort() + "/whip (publish page at /), ICE on UDP " + w.candidates().stream()
                        .map(a -> a.getAddress().getHostAddress() + ":" + a.getPort()).toList()
                        + ", video " + WhipRecorder.codecs(container, o.containsKey("--per-track")) + " with Opus"
                        + (token != null ? ", bearer token required" : "")
                        + (duration != null ? "; stopping after " + duration.toSeconds() + " s" : "; Ctrl-C to stop"));
                if (duration != null) {
                    serveStop.await(duration.toMillis(), TimeUnit.MILLISECONDS);
                } else {
                    serveStop.await();
                }
            } finally {
                w.close();
                serving = null;
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException ignored) {
                    // already shutting down
                }
            }
            resources = w.ended();
        } finally {
            if (uploads != null) {
                rc = finishUploads(uploads, s3.uploadTimeout, rc);
            }
        }
        if (o.get("--report") != null) {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("resources", resources);
            report.put("outputDirectory", out.toAbsolutePath().toString());
            try {
                Files.writeString(Path.of(o.get("--report")), Json.write(report), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new CliException(1, "cannot write report " + o.get("--report") + ": " + e.getMessage());
            }
        }
        err.println("capstan: " + resources.size() + " WHIP resource(s) recorded");
        return rc;
    }

    private static int port(String v, String flag) throws CliException {
        try {
            int p = Integer.parseInt(v.trim());
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new CliException(2, "bad " + flag + " '" + v + "' (0..65535)");
    }

    // ---------------------------------------------------------------- demo

    private int demo(Map<String, String> o) throws CliException, IOException {
        Path out = outDir(o.getOrDefault("--out", "records"));
        String sdpText;
        try (InputStream s = CapstanCli.class.getResourceAsStream("/demo/demo.sdp")) {
            if (s == null) {
                throw new CliException(1, "the demo capture is missing from this build");
            }
            sdpText = new String(s.readAllBytes(), StandardCharsets.UTF_8);
        }
        SdpTracks tracks;
        try {
            tracks = SdpTracks.from(SdpParser.parse(sdpText));
        } catch (SdpException e) {
            throw new CliException(1, "bundled demo SDP unreadable: " + e.getMessage());
        }
        stdout.println("capstan demo: recording the bundled VP8 + Opus RTP capture (pushed through a RecordingSession) into "
                + out.toAbsolutePath());
        List<String> reports = new ArrayList<>();
        try (InputStream pcap = CapstanCli.class.getResourceAsStream("/demo/demo.pcap")) {
            if (pcap == null) {
                throw new CliException(1, "the demo capture is missing from this build");
            }
            int rc;
            try (Hooks hooks = Hooks.from(Map.of(), Map.of(), err)) {
                rc = convertStream(pcap, "demo.pcap", tracks, out, new FileSystemSink(out), Container.AUTO, false,
                        "demo", out.resolve("demo-report.json").toString(), hooks, Recorder.Naming.DEFAULT);
            }
            reports.add(out.resolve("demo-report.json").toString());
            stdout.println("report: " + String.join(", ", reports));
            return rc;
        }
    }
}
