package io.capstan.examples.cli;

import io.capstan.pcap.CaptureReader;
import io.capstan.pcap.UdpDatagram;
import io.capstan.testing.MediaTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A recording JVM ({@code capstan listen}, receiving a capture replayed over loopback in real time) is killed with
 * SIGKILL in the middle of the stream. The files it leaves under their temporary {@code .part} names must decode
 * with zero errors up to about one second before the kill, and {@code capstan recover} must turn each into a
 * finalized file that decodes cleanly too.
 */
class KillRecoveryTest {

    /** Wall time of the replay at which the recorders are killed. */
    static final double KILL_AT_S = 8.0;
    /** How far behind the kill the last decodable frame may be: reorder latency + interleaving + flush interval. */
    static final double MAX_LAG_S = 1.3;

    record Case(String fixture, String container, boolean perTrack, int files) {
    }

    static final List<Case> CASES = List.of(
            new Case("vp8_opus", "webm", false, 1),
            new Case("vp8_opus", "auto", true, 2) /* IVF + Ogg */,
            new Case("h264_aac", "ts", false, 1),
            new Case("h264_aac", "mp4", false, 1),
            new Case("h264_aac", "fmp4", false, 1));

    @TempDir
    Path dir;

    /** Per case: seconds of media (RTP timestamp span, longest stream) sent before the kill. */
    private double[] sentMedia;

