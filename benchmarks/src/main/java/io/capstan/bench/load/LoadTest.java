package io.capstan.bench.load;

import io.capstan.mux.Container;
import io.capstan.mux.standard.StandardMuxers;
import io.capstan.net.UdpReceiver;
import io.capstan.rtp.RtcpParser;
import io.capstan.session.RecorderExecutor;
import io.capstan.session.RecordingEvent;
import io.capstan.session.RecordingSession;
import io.capstan.session.RotationPolicy;
import io.capstan.session.SegmentInfo;
import io.capstan.session.TrackInput;
import io.capstan.session.TrackStats;
import io.capstan.storage.fs.FileSystemSink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * The concurrency load test (issue 7, part 2): N live recording sessions, each fed the ~2 Mbit/s VP8 + Opus
 * capture of {@code benchmarks/load/make-capture.sh} at real-time pace, recording WebM files through
 * {@link FileSystemSink} with rotation; finished files are deleted as soon as they are closed (so disk use stays
 * bounded). Modes:
 *
 * <ul>
 *   <li>{@code inproc}: feeder threads push each datagram straight into the session
 *       ({@link TrackInput#pushRtp} / {@link RecordingSession#pushRtcp});</li>
 *   <li>{@code udp}: feeder threads send each datagram over loopback to the session's own UDP ports (one port per
 *       stream, RTCP multiplexed on it), received by a few {@link UdpReceiver}s (one receive thread each, many
 *       ports per selector) that route by port, as a host would;</li>
 *   <li>{@code soak}: one size (the first of {@code --sizes}) for {@code --seconds}, the heap after a GC sampled
 *       every {@code --sample} seconds, and its slope.</li>
 * </ul>
 *
 * For each N it measures, over a window after a warm-up: process CPU (share of the whole machine), the feeders'
 * own CPU (per-thread CPU time) and the rest by thread group, heap (peak, and after a GC), GC pauses, late
 * datagrams (feeder behind schedule by more than 20 ms), frames dropped (overflow of the muxing lane = dropped for
 * lack of time, and all drops), loss, files and bytes written, and how late each rotated file was closed compared
 * with its media end (the lane's lag). Results: {@code load-MODE.md}, {@code .csv}, {@code .png} in {@code --out}.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.capstan.bench.load.LoadTest --mode inproc --sizes 100,250
 *      --seconds 60 --capture benchmarks/target/load-capture/vp8_opus_2m.pcap --out benchmarks/results</pre>
 */
public final class LoadTest {

    private LoadTest() {
    }

    // ------------------------------------------------------------------------------------------------ options

    static final class Options {
        String mode = "inproc";
        int[] sizes = {100, 250, 500, 1000};
        int seconds = 60;
        int warmup = 20;
        int sample = 10;
        int feeders = 2;
        int receivers = 2;
        int muxThreads = 0; // 0 = RecorderExecutor.shared()
        int reorderSlots = 0; // 0 = the library default
        String rotate = "10s";
        Path capture;
        Path sdp;
        Path out = Path.of("benchmarks/results");
        Path dir;
        String label = "";
        String command = "";
        long seed = 42;
        int maxFrames = 0; // 0 = the library default (maxFramesInFlight)
        String tag = "";
        double heapGuard = 0.75;

        /** Base name of the result files: load-MODE[-TAG]. */
        String base() {
            return "load-" + mode + (tag.isEmpty() ? "" : "-" + tag);
        }

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String v = i + 1 < args.length ? args[i + 1] : null;
                switch (a) {
                    case "--mode" -> { o.mode = v; i++; }
                    case "--sizes" -> {
                        o.sizes = Arrays.stream(v.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
                        i++;
                    }
                    case "--seconds" -> { o.seconds = Integer.parseInt(v); i++; }
                    case "--warmup" -> { o.warmup = Integer.parseInt(v); i++; }
                    case "--sample" -> { o.sample = Integer.parseInt(v); i++; }
                    case "--feeders" -> { o.feeders = Integer.parseInt(v); i++; }
                    case "--receivers" -> { o.receivers = Integer.parseInt(v); i++; }
                    case "--mux-threads" -> { o.muxThreads = Integer.parseInt(v); i++; }
                    case "--reorder-slots" -> { o.reorderSlots = Integer.parseInt(v); i++; }
                    case "--rotate" -> { o.rotate = v; i++; }
                    case "--capture" -> { o.capture = Path.of(v); i++; }
                    case "--sdp" -> { o.sdp = Path.of(v); i++; }
                    case "--out" -> { o.out = Path.of(v); i++; }
                    case "--dir" -> { o.dir = Path.of(v); i++; }
                    case "--label" -> { o.label = v; i++; }
                    case "--command" -> { o.command = v; i++; }
                    case "--seed" -> { o.seed = Long.parseLong(v); i++; }
                    case "--max-frames" -> { o.maxFrames = Integer.parseInt(v); i++; }
                    case "--tag" -> { o.tag = v; i++; }
                    case "--heap-guard" -> { o.heapGuard = Double.parseDouble(v); i++; }
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (!List.of("inproc", "udp", "soak", "soak-udp").contains(o.mode)) {
                throw new IllegalArgumentException("--mode inproc|udp|soak|soak-udp");
            }
            if (o.capture == null) {
                throw new IllegalArgumentException("--capture PCAP is required (benchmarks/load/make-capture.sh)");
            }
            if (o.sdp == null) {
                String name = o.capture.getFileName().toString().replaceFirst("\\.pcap$", "");
                o.sdp = o.capture.resolveSibling(name + ".sdp");
            }
            if (o.dir == null) {
                Path shm = Path.of("/dev/shm");
                o.dir = Files.isDirectory(shm) && Files.isWritable(shm)
                        ? shm.resolve("capstan-load-" + ProcessHandle.current().pid())
                        : Path.of(System.getProperty("java.io.tmpdir"), "capstan-load-" + ProcessHandle.current().pid());
            }
            return o;
        }

        boolean udp() {
            return mode.startsWith("udp") || mode.equals("soak-udp");
        }

        boolean soak() {
            return mode.startsWith("soak");
        }
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (RuntimeException e) {
            System.err.println("LoadTest: " + e.getMessage());
            System.exit(2);
            return;
        }
        LoadCapture capture = LoadCapture.load(o.capture, o.sdp);
        Files.createDirectories(o.out);
        Files.createDirectories(o.dir);
        Metrics.install();
        log("capture %s: %d datagrams per %.1f s pass, %.2f Mbit/s, %.0f RTP packets/s per session; tracks %s",
                o.capture, capture.size(), capture.passNanos / 1e9, capture.rtpBitsPerSecond() / 1e6,
                capture.rtpPacketsPerSecond(), capture.tracks.stream().map(t -> t.id() + "=" + t.codec()).toList());
        log("mode %s, sizes %s, warm-up %d s, window %d s, %d feeders, files under %s (rotation %s, deleted when closed)",
                o.mode, Arrays.toString(o.sizes), o.warmup, o.seconds, o.feeders, o.dir, o.rotate);
        try {
            if (o.soak()) {
                Soak s = runSoak(o, capture);
                Report.writeSoak(o, capture, s);
            } else {
                List<Row> rows = new ArrayList<>();
                for (int n : o.sizes) {
                    rows.add(runSize(o, capture, n, null));
                    Report.writeRamp(o, capture, rows); // after every size: partial results survive
                }
            }
        } finally {
            deleteTree(o.dir);
        }
        log("results: %s", o.out.toAbsolutePath().resolve(o.base() + ".md"));
        System.exit(0);
    }

    static void log(String fmt, Object... args) {
        System.out.printf("[load %tT] %s%n", System.currentTimeMillis(), String.format(fmt, args));
        System.out.flush();
    }

    // ------------------------------------------------------------------------------------------------ one run

    /** One size's measurements (the window after the warm-up). */
    static final class Row {
        int n;
        double windowSeconds;
        double cpuPct;          // process CPU, % of the whole machine
        double cpuPctMax;       // largest 1-s sample
        double feederPct;       // feeder threads
        double feedingPct;      // feeder threads in the dry run: the feeding overhead alone (schedule, copy, patch)
        double receivePct;      // UDP receive threads (udp mode)
        double muxPct;          // capstan-mux lane threads
        double otherPct;        // the rest: GC, JIT, janitor, sampler
        double machineBusyPct;  // whole machine, every process (contention from others)
        double waitFeedersPct;  // run-queue wait share of the feeder threads (Linux schedstat)
        double waitMuxPct;      // ... of the mux lane threads
        String loadAvg = "";
        double heapBaseMiB;
        double heapPeakMiB;
        double heapAfterGcMiB;
        double perSessionMiB;
        long gcPauses;
        double gcPauseTotalMs;
        double gcPauseMaxMs;
        long sent;
        double sentMbps;
        long late;
        double maxLateMs;
        long packets;
        long lost;
        long framesOut;
        long framesDropped;
        long overflowDropped;
        long overflowEvents;
        long keyframeRequests;
        long udpNotReceived = -1;
        long files;
        double writtenMiB;
        double closeLagP50Ms = Double.NaN;
        double closeLagMaxMs = Double.NaN;
        long errors;
        String firstError = "";
        double stopSeconds;
        String sink = "";
        String note = "";
    }

    /** Soak results: one row for the whole soak and samples every {@code --sample} seconds. */
    static final class Soak {
        Row row;
        Row partial;
        final List<double[]> samples = new ArrayList<>(); // t s, heap after GC MiB, heap peak MiB, cpu %, feeder %, late, overflow
        double slopeMiBPerMin;
        double slopeKiBPerSessionPerMin;

        /** Least-squares slope of the heap after GC over the samples. */
        void computeSlope(int n) {
            int k = samples.size();
            if (k < 2) {
                return;
            }
            double sx = 0;
            double sy = 0;
            double sxx = 0;
            double sxy = 0;
            for (double[] p : samples) {
                sx += p[0];
                sy += p[1];
                sxx += p[0] * p[0];
                sxy += p[0] * p[1];
            }
            double slope = (k * sxy - sx * sy) / (k * sxx - sx * sx); // MiB per second
            slopeMiBPerMin = slope * 60;
            slopeKiBPerSessionPerMin = slopeMiBPerMin * 1024 / n;
        }
    }

    /** What every session reports, summed; files are deleted as soon as they are closed. */
    static final class Events implements AutoCloseable {
        final LongAdder files = new LongAdder();
        final LongAdder bytes = new LongAdder();
        final LongAdder keyframeNeeded = new LongAdder();
        final LongAdder overflowEvents = new LongAdder();
        final LongAdder errors = new LongAdder();
        volatile String firstError = "";
        volatile boolean measuring;
        final long[] baseNanos;
        private final long[] lags; // ms, closes during the window
        private int lagCount;
        private final LinkedBlockingQueue<String> toDelete = new LinkedBlockingQueue<>();
        private final Thread janitor;

        Events(int n) {
            baseNanos = new long[n];
            lags = new long[Math.max(4096, n * 128)];
            janitor = new Thread(this::clean, "load-janitor");
            janitor.setDaemon(true);
            janitor.start();
        }

        void on(RecordingEvent e) {
            if (e instanceof RecordingEvent.SegmentClosed c) {
                SegmentInfo s = c.segment();
                files.increment();
                bytes.add(s.bytes());
                toDelete.add(s.location());
                if (measuring) {
                    int i = Integer.parseInt(e.sessionId().substring(1));
                    long lag = System.nanoTime() - (baseNanos[i] + s.endMicros() * 1000);
                    synchronized (lags) {
                        if (lagCount < lags.length) {
                            lags[lagCount++] = lag / 1_000_000;
                        }
                    }
                }
            } else if (e instanceof RecordingEvent.KeyframeNeeded) {
                keyframeNeeded.increment();
            } else if (e instanceof RecordingEvent.Overflow) {
                overflowEvents.increment();
            } else if (e instanceof RecordingEvent.Error err) {
                errors.increment();
                if (firstError.isEmpty()) {
                    firstError = err.sessionId() + ": " + err.reason();
                }
            }
        }

        long[] lags() {
            synchronized (lags) {
                long[] l = Arrays.copyOf(lags, lagCount);
                Arrays.sort(l);
                return l;
            }
        }

        private void clean() {
            try {
                while (true) {
                    String p = toDelete.take();
                    if (p.isEmpty()) {
                        return;
                    }
                    try {
                        Files.deleteIfExists(Path.of(p));
                    } catch (IOException | RuntimeException ignored) {
                        // a file we cannot delete stays in the run's directory, removed at the end
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() throws InterruptedException {
            toDelete.add("");
            janitor.join(30_000);
        }
    }

    /** The sessions of one run and how they are fed. */
    static final class Fleet {
        final RecordingSession[] sessions;
        final TrackInput[][] inputs;
        final Feeder[] feeders;
        final List<UdpReceiver> receivers = new ArrayList<>();
        final Events events;
        final RecorderExecutor ownExecutor;
        /** Dry run: the feeders run their schedule but deliver nothing (measures the feeding overhead alone). */
        volatile boolean dry;

        Fleet(Options o, LoadCapture cap, int n, Path dir) throws IOException {
            events = new Events(n);
            ownExecutor = o.muxThreads > 0 ? RecorderExecutor.create(o.muxThreads, "capstan-mux") : null;
            sessions = new RecordingSession[n];
            inputs = new TrackInput[n][];
            FileSystemSink sink = new FileSystemSink(dir);
            RotationPolicy rotation = RotationPolicy.parse(o.rotate);
            for (int i = 0; i < n; i++) {
                RecordingSession.Builder b = RecordingSession.builder()
                        .id("s" + i)
                        .stream(String.format("s%04d", i))
                        .sink(sink)
                        .muxers(StandardMuxers.selector(Container.AUTO, false))
                        .rotation(rotation)
                        .listener(events::on);
                if (ownExecutor != null) {
                    b.executor(ownExecutor);
                }
                if (o.reorderSlots > 0) {
                    b.reorderSlots(o.reorderSlots);
                }
                if (o.maxFrames > 0) {
                    b.maxFramesInFlight(o.maxFrames);
                }
                cap.tracks.forEach(b::track);
                sessions[i] = b.build();
                inputs[i] = new TrackInput[cap.tracks.size()];
                for (int k = 0; k < inputs[i].length; k++) {
                    inputs[i][k] = sessions[i].track(cap.tracks.get(k).id());
                }
                sessions[i].start();
            }
            feeders = new Feeder[o.feeders];
            if (o.udp()) {
                InetSocketAddress[][] addr = bindReceivers(o, cap, n);
                for (int f = 0; f < feeders.length; f++) {
                    feeders[f] = new Feeder("load-feeder-" + f, cap, unlessDry(udpSink(addr)));
                }
            } else {
                for (int f = 0; f < feeders.length; f++) {
                    feeders[f] = new Feeder("load-feeder-" + f, cap, unlessDry(this::push));
                }
            }
        }

        private Feeder.Sink unlessDry(Feeder.Sink real) {
            return new Feeder.Sink() {
                @Override
                public void deliver(int s, int stream, boolean rtcp, byte[] buf, int len, long now) {
                    if (!dry) {
                        real.deliver(s, stream, rtcp, buf, len, now);
                    }
                }

                @Override
                public void close() {
                    real.close();
                }
            };
        }

        private void push(int s, int stream, boolean rtcp, byte[] buf, int len, long now) {
            if (rtcp) {
                sessions[s].pushRtcp(buf, 0, len, now);
            } else {
                inputs[s][stream].pushRtp(buf, 0, len, now);
            }
        }

        /** Each session's streams get an ephemeral UDP port (RTCP multiplexed on it); session i is served by receiver i % R. */
        private InetSocketAddress[][] bindReceivers(Options o, LoadCapture cap, int n) throws IOException {
            int streams = cap.tracks.size();
            TrackInput[] byPort = new TrackInput[65536];
            RecordingSession[] sessionByPort = new RecordingSession[65536];
            InetSocketAddress[][] addr = new InetSocketAddress[n][streams];
            InetAddress lo = InetAddress.getLoopbackAddress();
            int r = Math.max(1, Math.min(o.receivers, n));
            for (int k = 0; k < r; k++) {
                List<int[]> mine = new ArrayList<>(); // {session, stream}
                for (int i = k; i < n; i += r) {
                    for (int s = 0; s < streams; s++) {
                        mine.add(new int[] {i, s});
                    }
                }
                UdpReceiver.Builder rb = UdpReceiver.builder((port, buf, off, len, t) -> {
                    TrackInput in = byPort[port];
                    if (in == null) {
                        return;
                    }
                    if (RtcpParser.looksLikeRtcp(buf, off, len)) {
                        sessionByPort[port].pushRtcp(buf, off, len, t);
                    } else {
                        in.pushRtp(buf, off, len, t);
                    }
                }).bindAddress(lo).receiveBufferSize(1 << 20).threadName("load-rx-" + k)
                        .maxDatagramSize(2048);
                for (int j = 0; j < mine.size(); j++) {
                    rb.port(0);
                }
                // the handler reads byPort: fill it before the first datagram can arrive (nothing is sent yet)
                UdpReceiver rx = rb.start();
                receivers.add(rx);
                List<Integer> ports = rx.localPorts();
                for (int j = 0; j < mine.size(); j++) {
                    int[] m = mine.get(j);
                    int port = ports.get(j);
                    byPort[port] = inputs[m[0]][m[1]];
                    sessionByPort[port] = sessions[m[0]];
                    addr[m[0]][m[1]] = new InetSocketAddress(lo, port);
                }
            }
            return addr;
        }

        private static Feeder.Sink udpSink(InetSocketAddress[][] addr) throws IOException {
            DatagramChannel ch = DatagramChannel.open();
            ch.setOption(java.net.StandardSocketOptions.SO_SNDBUF, 1 << 20);
            ByteBuffer[] wrap = new ByteBuffer[1];
            return new Feeder.Sink() {
                @Override
                public void deliver(int s, int stream, boolean rtcp, byte[] buf, int len, long now) {
                    ByteBuffer bb = wrap[0];
                    if (bb == null || bb.array() != buf) {
                        bb = wrap[0] = ByteBuffer.wrap(buf);
                    }
                    bb.clear().limit(len);
                    try {
                        ch.send(bb, addr[s][stream]);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }

                @Override
                public void close() {
                    try {
                        ch.close();
                    } catch (IOException ignored) {
                        // closing
                    }
                }
            };
        }

        long udpReceived() {
            return receivers.stream().mapToLong(UdpReceiver::datagramsReceived).sum();
        }

        /** Sums of every track's counters: packets, lost, framesOut, framesDropped, overflowDropped. */
        long[] trackTotals() {
            long[] t = new long[5];
            for (RecordingSession s : sessions) {
                for (TrackStats st : s.stats()) {
                    t[0] += st.packets();
                    t[1] += st.lost();
                    t[2] += st.framesOut();
                    t[3] += st.framesDropped();
                    t[4] += st.overflowDropped();
                }
            }
            return t;
        }

        long sent() {
            return Arrays.stream(feeders).mapToLong(Feeder::sent).sum();
        }

        long sentBytes() {
            return Arrays.stream(feeders).mapToLong(Feeder::sentBytes).sum();
        }

        long late() {
            return Arrays.stream(feeders).mapToLong(Feeder::late).sum();
        }

        double maxLateMs() {
            return Arrays.stream(feeders).mapToLong(Feeder::maxLateNanos).max().orElse(0) / 1e6;
        }

        /** Stops feeding, then every session (in parallel, a few at a time); returns the seconds stop took. */
        double stop() throws InterruptedException {
            for (Feeder f : feeders) {
                f.shutdown();
            }
            for (Feeder f : feeders) {
                f.join(10_000);
            }
            Thread.sleep(200); // let the receivers drain the loopback queues
            for (UdpReceiver r : receivers) {
                r.close();
            }
            long t0 = System.nanoTime();
            Thread[] stoppers = new Thread[4];
            for (int k = 0; k < stoppers.length; k++) {
                int kk = k;
                stoppers[k] = new Thread(() -> {
                    for (int i = kk; i < sessions.length; i += stoppers.length) {
                        sessions[i].stop(Duration.ofSeconds(60));
                    }
                }, "load-stop-" + k);
                stoppers[k].start();
            }
            for (Thread t : stoppers) {
                t.join();
            }
            double s = (System.nanoTime() - t0) / 1e9;
            if (ownExecutor != null) {
                ownExecutor.close();
            }
            events.close();
            return s;
        }
    }

    /** Starts {@code n} sessions, warms up, measures a window of {@code o.seconds} (or runs the soak), stops. */
    static Row runSize(Options o, LoadCapture cap, int n, Soak soak) throws Exception {
        Path dir = o.dir.resolve(o.mode + "-" + n);
        Files.createDirectories(dir);
        Metrics.gcSettle();
        double heapBase = Metrics.heapUsedMiB();
        log("N=%d: baseline heap after GC %.1f MiB; starting %d sessions", n, heapBase, n);
        Fleet fleet = new Fleet(o, cap, n, dir);
        Random rnd = new Random(o.seed + n);
        long t0 = System.nanoTime() + 500_000_000L;
        // random start moments (so keyframes, rotations and file opens of different sessions do not line up),
        // spread over at most a rotation period and within the warm-up
        long spread = Math.max(1_000_000_000L, Math.min(10_000_000_000L, (o.warmup - 3) * 1_000_000_000L));
        for (int i = 0; i < n; i++) {
            long start = t0 + (long) (rnd.nextDouble() * spread);
            fleet.events.baseNanos[i] = start;
            fleet.feeders[i % fleet.feeders.length].add(i, start);
        }
        for (Feeder f : fleet.feeders) {
            f.start();
        }
        Thread.sleep(o.warmup * 1000L);

        Row row = new Row();
        row.n = n;
        row.heapBaseMiB = heapBase;
        row.sink = "FileSystemSink under " + o.dir + " (" + fsType(o.dir) + "), WebM, rotation " + o.rotate
                + ", each file deleted when closed";
        Metrics.Snapshot a = Metrics.snapshot();
        long sent0 = fleet.sent();
        long bytes0 = fleet.sentBytes();
        long late0 = fleet.late();
        long[] tr0 = fleet.trackTotals();
        long kf0 = fleet.events.keyframeNeeded.sum();
        long ov0 = fleet.events.overflowEvents.sum();
        long files0 = fleet.events.files.sum();
        long written0 = fleet.events.bytes.sum();
        long err0 = fleet.events.errors.sum();
        for (Feeder f : fleet.feeders) {
            f.resetMaxLate();
        }
        fleet.events.measuring = true;
        log("N=%d: warm-up done (%d s), measuring %d s; load average %s", n, o.warmup, o.seconds, Metrics.loadAvg());

        double peakHeap = 0;
        double cpuMax = 0;
        Metrics.Snapshot prev = a;
        long end = System.nanoTime() + o.seconds * 1_000_000_000L;
        long nextSoakSample = System.nanoTime() + o.sample * 1_000_000_000L;
        Metrics.Snapshot soakPrev = a;
        long soakLate = late0;
        long soakOverflow = tr0[4];
        while (System.nanoTime() < end) {
            Thread.sleep(1000);
            Metrics.Snapshot s = Metrics.snapshot();
            cpuMax = Math.max(cpuMax, Metrics.cpuPct(prev, s));
            peakHeap = Math.max(peakHeap, s.heapUsedMiB);
            prev = s;
            if (s.heapUsedMiB > o.heapGuard * Metrics.heapMaxMiB()) {
                Metrics.gcSettle();
                double live = Metrics.heapUsedMiB();
                if (live > o.heapGuard * Metrics.heapMaxMiB()) {
                    row.note = String.format(Locale.ROOT, "stopped after %.0f s of the window: heap after GC %.0f MiB > "
                                    + "%.0f %% of -Xmx (frames piling up in backlogged lanes, see close lag)",
                            (System.nanoTime() - a.wallNanos) / 1e9, live, o.heapGuard * 100);
                    log("N=%d: %s", n, row.note);
                    break;
                }
            }
            if (soak != null && System.nanoTime() >= nextSoakSample) {
                nextSoakSample += o.sample * 1_000_000_000L;
                double peakSinceLast = peakHeap;
                Metrics.gcSettle();
                Metrics.Snapshot g = Metrics.snapshot();
                long lateNow = fleet.late();
                long ovNow = fleet.trackTotals()[4];
                soak.samples.add(new double[] {(g.wallNanos - a.wallNanos) / 1e9, g.heapUsedMiB, peakSinceLast,
                        Metrics.cpuPct(soakPrev, g), Metrics.groupPct(soakPrev, g, "load-feeder"),
                        lateNow - soakLate, ovNow - soakOverflow});
                log("N=%d soak t=%4.0f s: heap after GC %.1f MiB, CPU %.1f %% (feeders %.1f %%), late %d, overflow %d, load %s",
                        n, (g.wallNanos - a.wallNanos) / 1e9, g.heapUsedMiB, Metrics.cpuPct(soakPrev, g),
                        Metrics.groupPct(soakPrev, g, "load-feeder"), lateNow - soakLate, ovNow - soakOverflow,
                        Metrics.loadAvg());
                soakPrev = g;
                soakLate = lateNow;
                soakOverflow = ovNow;
                prev = g;
                soak.partial = row;
                try {
                    Report.writeSoak(o, cap, soak); // partial results survive an interrupted soak
                } catch (IOException | RuntimeException e) {
                    log("could not write partial soak results: %s", e);
                }
            }
        }
        Metrics.Snapshot b = Metrics.snapshot();
        fleet.events.measuring = false;
        row.windowSeconds = (b.wallNanos - a.wallNanos) / 1e9;
        row.cpuPct = Metrics.cpuPct(a, b);
        row.cpuPctMax = cpuMax;
        row.feederPct = Metrics.groupPct(a, b, "load-feeder");
        row.receivePct = Metrics.groupPct(a, b, "load-rx");
        row.muxPct = Metrics.groupPct(a, b, "capstan-mux");
        row.otherPct = row.cpuPct - row.feederPct - row.receivePct - row.muxPct;
        row.machineBusyPct = Metrics.machinePct(a, b);
        row.waitFeedersPct = Metrics.runQueueWaitPct(a, b, "load-feeder");
        row.waitMuxPct = Metrics.runQueueWaitPct(a, b, "capstan-mux");
        row.loadAvg = a.loadAvg + " -> " + b.loadAvg;
        row.gcPauses = b.gcPauses - a.gcPauses;
        row.gcPauseTotalMs = b.gcPauseMs - a.gcPauseMs;
        row.gcPauseMaxMs = Metrics.maxPauseSince(a);
        row.sent = fleet.sent() - sent0;
        row.sentMbps = (fleet.sentBytes() - bytes0) * 8 / 1e6 / row.windowSeconds;
        row.late = fleet.late() - late0;
        row.maxLateMs = fleet.maxLateMs();
        long[] tr1 = fleet.trackTotals();
        row.packets = tr1[0] - tr0[0];
        row.lost = tr1[1] - tr0[1];
        row.framesOut = tr1[2] - tr0[2];
        row.framesDropped = tr1[3] - tr0[3];
        row.overflowDropped = tr1[4] - tr0[4];
        row.keyframeRequests = fleet.events.keyframeNeeded.sum() - kf0;
        row.overflowEvents = fleet.events.overflowEvents.sum() - ov0;
        row.files = fleet.events.files.sum() - files0;
        row.writtenMiB = (fleet.events.bytes.sum() - written0) / 1048576.0;
        row.errors = fleet.events.errors.sum() - err0;
        row.firstError = fleet.events.firstError;
        long[] lags = fleet.events.lags();
        if (lags.length > 0) {
            row.closeLagP50Ms = lags[lags.length / 2];
            row.closeLagMaxMs = lags[lags.length - 1];
        }
        row.heapPeakMiB = Math.max(peakHeap, b.heapUsedMiB);
        Metrics.gcSettle(); // the sessions are still running: live set with N sessions in steady state
        row.heapAfterGcMiB = Metrics.heapUsedMiB();
        row.perSessionMiB = (row.heapAfterGcMiB - heapBase) / n;
        // dry run: same schedule, nothing delivered, so the feeders' CPU is their own overhead only
        long sentTotal = fleet.sent();
        fleet.dry = true;
        Thread.sleep(500);
        Metrics.Snapshot d0 = Metrics.snapshot();
        Thread.sleep(Math.max(2000, Math.min(5_000, o.seconds * 1000L / 4)));
        Metrics.Snapshot d1 = Metrics.snapshot();
        row.feedingPct = Metrics.groupPct(d0, d1, "load-feeder");
        row.stopSeconds = fleet.stop();
        if (o.udp()) {
            row.udpNotReceived = Math.max(0, sentTotal - fleet.udpReceived());
        }
        log("N=%d: CPU %.1f %% of the machine (max 1-s %.1f %%; feeders %.1f (feeding alone %.1f), udp rx %.1f, "
                        + "mux %.1f, other %.1f), machine busy %.1f %%, CPU wait feeders %.0f %% mux %.0f %%, heap after GC %.1f MiB (%.2f MiB/session), GC pauses %d (max %.1f ms), "
                        + "late %d (max %.1f ms), overflow drops %d, all drops %d, lost %d, files %d, stop %.1f s, errors %d",
                n, row.cpuPct, row.cpuPctMax, row.feederPct, row.feedingPct, row.receivePct, row.muxPct, row.otherPct,
                row.machineBusyPct, row.waitFeedersPct, row.waitMuxPct, row.heapAfterGcMiB, row.perSessionMiB, row.gcPauses, row.gcPauseMaxMs, row.late,
                row.maxLateMs, row.overflowDropped, row.framesDropped, row.lost, row.files, row.stopSeconds, row.errors);
        if (!row.firstError.isEmpty()) {
            log("N=%d: first error: %s", n, row.firstError);
        }
        deleteTree(dir);
        return row;
    }

    static Soak runSoak(Options o, LoadCapture cap) throws Exception {
        Soak s = new Soak();
        s.row = runSize(o, cap, o.sizes[0], s);
        s.computeSlope(o.sizes[0]);
        log("soak: heap slope %.2f MiB/min (%.2f KiB per session per minute) over %d samples",
                s.slopeMiBPerMin, s.slopeKiBPerSessionPerMin, s.samples.size());
        return s;
    }

    static String fsType(Path dir) {
        try {
            return Files.getFileStore(dir).type();
        } catch (IOException e) {
            return "?";
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> w = Files.walk(dir)) {
            w.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }

    static void sleepQuietly(long ms) {
        try {
            TimeUnit.MILLISECONDS.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
