package io.capstan.examples.cli;

import io.capstan.testing.MediaTools;
import io.capstan.testing.MiniJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code capstan convert --rotate 2} on the project's captures looped to 10 s of media or more (real encoders' RTP: libvpx VP8 +
 * Opus, libx264 + AAC, a keyframe every second): the files follow each other without gap or overlap, their
 * durations add up to the input, each starts with a keyframe and decodes with zero errors.
 */
class RotationCliTest {

    @TempDir
    Path dir;

    private record Result(int rc, String out, String err) {
    }

    private Result run(String... args) {
        return runWith(Map.of(), args);
    }

    private Result runWith(Map<String, String> env, String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int rc = new CapstanCli(new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8), env).run(args);
        return new Result(rc, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"vp8_opus, webm, 24", "h264_aac, mp4, 10"})
    void everyTwoSeconds_contiguousSegments_keyframeStarts_cleanDecode(String fixture, String container,
                                                                       double captureSeconds) throws Exception {
        MediaTools.require("ffprobe", "ffmpeg");
        // (vp8_opus's capture spans about twice its 3.6 s of media, so it is looped for longer)
        Path pcap = LoopedCapture.writePcap(fixture, captureSeconds, dir.resolve(fixture + "_looped.pcap"));
        double inputMs = mediaMillis(fixture, captureSeconds);
        Path out = dir.resolve("out");
        Result r = run("convert", "--sdp", ConvertConformanceTest.FIXTURES.resolve(fixture + ".sdp").toString(),
                "--pcap", pcap.toString(), "--out", out.toString(), "--container", container, "--rotate", "2",
                "--report", dir.resolve("report.json").toString());
        assertThat(r.rc()).as(r.err()).isZero();
        @SuppressWarnings("unchecked")
        Map<String, Object> rep = (Map<String, Object>) MiniJson.parse(Files.readString(dir.resolve("report.json")));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> files = (List<Map<String, Object>>) rep.get("files");
        // files of 2 s (cut at the keyframe after each boundary: a keyframe every second) and the rest
        assertThat(files.size()).as("files for %.0f ms of media", inputMs)
                .isEqualTo((int) Math.ceil((inputMs - 40) / 2000));
        double sumMs = 0;
        double expectStart = 0;
        List<Double> probed = new ArrayList<>();
        for (Map<String, Object> f : files) {
            Path file = Path.of((String) f.get("path"));
            double start = ((Number) f.get("startMs")).doubleValue();
            double dur = ((Number) f.get("durationMs")).doubleValue();
            // no gap, no overlap: each file starts where the previous one ended, within one video frame
            assertThat(start).as(file.getFileName().toString()).isCloseTo(expectStart, within(34.0));
            expectStart = start + dur;
            sumMs += dur;
            assertThat(MediaTools.decodeErrors(file)).as(file.getFileName().toString()).isEmpty();
            List<Map<String, String>> streams = MediaTools.probeStreams(file);
            int video = -1;
            for (int i = 0; i < streams.size(); i++) {
                if ("video".equals(streams.get(i).get("codec_type"))) {
                    video = i;
                }
            }
            assertThat(video).as("video stream in " + file).isNotNegative();
            assertThat(streams).hasSize(2);
            List<String[]> packets = MediaTools.packets(file, video);
            assertThat(String.join(",", packets.get(0))).as("first video packet of " + file + " is a keyframe").contains("K");
            double probe = MediaTools.probeDuration(file);
            probed.add(probe);
            // what the container says agrees with the session's account (within a frame and the audio's last packet)
            assertThat(probe * 1000).as(file.getFileName().toString()).isCloseTo(dur, within(60.0));
        }
        // the durations add up to the same recording made without rotation (within one frame), and every frame is
        // in exactly one file
        Path whole = dir.resolve("whole");
        Result w = run("convert", "--sdp", ConvertConformanceTest.FIXTURES.resolve(fixture + ".sdp").toString(),
                "--pcap", pcap.toString(), "--out", whole.toString(), "--container", container,
                "--report", dir.resolve("whole.json").toString());
        assertThat(w.rc()).as(w.err()).isZero();
        @SuppressWarnings("unchecked")
        Map<String, Object> one = ((List<Map<String, Object>>) ((Map<String, Object>) MiniJson.parse(
                Files.readString(dir.resolve("whole.json")))).get("files")).get(0);
        assertThat(sumMs).isCloseTo(((Number) one.get("durationMs")).doubleValue(), within(34.0));
        assertThat(files.stream().mapToLong(f -> ((Number) f.get("frames")).longValue()).sum())
                .isEqualTo(((Number) one.get("frames")).longValue());
        assertThat(sumMs).as("at least the input's longest stream").isGreaterThanOrEqualTo(inputMs - 34);
        for (int i = 0; i < files.size() - 1; i++) {
            assertThat(probed.get(i)).as("a middle file overruns its 2 s by less than a keyframe interval")
                    .isBetween(1.9, 3.05);
        }
    }

    @Test
    void environment_recordDirAndRotation_flagsWin() throws Exception {
        Path pcap = LoopedCapture.writePcap("h264_aac", 5.0, dir.resolve("h264_aac_looped.pcap"));
        String sdp = ConvertConformanceTest.FIXTURES.resolve("h264_aac.sdp").toString();
        Path envDir = dir.resolve("env");
        Result r = runWith(Map.of("RECORD_DIR", envDir.toString(), "RECORD_ROTATION", "2"), "convert", "--sdp", sdp,
                "--pcap", pcap.toString());
        assertThat(r.rc()).as(r.err()).isZero();
        try (var files = Files.list(envDir)) {
            assertThat(files.filter(p -> p.toString().endsWith(".mp4")).count()).isGreaterThan(1);
        }
        Path flagDir = dir.resolve("flag");
        r = runWith(Map.of("RECORD_DIR", envDir.toString(), "RECORD_ROTATION", "2"), "convert", "--sdp", sdp,
                "--pcap", pcap.toString(), "--out", flagDir.toString(), "--rotate", "disabled");
        assertThat(r.rc()).as(r.err()).isZero();
        try (var files = Files.list(flagDir)) {
            assertThat(files.filter(p -> p.toString().endsWith(".mp4")).count()).isEqualTo(1);
        }
    }

    @Test
    void badRotation_isAUsageError() {
        Result r = run("convert", "--sdp", "x.sdp", "--pcap", "x.pcap", "--out", dir.toString(), "--rotate", "often");
        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.err()).contains("bad rotation 'often'").doesNotContain("Exception");
    }

    /**
     * The looped input's media span: the longest RTP timestamp span of its streams plus one packet, in ms (each
     * stream is looped on its own clock, so the audio of a pass may be a little longer than its video).
     */
    private static double mediaMillis(String fixture, double captureSeconds) throws Exception {
        List<LoopedCapture.Sent> plan = LoopedCapture.plan(fixture, 0, captureSeconds);
        String sdp = Files.readString(ConvertConformanceTest.FIXTURES.resolve(fixture + ".sdp"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "(?m)^m=\\w+ (\\d+) [^\\n]*\\n(?:(?!m=)[^\\n]*\\n)*?a=rtpmap:\\d+ [^/]+/(\\d+)").matcher(sdp);
        Map<Integer, Integer> clock = new java.util.HashMap<>();
        while (m.find()) {
            clock.put(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
        }
        double max = 0;
        for (Map.Entry<Integer, Integer> c : clock.entrySet()) {
            long first = -1;
            long last = 0;
            long step = 0;
            for (LoopedCapture.Sent s : plan) {
                if (s.port() == c.getKey() && s.bytes().length >= 12) {
                    long ts = LoopedCapture.readU32(s.bytes(), 4);
                    if (first < 0) {
                        first = ts;
                    }
                    long at = (ts - first) & 0xFFFFFFFFL;
                    if (at > last && step == 0) {
                        step = at - last;
                    }
                    last = Math.max(last, at);
                }
            }
            max = Math.max(max, (last + step) * 1000.0 / c.getValue());
        }
        return max;
    }
}