    @Test
    void killedRecorder_leavesPlayableFiles_andRecoverFinalizesThem() throws Exception {
        MediaTools.require("ffmpeg", "ffprobe");
        List<Process> procs = new ArrayList<>();
        List<Path> outs = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        try {
            for (int i = 0; i < CASES.size(); i++) {
                Case c = CASES.get(i);
                int offset = 1000 + 100 * i;
                Path sdp = shiftedSdp(c.fixture(), offset);
                Path out = Files.createDirectories(dir.resolve("out" + i));
                Path log = dir.resolve("log" + i + ".txt");
                List<String> cmd = new ArrayList<>(List.of(javaBin(), "-cp", System.getProperty("java.class.path"),
                        CapstanCli.class.getName(), "listen", "--sdp", sdp.toString(), "--out", out.toString(),
                        "--duration", "120s", "--container", c.container()));
                if (c.perTrack()) {
                    cmd.add("--per-track");
                }
                procs.add(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start());
                outs.add(out);
                logs.add(log);
            }
            for (int i = 0; i < procs.size(); i++) {
                awaitListening(logs.get(i), procs.get(i));
            }
            sentMedia = replay(KILL_AT_S);
        } finally {
            for (Process p : procs) {
                p.destroyForcibly(); // SIGKILL: no shutdown hook, no finalization
            }
            for (Process p : procs) {
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
        for (int i = 0; i < CASES.size(); i++) {
            Case c = CASES.get(i);
            List<Path> parts = list(outs.get(i), ".part");
            assertThat(parts).as("%s: files left behind (%s)", c, Files.readString(logs.get(i))).hasSize(c.files());
            for (Path part : parts) {
                Path copy = Files.copy(part, dir.resolve("copy-" + i + "-" + part.getFileName()));
                assertThat(MediaTools.decodeErrors(copy)).as("%s: %s as left by the kill", c, part.getFileName())
                        .isEmpty();
                double end = lastPacketEnd(copy);
                double sent = sentMedia[i];
                assertThat(end).as("%s: %s reaches %.2f s of %.2f s sent", c, part.getFileName(), end, sent)
                        .isGreaterThanOrEqualTo(sent - MAX_LAG_S);
                ByteArrayOutputStream so = new ByteArrayOutputStream();
                ByteArrayOutputStream se = new ByteArrayOutputStream();
                int rc = new CapstanCli(new PrintStream(so, true, StandardCharsets.UTF_8),
                        new PrintStream(se, true, StandardCharsets.UTF_8)).run(new String[] {"recover", part.toString()});
                assertThat(rc).as(se.toString(StandardCharsets.UTF_8)).isZero();
                Path done = Path.of(part.toString().substring(0, part.toString().length() - ".part".length()));
                assertThat(so.toString(StandardCharsets.UTF_8)).contains("recovered " + done);
                assertThat(done).exists();
                assertThat(part).doesNotExist();
                assertThat(MediaTools.decodeErrors(done)).as("%s: %s after recover", c, done.getFileName()).isEmpty();
                assertThat(lastPacketEnd(done)).as("%s: recovered %s keeps the media", c, done.getFileName())
                        .isGreaterThanOrEqualTo(end - 0.05);
                System.out.printf("kill test %s %s: %.3f s of %.3f s sent decodable after SIGKILL; recover: %s%n",
                        c, done.getFileName(), end, sent, so.toString(StandardCharsets.UTF_8).trim());
            }
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The fixture's SDP with every m= port moved by {@code offset} (so several recorders listen at once). */
    private Path shiftedSdp(String fixture, int offset) throws IOException {
        String sdp = Files.readString(ConvertConformanceTest.FIXTURES.resolve(fixture + ".sdp"));
        Matcher m = Pattern.compile("(?m)^m=(\\w+) (\\d+) ").matcher(sdp);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, "m=" + m.group(1) + " " + (Integer.parseInt(m.group(2)) + offset) + " ");
        }
        m.appendTail(sb);
        Path p = dir.resolve(fixture + "-" + offset + ".sdp");
        Files.writeString(p, sb.toString());
        return p;
    }

    private static void awaitListening(Path log, Process p) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            String s = Files.exists(log) ? Files.readString(log) : "";
            if (s.contains("listening")) {
                return;
            }
            if (!p.isAlive()) {
                throw new AssertionError("recorder exited before listening: " + s);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("recorder did not start listening: " + Files.readString(log));
    }

    /**
     * Replays each case's capture to its shifted ports with the captured timing, up to {@code seconds}. The
     * project's captures are 3 s long, so each is looped: every pass continues the RTP sequence numbers and
     * timestamps of each stream where the previous pass ended (a continuous stream to the receiver); RTCP is
     * sent in the first pass only.
     */
    private double[] replay(double seconds) throws Exception {
        List<List<LoopedCapture.Sent>> plans = new ArrayList<>();
        double[] media = new double[CASES.size()];
        for (int i = 0; i < CASES.size(); i++) {
            plans.add(LoopedCapture.plan(CASES.get(i).fixture(), 1000 + 100 * i, seconds));
            media[i] = mediaSeconds(CASES.get(i).fixture(), 1000 + 100 * i, plans.get(i));
        }
        List<LoopedCapture.Sent> all = new ArrayList<>();
        plans.forEach(all::addAll);
        all.sort(java.util.Comparator.comparingLong(LoopedCapture.Sent::atNanos));
        try (DatagramSocket sock = new DatagramSocket()) {
            InetAddress lo = InetAddress.getLoopbackAddress();
            long start = System.nanoTime();
            for (LoopedCapture.Sent d : all) {
                while (System.nanoTime() - start < d.atNanos()) {
                    Thread.sleep(1);
                }
                sock.send(new DatagramPacket(d.bytes(), d.bytes().length, lo, d.port()));
            }
            while (System.nanoTime() - start < (long) (seconds * 1e9)) {
                Thread.sleep(5);
            }
        }
        return media;
    }

    /** The longest RTP timestamp span among the plan's streams, in seconds (clock rates from the SDP). */
    private static double mediaSeconds(String fixture, int portOffset, List<LoopedCapture.Sent> plan) throws IOException {
        String sdp = Files.readString(ConvertConformanceTest.FIXTURES.resolve(fixture + ".sdp"));
        Map<Integer, Integer> clock = new java.util.HashMap<>();
        Matcher m = Pattern.compile("(?m)^m=\\w+ (\\d+) [^\\n]*\\n(?:(?!m=)[^\\n]*\\n)*?a=rtpmap:\\d+ [^/]+/(\\d+)")
                .matcher(sdp);
        while (m.find()) {
            clock.put(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
        }
        Map<Integer, long[]> range = new java.util.HashMap<>();
        for (LoopedCapture.Sent s : plan) {
            if (s.port() % 2 == 0 && s.bytes().length >= 12) {
                long ts = LoopedCapture.readU32(s.bytes(), 4);
                long[] r = range.computeIfAbsent(s.port(), k -> new long[] {ts, 0});
                r[1] = Math.max(r[1], (ts - r[0]) & 0xFFFFFFFFL);
            }
        }
        double max = 0;
        for (Map.Entry<Integer, long[]> e : range.entrySet()) {
            Integer rate = clock.get(e.getKey() - portOffset);
            if (rate != null) {
                max = Math.max(max, e.getValue()[1] / (double) rate);
            }
        }
        return max;
    }


    /** End of the last packet (pts + duration) over all streams, in seconds from the file's first packet. */
    static double lastPacketEnd(Path f) {
        MediaTools.Run r = MediaTools.run(List.of("ffprobe", "-v", "error", "-show_entries",
                "packet=pts_time,duration_time", "-of", "csv=p=0", f.toString()));
        double min = Double.MAX_VALUE;
        double max = 0;
        for (String l : r.stdout().split("\n")) {
            String[] c = l.split(",");
            if (c.length < 1 || c[0].isBlank() || c[0].equals("N/A")) {
                continue;
            }
            double pts = Double.parseDouble(c[0]);
            double dur = c.length > 1 && !c[1].isBlank() && !c[1].equals("N/A") ? Double.parseDouble(c[1]) : 0;
            min = Math.min(min, pts);
            max = Math.max(max, pts + dur);
        }
        return min == Double.MAX_VALUE ? 0 : max - Math.min(min, 0) - Math.max(0, min);
    }

    private static List<Path> list(Path d, String suffix) throws IOException {
        try (Stream<Path> s = Files.walk(d)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        }
    }

}
